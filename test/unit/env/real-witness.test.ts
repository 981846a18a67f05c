/** RealWitnesses without a network: command building, validation, exit-code mapping, the bound. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SshSpec } from '../../../src/core/types.js';
import type { RemoteShell, ShellResult } from '../../../src/env/env.js';
import {
  RealWitnesses, connectTestCommand, parseWitnessAddress, safeAddress, witnessEndpoint,
} from '../../../src/env/real/witness.js';
import { RrcError, isRrcError } from '../../../src/errors.js';
import { hostSpec } from './sim-fixture.js';

test('only IP literals and DNS names go into the peer command', () => {
  for (const ok of ['198.18.0.11', '::1', 'fe80::1', 'hv1', 'hv1.rack-2.example.org']) assert.equal(safeAddress(ok), true, ok);
  for (const bad of ["1.2.3.4'; rm -rf /; '", '$(id)', 'a b', '-oProxyCommand=x', 'fe80::1%eth0', '', 'a..b', 'hv1/2']) {
    assert.equal(safeAddress(bad), false, bad);
  }
  assert.equal(connectTestCommand('198.18.0.11', 22, 3), "timeout 3 bash -c '</dev/tcp/198.18.0.11/22'");
  assert.throws(() => connectTestCommand('x;y', 22, 3), (e) => isRrcError(e, 'RRC_ERR_VALIDATION'));
  assert.throws(() => connectTestCommand('h', 0, 3), (e) => isRrcError(e, 'RRC_ERR_VALIDATION'));
  assert.throws(() => connectTestCommand('h', 22, 1.5), (e) => isRrcError(e, 'RRC_ERR_VALIDATION'));
  assert.deepEqual(witnessEndpoint(hostSpec('h1', 1)), { address: '10.0.0.1', port: 22 });
  const { ssh: _ssh, ...noSsh } = hostSpec('h2', 2);
  assert.deepEqual(witnessEndpoint(noSsh), { address: '10.0.0.2', port: 22 });
  assert.throws(() => witnessEndpoint({ ...noSsh, ip: '10.0.0.2 && reboot' }), (e) => isRrcError(e, 'RRC_ERR_VALIDATION'));
});

test('self-check addresses must be host:port', () => {
  assert.deepEqual(parseWitnessAddress('198.18.0.1:53'), { host: '198.18.0.1', port: 53 });
  assert.deepEqual(parseWitnessAddress('[fd00::1]:443'), { host: 'fd00::1', port: 443 });
  assert.deepEqual(parseWitnessAddress('gw.example.org:80'), { host: 'gw.example.org', port: 80 });
  for (const bad of ['198.18.0.1', '198.18.0.1:0', '198.18.0.1:70000', 'fd00::1:53', ':53', 'a b:53']) {
    assert.throws(() => parseWitnessAddress(bad), (e) => isRrcError(e, 'RRC_ERR_CONFIG_INVALID'), bad);
  }
  const shell: RemoteShell = { run: () => Promise.reject(new Error('unused')) };
  assert.throws(() => new RealWitnesses({ shell, selfCheckAddresses: ['nope'] }), (e) => isRrcError(e, 'RRC_ERR_CONFIG_INVALID'));
  assert.throws(() => new RealWitnesses({ shell, connectTimeoutSeconds: 0 }), (e) => isRrcError(e, 'RRC_ERR_CONFIG_INVALID'));
});

test('exit codes: 0 reached, 1 and 124 asked but unreached, anything else or an ssh error: not asked', async () => {
  const byPeer: Record<string, ShellResult | Error> = {
    '10.0.0.1': { code: 0, stdout: '', stderr: '' },
    '10.0.0.2': { code: 1, stdout: '', stderr: 'bash: connect: Connection refused\nbash: line 1: /dev/tcp/10.0.0.9/22: Connection refused\n' },
    '10.0.0.3': { code: 124, stdout: '', stderr: '' },
    '10.0.0.4': { code: 127, stdout: '', stderr: 'bash: command not found' },
    '10.0.0.5': new RrcError('RRC_ERR_UNREACHABLE', 'ssh root@10.0.0.5:22: connect ECONNREFUSED'),
  };
  const commands: string[] = [];
  const shell: RemoteShell = {
    run: async (endpoint: SshSpec, command: string) => {
      commands.push(command);
      const r = byPeer[endpoint.host];
      if (r instanceof Error) throw r;
      return r as ShellResult;
    },
  };
  const w = new RealWitnesses({ shell, connectTimeoutSeconds: 2 });
  const peers = [1, 2, 3, 4, 5].map((i) => hostSpec(`p${i}`, i));
  const target = { ...hostSpec('t', 9), ssh: { host: '10.0.0.9', port: 2222, user: 'root' } };
  const reports = await w.peersReach(target, peers);
  assert.deepEqual(reports.map((r) => [r.peer, r.asked, r.reached]), [
    ['p1', true, true], ['p2', true, false], ['p3', true, false], ['p4', false, false], ['p5', false, false],
  ]);
  assert.equal(reports[1]?.detail, 'cannot reach 10.0.0.9:2222: bash: line 1: /dev/tcp/10.0.0.9/22: Connection refused');
  assert.equal(reports[2]?.detail, 'cannot reach 10.0.0.9:2222: timed out after 2 s');
  assert.match(reports[3]?.detail ?? '', /^connect test failed on the peer: exit 127/);
  assert.match(reports[4]?.detail ?? '', /^peer unreachable: .*ECONNREFUSED/);
  assert.deepEqual(new Set(commands), new Set(["timeout 2 bash -c '</dev/tcp/10.0.0.9/2222'"]));
});

test('peers are asked in parallel, never more than `concurrency` at once', async () => {
  let inFlight = 0;
  let peak = 0;
  const release: (() => void)[] = [];
  const shell: RemoteShell = {
    run: () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      return new Promise<ShellResult>((resolve) =>
        release.push(() => {
          inFlight--;
          resolve({ code: 0, stdout: '', stderr: '' });
        }),
      );
    },
  };
  const w = new RealWitnesses({ shell, concurrency: 3 });
  const done = w.peersReach(hostSpec('t', 9), Array.from({ length: 7 }, (_, i) => hostSpec(`p${i}`, i)));
  // Release the calls one at a time as they arrive (bounded: 7 calls).
  for (let i = 0; i < 7; i++) {
    const expected = Math.min(3, 7 - i);
    for (let spin = 0; spin < 100 && inFlight < expected; spin++) await Promise.resolve();
    assert.equal(inFlight, expected, `step ${i}: the freed slot is taken, no more`);
    release.shift()?.();
  }
  const reports = await done;
  assert.equal(peak, 3);
  assert.deepEqual(reports.map((r) => r.peer), ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
  assert.ok(reports.every((r) => r.asked && r.reached));
});
