/** The contract on a SQLite file, plus what only a file-backed store has: data survives a reopen. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { openStore } from '../../../src/store/index.js';
import { action, host, incident, storeContract, T0, vm } from './store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'rrc-sqlite-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

storeContract('sqlite', {
  fresh: (now) => openStore(`file:${join(dir, `contract-${++n}.db`)}`, { now }),
  release: (store) => store.close(),
});

describe('SQLite store file', () => {
  test('reopening the file keeps the data; the file is in WAL mode', async () => {
    const file = join(dir, 'nested', 'deeper', 'reopen.db'); // parent folders are created
    const first = await openStore(`file:${file}`, { now: () => T0 });
    assert.equal(first.provider, 'sqlite');
    await first.addHost(host('h1', ['aa:00:00:00:00:01']));
    await first.addVm(vm('web', 'u-1', 'h1'));
    await first.createIncident(incident('vm:web#1', T0 + 1));
    await first.upsertAction(action('vm:web#1', 2, 1, T0 + 2, { fencingToken: 12 }));
    await first.saveTargetState({ targetId: 'vm:web', phase: 'failed', rung: 2, maintenance: false, snapshot: { a: 1 }, updatedAt: T0 + 3 });
    await first.close();

    const second = await openStore(`sqlite:${file}`);
    assert.deepEqual((await second.listHosts()).map((h) => h.name), ['h1']);
    assert.equal((await second.getVm('web'))?.createdAt, T0);
    assert.deepEqual((await second.getIncident('vm:web#1'))?.actions, [action('vm:web#1', 2, 1, T0 + 2, { fencingToken: 12 })]);
    assert.deepEqual(await second.listTargetStates(), [
      { targetId: 'vm:web', phase: 'failed', rung: 2, maintenance: false, snapshot: { a: 1 }, updatedAt: T0 + 3 },
    ]);
    await second.close();

    const raw = new Database(file, { readonly: true });
    try {
      assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
      // times are integer epoch milliseconds in the file
      assert.deepEqual(raw.prepare('SELECT typeof(createdAt) AS t, createdAt AS v FROM Host').get(), { t: 'integer', v: T0 });
    } finally {
      raw.close();
    }
  });

  test('DATABASE_URL is used when no URL is given', async () => {
    const file = join(dir, 'from-env.db');
    const saved = process.env.DATABASE_URL;
    process.env.DATABASE_URL = `file:${file}`;
    try {
      const store = await openStore();
      await store.addAudit({ at: T0, actor: 'test', action: 'env', target: null, details: null });
      await store.close();
    } finally {
      if (saved === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved;
    }
    const again = await openStore(`file:${file}`);
    assert.equal((await again.listAudit()).length, 1);
    await again.close();
  });
});
