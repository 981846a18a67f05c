/** SshShell against a real OpenSSH server on 127.0.0.1, plus a hung TCP peer. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SshShell } from '../../../src/drivers/ssh.js';
import { secretResolver } from '../../../src/env/real/secrets.js';
import { freeTcpPort, makeTempDir } from '../../lab/peers/common.js';
import { startHungTcpServer, type HungTcpServer } from '../../lab/peers/hung-tcp.js';
import { startSshd, type Sshd } from '../../lab/peers/sshd.js';
import { expectRrc } from './fixtures.js';

describe('SshShell against sshd', () => {
  let sshd: Sshd;
  let hung: HungTcpServer;
  const tmp = makeTempDir('ssh-test');
  let shell: SshShell;

  before(async () => {
    [sshd, hung] = await Promise.all([startSshd(), startHungTcpServer()]);
    shell = new SshShell({
      knownHostsFile: sshd.knownHostsFile,
      resolveSecret: secretResolver({ key: { file: sshd.userKeyPath } }),
    });
  });
  after(async () => {
    await Promise.all([sshd?.stop(), hung?.stop()]);
    tmp.remove();
  });

  test('runs a command: exit code, stdout, stderr', async () => {
    const r = await shell.run(sshd.sshSpec('key'), 'echo hello; echo oops >&2; exit 3', { timeoutMs: 5000 });
    assert.deepEqual(r, { code: 3, stdout: 'hello\n', stderr: 'oops\n' });
    const ok = await shell.run(sshd.sshSpec('key'), 'true', { timeoutMs: 5000 });
    assert.equal(ok.code, 0);
  });

  test('default key file when the endpoint has no keyRef', async () => {
    const s = new SshShell({ knownHostsFile: sshd.knownHostsFile, resolveSecret: secretResolver({}), defaultKeyFile: sshd.userKeyPath });
    const r = await s.run(sshd.sshSpec(), 'echo $((6*7))', { timeoutMs: 5000 });
    assert.equal(r.stdout, '42\n');
  });

  test('hashed known_hosts entries are understood', async () => {
    const file = join(tmp.dir, 'hashed_known_hosts');
    writeFileSync(file, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
    const s = new SshShell({ knownHostsFile: file, resolveSecret: secretResolver({ key: { file: sshd.userKeyPath } }) });
    assert.equal((await s.run(sshd.sshSpec('key'), 'true', { timeoutMs: 5000 })).code, 0);
  });

  test('empty known_hosts: refused as unknown host key', async () => {
    const file = join(tmp.dir, 'empty_known_hosts');
    writeFileSync(file, '');
    const s = new SshShell({ knownHostsFile: file, resolveSecret: secretResolver({ key: { file: sshd.userKeyPath } }) });
    const { err } = await expectRrc(s.run(sshd.sshSpec('key'), 'true', { timeoutMs: 5000 }), ['RRC_ERR_AUTH']);
    assert.match(err.message, new RegExp(`host key for 127\\.0\\.0\\.1:${sshd.port} not in known_hosts ${file}`));
  });

  test('entry for another port only: refused as unknown', async () => {
    const file = join(tmp.dir, 'other_port_known_hosts');
    writeFileSync(file, `127.0.0.1 ${sshd.hostPublicKey}\n[127.0.0.1]:1 ${sshd.hostPublicKey}\n`);
    const s = new SshShell({ knownHostsFile: file, resolveSecret: secretResolver({ key: { file: sshd.userKeyPath } }) });
    const { err } = await expectRrc(s.run(sshd.sshSpec('key'), 'true', { timeoutMs: 5000 }), ['RRC_ERR_AUTH']);
    assert.match(err.message, /not in known_hosts/);
  });

  test('wrong host key: refused as mismatch', async () => {
    const other = join(tmp.dir, 'other_host_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other], { stdio: 'ignore' });
    const pub = execFileSync('cat', [`${other}.pub`], { encoding: 'utf8' }).trim().split(/\s+/).slice(0, 2).join(' ');
    const file = join(tmp.dir, 'wrong_known_hosts');
    writeFileSync(file, `[127.0.0.1]:${sshd.port} ${pub}\n`);
    const s = new SshShell({ knownHostsFile: file, resolveSecret: secretResolver({ key: { file: sshd.userKeyPath } }) });
    const { err } = await expectRrc(s.run(sshd.sshSpec('key'), 'touch /tmp/3rc-should-not-exist', { timeoutMs: 5000 }), ['RRC_ERR_AUTH']);
    assert.match(err.message, /mismatch/);
  });

  test('missing known_hosts file: refused', async () => {
    const s = new SshShell({ knownHostsFile: join(tmp.dir, 'nope'), resolveSecret: secretResolver({ key: { file: sshd.userKeyPath } }) });
    await expectRrc(s.run(sshd.sshSpec('key'), 'true', { timeoutMs: 5000 }), ['RRC_ERR_AUTH']);
  });

  test('user key not authorized: RRC_ERR_AUTH', async () => {
    const key = join(tmp.dir, 'stranger');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key], { stdio: 'ignore' });
    const s = new SshShell({ knownHostsFile: sshd.knownHostsFile, resolveSecret: secretResolver({ key: { file: key } }) });
    const { err } = await expectRrc(s.run(sshd.sshSpec('key'), 'true', { timeoutMs: 5000 }), ['RRC_ERR_AUTH']);
    assert.match(err.message, /key refused/);
  });

  test('hung command: RRC_ERR_DRIVER_TIMEOUT promptly', async () => {
    // `timeout` on the server side keeps the orphaned sleep from outliving the test.
    const { ms } = await expectRrc(
      shell.run(sshd.sshSpec('key'), 'timeout 5 sleep 30', { timeoutMs: 1000 }),
      ['RRC_ERR_DRIVER_TIMEOUT'],
    );
    assert.ok(ms < 2500, `took ${ms} ms`);
  });

  test('closed port: RRC_ERR_UNREACHABLE', async () => {
    const port = await freeTcpPort();
    const { err, ms } = await expectRrc(
      shell.run({ host: '127.0.0.1', port, user: 'root', keyRef: 'key' }, 'true', { timeoutMs: 3000 }),
      ['RRC_ERR_UNREACHABLE'],
    );
    assert.ok(ms < 1000, `took ${ms} ms`);
    assert.match(err.message, /ECONNREFUSED/);
  });

  test('peer that accepts and never answers: RRC_ERR_DRIVER_TIMEOUT promptly', async () => {
    const { err, ms } = await expectRrc(
      shell.run({ host: '127.0.0.1', port: hung.port, user: 'root', keyRef: 'key' }, 'true', { timeoutMs: 1000 }),
      ['RRC_ERR_DRIVER_TIMEOUT'],
    );
    assert.ok(ms < 2500, `took ${ms} ms`);
    assert.match(err.message, /during connect/);
    assert.ok(hung.accepted() >= 1);
  });

  test('output is bounded', async () => {
    const s = new SshShell({
      knownHostsFile: sshd.knownHostsFile,
      resolveSecret: secretResolver({ key: { file: sshd.userKeyPath } }),
      maxOutputBytes: 64 * 1024,
    });
    const r = await s.run(sshd.sshSpec('key'), 'head -c 1000000 /dev/zero | tr "\\0" a', { timeoutMs: 10_000 });
    assert.equal(r.code, 0);
    assert.ok(r.stdout.startsWith('a'.repeat(64 * 1024)));
    assert.match(r.stdout, /\[3rc: 934464 more bytes dropped\]$/);
  });
});
