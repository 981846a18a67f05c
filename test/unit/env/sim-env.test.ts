import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRrcError, type ErrorCode } from '../../../src/errors.js';
import type { ReinstallMilestone } from '../../../src/env/env.js';
import { applyFaultLine, constant } from '../../../src/env/sim/index.js';
import { drive, makeRig, type Rig } from './sim-fixture.js';

/** Run a call to completion and return the error code it failed with and the virtual ms it took. */
async function failure(rig: Rig, run: () => Promise<unknown>): Promise<{ code: ErrorCode | 'none'; ms: number; message: string }> {
  const start = rig.clock.now();
  try {
    await drive(rig.clock, run);
    return { code: 'none', ms: rig.clock.now() - start, message: '' };
  } catch (e) {
    assert.ok(isRrcError(e), `not an RrcError: ${String(e)}`);
    return { code: e.code, ms: rig.clock.now() - start, message: e.message };
  }
}

const ssh = (host: string) => ({ host, port: 22, user: 'root' });

test('power: status, off stops every domain on the host, on boots it', async () => {
  const rig = makeRig();
  const h1 = rig.host('h1');
  assert.equal(await drive(rig.clock, () => rig.env.power.status(h1)), 'on');
  await drive(rig.clock, () => rig.env.power.off(h1));
  assert.equal(rig.clock.now(), 400, 'one BMC round trip per call');
  assert.deepEqual([rig.world.runningCopies('v1'), rig.world.runningCopies('v2')], [[], []]);
  assert.equal(await drive(rig.clock, () => rig.env.power.status(h1)), 'off');
  await drive(rig.clock, () => rig.env.power.on(h1));
  assert.equal(rig.world.host('h1').os, 'booting');
  await rig.clock.advanceBy(180_000);
  assert.equal(rig.world.host('h1').os, 'up');
  assert.equal(rig.world.domain('h1', 'v1')?.state, 'shutoff');
});

test('power: a dead BMC is unreachable and a hung one times out, both after the BMC timeout', async () => {
  const rig = makeRig();
  applyFaultLine(rig.world, 'host h1 bmc-dead');
  const dead = await failure(rig, () => rig.env.power.off(rig.host('h1')));
  assert.deepEqual([dead.code, dead.ms], ['RRC_ERR_UNREACHABLE', 5000]);
  assert.deepEqual(rig.world.runningCopies('v1'), ['h1'], 'nothing happened');
  applyFaultLine(rig.world, 'host h1 bmc-hung');
  const hung = await failure(rig, () => rig.env.power.status(rig.host('h1')));
  assert.deepEqual([hung.code, hung.ms], ['RRC_ERR_DRIVER_TIMEOUT', 5000]);
  const { bmc: _bmc, ...noBmc } = rig.host('h2');
  assert.equal((await failure(rig, () => rig.env.power.on(noBmc))).code, 'RRC_ERR_DRIVER');
});

test('hypervisor: ping needs the host up, libvirtd up and the network', async () => {
  const rig = makeRig();
  const h1 = rig.host('h1');
  assert.equal((await failure(rig, () => rig.env.hypervisor.ping(h1))).code, 'none');
  applyFaultLine(rig.world, 'hypervisor h1 crash');
  const refused = await failure(rig, () => rig.env.hypervisor.ping(h1));
  assert.equal(refused.code, 'RRC_ERR_UNREACHABLE');
  assert.ok(refused.ms < 1000, 'refused at once');
  applyFaultLine(rig.world, 'host h2 partition');
  const silent = await failure(rig, () => rig.env.hypervisor.listDomains(rig.host('h2')));
  assert.deepEqual([silent.code, silent.ms], ['RRC_ERR_UNREACHABLE', 5000]);
});

test('hypervisor: list, state, node info, restart, destroy, undefine, memory check', async () => {
  const rig = makeRig();
  const [h1, s1, v1, v2] = [rig.host('h1'), rig.host('s1'), rig.vm('v1'), rig.vm('v2')];
  const hv = rig.env.hypervisor;
  const list = await drive(rig.clock, () => hv.listDomains(h1));
  assert.deepEqual(list.map((d) => [d.name, d.state]), [['v1', 'running'], ['v2', 'running']]);
  assert.equal(list[0]?.uuid, v1.uuid);
  assert.deepEqual(await drive(rig.clock, () => hv.nodeInfo(h1)), { cores: 32, memoryMb: 65536 });
  assert.equal(await drive(rig.clock, () => hv.domainState(s1, v1)), 'missing');
  applyFaultLine(rig.world, 'vm v1 panic');
  await drive(rig.clock, () => hv.restart(h1, v1));
  assert.equal(rig.world.domain('h1', 'v1')?.guest, 'booting');
  await rig.clock.advanceBy(60_000);
  assert.equal(rig.world.guestAnswers('h1', 'v1'), true);
  await drive(rig.clock, () => hv.destroy(h1, v2));
  await drive(rig.clock, () => hv.destroy(h1, v2)); // no-op
  await drive(rig.clock, () => hv.undefine(h1, v2));
  assert.equal(await drive(rig.clock, () => hv.domainState(h1, v2)), 'missing');
  assert.equal((await failure(rig, () => hv.restart(h1, v2))).code, 'RRC_ERR_NOT_FOUND');
  const big = { ...v2, name: 'big', resources: { cores: 8, ramGb: 60, diskGb: 10 } };
  const full = await failure(rig, () => hv.defineAndStart(h1, big));
  assert.equal(full.code, 'RRC_ERR_DRIVER');
  assert.match(full.message, /memory/);
});

test('hypervisor reboot: a healthy guest shuts down cleanly, a hung one is destroyed at the timeout', async () => {
  const rig = makeRig({ timings: { vmShutdownSeconds: constant(8) } });
  const [h1, v1, v2] = [rig.host('h1'), rig.vm('v1'), rig.vm('v2')];
  const stops: string[] = [];
  rig.world.onChange((e) => {
    if (e.change.startsWith('guest shut down') || e.change.startsWith('destroyed')) stops.push(`${e.target}@${e.at}`);
  });
  await drive(rig.clock, () => rig.env.hypervisor.reboot(h1, v1, { shutdownTimeoutMs: 30_000 }));
  assert.ok(rig.clock.now() >= 8000 && rig.clock.now() < 10_000, `took ${rig.clock.now()} ms`);
  assert.equal(rig.world.domain('h1', 'v1')?.state, 'running');
  applyFaultLine(rig.world, 'vm v2 hang');
  const start = rig.clock.now();
  await drive(rig.clock, () => rig.env.hypervisor.reboot(h1, v2, { shutdownTimeoutMs: 30_000 }));
  assert.ok(rig.clock.now() - start >= 30_000, 'waited the whole shutdown timeout');
  assert.deepEqual(stops, ['vm:v1@8050', `vm:v2@${rig.clock.now()}`]);
  assert.equal(rig.world.domain('h1', 'v2')?.guest, 'booting');
});

test('shell: host commands (hypervisor restart, reboot, unknown) and guest commands', async () => {
  const rig = makeRig({ timings: { hypervisorRestartSeconds: constant(6), serviceRestartSeconds: constant(3) } });
  const run = (host: string, cmd: string, timeoutMs = 60_000) =>
    drive(rig.clock, () => rig.env.shell.run(ssh(host), cmd, { timeoutMs }));
  applyFaultLine(rig.world, 'hypervisor h1 crash');
  const t0 = rig.clock.now();
  assert.equal((await run('10.0.0.1', 'systemctl restart libvirtd')).code, 0);
  assert.equal(rig.clock.now() - t0, 6100, 'ssh latency + restart time');
  assert.equal(rig.world.host('h1').hypervisor, 'up');
  const unknown = await run('10.0.0.1', 'rm -rf /');
  assert.equal(unknown.code, 127);
  assert.match(unknown.stderr, /rm: command not found/);
  assert.equal((await run('10.0.0.1', 'hostname')).stdout, 'h1\n');
  // Guests: v1 has a restart command, v3 an ssh service check.
  applyFaultLine(rig.world, 'vm v1 service-dead');
  assert.equal((await run('10.0.2.1', 'systemctl restart nginx')).code, 0);
  assert.equal(rig.world.domain('h1', 'v1')?.service, 'up');
  applyFaultLine(rig.world, 'vm v3 service-dead');
  assert.equal((await run('10.0.2.3', 'systemctl is-active postgresql')).code, 1);
  assert.equal((await run('10.0.2.3', 'systemctl restart nginx')).code, 127);
  // Host reboot over ssh: the host goes down and comes back.
  assert.equal((await run('10.0.0.2', 'systemctl reboot')).code, 0);
  assert.equal(rig.world.host('h2').os, 'booting');
  assert.deepEqual(rig.world.runningCopies('v3'), []);
  await rig.clock.advanceBy(300_000);
  assert.equal(rig.world.host('h2').os, 'up');
});

test('shell: unreachable targets fail after the ssh timeout, slow commands after the call timeout', async () => {
  const rig = makeRig({ timings: { hypervisorRestartSeconds: constant(6) } });
  const run = (host: string, cmd: string, timeoutMs: number) => () => rig.env.shell.run(ssh(host), cmd, { timeoutMs });
  const nobody = await failure(rig, run('192.0.2.1', 'true', 60_000));
  assert.deepEqual([nobody.code, nobody.ms], ['RRC_ERR_UNREACHABLE', 10_000]);
  applyFaultLine(rig.world, 'host h1 partition');
  const cut = await failure(rig, run('10.0.0.1', 'true', 3000));
  assert.deepEqual([cut.code, cut.ms], ['RRC_ERR_UNREACHABLE', 3000]);
  applyFaultLine(rig.world, 'vm v3 hang');
  assert.equal((await failure(rig, run('10.0.2.3', 'true', 60_000))).code, 'RRC_ERR_UNREACHABLE');
  const slow = await failure(rig, run('10.0.0.2', 'systemctl restart libvirtd', 2000));
  assert.deepEqual([slow.code, slow.ms], ['RRC_ERR_DRIVER_TIMEOUT', 2000]);
});

const FIXED_PXE = {
  hostPostSeconds: constant(60),
  dhcpSeconds: constant(4),
  tftpSeconds: constant(2),
  httpSeconds: constant(8),
  kickstartSeconds: constant(1),
  installSeconds: constant(300),
  hostBootSeconds: constant(110),
};

test('reinstall: milestones in order at their virtual times; the host comes back fresh', async () => {
  const rig = makeRig({ timings: FIXED_PXE });
  applyFaultLine(rig.world, 'host h1 destroy-boot');
  const milestones: ReinstallMilestone[] = [];
  await drive(rig.clock, () =>
    rig.env.provisioner.reinstall(rig.host('h1'), { deadlineMs: 1_500_000, onMilestone: (m) => milestones.push(m) }),
  );
  assert.deepEqual(
    milestones.map((m) => `${m.name}@${m.at / 1000}`),
    ['bootdev-set@0.2', 'power-cycled@0.4', 'dhcp@64.4', 'tftp@66.4', 'http@74.4', 'kickstart@75.4', 'callback@485.4'],
  );
  const h1 = rig.world.host('h1');
  assert.deepEqual([h1.os, h1.hypervisor, h1.bootDestroyed, h1.bootDevice, h1.domains.size], ['up', 'up', false, 'disk', 0]);
  assert.deepEqual(rig.world.runningCopies('v1'), []);
  // A later power cycle boots from disk again.
  await drive(rig.clock, () => rig.env.power.cycle(rig.host('h1')));
  await rig.clock.advanceBy(200_000);
  assert.equal(rig.world.host('h1').os, 'up');
});

test('reinstall: a dead BMC fails it, a passed deadline names the last milestone', async () => {
  const rig = makeRig({ timings: FIXED_PXE });
  applyFaultLine(rig.world, 'host h1 bmc-dead');
  const dead = await failure(rig, () => rig.env.provisioner.reinstall(rig.host('h1'), { deadlineMs: 600_000, onMilestone: () => {} }));
  assert.equal(dead.code, 'RRC_ERR_UNREACHABLE');
  const seen: string[] = [];
  const late = await failure(rig, () =>
    rig.env.provisioner.reinstall(rig.host('h2'), { deadlineMs: 65_000, onMilestone: (m) => seen.push(m.name) }),
  );
  assert.deepEqual([late.code, late.ms], ['RRC_ERR_DRIVER_TIMEOUT', 65_000]);
  assert.match(late.message, /last milestone: dhcp/);
  assert.deepEqual(seen, ['bootdev-set', 'power-cycled', 'dhcp']);
  // The install goes on after the deadline, but nothing more is reported.
  await rig.clock.advanceBy(600_000);
  assert.equal(rig.world.host('h2').os, 'up');
  assert.equal(seen.length, 3);
});

test('a power loss in the middle of an install leaves a host that does not boot', async () => {
  const rig = makeRig({ timings: FIXED_PXE });
  let outcome = '';
  const seen: string[] = [];
  rig.env.provisioner
    .reinstall(rig.host('h2'), { deadlineMs: 900_000, onMilestone: (m) => seen.push(m.name) })
    .then(() => (outcome = 'ok'), (e: unknown) => (outcome = isRrcError(e) ? e.message : String(e)));
  await rig.clock.advanceTo(200_000); // after kickstart (75.4 s): the disk is wiped, install running
  applyFaultLine(rig.world, 'power h2 off');
  applyFaultLine(rig.world, 'power h2 on');
  await rig.clock.advanceTo(900_000);
  assert.equal(rig.world.host('h2').os, 'broken');
  assert.deepEqual(seen, ['bootdev-set', 'power-cycled', 'dhcp', 'tftp', 'http', 'kickstart']);
  assert.match(outcome, /last milestone: kickstart/);
});
