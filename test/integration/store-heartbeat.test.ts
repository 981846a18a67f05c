/**
 * Controller heartbeat rows in every store: memory, SQLite (a temp file) and PostgreSQL
 * (127.0.0.1:5432 database "test", a schema of its own dropped at the end; RRC_TEST_PG_URL
 * overrides; a missing server fails). A beat replaces the row of its (cluster, controller); rows
 * list by controller id within their cluster; pruning deletes only the cluster's old rows.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { openStore } from '../../src/store/index.js';
import type { HeartbeatRecord, Store } from '../../src/store/types.js';

const PG = process.env.RRC_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const SCHEMA = `rrc_test_hb_${randomBytes(4).toString('hex')}`;
const tmp = mkdtempSync(join(tmpdir(), 'rrc-hb-store-'));
const T0 = 1_763_000_000_123; // not a whole second: catches lost milliseconds

after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  const c = new pg.Client({ connectionString: PG, connectionTimeoutMillis: 5_000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  } catch {
    // nothing was created
  } finally {
    await c.end().catch(() => undefined);
  }
});

function beat(controller: string, over: Partial<HeartbeatRecord> = {}): HeartbeatRecord {
  return { cluster: 'default', controller, rank: 1, role: 'standby', apiUrl: null, lastSeenAt: T0, epochSeen: null, ...over };
}

const flavours: Array<[string, () => Promise<Store>]> = [
  ['memory', () => openStore('memory:', { now: () => T0 })],
  ['sqlite', () => openStore(`file:${join(tmp, 'hb.db')}`, { now: () => T0 })],
  ['postgresql', () => openStore(`${PG}${PG.includes('?') ? '&' : '?'}schema=${SCHEMA}`, { now: () => T0 })],
];

for (const [name, open] of flavours) {
  describe(`controller heartbeats in the ${name} store`, () => {
    test('a beat replaces its row; rows list by id within their cluster; every field round-trips', async () => {
      const store = await open();
      try {
        assert.deepEqual(await store.listHeartbeats('default'), []);
        await store.recordHeartbeat(beat('ctl-b'));
        await store.recordHeartbeat(beat('ctl-a', { rank: 2, role: 'leader', apiUrl: 'http://127.0.0.1:7070', epochSeen: 4 }));
        await store.recordHeartbeat(beat('ctl-x', { cluster: 'other' }));
        // The next beat of ctl-b: later, with its URL and the epoch it saw.
        await store.recordHeartbeat(beat('ctl-b', { lastSeenAt: T0 + 3_001, apiUrl: 'http://127.0.0.1:7071', epochSeen: 4 }));
        assert.deepEqual(await store.listHeartbeats('default'), [
          beat('ctl-a', { rank: 2, role: 'leader', apiUrl: 'http://127.0.0.1:7070', epochSeen: 4 }),
          beat('ctl-b', { lastSeenAt: T0 + 3_001, apiUrl: 'http://127.0.0.1:7071', epochSeen: 4 }),
        ]);
        assert.deepEqual(await store.listHeartbeats('other'), [beat('ctl-x', { cluster: 'other' })]);
      } finally {
        await store.close();
      }
    });

    test('pruning deletes the rows of that cluster last seen before the cut, and counts them', async () => {
      const store = await open();
      try {
        // Upserts: on a database file kept from the previous test these rows are already there.
        await store.recordHeartbeat(beat('ctl-a'));
        await store.recordHeartbeat(beat('ctl-b', { lastSeenAt: T0 + 3_001 }));
        await store.recordHeartbeat(beat('ctl-x', { cluster: 'other' }));
        assert.equal(await store.pruneHeartbeats('default', T0 + 1), 1);
        assert.deepEqual((await store.listHeartbeats('default')).map((r) => r.controller), ['ctl-b']);
        assert.deepEqual((await store.listHeartbeats('other')).map((r) => r.controller), ['ctl-x'], 'another cluster keeps its rows');
        assert.equal(await store.pruneHeartbeats('default', T0), 0);
      } finally {
        await store.close();
      }
    });
  });
}
