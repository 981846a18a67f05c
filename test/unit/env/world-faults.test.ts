import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyHost, classifyVm } from '../../../src/core/signature.js';
import { isRrcError } from '../../../src/errors.js';
import { applyFaultLine, parseFaultCommand, parseFaultScript, runFaultScript } from '../../../src/env/sim/index.js';
import { drive, makeRig, type Rig } from './sim-fixture.js';

async function hostSig(rig: Rig, name: string): Promise<string> {
  return classifyHost(await drive(rig.clock, () => rig.env.probes.probeHost(rig.host(name)))).code;
}

async function vmObs(rig: Rig, vm: string, host: string) {
  return drive(rig.clock, () => rig.env.probes.probeVm(rig.vm(vm), rig.host(host)));
}

async function vmSig(rig: Rig, vm: string, host: string): Promise<string> {
  return classifyVm({ hostDown: false, ...(await vmObs(rig, vm, host)) }).code;
}

const minutes = (n: number) => n * 60_000;

test('at t0 every host and VM is healthy and each VM runs once', async () => {
  const rig = makeRig();
  for (const h of ['h1', 'h2', 's1']) assert.equal(await hostSig(rig, h), 'ok');
  assert.equal(await vmSig(rig, 'v1', 'h1'), 'ok');
  assert.equal(await vmSig(rig, 'v3', 'h2'), 'ok');
  assert.deepEqual((await vmObs(rig, 'v2', 'h1')).serviceOk, null);
  assert.deepEqual(rig.world.runningCopies('v1'), ['h1']);
  assert.equal((await vmObs(rig, 'v1', 'h2')).domain, 'missing');
});

test('power-loss stops every domain at once; power-on boots them back shutoff unless autostart', async () => {
  const rig = makeRig({ autostart: ['v2'] });
  applyFaultLine(rig.world, 'host h1 power-loss');
  assert.deepEqual(rig.world.runningCopies('v1'), []);
  assert.deepEqual(rig.world.runningCopies('v2'), []);
  assert.equal(await hostSig(rig, 'h1'), 'host-power-off');
  applyFaultLine(rig.world, 'host h1 power-on');
  assert.equal(rig.world.host('h1').os, 'booting');
  assert.equal(await hostSig(rig, 'h1'), 'host-unreachable');
  await rig.clock.advanceBy(minutes(3));
  assert.equal(await hostSig(rig, 'h1'), 'ok');
  assert.equal(await vmSig(rig, 'v1', 'h1'), 'vm-crashed'); // shutoff
  assert.deepEqual(rig.world.runningCopies('v2'), ['h1']);
  await rig.clock.advanceBy(minutes(1));
  assert.equal(await vmSig(rig, 'v2', 'h1'), 'ok');
});

test('hang and overload: the host answers nothing until power-cycled, the BMC still does', async () => {
  for (const fault of ['hang', 'overload'] as const) {
    const rig = makeRig();
    applyFaultLine(rig.world, `host h1 ${fault}`);
    assert.equal(rig.world.host('h1').overloaded, fault === 'overload');
    assert.equal(await hostSig(rig, 'h1'), 'host-unreachable-os-running', 'the BMC cannot tell a hung kernel from a running one');
    const v1 = await vmObs(rig, 'v1', 'h1');
    assert.equal(v1.guestReachable, false);
    assert.equal(v1.domain, 'unknown');
    assert.deepEqual(rig.world.runningCopies('v1'), ['h1'], 'a frozen guest still holds its disk');
    await rig.clock.advanceBy(minutes(30));
    assert.equal(await hostSig(rig, 'h1'), 'host-unreachable-os-running', 'a hang does not heal by itself');
    await drive(rig.clock, () => rig.env.power.cycle(rig.host('h1')));
    assert.equal(rig.world.host('h1').overloaded, false);
    await rig.clock.advanceBy(minutes(3));
    assert.equal(await hostSig(rig, 'h1'), 'ok');
  }
});

test('boot progress from the BMC: booting, running (even hung), failed; not reported by BMCs that cannot', async () => {
  const rig = makeRig();
  const progress = async (h: string) => (await drive(rig.clock, () => rig.env.probes.probeHost(rig.host(h)))).bootProgress;
  assert.equal(await progress('h1'), 'os-running');
  applyFaultLine(rig.world, 'host h1 hang');
  assert.equal(await progress('h1'), 'os-running', 'a hung kernel still reads as running');
  await drive(rig.clock, () => rig.env.power.cycle(rig.host('h1')));
  assert.equal(await progress('h1'), 'booting');
  assert.equal(await hostSig(rig, 'h1'), 'host-unreachable', 'booting: nothing more to say');
  applyFaultLine(rig.world, 'host h2 destroy-boot');
  assert.equal(await progress('h2'), 'boot-failed');
  applyFaultLine(rig.world, 'host s1 power-loss');
  assert.equal(await progress('s1'), 'off');
  const plain = makeRig({ bootProgress: false });
  applyFaultLine(plain.world, 'host h2 destroy-boot');
  applyFaultLine(plain.world, 'host h1 hang');
  assert.equal(await hostSig(plain, 'h2'), 'host-unreachable');
  assert.equal(await hostSig(plain, 'h1'), 'host-unreachable');
});

test('shutdown stops the guests and powers the host off', async () => {
  const rig = makeRig();
  applyFaultLine(rig.world, 'host h1 shutdown');
  assert.deepEqual(rig.world.runningCopies('v1'), []);
  assert.equal(rig.world.host('h1').power, 'on');
  await rig.clock.advanceBy(minutes(1));
  assert.equal(await hostSig(rig, 'h1'), 'host-power-off');
});

test('destroy-boot crashes the host and a power cycle never brings it up', async () => {
  const rig = makeRig();
  applyFaultLine(rig.world, 'host h2 destroy-boot');
  assert.equal(rig.world.host('h2').os, 'broken');
  assert.deepEqual(rig.world.runningCopies('v3'), []);
  await drive(rig.clock, () => rig.env.power.cycle(rig.host('h2')));
  await rig.clock.advanceBy(minutes(10));
  assert.equal(rig.world.host('h2').os, 'broken');
  assert.equal(await hostSig(rig, 'h2'), 'host-boot-failed', 'the BMC reports the failed boot (no bootable device)');
});

test('a partitioned host keeps its VMs running: starting one elsewhere makes two copies', async () => {
  const rig = makeRig();
  applyFaultLine(rig.world, 'host h1 partition');
  assert.equal(await hostSig(rig, 'h1'), 'host-unreachable-os-running');
  const v1 = await vmObs(rig, 'v1', 'h1');
  assert.equal(v1.guestReachable, false);
  assert.equal(v1.serviceOk, false);
  assert.deepEqual(rig.world.runningCopies('v1'), ['h1']);
  // What a controller must never do without fencing h1 first:
  await drive(rig.clock, () => rig.env.hypervisor.defineAndStart(rig.host('s1'), rig.vm('v1')));
  assert.deepEqual(rig.world.runningCopies('v1'), ['h1', 's1']);
  applyFaultLine(rig.world, 'host h1 heal-partition');
  assert.equal(await hostSig(rig, 'h1'), 'ok');
});

test('BMC faults: dead and hung BMCs do not answer probes; with a silent host that is its own signature', async () => {
  const rig = makeRig();
  applyFaultLine(rig.world, 'host h1 bmc-dead');
  let obs = await drive(rig.clock, () => rig.env.probes.probeHost(rig.host('h1')));
  assert.equal(obs.bmcReachable, false);
  assert.equal(obs.power, 'unknown');
  assert.equal(classifyHost(obs).code, 'ok', 'the host itself still works');
  applyFaultLine(rig.world, 'host h1 hang');
  assert.equal(await hostSig(rig, 'h1'), 'host-and-bmc-unreachable');
  applyFaultLine(rig.world, 'ipmi h1 timeout');
  assert.equal(rig.world.host('h1').bmc, 'hung');
  obs = await drive(rig.clock, () => rig.env.probes.probeHost(rig.host('h1')));
  assert.equal(obs.bmcReachable, false);
  applyFaultLine(rig.world, 'host h1 bmc-ok');
  assert.equal(await hostSig(rig, 'h1'), 'host-unreachable-os-running');
});

test('hypervisor crash: libvirt is down, the guests keep running and answering', async () => {
  const rig = makeRig();
  applyFaultLine(rig.world, 'hypervisor h1 crash');
  assert.equal(await hostSig(rig, 'h1'), 'hypervisor-down');
  const v1 = await vmObs(rig, 'v1', 'h1');
  assert.equal(v1.domain, 'unknown');
  assert.equal(v1.guestReachable, true);
  assert.equal(await vmSig(rig, 'v1', 'h1'), 'vm-hypervisor-down');
  assert.deepEqual(rig.world.runningCopies('v1'), ['h1']);
});

test('vm faults map to their signatures', async () => {
  const rig = makeRig();
  const cases: [string, string, string, string][] = [
    ['vm v1 panic', 'v1', 'h1', 'vm-crashed'],
    ['vm v2 hang', 'v2', 'h1', 'vm-hung'],
    ['vm v3 service-dead', 'v3', 'h2', 'vm-service-dead'],
  ];
  for (const [line, vm, host, code] of cases) {
    applyFaultLine(rig.world, line);
    assert.equal(await vmSig(rig, vm, host), code, line);
  }
  assert.equal(rig.world.domain('h1', 'v1')?.state, 'crashed');
  assert.deepEqual(rig.world.runningCopies('v1'), ['h1'], 'a preserved crashed domain still has its process');
  assert.equal((await vmObs(rig, 'v3', 'h2')).guestReachable, true);
  applyFaultLine(rig.world, 'vm v3 destroy');
  assert.equal(rig.world.domain('h2', 'v3')?.state, 'shutoff');
  applyFaultLine(rig.world, 'vm v3 undefine');
  assert.equal(await vmSig(rig, 'v3', 'h2'), 'vm-missing');
  applyFaultLine(rig.world, 'vm v2 undefine'); // running: stopped, then gone
  assert.equal(rig.world.domain('h1', 'v2'), undefined);
});

test('scripts: delays wait in virtual time, flapping is repeated commands, events are published', async () => {
  const rig = makeRig();
  const events: string[] = [];
  rig.world.onChange((e) => events.push(`${e.at / 1000} ${e.target} ${e.change}`));
  const version = rig.world.version;
  const done = runFaultScript(rig.world, `
    # flap v1's service twice
    vm v1 service-dead
    delay 60
    vm v1 service-dead
    delay 30.5
    hypervisor h2 crash
  `);
  await rig.clock.advanceBy(minutes(2));
  await done;
  assert.deepEqual(events, [
    '0 vm:v1 service down (on h1)',
    '60 vm:v1 service down (on h1)',
    '90.5 host:h2 hypervisor crashed',
  ]);
  assert.equal(rig.world.version, version + 3);
});

test('the parser accepts the language and its aliases and names bad lines', () => {
  assert.deepEqual(parseFaultCommand('host h3 power-loss'), { kind: 'host', host: 'h3', fault: 'power-loss' });
  assert.deepEqual(parseFaultCommand('  power h3 off '), { kind: 'host', host: 'h3', fault: 'power-loss' });
  assert.deepEqual(parseFaultCommand('ipmi h3 timeout'), { kind: 'host', host: 'h3', fault: 'bmc-hung' });
  assert.deepEqual(parseFaultCommand('delay 2.5'), { kind: 'delay', seconds: 2.5 });
  assert.equal(parseFaultScript('# only a comment\n\nvm v1 hang # inline\n').length, 1);
  for (const bad of ['host h3 explode', 'vm v1', 'delay soon', 'delay -1', 'disk d1 fail', 'host h1 hang now']) {
    assert.throws(() => parseFaultCommand(bad), (e) => isRrcError(e, 'RRC_ERR_VALIDATION') && e.message.includes(bad.trim()));
  }
  const rig = makeRig();
  assert.throws(() => applyFaultLine(rig.world, 'vm nope panic'), (e) => isRrcError(e, 'RRC_ERR_NOT_FOUND'));
  assert.throws(() => applyFaultLine(rig.world, 'host nope hang'), (e) => isRrcError(e, 'RRC_ERR_NOT_FOUND'));
});
