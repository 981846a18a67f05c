/**
 * Boot progress from the SEL of a real BMC (ipmi_sim, records added at run time through its
 * console), read by IpmiPowerDriver and folded into the RealProber's observation and signature.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { classifyHost } from '../../../src/core/signature.js';
import { IpmiPowerDriver } from '../../../src/drivers/ipmi.js';
import { SelMarks } from '../../../src/drivers/ipmi-sel.js';
import type { ExecRequest } from '../../../src/drivers/exec.js';
import type { HypervisorDriver, RemoteShell } from '../../../src/env/env.js';
import { RealProber } from '../../../src/env/real/prober.js';
import { secretResolver } from '../../../src/env/real/secrets.js';
import { freeTcpPort, waitFor } from '../../lab/peers/common.js';
import { SEL, startIpmiSim, type IpmiSim } from '../../lab/peers/ipmi-sim.js';
import { expectRrc, hostSpec, recordingExec } from './fixtures.js';

const PASSWORD = 'sel-pw';
const resolveSecret = secretResolver(
  { bmc: { env: 'T_BMC_PW' }, wrong: { env: 'T_BMC_WRONG' } },
  { T_BMC_PW: PASSWORD, T_BMC_WRONG: 'not-the-password' },
);

const commandOf = (c: ExecRequest): string => c.args.slice(c.args.indexOf('-R') + 2).join(' ');

// The OS side is not under test here: a shell that always works, a hypervisor that never answers.
const okShell: RemoteShell = { run: async () => ({ code: 0, stdout: '', stderr: '' }) };
const deadHypervisor = { ping: () => Promise.reject(new Error('no hypervisor in this test')) } as unknown as HypervisorDriver;

describe('SEL boot progress against ipmi_sim', () => {
  let sim: IpmiSim;
  let listening: Server;
  let openPort: number;
  let closedPort: number;
  const marks = new SelMarks();
  // Like the real Env: one driver for actions, one (no retries) for probes, sharing the marks.
  const actions = new IpmiPowerDriver({ resolveSecret, timeoutMs: 5000, retries: 1, backoffMs: 100, selMarks: marks });
  const rec = recordingExec();
  const probeDriver = new IpmiPowerDriver({ resolveSecret, exec: rec.exec, timeoutMs: 3000, retries: 0, selMarks: marks });
  const prober = new RealProber({
    power: probeDriver,
    hypervisor: deadHypervisor,
    shell: okShell,
    timeouts: { bmcMs: 4000, tcpMs: 1000, sshMs: 1000, libvirtMs: 500 },
  });

  before(async () => {
    sim = await startIpmiSim({ password: PASSWORD, power: 'on' });
    listening = createServer((s) => s.destroy());
    await new Promise<void>((r) => listening.listen(0, '127.0.0.1', r));
    openPort = (listening.address() as { port: number }).port;
    closedPort = await freeTcpPort();
  });
  after(async () => {
    await Promise.all([sim?.stop(), new Promise((r) => listening?.close(r))]);
  });

  const host = (secretRef = 'bmc') => hostSpec({ bmc: sim.bmc(secretRef) });
  /** The host's OS answers (TCP) or not; its BMC is the simulator. */
  const probed = (reachable: boolean, secretRef = 'bmc') =>
    hostSpec({ bmc: sim.bmc(secretRef), ssh: { host: '127.0.0.1', port: reachable ? openPort : closedPort, user: 'root' } });
  /** Probes once; returns the observation and the ipmitool commands it spawned. */
  const probe = async (reachable: boolean, secretRef = 'bmc') => {
    const from = rec.calls.length;
    const o = await prober.probeHost(probed(reachable, secretRef));
    return { o, bmcCalls: rec.calls.slice(from).map(commandOf) };
  };

  test('an empty log says nothing: unknown', async () => {
    assert.equal(await actions.bootProgress(host()), 'unknown');
    const { o, bmcCalls } = await probe(false);
    assert.equal(o.bootProgress, 'unknown');
    assert.deepEqual(bmcCalls, ['chassis power status', 'sel elist']);
    assert.equal(classifyHost(o).code, 'host-unreachable');
  });

  test('a host that answers costs one BMC call and no SEL read', async () => {
    await sim.addSelEvent(SEL.noBootableMedia);
    const { o, bmcCalls } = await probe(true);
    assert.deepEqual(bmcCalls, ['chassis power status']);
    assert.equal(o.bootProgress, undefined);
    assert.equal(classifyHost(o).code, 'hypervisor-down');
  });

  test('boot initiated -> booting', async () => {
    await sim.addSelEvent(SEL.bootInitiated);
    assert.equal(await actions.bootProgress(host()), 'booting');
    assert.equal((await probe(false)).o.bootProgress, 'booting');
  });

  test('"No bootable media" -> boot-failed, signature host-boot-failed', async () => {
    await sim.addSelEvent(SEL.firmwareProgress);
    await sim.addSelEvent(SEL.noBootableMedia);
    const v = await actions.bootVerdict(host());
    assert.equal(v.progress, 'boot-failed');
    assert.match(v.decidedBy?.description ?? '', /No bootable media/);
    const { o, bmcCalls } = await probe(false);
    assert.equal(bmcCalls.length, 2);
    assert.equal(o.bootProgress, 'boot-failed');
    assert.equal(classifyHost(o).code, 'host-boot-failed');
  });

  test('"boot completed" with the host silent on TCP -> os-running, host-unreachable-os-running', async () => {
    await sim.addSelEvent(SEL.bootInitiated);
    await sim.addSelEvent(SEL.bootCompleted);
    const { o } = await probe(false);
    assert.equal(o.bootProgress, 'os-running');
    assert.match(o.details?.bootProgress ?? '', /^os-running/);
    assert.equal(classifyHost(o).code, 'host-unreachable-os-running');
  });

  test('a run-time critical stop is not a running OS', async () => {
    await sim.addSelEvent(SEL.runtimeCriticalStop);
    const { o } = await probe(false);
    assert.equal(o.bootProgress, 'booting');
    assert.equal(classifyHost(o).code, 'host-unreachable');
  });

  test('power cycle: only records after it count', async () => {
    await sim.addSelEvent(SEL.noBootableMedia);
    assert.equal((await probe(false)).o.bootProgress, 'boot-failed');
    const before = sim.calls().length;
    await actions.cycle(host());
    await waitFor('power back on', () => sim.calls().slice(before).includes('power 1'), { timeoutMs: 5000 });
    // The failed boot was before our cycle: no longer evidence (no reinstall on a stale record).
    const afterCycle = await probe(false);
    assert.equal(afterCycle.o.bootProgress, 'unknown');
    assert.equal(classifyHost(afterCycle.o).code, 'host-unreachable');
    await sim.addSelEvent(SEL.bootCompleted);
    assert.equal((await probe(false)).o.bootProgress, 'os-running');
    await sim.addSelEvent(SEL.noBootableMedia);
    assert.equal((await probe(false)).o.bootProgress, 'boot-failed');
  });

  test('power off needs no SEL read: off', async () => {
    sim.setPower('off');
    try {
      const { o, bmcCalls } = await probe(false);
      assert.deepEqual(bmcCalls, ['chassis power status']);
      assert.equal(o.bootProgress, 'off');
      assert.equal(classifyHost(o).code, 'host-power-off');
    } finally {
      sim.setPower('on');
    }
  });

  test('wrong password: the driver refuses with a typed error, the probe says unknown and why', async () => {
    const r = recordingExec();
    const d = new IpmiPowerDriver({ resolveSecret, exec: r.exec, timeoutMs: 3000, retries: 2, backoffMs: 100 });
    const { err } = await expectRrc(d.bootProgress(host('wrong')), ['RRC_ERR_AUTH', 'RRC_ERR_DRIVER_TIMEOUT']);
    assert.match(err.message, /ipmitool sel elist/);
    assert.ok(!err.message.includes('not-the-password'));
    // One bounded run: the SEL read is never retried, whatever the driver's retries.
    assert.equal(r.calls.length, 1);
    assert.equal(r.calls[0]?.timeoutMs, 3000);

    const { o, bmcCalls } = await probe(false, 'wrong');
    assert.deepEqual(bmcCalls, ['chassis power status'], 'no SEL read after a refused status');
    assert.equal(o.bootProgress, 'unknown');
    assert.match(o.details?.bootProgress ?? '', /^unknown: SEL not read, BMC status failed: .*(refused user "admin"|no answer within)/);
    assert.equal(classifyHost(o).code, 'host-unreachable');
  });
});
