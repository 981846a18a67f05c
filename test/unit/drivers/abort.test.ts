/**
 * Every driver call takes an AbortSignal (issue 9): the ipmitool child is killed, no further try
 * is sent, and an aborted simulated call never reaches the world.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execBounded, type ExecFn } from '../../../src/drivers/exec.js';
import { IpmiPowerDriver } from '../../../src/drivers/ipmi.js';
import { isRrcError } from '../../../src/errors.js';
import { buildSimRack, labHosts, labVms, silentLogger } from '../../../src/sim-rack/index.js';

test('an aborted exec kills its child at once', async () => {
  const abort = new AbortController();
  const started = Date.now();
  const run = execBounded({ file: 'sleep', args: ['30'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeoutMs: 20_000, signal: abort.signal });
  setTimeout(() => abort.abort(), 50);
  const res = await run;
  assert.equal(res.aborted, true);
  assert.equal(res.signal, 'SIGKILL');
  assert.ok(Date.now() - started < 5_000, 'did not wait for the child');
});

test('an aborted IPMI call rejects RRC_ERR_ABORTED and sends no retry', async () => {
  const calls: string[] = [];
  let spawned: () => void = () => undefined;
  const running = new Promise<void>((resolve) => (spawned = resolve));
  const exec: ExecFn = (req) => {
    calls.push(req.args.slice(-3).join(' '));
    spawned();
    return new Promise((resolve) => {
      req.signal?.addEventListener('abort', () =>
        resolve({ code: null, signal: 'SIGKILL', stdout: '', stderr: '', timedOut: false, aborted: true, durationMs: 1 }),
      );
    });
  };
  const ipmi = new IpmiPowerDriver({ resolveSecret: async () => 'pw', exec, retries: 2 });
  const host = labHosts()[0]!;
  const abort = new AbortController();
  const call = ipmi.off(host, { signal: abort.signal });
  await running; // ipmitool is running: the abort kills it
  abort.abort();
  await assert.rejects(call, (e: unknown) => isRrcError(e, 'RRC_ERR_ABORTED'));
  assert.deepEqual(calls, ['chassis power off'], 'one try, killed; none after the abort');
  await assert.rejects(ipmi.status(host, { signal: abort.signal }), (e: unknown) => isRrcError(e, 'RRC_ERR_ABORTED'));
  assert.equal(calls.length, 1, 'an already aborted signal starts nothing');
});

test('an aborted simulated call stops waiting and leaves the world as it was', async () => {
  const rack = await buildSimRack({ hosts: labHosts(), vms: labVms(), log: silentLogger });
  const host = labHosts()[0]!;
  const abort = new AbortController();
  const off = rack.env.power.off(host, { signal: abort.signal });
  const restart = rack.env.hypervisor.restart(host, labVms()[0]!, { signal: abort.signal });
  abort.abort();
  await assert.rejects(off, (e: unknown) => isRrcError(e, 'RRC_ERR_ABORTED'));
  await assert.rejects(restart, (e: unknown) => isRrcError(e, 'RRC_ERR_ABORTED'));
  await rack.clock.advanceBy(10_000);
  assert.equal(rack.world.host(host.name).power, 'on');
  assert.equal(rack.world.domain(host.name, 'web1')?.state, 'running');
});
