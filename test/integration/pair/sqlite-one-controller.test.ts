/** With SQLite only one controller may run on a file: a second service on it refuses to start, clearly. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { defaultDemoConfig } from '../../../src/config/index.js';
import { RrcError } from '../../../src/errors.js';
import { startService } from '../../../src/service/index.js';

test('a second controller on the same SQLite file refuses to start; a later one starts once the first has stopped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rrc-sqlite-pair-'));
  const config = (id: string) => {
    const c = defaultDemoConfig();
    c.store.url = `file:${join(dir, '3rc.db')}`;
    c.demo = null;
    c.controller = { id, rank: 0 };
    return c;
  };
  const opts = { listen: { host: '127.0.0.1', port: 0 }, logger: pino({ level: 'silent' }) };
  const first = await startService(config('first'), opts);
  try {
    await assert.rejects(startService(config('second'), opts), (e: unknown) => {
      assert.ok(e instanceof RrcError);
      assert.equal(e.code, 'RRC_ERR_CONFLICT');
      assert.match(e.message, /another controller \(first\) runs on this SQLite database; only one may/);
      return true;
    });
    const health = (await (await fetch(`${first.url}/health`)).json()) as { leader: boolean; epoch: number; holder: string };
    assert.deepEqual([health.leader, health.epoch, health.holder], [true, 1, 'first']);
  } finally {
    await first.stop();
  }
  // The first released its lease when it stopped: the next one need not wait for the expiry.
  const third = await startService(config('third'), opts);
  await third.stop();
  rmSync(dir, { recursive: true, force: true });
});
