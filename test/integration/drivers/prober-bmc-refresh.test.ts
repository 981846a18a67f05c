/**
 * RealProber with bmcRefreshMs (issue 10, probe scale): a host that answers every in-band check
 * has its BMC read once per refresh period, not at every probe; any in-band failure brings a
 * fresh read in the same probe, and every probe after it reads the BMC until the host answers
 * again. Real peers: ipmi_sim, sshd, libvirt test:///; ipmitool status reads are counted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { classifyHost } from '../../../src/core/signature.js';
import { observeSpawns } from '../../../src/drivers/exec.js';
import { IpmiPowerDriver } from '../../../src/drivers/ipmi.js';
import { LibvirtDriver } from '../../../src/drivers/libvirt.js';
import { SshShell } from '../../../src/drivers/ssh.js';
import type { Clock } from '../../../src/env/env.js';
import { realClock } from '../../../src/env/real/clock.js';
import { RealProber } from '../../../src/env/real/prober.js';
import { secretResolver } from '../../../src/env/real/secrets.js';
import { bmcContradicted, bmcReportsOff } from '../../../src/controller/safety/evidence.js';
import { makeTempDir } from '../../lab/peers/common.js';
import { startIpmiSim, type IpmiSim } from '../../lab/peers/ipmi-sim.js';
import { libvirtTestUri, writeLibvirtTestXml } from '../../lab/peers/libvirt-xml.js';
import { startSshd, type Sshd } from '../../lab/peers/sshd.js';
import { hostSpec } from './fixtures.js';

const REFRESH_MS = 60_000;

describe('RealProber: BMC read once per refresh period while the host answers', () => {
  let sim: IpmiSim;
  let sshd: Sshd;
  let libvirt: LibvirtDriver;
  let uri: string;
  let ipmitoolRuns = 0;
  let unobserve: () => void;
  let offsetMs = 0;
  // Real timers (the probe deadlines), a clock we can move forward for the refresh period.
  const clock: Clock = { now: () => realClock.now() + offsetMs, setTimeout: (fn, ms) => realClock.setTimeout(fn, ms), clearTimeout: (h) => realClock.clearTimeout(h) };
  const tmp = makeTempDir('prober-bmc-refresh');
  let resolveSecret: (ref: string) => Promise<string>;

  before(async () => {
    [sim, sshd] = await Promise.all([startIpmiSim({ password: 'refresh-pw' }), startSshd()]);
    uri = libvirtTestUri(writeLibvirtTestXml(tmp.dir, { cpus: 2, memoryMb: 2048, domains: [] }));
    resolveSecret = secretResolver({ bmc: { env: 'P' }, key: { file: sshd.userKeyPath } }, { P: 'refresh-pw' });
    libvirt = new LibvirtDriver({ callTimeoutMs: 3000 });
    // Status reads only: a probe whose SSH check is slow on this loaded machine also reads the
    // SEL (OS silent), which is not what these tests are about.
    unobserve = observeSpawns((file, args) => {
      if (file.endsWith('ipmitool') && args.includes('status')) ipmitoolRuns++;
    });
  });
  after(async () => {
    unobserve?.();
    await Promise.all([sim?.stop(), sshd?.stop(), libvirt?.close()]);
    tmp.remove();
  });

  const prober = (bmcRefreshMs: number | null) =>
    new RealProber({
      power: new IpmiPowerDriver({ resolveSecret, retries: 0, timeoutMs: 4000 }),
      hypervisor: libvirt,
      shell: new SshShell({ knownHostsFile: sshd.knownHostsFile, resolveSecret }),
      clock,
      bmcRefreshMs,
      timeouts: { bmcMs: 5000, tcpMs: 3000, sshMs: 10_000, libvirtMs: 3000 },
    });
  const healthy = () => hostSpec({ bmc: sim.bmc('bmc'), ssh: sshd.sshSpec('key'), hypervisorUri: uri });
  /** The same host with its hypervisor gone (an in-band check fails, the host still answers TCP/SSH). */
  const hypervisorDown = () => ({ ...healthy(), hypervisorUri: libvirtTestUri(`${tmp.dir}/missing.xml`) });
  const runsDuring = async <T>(fn: () => Promise<T>): Promise<{ value: T; runs: number }> => {
    const before = ipmitoolRuns;
    const value = await fn();
    return { value, runs: ipmitoolRuns - before };
  };

  test('a healthy host: one read, then none until the period is over', async () => {
    const p = prober(REFRESH_MS);
    const first = await runsDuring(() => p.probeHost(healthy()));
    assert.equal(first.runs, 1, JSON.stringify(first.value));
    assert.equal(first.value.power, 'on');
    for (let i = 0; i < 3; i++) {
      const next = await runsDuring(() => p.probeHost(healthy()));
      assert.equal(next.runs, 0, 'no ipmitool run while the host answers');
      assert.equal(next.value.power, 'on');
      assert.equal(next.value.bmcReachable, true);
      assert.match(next.value.details?.bmc ?? '', /power on \(read \d+ s ago/);
      assert.equal(classifyHost(next.value).code, 'ok');
    }
    offsetMs += REFRESH_MS;
    assert.equal((await runsDuring(() => p.probeHost(healthy()))).runs, 1, 'read again after the period');
  });

  test('an in-band failure brings a fresh read in the same probe, and every probe reads until the host answers again', async () => {
    const p = prober(REFRESH_MS);
    await p.probeHost(healthy());
    sim.setPower('off');
    try {
      // The BMC now says off while the host still answers TCP and SSH: a lying BMC.
      const down = await runsDuring(() => p.probeHost(hypervisorDown()));
      assert.equal(down.runs, 1);
      assert.equal(down.value.power, 'off', 'the fresh read, not the remembered "on"');
      assert.equal(bmcContradicted(down.value), true, 'the safety gate still sees the lie');
      assert.equal(bmcReportsOff(down.value), false);
      // Healthy in-band again, but the BMC read "off" last time: read at every probe.
      const again = await runsDuring(() => p.probeHost(healthy()));
      assert.equal(again.runs, 1);
      assert.equal(again.value.power, 'off');
    } finally {
      sim.setPower('on');
    }
    const back = await runsDuring(() => p.probeHost(healthy()));
    assert.equal(back.runs, 1, 'the "off" memo is never reused');
    assert.equal(back.value.power, 'on');
    assert.equal((await runsDuring(() => p.probeHost(healthy()))).runs, 0, 'answers everything, BMC on: reused again');
  });

  test('a host that stops answering has its BMC read although the memo is fresh', async () => {
    const p = prober(REFRESH_MS);
    await p.probeHost(healthy());
    // Nothing listens on this port: TCP and SSH fail at once; the BMC says off.
    sim.setPower('off');
    try {
      const silent = { ...hypervisorDown(), ssh: { ...sshd.sshSpec('key'), port: 1 } };
      const o = await runsDuring(() => p.probeHost(silent));
      assert.equal(o.runs, 1);
      assert.equal(o.value.reachable, false);
      assert.equal(o.value.power, 'off');
      assert.equal(bmcReportsOff(o.value), true, 'evidence for the gate comes from this probe');
      assert.equal(classifyHost(o.value).code, 'host-power-off');
    } finally {
      sim.setPower('on');
    }
  });

  test('null (the RealProber default): the BMC is read at every probe', async () => {
    const p = prober(null);
    for (let i = 0; i < 3; i++) assert.equal((await runsDuring(() => p.probeHost(healthy()))).runs, 1);
  });
});
