/**
 * known_hosts written by the reinstall callback (src/drivers/known-hosts.ts): one host's keys
 * replaced, every other line kept; the ed25519 line check; atomic, serialized writes.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KnownHostsStore, parseEd25519KeyLine, parseKnownHosts, replaceHostKeys } from '../../../src/drivers/known-hosts.js';
import { ed25519KeyLine, tempDir } from './support.js';

const hashed = (name: string) => {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
};

describe('known_hosts: replacing one host key', () => {
  const dir = tempDir('known-hosts');
  after(() => dir.remove());

  it('checks an ed25519 key line down to its blob', () => {
    const line = ed25519KeyLine('root@node-1');
    const [type, b64] = line.split(' ');
    assert.deepEqual(parseEd25519KeyLine(`${line}\n`), { ok: true, key: `${type} ${b64}` });
    assert.deepEqual(parseEd25519KeyLine(`${type} ${b64}`), { ok: true, key: `${type} ${b64}` });
    for (const bad of ['', `${line}\n${line}`, `ssh-rsa ${b64}`, `ssh-ed25519 ${b64!.slice(0, -4)}`, `ssh-ed25519 ${b64}x`, `ssh-ed25519  ${b64}`, `ssh-ed25519 ${b64} evil\u0007`]) {
      assert.equal(parseEd25519KeyLine(bad).ok, false, JSON.stringify(bad));
    }
  });

  it('removes only the names given, from plain, bracketed, listed and hashed entries; keeps markers and comments', () => {
    const text = [
      '# controller known_hosts',
      'hv1 ssh-ed25519 AAAAold1',
      'hv1 ssh-rsa AAAAold2',
      'hv1,hv2 ecdsa-sha2-nistp256 AAAAshared',
      `${hashed('hv1')} ssh-ed25519 AAAAhashed`,
      `${hashed('hv2')} ssh-ed25519 AAAAhashed2`,
      '[hv1]:2222 ssh-ed25519 AAAAotherport',
      'hv1* ssh-ed25519 AAAAwildcard',
      '@revoked hv1 ssh-ed25519 AAAArevoked',
      'hv10 ssh-ed25519 AAAAhv10',
      '',
    ].join('\n');
    const r = replaceHostKeys(text, ['hv1'], 'ssh-ed25519 AAAAnew');
    assert.equal(r.removed, 4);
    assert.deepEqual(r.text.split('\n'), [
      '# controller known_hosts',
      'hv2 ecdsa-sha2-nistp256 AAAAshared',
      text.split('\n')[5],
      '[hv1]:2222 ssh-ed25519 AAAAotherport',
      'hv1* ssh-ed25519 AAAAwildcard',
      '@revoked hv1 ssh-ed25519 AAAArevoked',
      'hv10 ssh-ed25519 AAAAhv10',
      'hv1 ssh-ed25519 AAAAnew',
      '',
    ]);
    assert.equal(replaceHostKeys('', ['[hv3]:2222'], 'ssh-ed25519 AAAAx').text, '[hv3]:2222 ssh-ed25519 AAAAx\n');
  });

  it('writes atomically, keeps the file mode, serializes concurrent replacements, creates a missing file', async () => {
    const file = join(dir.path, 'known_hosts');
    writeFileSync(file, 'other ssh-ed25519 AAAAother\n', { mode: 0o600 });
    const store = new KnownHostsStore(file);
    const keys = Array.from({ length: 6 }, (_, i) => ed25519KeyLine(`k${i}`).split(' ').slice(0, 2).join(' '));
    await Promise.all(keys.map((k, i) => store.replace([`h${i % 2}`], k)));
    const text = readFileSync(file, 'utf8');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(text.trimEnd().split('\n'), ['other ssh-ed25519 AAAAother', `h0 ${keys[4]}`, `h1 ${keys[5]}`]);
    assert.equal(parseKnownHosts(text, 'h1', 22)[0]!.blob.toString('base64'), keys[5]!.split(' ')[1]);
    const fresh = new KnownHostsStore(join(dir.path, 'sub', 'known_hosts'));
    assert.deepEqual(await fresh.replace(['h9'], keys[0]!), { removed: 0 });
    assert.equal(readFileSync(fresh.file, 'utf8'), `h9 ${keys[0]}\n`);
  });
});
