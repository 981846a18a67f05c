/**
 * The reinstall rung for real, on SeaBIOS QEMU machines (TCG) whose e1000 carries iPXE's
 * pxe-e1000.rom, each behind an ipmi_sim BMC that starts and stops its QEMU process, netbooting
 * from the project's boot services across a bridge in network namespaces (fixtures/lab.ts).
 *
 * 1. PxeProvisioner alone: netboot is off while the host runs (it gets a lease but no boot file),
 *    then bootdev pxe -> power cycle -> DHCP -> HTTP script, kernel, initrd -> kickstart -> callback;
 *    afterwards netboot off and the BMC boot device back to disk.
 * 2. The controller's own rung 5 (triggered by hand) with the real IpmiPowerDriver, the real
 *    LibvirtDriver on test:///default and a MemoryStore: the milestones land in the incident
 *    timeline, the action succeeds, the incident resolves.
 * 3. A missed deadline (the installer never calls back): RRC_ERR_DRIVER_TIMEOUT naming the last
 *    milestone, netboot off and boot device disk afterwards.
 *
 * There is no TFTP step here, by design: the NIC's ROM already is iPXE (DHCP user class "iPXE"),
 * so the DHCP server hands it the HTTP script URL instead of undionly.kpxe (no chain-load loop).
 * The firmware-PXE flow with TFTP is the UEFI native case (see qemu-uefi.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createController, type ControllerEvent } from '../../../src/controller/index.js';
import { resolvePolicy } from '../../../src/core/policy.js';
import type { HostObservation } from '../../../src/core/signature.js';
import type { HostSpec } from '../../../src/core/types.js';
import { LibvirtDriver } from '../../../src/drivers/libvirt.js';
import type { Env, Prober, ReinstallMilestone, RemoteShell } from '../../../src/env/env.js';
import { realClock } from '../../../src/env/real/clock.js';
import { unconfiguredWitnesses } from '../../../src/env/real/witness.js';
import { isRrcError, RrcError } from '../../../src/errors.js';
import { MemoryStore } from '../../../src/store/index.js';
import { startReinstallLab, testLog, until, type ReinstallLab } from './fixtures/lab.js';

const NODE1 = { name: 'node-1', mac: '52:54:00:3c:00:01' };
const NODE2 = { name: 'node-2', mac: '52:54:00:3c:00:02' };
const FLOW = ['bootdev-set', 'power-cycled', 'dhcp', 'http', 'kickstart', 'callback'];

/** Index of the first milestone of each name in `names`, in FLOW order; asserts they increase. */
function assertOrder(ms: Array<{ name: string; at: number }>, expected: string[], context: string): void {
  const names = ms.map((m) => m.name);
  const firsts = expected.map((n) => names.indexOf(n));
  assert.ok(
    firsts.every((i, k) => i >= 0 && (k === 0 || i > firsts[k - 1]!)),
    `milestones out of order or missing: ${names.join(', ')}\n${context}`,
  );
  for (let i = 1; i < ms.length; i++) assert.ok(ms[i]!.at >= ms[i - 1]!.at, `times decrease at ${names[i]}: ${JSON.stringify(ms)}`);
}

describe('reinstall of a SeaBIOS + iPXE QEMU machine over its BMC', () => {
  let lab: ReinstallLab;

  before(async () => {
    lab = await startReinstallLab([
      { ...NODE1, firmware: 'bios' },
      { ...NODE2, firmware: 'bios', template: 'hang' },
    ]);
  });
  after(async () => {
    await lab?.stop();
  });

  it('PxeProvisioner: netboot off while running, then pxe, power cycle, DHCP, HTTP, kickstart, callback', async () => {
    const { spec, qemu, bmc } = lab.machine(NODE1.name);
    assert.equal(await lab.boot.netbootOf(NODE1.mac), false, 'netboot is off by default');

    // The host runs (booted from "disk"; the NIC's ROM still asks DHCP): an address, no boot file.
    await lab.power.on(spec);
    const leased = await until(() => lab.boot.milestones.some((m) => m.host === NODE1.name && m.name === 'dhcp'), 30_000);
    assert.ok(leased, `no DHCP lease while running\n${lab.dump()}`);
    const first = lab.boot.milestones.find((m) => m.host === NODE1.name && m.name === 'dhcp')!;
    assert.doesNotMatch(first.detail ?? '', /boot/, 'no boot file while netboot is off');
    assert.ok(await until(() => /Nothing to boot|No more network devices/.test(qemu.console()), 20_000), `iPXE found nothing to boot\n${lab.dump()}`);
    assert.ok(!lab.boot.milestones.some((m) => m.host === NODE1.name && m.name === 'http'));
    const before = lab.boot.milestones.length;

    const got: ReinstallMilestone[] = [];
    const t0 = Date.now();
    await lab.provisioner.reinstall(spec, { deadlineMs: 80_000, onMilestone: (m) => got.push(m) });
    const seconds = (Date.now() - t0) / 1000;
    testLog.info({ seconds, milestones: got }, 'bios reinstall done');

    const context = `${JSON.stringify(got, null, 1)}\n${lab.dump()}`;
    assertOrder(got, FLOW, context);
    assert.ok(got.every((m) => m.at >= t0 && m.at <= Date.now()), context);
    assert.equal(got.find((m) => m.name === 'power-cycled')?.detail, 'was on: power cycled');
    const dhcp = got.find((m) => m.name === 'dhcp')!;
    assert.match(dhcp.detail ?? '', new RegExp(`boot http://${lab.ns.serverIp.replace(/\./g, '\\.')}:8080/boot/52-54-00-3c-00-01\\.ipxe`), 'iPXE gets its script URL');
    const http = got.filter((m) => m.name === 'http').map((m) => m.detail);
    assert.deepEqual(http, [`install script ${NODE1.mac}`, 'file vmlinuz', 'file initrd.img'], context);
    assert.ok(!got.some((m) => m.name === 'tftp'), 'an iPXE ROM is not sent to TFTP');
    // Every boot-service event of this reinstall was passed on, none from before it.
    assert.equal(got.filter((m) => !['bootdev-set', 'power-cycled'].includes(m.name)).length, lab.boot.milestones.slice(before).filter((m) => m.host === NODE1.name && m.at <= got.at(-1)!.at).length);

    // Afterwards: netboot off, boot device back to disk; the BMC saw pxe, off, on, disk in that order.
    assert.equal(await lab.boot.netbootOf(NODE1.mac), false);
    assert.equal(bmc.bootDevice(), 'default');
    const calls = bmc.calls();
    const order = ['boot pxe', 'power 0', 'power 1', 'boot default'].map((c) => calls.lastIndexOf(c));
    assert.ok(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]!)), `BMC calls: ${calls.join(', ')}`);
    assert.match(qemu.console(), /3RC stand-in installer: node-1 installed, calling back/);
    assert.match(qemu.console(), /3RC: install recorded/);
    assert.ok(seconds < 80, `took ${seconds} s`);
  });

  it("the controller's rung 5: milestones in the incident timeline, action ok, incident resolved", async () => {
    const { spec, bmc } = lab.machine(NODE1.name);
    const store = new MemoryStore();
    const hypervisor = new LibvirtDriver({ clock: realClock, log: testLog, callTimeoutMs: 5000 });
    // Real: BMC power (ipmi_sim over IPMI) and the hypervisor's answer (libvirt test:///default).
    // Not real: "reachable" (the QEMU machine has no operating system to answer a probe).
    const prober: Prober = {
      async probeHost(host: HostSpec): Promise<HostObservation> {
        const power = await lab.power.status(host).catch(() => 'unknown' as const);
        const hypervisorOk = await hypervisor.ping(host).then(() => true, () => false);
        return { bmcReachable: power !== 'unknown', power, reachable: true, shellOk: null, hypervisorOk };
      },
      probeVm: () => Promise.reject(new Error('no VMs in this test')),
    };
    const shell: RemoteShell = { run: () => Promise.reject(new RrcError('RRC_ERR_MISSING_DEPENDENCY', 'no SSH in this test')) };
    const env: Env = { name: 'real', clock: realClock, log: testLog, probes: prober, power: lab.power, hypervisor, shell, provisioner: lab.provisioner, witnesses: unconfiguredWitnesses };
    const policy = resolvePolicy({ failAfter: 1, recoverAfter: 2, rungs: { reinstall: { timeoutSeconds: 85 } } });
    const controller = createController({ env, store, policy, probes: { intervalMs: 1000, timeoutMs: 1000, concurrency: 4 } });
    const events: ControllerEvent[] = [];
    controller.onEvent((e) => events.push(e));
    await store.addHost(spec);
    await controller.start();
    try {
      assert.ok(await until(() => controller.targetStatus('host:node-1')?.phase === 'healthy', 15_000), JSON.stringify(controller.targetStatus('host:node-1')));
      const t0 = Date.now();
      const status = await controller.triggerRung('host:node-1', 5, 'test');
      assert.equal(status.phase, 'recovering');
      const done = await until(() => events.some((e) => e.type === 'action-done' && e.action.kind === 'reinstall'), 85_000);
      assert.ok(done, `the reinstall action did not finish\n${lab.dump()}`);
      const result = events.find((e): e is Extract<ControllerEvent, { type: 'action-done' }> => e.type === 'action-done')!.result;
      assert.deepEqual(result, { outcome: 'ok' }, lab.dump());
      assert.ok(await until(() => controller.targetStatus('host:node-1')?.phase === 'healthy', 15_000), JSON.stringify(controller.targetStatus('host:node-1')));
      await controller.idle();

      const [incident] = await store.listIncidents({ targetId: 'host:node-1' });
      const detail = (await store.getIncident(incident!.id))!;
      assert.equal(detail.state, 'resolved');
      assert.equal(detail.actions.length, 1);
      assert.equal(detail.actions[0]!.kind, 'reinstall');
      assert.equal(detail.actions[0]!.outcome, 'ok');
      const timeline = detail.events.filter((e) => e.kind === 'milestone');
      const ms = timeline.map((e) => ({ name: String(e.data?.['milestone']), at: Number(e.data?.['at']) }));
      assertOrder(ms, FLOW, detail.events.map((e) => `${e.at} ${e.kind} ${e.message}`).join('\n'));
      assert.ok(timeline.every((e) => e.at >= t0 && Math.abs(e.at - Number(e.data?.['at'])) < 2000), 'each milestone recorded with its time');
      assert.match(timeline.find((e) => e.data?.['milestone'] === 'callback')!.message, /^callback: from 198\.18\./);
      assert.equal((await store.getHost('node-1'))!.state, 'active');
      assert.equal(await lab.boot.netbootOf(NODE1.mac), false);
      assert.equal(bmc.bootDevice(), 'default');
    } finally {
      await controller.stop();
      await hypervisor.close();
      await store.close();
    }
  });

  it('a missed deadline: RRC_ERR_DRIVER_TIMEOUT names the last milestone; netboot off, disk afterwards', async () => {
    const { spec, qemu, bmc } = lab.machine(NODE2.name);
    assert.equal(bmc.powerState(), 'off');
    const got: ReinstallMilestone[] = [];
    const t0 = Date.now();
    let err: unknown;
    try {
      await lab.provisioner.reinstall(spec, { deadlineMs: 40_000, onMilestone: (m) => got.push(m) });
    } catch (e) {
      err = e;
    }
    const seconds = (Date.now() - t0) / 1000;
    const context = `${JSON.stringify(got, null, 1)}\n${lab.dump()}`;
    assert.ok(isRrcError(err, 'RRC_ERR_DRIVER_TIMEOUT'), `expected a timeout, got ${String(err)}\n${context}`);
    assertOrder(got, ['bootdev-set', 'power-cycled', 'dhcp', 'http', 'kickstart'], context);
    assert.equal(got.find((m) => m.name === 'power-cycled')?.detail, 'was off: powered on');
    assert.ok(!got.some((m) => m.name === 'callback'));
    const missed = got.at(-1)!;
    assert.equal(missed.name, 'deadline-missed', context);
    assert.equal(got.at(-2)!.name, 'kickstart', context);
    assert.match(err.message, /reinstall of node-2: no install-complete callback within 40 s; last milestone reached: kickstart \(template hang\)/);
    assert.match(missed.detail ?? '', /^no install-complete callback within 40 s; last milestone reached: kickstart/);
    assert.equal((err.details as { lastMilestone: string }).lastMilestone, 'kickstart');
    assert.ok(seconds >= 40 && seconds < 55, `took ${seconds} s`);
    assert.match(qemu.console(), /node-2 hangs before its %post/);
    assert.equal(await lab.boot.netbootOf(NODE2.mac), false);
    assert.equal(bmc.bootDevice(), 'default');
  });
});
