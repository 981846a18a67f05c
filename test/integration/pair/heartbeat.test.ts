/**
 * The controller pair on the dashboard: two controller services (simulated racks, real HTTP on
 * 127.0.0.1) on one PostgreSQL schema (RRC_TEST_PG_URL or the local "test" database; a missing
 * server fails). The leader's dashboard lists the standby as live with its API URL; a write sent
 * to the standby is refused with the leader's URL; once the standby stops, the leader's dashboard
 * shows it stale (no beat for three lease renewal periods). Wall clock: generous bounds.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import { defaultDemoConfig } from '../../../src/config/index.js';
import { startService, type RunningService } from '../../../src/service/index.js';
import { BASE_URL } from './pair-lib.js';
import { waitUntil } from './process-pair.js';

const schema = `rrc_test_hb_pair_${randomBytes(4).toString('hex')}`;
const dbUrl = `${BASE_URL}${BASE_URL.includes('?') ? '&' : '?'}schema=${schema}`;
const dir = mkdtempSync(join(tmpdir(), '3rc-pair-heartbeat-'));
const services: RunningService[] = [];

after(async () => {
  for (const s of services) await s.stop();
  rmSync(dir, { recursive: true, force: true });
  const admin = new pg.Client({ connectionString: BASE_URL, connectionTimeoutMillis: 5_000 });
  admin.on('error', () => undefined);
  try {
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await admin.end().catch(() => undefined);
  }
});

async function start(id: string, rank: number): Promise<RunningService> {
  const config = defaultDemoConfig();
  config.store.url = dbUrl;
  config.demo = null;
  config.controller = { id, rank };
  // One token file: the first service writes the admin token into the shared store, the second finds it there.
  config.api.tokenFile = join(dir, 'admin-token');
  const service = await startService(config, { listen: { host: '127.0.0.1', port: 0 }, logger: pino({ level: 'silent' }) });
  services.push(service);
  return service;
}

interface Standby {
  id: string;
  rank: number;
  role: string;
  apiUrl: string | null;
  lastSeenAt: string;
  fresh: boolean;
}
interface Pair {
  leader: boolean;
  holder: string | null;
  leaderUrl: string | null;
  standbys: Standby[];
}

test('the leader lists the standby live with its URL; a stopped standby turns stale', { timeout: 120_000 }, async () => {
  const a = await start('ctl-a', 2);
  assert.ok(await waitUntil(async () => (await a.controller.health()).leader, 15_000), 'ctl-a leads');
  const b = await start('ctl-b', 1);
  const token = readFileSync(join(dir, 'admin-token'), 'utf8').trim();
  const get = async (s: RunningService, path: string) => {
    const res = await fetch(`${s.url}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
    return res.json();
  };
  let generatedAt = '';
  const pairOf = async (s: RunningService) => {
    const snapshot = (await get(s, '/api/v1/dashboard')) as { generatedAt: string; controller: Pair };
    generatedAt = snapshot.generatedAt;
    return snapshot.controller;
  };

  let seen: Pair | null = null;
  const listed = await waitUntil(async () => {
    seen = await pairOf(a);
    return seen.standbys.some((m) => m.id === 'ctl-b' && m.fresh && m.apiUrl === b.url);
  }, 20_000, 250);
  assert.ok(listed, `the leader's dashboard does not list ctl-b live: ${JSON.stringify(seen)}`);
  const pair = seen as unknown as Pair;
  assert.equal(pair.leader, true);
  assert.equal(pair.holder, 'ctl-a');
  assert.equal(pair.leaderUrl, a.url);
  assert.deepEqual(pair.standbys.map((m) => [m.id, m.rank, m.role]), [['ctl-b', 1, 'standby']]);

  // The standby's refusal of a write names the leader and where its API is.
  const refused = await fetch(`${b.url}/hosts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: '{}',
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(refused.status, 409);
  assert.deepEqual(await refused.json(), {
    error: 'RRC_ERR_NOT_LEADER',
    message: `this controller does not lead: send writes to ctl-a (${a.url})`,
    leader: 'ctl-a',
    leaderUrl: a.url,
  });

  await b.stop();
  const stoppedAt = Date.now();
  const stale = await waitUntil(async () => {
    seen = await pairOf(a);
    return seen.standbys.some((m) => m.id === 'ctl-b' && !m.fresh);
  }, 40_000, 500);
  assert.ok(stale, `ctl-b still live on the leader's dashboard: ${JSON.stringify(seen)}`);
  // Marked stale only after three renewal periods (9 s) without a beat, and its last beat came before the stop.
  const last = (seen as unknown as Pair).standbys.find((m) => m.id === 'ctl-b')!;
  assert.ok(Date.parse(generatedAt) - Date.parse(last.lastSeenAt) > 9_000, `stale at ${generatedAt}, last seen ${last.lastSeenAt}`);
  assert.ok(Date.parse(last.lastSeenAt) <= stoppedAt);
  assert.equal((seen as unknown as Pair).leader, true, 'ctl-a still leads');
});
