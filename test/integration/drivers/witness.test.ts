/**
 * RealWitnesses against a real OpenSSH server on 127.0.0.1 as the peer: the peer's bounded TCP
 * connect test to a target listener that is up, then closed; a peer whose sshd is down; the
 * controller's self-check against an open and a closed local port.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { HostSpec } from '../../../src/core/types.js';
import { SshShell } from '../../../src/drivers/ssh.js';
import { secretResolver } from '../../../src/env/real/secrets.js';
import { RealWitnesses } from '../../../src/env/real/witness.js';
import { isRrcError } from '../../../src/errors.js';
import { freeTcpPort, waitFor } from '../../lab/peers/common.js';
import { startSshd, type Sshd } from '../../lab/peers/sshd.js';
import { hostSpec } from './fixtures.js';

function listen(): Promise<{ server: Server; port: number; accepted: () => number }> {
  return new Promise((resolve, reject) => {
    let count = 0;
    const server = createServer((sock) => {
      count++;
      sock.destroy();
    });
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      resolve({ server, port: typeof addr === 'object' && addr ? addr.port : 0, accepted: () => count });
    });
  });
}

describe('RealWitnesses with a real sshd as the peer', () => {
  let sshd: Sshd;
  let target: Awaited<ReturnType<typeof listen>>;
  let witnesses: RealWitnesses;
  let closedPort: number;
  let peer: HostSpec;
  let targetHost: HostSpec;

  before(async () => {
    [sshd, target, closedPort] = await Promise.all([startSshd(), listen(), freeTcpPort()]);
    const shell = new SshShell({ knownHostsFile: sshd.knownHostsFile, resolveSecret: secretResolver({ key: { file: sshd.userKeyPath } }) });
    witnesses = new RealWitnesses({
      shell,
      connectTimeoutSeconds: 2,
      sshTimeoutMs: 15_000,
      selfCheckAddresses: [`127.0.0.1:${target.port}`, `127.0.0.1:${closedPort}`],
    });
    peer = hostSpec({ name: 'peer1', ssh: sshd.sshSpec('key') });
    targetHost = hostSpec({ name: 'target', ssh: { host: '127.0.0.1', port: target.port, user: 'root' } });
  });
  after(async () => {
    await sshd?.stop();
    await new Promise<void>((r) => (target?.server.listening ? target.server.close(() => r()) : r()));
  });

  test('the peer reaches a listening target, over its own TCP connection', async () => {
    const before = target.accepted();
    const [report] = await witnesses.peersReach(targetHost, [peer]);
    assert.deepEqual(report, { peer: 'peer1', asked: true, reached: true, detail: `reaches 127.0.0.1:${target.port}` });
    // The accept may be handled just after the SSH reply: wait for it (bounded).
    await waitFor('the peer\'s connection', () => target.accepted() === before + 1, { timeoutMs: 5000, intervalMs: 20 });
  });

  test('a peer whose sshd is down, and the target itself, are not asked', async () => {
    const down = hostSpec({ name: 'peer2', ssh: { ...sshd.sshSpec('key'), port: closedPort } });
    const reports = await witnesses.peersReach(targetHost, [down, targetHost]);
    assert.equal(reports[0]?.asked, false);
    assert.equal(reports[0]?.reached, false);
    assert.match(reports[0]?.detail ?? '', /^peer unreachable: /);
    assert.deepEqual(reports[1], { peer: 'target', asked: false, reached: false, detail: 'peer is the target' });
  });

  test('self-check: the open port passes, the closed one is named', async () => {
    const check = await witnesses.selfCheck();
    assert.equal(check.ok, false);
    assert.equal(check.failed.length, 1);
    assert.match(check.failed[0] ?? '', new RegExp(`^witness 127\\.0\\.0\\.1:${closedPort} unreachable \\(.*ECONNREFUSED`));
    const good = new RealWitnesses({ shell: { run: () => Promise.reject(new Error('unused')) }, selfCheckAddresses: [`127.0.0.1:${target.port}`] });
    assert.deepEqual(await good.selfCheck(), { ok: true, failed: [] });
  });

  test('an address that is not one never reaches the peer', async () => {
    const evil = hostSpec({ name: 'evil', ssh: { host: "127.0.0.1/1'; touch /tmp/3rc-pwned; '", port: 22, user: 'root' } });
    await assert.rejects(witnesses.peersReach(evil, [peer]), (e) => isRrcError(e, 'RRC_ERR_VALIDATION'));
  });

  // Last: closes the target listener.
  test('once the target stops listening the peer reports it unreached (asked, connection refused)', async () => {
    await new Promise<void>((r) => target.server.close(() => r()));
    const [report] = await witnesses.peersReach(targetHost, [peer]);
    assert.equal(report?.asked, true);
    assert.equal(report?.reached, false);
    assert.match(report?.detail ?? '', new RegExp(`^cannot reach 127\\.0\\.0\\.1:${target.port}: .*refused`, 'i'));
  });
});
