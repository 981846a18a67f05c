/**
 * Requests and their timelines in every store: memory, SQLite (a temp file) and PostgreSQL
 * (127.0.0.1:5432 database "test", a schema of its own dropped at the end; RRC_TEST_PG_URL
 * overrides; a missing server fails with the fix). A fenced update from an old epoch is refused.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { isRrcError } from '../../../src/errors.js';
import { openStore } from '../../../src/store/index.js';
import type { RequestRecord, Store } from '../../../src/store/types.js';

const PG = process.env.RRC_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const SCHEMA = `rrc_test_req_${randomBytes(4).toString('hex')}`;
const tmp = mkdtempSync(join(tmpdir(), 'rrc-req-store-'));

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

function request(id: string, over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id,
    owner: 'alice',
    state: 'queued',
    kind: 'vm',
    cores: 4,
    ramGb: 8,
    diskGb: 200,
    os: 'debian-12',
    middleware: ['htcondor', 'cvmfs'],
    sshKeys: ['ssh-ed25519 AAAA alice@x'],
    durationMs: 6 * 3600_000,
    queue: true,
    host: null,
    vmName: null,
    vmUuid: null,
    overlayPath: null,
    seedPath: null,
    address: null,
    createdAt: 1_000,
    placedAt: null,
    readyAt: null,
    expiresAt: null,
    endedAt: null,
    warned: [],
    steps: [],
    endReason: null,
    erasedHow: null,
    error: null,
    updatedAt: 1_000,
    ...over,
  };
}

const flavours: Array<[string, () => Promise<Store>]> = [
  ['memory', () => openStore('memory:', { now: () => 5_000 })],
  ['sqlite', () => openStore(`file:${join(tmp, 'req.db')}`, { now: () => 5_000 })],
  ['postgresql', () => openStore(`${PG}?schema=${SCHEMA}`, { now: () => 5_000 })],
];

for (const [name, open] of flavours) {
  describe(`requests in the ${name} store`, () => {
    test('create, read, patch (lists and times round-trip), filter, timeline in order', async () => {
      const store = await open();
      try {
        await store.createRequest(request('r-1'));
        await store.createRequest(request('r-2', { owner: 'bob', createdAt: 2_000 }));
        await store.createRequest(request('r-0', { createdAt: 500, state: 'erased' }));
        await assert.rejects(store.createRequest(request('r-1')), (e) => isRrcError(e, 'RRC_ERR_CONFLICT'));
        assert.deepEqual(await store.getRequest('r-1'), request('r-1'));
        const placed = await store.updateRequest('r-1', { state: 'placing', host: 'hv1', placedAt: 3_000, expiresAt: 3_000 + 6 * 3600_000, warned: [3600_000], steps: ['overlay'], vmName: 'r-1' });
        assert.equal(placed.updatedAt, 5_000);
        assert.deepEqual(await store.getRequest('r-1'), placed);
        assert.deepEqual((await store.updateRequest('r-1', { host: null })).host, null);
        assert.deepEqual((await store.listRequests()).map((r) => r.id), ['r-0', 'r-1', 'r-2']);
        assert.deepEqual((await store.listRequests({ open: true })).map((r) => r.id), ['r-1', 'r-2']);
        assert.deepEqual((await store.listRequests({ open: false })).map((r) => r.id), ['r-0']);
        assert.deepEqual((await store.listRequests({ owner: 'bob' })).map((r) => r.id), ['r-2']);
        await assert.rejects(store.updateRequest('nope', { state: 'placing' }), (e) => isRrcError(e, 'RRC_ERR_NOT_FOUND'));
        await store.addRequestEvent({ requestId: 'r-1', at: 10, kind: 'created', message: 'asked' });
        await store.addRequestEvent({ requestId: 'r-1', at: 20, kind: 'step', message: 'overlay', data: { step: 'overlay' } });
        assert.deepEqual(await store.listRequestEvents('r-1'), [
          { requestId: 'r-1', at: 10, kind: 'created', message: 'asked' },
          { requestId: 'r-1', at: 20, kind: 'step', message: 'overlay', data: { step: 'overlay' } },
        ]);
        await assert.rejects(store.addRequestEvent({ requestId: 'nope', at: 1, kind: 'x', message: 'x' }), (e) => isRrcError(e, 'RRC_ERR_NOT_FOUND'));
      } finally {
        await store.close();
      }
    });

    test('a fenced update from an epoch older than the lease is refused and changes nothing', async () => {
      const store = await open();
      try {
        const id = `r-f${name}`;
        await store.createRequest(request(id));
        const lease = await store.acquireLease({ name: `od-${name}`, holder: 'a', rank: 0, now: 1, ttlMs: 1 });
        await store.acquireLease({ name: `od-${name}`, holder: 'b', rank: 0, now: 10, ttlMs: 1000 });
        await assert.rejects(store.updateRequest(id, { state: 'placing' }, { name: `od-${name}`, epoch: lease.epoch }), (e) => isRrcError(e, 'RRC_ERR_STALE_EPOCH'));
        assert.equal((await store.getRequest(id))?.state, 'queued');
      } finally {
        await store.close();
      }
    });
  });
}
