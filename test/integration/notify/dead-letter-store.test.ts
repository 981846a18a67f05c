/** The dead-letter records of webhooks on every store: memory, SQLite and PostgreSQL (migrated on open). */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Client } from 'pg';
import { openStore } from '../../../src/store/index.js';
import type { DeadLetterRecord, Store } from '../../../src/store/types.js';
import { makeTempDir } from '../../lab/peers/common.js';

const PG_URL = process.env.RRC_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const tmp = makeTempDir('dead-letters');
const pgSchema = `rrc_dead_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
after(async () => {
  tmp.remove();
  const pg = new Client({ connectionString: PG_URL });
  await pg.connect();
  await pg.query(`DROP SCHEMA IF EXISTS "${pgSchema}" CASCADE`);
  await pg.end();
});

const T0 = Date.UTC(2026, 10, 22);
const letter = (receiver: string, sequence: number, failedAt: number): DeadLetterRecord => ({
  receiver,
  url: `http://127.0.0.1:9/${receiver}`,
  notificationId: `n-${sequence}`,
  type: 'incident-opened',
  sequence,
  payload: JSON.stringify({ sequence }),
  attempts: 6,
  lastError: 'HTTP 500',
  failedAt,
});

const stores: Array<[string, () => Promise<Store>]> = [
  ['memory', () => openStore('memory:')],
  ['sqlite', () => openStore(`file:${join(tmp.dir, 'dl.db')}`)],
  ['postgresql', () => openStore(`${PG_URL}?schema=${pgSchema}`)],
];

for (const [name, open] of stores) {
  describe(`dead letters on ${name}`, () => {
    test('kept as written, newest first, filtered by receiver, limited', async () => {
      const store = await open();
      try {
        await store.addDeadLetter(letter('ops', 1, T0));
        await store.addDeadLetter(letter('ops', 2, T0 + 1000));
        await store.addDeadLetter(letter('chat', 3, T0 + 500));
        const all = await store.listDeadLetters();
        assert.deepEqual(all.map((d) => d.sequence), [2, 3, 1]);
        assert.deepEqual(all[2], letter('ops', 1, T0));
        assert.deepEqual((await store.listDeadLetters({ receiver: 'ops' })).map((d) => d.sequence), [2, 1]);
        assert.deepEqual((await store.listDeadLetters({ limit: 1 })).map((d) => d.sequence), [2]);
      } finally {
        await store.close();
      }
    });
  });
}
