/**
 * TLS from configured files: a self-signed certificate made by openssl for this test; the service
 * answers over https only, with the certificate it was given, and the Host check still applies.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultDemoConfig } from '../../../src/config/index.js';
import { startService, type RunningService } from '../../../src/service/index.js';

function get(url: string, ca: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers, servername: 'localhost', timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('API over TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), '3rc-tls-'));
  let service: RunningService;
  let ca: Buffer;

  before(async () => {
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'pipe' });
    } catch (e) {
      throw new Error(`openssl is needed for this test (Debian package openssl, installed by scripts/setup.sh): ${(e as Error).message}`, { cause: e });
    }
    ca = readFileSync(join(dir, 'cert.pem'));
    const config = defaultDemoConfig();
    config.store.url = 'memory:';
    config.demo = null;
    config.api.tokenFile = join(dir, 'admin-token');
    config.api.tls = { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') };
    service = await startService(config, { listen: { host: '127.0.0.1', port: 0 }, logger: (await import('pino')).pino({ level: 'silent' }) });
  });
  after(async () => {
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves https with the configured certificate; the token works; a foreign Host is 421', async () => {
    assert.match(service.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const token = readFileSync(join(dir, 'admin-token'), 'utf8').trim();
    assert.equal((await get(`${service.url}/health`, ca)).status, 200);
    const status = await get(`${service.url}/status`, ca, { authorization: `Bearer ${token}` });
    assert.equal(status.status, 200, status.body);
    assert.equal((await get(`${service.url}/status`, ca, { authorization: `Bearer ${token}`, host: 'evil.example' })).status, 421);
    await assert.rejects(get(`${service.url}/health`, Buffer.from('')), 'an untrusted certificate is refused by the client');
  });
});
