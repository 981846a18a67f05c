/**
 * Who reaches whom in the simulated rack: the controller's view (probes, drivers) against the
 * peers' and users' view (`peerReaches`, `serving`) under the network and BMC faults of issue 9.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyHost } from '../../../src/core/signature.js';
import { isRrcError } from '../../../src/errors.js';
import { applyFaultLine, parseFaultCommand } from '../../../src/env/sim/index.js';
import { buildSimWorld } from '../../../src/sim-rack/index.js';
import { HOSTS, VMS, drive, makeRig, type Rig } from './sim-fixture.js';

const minutes = (n: number) => n * 60_000;

function watchdogRig(watchdogSeconds: number): Rig {
  const { clock, world, env } = buildSimWorld({ hosts: HOSTS, vms: VMS, start: 0, seed: 7, world: { watchdogSeconds } });
  const find = <T extends { name: string }>(list: T[], name: string): T => list.find((x) => x.name === name) as T;
  return { clock, world, env, host: (n) => find(HOSTS, n), vm: (n) => find(VMS, n) };
}

const probeHost = (rig: Rig, h: string) => drive(rig.clock, () => rig.env.probes.probeHost(rig.host(h)));
const servingAll = (rig: Rig): string[] => [
  ...rig.world.hostNames().filter((h) => rig.world.serving('host', h)),
  ...['v1', 'v2', 'v3'].filter((v) => rig.world.serving('vm', v)),
];
const ALL = ['h1', 'h2', 's1', 'v1', 'v2', 'v3'];

async function rejects(rig: Rig, run: () => Promise<unknown>, code: 'RRC_ERR_UNREACHABLE'): Promise<void> {
  await assert.rejects(drive(rig.clock, run), (e) => isRrcError(e, code));
}

test('controller partition: every probe and driver call fails as unreachable, the rack keeps serving', async () => {
  const rig = makeRig();
  const events: string[] = [];
  rig.world.onChange((e) => events.push(`${e.target} ${e.change}`));
  applyFaultLine(rig.world, 'controller partition');
  assert.equal(rig.world.controllerPartitioned, true);
  // One event per host: what every probe reads changed.
  assert.deepEqual(events, ['host:h1', 'host:h2', 'host:s1'].map((t) => `${t} controller's network cut`));
  for (const h of ['h1', 'h2', 's1']) {
    const obs = await probeHost(rig, h);
    assert.equal(obs.bmcReachable, false, `${h} BMC`);
    assert.equal(obs.reachable, false, `${h} OS`);
    assert.equal(classifyHost(obs).code, 'host-and-bmc-unreachable');
  }
  const v3 = await drive(rig.clock, () => rig.env.probes.probeVm(rig.vm('v3'), rig.host('h2')));
  assert.deepEqual([v3.guestReachable, v3.serviceOk, v3.domain], [false, false, 'unknown']);
  await rejects(rig, () => rig.env.power.status(rig.host('h1')), 'RRC_ERR_UNREACHABLE');
  await rejects(rig, () => rig.env.power.cycle(rig.host('h1')), 'RRC_ERR_UNREACHABLE');
  await rejects(rig, () => rig.env.hypervisor.ping(rig.host('h2')), 'RRC_ERR_UNREACHABLE');
  await rejects(rig, () => rig.env.shell.run(rig.host('s1').ssh!, 'true', { timeoutMs: 30_000 }), 'RRC_ERR_UNREACHABLE');
  await rejects(rig, () => rig.env.shell.run({ host: '10.0.2.3', port: 22, user: 'root' }, 'true', { timeoutMs: 30_000 }), 'RRC_ERR_UNREACHABLE');
  // Nothing happened to the rack: hosts up, VMs once each, everyone serving, peers reach each other.
  assert.equal(rig.world.host('h1').power, 'on');
  assert.deepEqual(rig.world.runningCopies('v1'), ['h1']);
  assert.deepEqual(servingAll(rig), ALL);
  assert.equal(rig.world.peerReaches('h2', 'h1'), true);
  applyFaultLine(rig.world, 'controller heal');
  assert.equal(classifyHost(await probeHost(rig, 'h1')).code, 'ok');
  assert.equal(await drive(rig.clock, () => rig.env.power.status(rig.host('h1'))), 'on');
});

test('controller partition does not trip the storage-lease watchdog; a host partition and isolation do', async () => {
  const rig = watchdogRig(60);
  applyFaultLine(rig.world, 'controller partition');
  await rig.clock.advanceBy(minutes(10));
  assert.equal(rig.world.watchdogResets, 0);
  assert.deepEqual(servingAll(rig), ALL);
  for (const [fault, host] of [['partition', 'h1'], ['isolate', 'h2']] as const) {
    const other = watchdogRig(60);
    applyFaultLine(other.world, `host ${host} ${fault}`);
    await other.clock.advanceBy(61_000);
    assert.equal(other.world.watchdogResets, 1, fault);
    assert.equal(other.world.host(host).os, 'booting', `${fault}: reset by its watchdog`);
  }
});

test('host partition: the controller loses the host and its guests; its BMC and its peers still reach it', async () => {
  const rig = makeRig();
  applyFaultLine(rig.world, 'host h1 partition');
  const obs = await probeHost(rig, 'h1');
  assert.deepEqual([obs.bmcReachable, obs.power, obs.reachable], [true, 'on', false]);
  assert.equal(await drive(rig.clock, () => rig.env.power.status(rig.host('h1'))), 'on');
  assert.equal(rig.world.guestAnswers('h1', 'v1'), false, 'the controller does not reach its guests either');
  assert.equal(rig.world.peerReaches('h2', 'h1'), true);
  assert.equal(rig.world.peerReaches('h1', 's1'), true);
  assert.deepEqual(servingAll(rig), ALL, 'a partition from the controller does not stop serving');
  // The other hosts are untouched.
  assert.equal(classifyHost(await probeHost(rig, 'h2')).code, 'ok');
});

test('host isolate: nobody reaches it, its guests stop serving, its BMC answers, it keeps running', async () => {
  const rig = makeRig();
  applyFaultLine(rig.world, 'host h1 isolate');
  assert.equal(rig.world.host('h1').isolated, true);
  const obs = await probeHost(rig, 'h1');
  assert.deepEqual([obs.bmcReachable, obs.power, obs.reachable], [true, 'on', false]);
  assert.equal(classifyHost(obs).code, 'host-unreachable-os-running');
  assert.equal(rig.world.peerReaches('h2', 'h1'), false);
  assert.equal(rig.world.peerReaches('h1', 'h2'), false);
  assert.equal(rig.world.peerReaches('h2', 's1'), true);
  assert.deepEqual(rig.world.runningCopies('v1'), ['h1'], 'its guests still run and hold their disks');
  assert.deepEqual(servingAll(rig), ['h2', 's1', 'v3']);
  applyFaultLine(rig.world, 'host h1 heal-isolate');
  assert.equal(classifyHost(await probeHost(rig, 'h1')).code, 'ok');
  assert.deepEqual(servingAll(rig), ALL);
});

test('bmc-lies-off: the BMC says off and ignores power commands while the host runs and answers', async () => {
  const rig = makeRig();
  applyFaultLine(rig.world, 'host h1 bmc-lies-off');
  const obs = await probeHost(rig, 'h1');
  assert.deepEqual([obs.bmcReachable, obs.power, obs.bootProgress, obs.reachable], [true, 'off', 'off', true]);
  const h1 = rig.host('h1');
  assert.equal(await drive(rig.clock, () => rig.env.power.status(h1)), 'off');
  await drive(rig.clock, () => rig.env.power.off(h1));
  await drive(rig.clock, () => rig.env.power.cycle(h1));
  await drive(rig.clock, () => rig.env.power.setBootDevice(h1, 'pxe'));
  assert.equal(rig.world.host('h1').power, 'on');
  assert.equal(rig.world.host('h1').os, 'up');
  assert.equal(rig.world.host('h1').bootDevice, 'disk');
  assert.deepEqual(rig.world.runningCopies('v1'), ['h1']);
  assert.equal(rig.world.serving('vm', 'v1'), true);
  applyFaultLine(rig.world, 'host h1 bmc-honest');
  assert.equal(await drive(rig.clock, () => rig.env.power.status(h1)), 'on');
  await drive(rig.clock, () => rig.env.power.off(h1));
  assert.equal(rig.world.host('h1').power, 'off');
});

test('serving: the ground truth of hosts and VMs under the classic faults', async () => {
  const cases: [string, string[]][] = [
    ['host h1 hang', ['h2', 's1', 'v3']],
    ['host h1 power-loss', ['h2', 's1', 'v3']],
    ['hypervisor h1 crash', ['h2', 's1', 'v1', 'v2', 'v3']],
    ['vm v1 service-dead', ['h1', 'h2', 's1', 'v2', 'v3']],
    ['vm v2 panic', ['h1', 'h2', 's1', 'v1', 'v3']],
    ['vm v3 hang', ['h1', 'h2', 's1', 'v1', 'v2']],
    ['host h2 destroy-boot', ['h1', 's1', 'v1', 'v2']],
  ];
  for (const [line, expected] of cases) {
    const rig = makeRig();
    applyFaultLine(rig.world, line);
    assert.deepEqual(servingAll(rig), expected, line);
  }
  const rig = makeRig();
  applyFaultLine(rig.world, 'vm v1 destroy');
  await drive(rig.clock, () => rig.env.hypervisor.defineAndStart(rig.host('s1'), rig.vm('v1')));
  assert.equal(rig.world.serving('vm', 'v1'), false, 'its guest is still booting');
  await rig.clock.advanceBy(minutes(1));
  assert.equal(rig.world.serving('vm', 'v1'), true, 'served from its new host');
  assert.throws(() => rig.world.serving('vm', 'nope'), (e) => isRrcError(e, 'RRC_ERR_NOT_FOUND'));
});

test('the parser knows the new faults and names bad controller lines', () => {
  assert.deepEqual(parseFaultCommand('controller partition'), { kind: 'controller', fault: 'partition' });
  assert.deepEqual(parseFaultCommand(' controller heal '), { kind: 'controller', fault: 'heal' });
  for (const fault of ['isolate', 'heal-isolate', 'bmc-lies-off', 'bmc-honest'] as const) {
    assert.deepEqual(parseFaultCommand(`host h2 ${fault}`), { kind: 'host', host: 'h2', fault });
  }
  for (const bad of ['controller', 'controller explode', 'controller partition now', 'host h1 isolated']) {
    assert.throws(() => parseFaultCommand(bad), (e) => isRrcError(e, 'RRC_ERR_VALIDATION') && e.message.includes(bad));
  }
});
