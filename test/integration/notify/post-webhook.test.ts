/** One webhook request against real HTTP peers on 127.0.0.1: taken, refused, redirected, silent, closed port. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { postWebhook } from '../../../src/notify/post-webhook.js';
import { freeTcpPort } from '../../lab/peers/common.js';

describe('postWebhook', () => {
  let server: Server;
  let base = '';
  const bodies: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString());
        if (req.url === '/ok') return res.writeHead(204).end();
        if (req.url === '/fail') return res.writeHead(500).end('boom');
        if (req.url === '/moved') return res.writeHead(302, { location: '/ok' }).end();
        // /silent: never answers (until the server closes)
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const post = (path: string, timeoutMs = 10_000, url = `${base}${path}`) => postWebhook({ url, body: '{"a":1}', headers: { 'content-type': 'application/json' }, timeoutMs });

  test('a 2xx is delivered, with the body as given', async () => {
    await post('/ok');
    assert.equal(bodies.at(-1), '{"a":1}');
  });

  test('a 5xx and a redirect are failures (a signed body is not sent elsewhere)', async () => {
    await assert.rejects(post('/fail'), /HTTP 500/);
    await assert.rejects(post('/moved'), /HTTP 302/);
  });

  test('a receiver that does not answer is abandoned at the timeout', async () => {
    await assert.rejects(post('/silent', 300), /no answer within 300 ms/);
  });

  test('a closed port fails with the connection error', async () => {
    const port = await freeTcpPort();
    await assert.rejects(post('', 5000, `http://127.0.0.1:${port}/hook`), /ECONNREFUSED/);
  });
});
