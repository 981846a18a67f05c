import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openStore } from '../../../src/store/index.js';
import { maskUrl, parseStoreUrl } from '../../../src/store/url.js';
import { rejectsWith } from './store-contract.js';

describe('store URLs', () => {
  test('SQLite forms resolve to a file path', () => {
    assert.deepEqual(parseStoreUrl('file:./3rc.db', '/srv/rrc'), { provider: 'sqlite', path: '/srv/rrc/3rc.db' });
    assert.deepEqual(parseStoreUrl('sqlite:data/x.db?connection_limit=1', '/srv'), { provider: 'sqlite', path: '/srv/data/x.db' });
    assert.deepEqual(parseStoreUrl('file:/var/lib/3rc/3rc.db'), { provider: 'sqlite', path: '/var/lib/3rc/3rc.db' });
    assert.deepEqual(parseStoreUrl('file:///var/lib/3rc/3rc.db'), { provider: 'sqlite', path: '/var/lib/3rc/3rc.db' });
    assert.equal(parseStoreUrl('file:rel.db').provider, 'sqlite');
    assert.deepEqual(parseStoreUrl('file:rel.db'), { provider: 'sqlite', path: resolve('rel.db') });
  });

  test('PostgreSQL forms take the schema out of the URL', () => {
    assert.deepEqual(parseStoreUrl('postgresql://u:p@db:5432/rrc?schema=ops&sslmode=disable'), {
      provider: 'postgresql',
      connectionString: 'postgresql://u:p@db:5432/rrc?sslmode=disable',
      schema: 'ops',
    });
    assert.deepEqual(parseStoreUrl('postgres://db/rrc'), { provider: 'postgresql', connectionString: 'postgres://db/rrc', schema: 'public' });
    assert.throws(() => parseStoreUrl('postgresql://db/rrc?schema=a;drop'), /invalid schema/);
  });

  test('memory: and unsupported schemes', () => {
    assert.deepEqual(parseStoreUrl('memory:'), { provider: 'memory' });
    assert.throws(() => parseStoreUrl('mysql://u:secret@db/x'), (e: Error) => /unsupported store URL "mysql:\/\/u:\*\*\*@db\/x"/.test(e.message));
    assert.throws(() => parseStoreUrl('file::memory:'), /names no SQLite file/);
  });

  test('passwords are masked', () => {
    assert.equal(maskUrl('postgresql://rrc:s3cr%40t@db:5432/rrc?schema=x'), 'postgresql://rrc:***@db:5432/rrc?schema=x');
    assert.equal(maskUrl('postgresql://db/rrc'), 'postgresql://db/rrc');
    assert.equal(maskUrl('file:./3rc.db'), 'file:./3rc.db');
  });

  test('openStore: memory: opens; opening failures are RRC_ERR_STORE with the password masked', async () => {
    const mem = await openStore('memory:');
    assert.equal(mem.provider, 'memory');
    await mem.close();
    await assert.rejects(openStore('postgresql://rrc:topsecret@127.0.0.1:1/none'), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'RRC_ERR_STORE');
      assert.match(e.message, /cannot connect to PostgreSQL at postgresql:\/\/rrc:\*\*\*@127\.0\.0\.1:1\/none/);
      assert.doesNotMatch(e.message, /topsecret/);
      return true;
    });
    const dir = mkdtempSync(join(tmpdir(), 'rrc-url-'));
    try {
      writeFileSync(join(dir, 'plain-file'), '');
      await rejectsWith(openStore(`file:${dir}/plain-file/x.db`), 'RRC_ERR_STORE', /cannot open store file:.*plain-file\/x\.db: E(NOTDIR|EXIST)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
