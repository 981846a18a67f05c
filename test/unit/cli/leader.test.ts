/**
 * The CLI's client with several controllers: reads go to the first that answers, writes to the
 * one whose /health says it leads, or once to the leaderUrl a standby's refusal names.
 * Small fastify servers on 127.0.0.1 play the controllers and record what they were sent.
 */
import assert from 'node:assert/strict';
import { after, beforeEach, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { ApiClient } from '../../../src/cli/client.js';
import { CliError } from '../../../src/cli/errors.js';

interface FakeServer {
  url: string;
  /** `METHOD path` of every request but /health. */
  seen: string[];
  app: FastifyInstance;
}

interface Behaviour {
  /** What /health says; 'broken' answers 500 (a leader whose lease view lags, say). */
  health: 'leader' | 'standby' | 'broken';
  /** Where a standby's 409 points, if anywhere. */
  leaderUrl?: () => string | undefined;
}

const servers: FakeServer[] = [];

async function controllerServer(name: string, b: Behaviour): Promise<FakeServer> {
  const app = Fastify();
  const seen: string[] = [];
  app.get('/health', async (_req, reply) => {
    if (b.health === 'broken') return reply.code(500).send({ error: 'RRC_ERR_INTERNAL', message: 'x' });
    return { status: 'ok', leader: b.health === 'leader', holder: b.health === 'leader' ? name : 'ctl-a' };
  });
  app.all('/*', async (req, reply) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.method === 'GET') return { from: name };
    if (b.health === 'standby') {
      const leaderUrl = b.leaderUrl?.();
      return reply.code(409).send({ error: 'RRC_ERR_NOT_LEADER', message: 'this controller does not lead: send writes to ctl-a', leader: 'ctl-a', ...(leaderUrl ? { leaderUrl } : {}) });
    }
    return { from: name };
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const s = { url, seen, app };
  servers.push(s);
  return s;
}

const client = (...urls: string[]): ApiClient => new ApiClient(urls.join(','), { timeoutMs: 2_000, token: 'x' });

describe('cli: several controllers', () => {
  beforeEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.app.close()));
  });
  after(async () => {
    await Promise.all(servers.splice(0).map((s) => s.app.close()));
  });

  it('reads go to the first that answers, writes to the leader', async () => {
    const standby = await controllerServer('ctl-b', { health: 'standby' });
    const leader = await controllerServer('ctl-a', { health: 'leader' });
    const c = client(standby.url, leader.url);
    assert.deepEqual(await c.get('/hosts'), { from: 'ctl-b' });
    assert.deepEqual(await c.post('/hosts/hv1/power', { op: 'off' }), { from: 'ctl-a' });
    await c.delete('/vms/web1');
    assert.deepEqual(standby.seen, ['GET /hosts']);
    assert.deepEqual(leader.seen, ['POST /hosts/hv1/power', 'DELETE /vms/web1']);
  });

  it('skips a controller that does not answer when looking for the leader', async () => {
    const dead = await controllerServer('dead', { health: 'leader' });
    await dead.app.close();
    const leader = await controllerServer('ctl-a', { health: 'leader' });
    const c = client(dead.url, leader.url);
    assert.deepEqual(await c.post('/targets/host:hv1/maintenance', { on: true }), { from: 'ctl-a' });
    assert.deepEqual(leader.seen, ['POST /targets/host:hv1/maintenance']);
  });

  it('follows the leaderUrl of a refusal once when no /health says leader', async () => {
    const leader = await controllerServer('ctl-a', { health: 'broken' });
    const standby = await controllerServer('ctl-b', { health: 'standby', leaderUrl: () => leader.url });
    const c = client(standby.url, leader.url);
    assert.deepEqual(await c.post('/hosts/hv1/fence', {}), { from: 'ctl-a' });
    assert.deepEqual(standby.seen, ['POST /hosts/hv1/fence']);
    assert.deepEqual(leader.seen, ['POST /hosts/hv1/fence']);
  });

  it('does not hand the token to a leaderUrl outside the --api list, and says who leads', async () => {
    const elsewhere = await controllerServer('ctl-x', { health: 'leader' });
    const standby = await controllerServer('ctl-b', { health: 'standby', leaderUrl: () => elsewhere.url });
    const other = await controllerServer('ctl-c', { health: 'standby', leaderUrl: () => elsewhere.url });
    const c = client(standby.url, other.url);
    await assert.rejects(c.post('/hosts/hv1/fence', {}), (e: unknown) => e instanceof CliError && e.code === 'RRC_ERR_NOT_LEADER' && /ctl-a/.test(e.message));
    assert.deepEqual(elsewhere.seen, []);
  });

  it('two standbys pointing at each other: one hop, then the refusal', async () => {
    let bUrl = '';
    const a = await controllerServer('ctl-a', { health: 'standby', leaderUrl: () => bUrl });
    const b = await controllerServer('ctl-b', { health: 'standby', leaderUrl: () => a.url });
    bUrl = b.url;
    const c = client(a.url, b.url);
    await assert.rejects(c.post('/vms/web1/restart', {}), (e: unknown) => e instanceof CliError && e.code === 'RRC_ERR_NOT_LEADER');
    assert.equal(a.seen.length + b.seen.length, 2, 'one try and one hop');
  });
});
