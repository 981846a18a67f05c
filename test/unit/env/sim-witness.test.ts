/** The sim witnesses under each network fault: who can be asked, what they see, the self-check. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PeerReachReport } from '../../../src/env/env.js';
import { applyFaultLine, DEFAULT_LATENCY } from '../../../src/env/sim/index.js';
import { buildSimWorld } from '../../../src/sim-rack/index.js';
import { HOSTS, VMS, drive, makeRig, type Rig } from './sim-fixture.js';

/** `peer asked/reached` per peer, e.g. `h2 asked reached`, `s1 not-asked`. */
async function ask(rig: Rig, target: string, peers: string[]): Promise<string[]> {
  const reports = await drive(rig.clock, () => rig.env.witnesses.peersReach(rig.host(target), peers.map((p) => rig.host(p))));
  assert.deepEqual(reports.map((r) => r.peer), peers, 'one report per peer, in order');
  return reports.map(summary);
}

function summary(r: PeerReachReport): string {
  if (!r.asked) {
    assert.equal(r.reached, false, 'a peer not asked never counts as reaching');
    return `${r.peer} not-asked`;
  }
  return `${r.peer} asked ${r.reached ? 'reached' : 'unreached'}`;
}

test('healthy rack: every peer is asked and reaches the target; takes one SSH round trip, in parallel', async () => {
  const rig = makeRig();
  const t0 = rig.clock.now();
  assert.deepEqual(await ask(rig, 'h1', ['h2', 's1']), ['h2 asked reached', 's1 asked reached']);
  const expectedMs = (DEFAULT_LATENCY.sshLatencySeconds + DEFAULT_LATENCY.probeLatencySeconds) * 1000;
  assert.ok(Math.abs(rig.clock.now() - t0 - expectedMs) < 1, `virtual time ${rig.clock.now() - t0} ms`);
  const [report] = await drive(rig.clock, () => rig.env.witnesses.peersReach(rig.host('h1'), [rig.host('h2')]));
  assert.equal(report?.detail, 'reaches 10.0.0.1:22');
  assert.deepEqual(await drive(rig.clock, () => rig.env.witnesses.selfCheck()), { ok: true, failed: [] });
});

test('controller partition: peers still reach each other, but none can be asked; the self-check fails', async () => {
  const rig = makeRig();
  applyFaultLine(rig.world, 'controller partition');
  assert.equal(rig.world.peerReaches('h2', 'h1'), true, 'the peers themselves are fine');
  assert.deepEqual(await ask(rig, 'h1', ['h2', 's1']), ['h2 not-asked', 's1 not-asked']);
  const [report] = await drive(rig.clock, () => rig.env.witnesses.peersReach(rig.host('h1'), [rig.host('h2')]));
  assert.equal(report?.detail, 'peer unreachable');
  assert.deepEqual(await drive(rig.clock, () => rig.env.witnesses.selfCheck()), { ok: false, failed: ['witness gateway:53 unreachable'] });
  applyFaultLine(rig.world, 'controller heal');
  assert.deepEqual(await drive(rig.clock, () => rig.env.witnesses.selfCheck()), { ok: true, failed: [] });
  assert.deepEqual(await ask(rig, 'h1', ['h2', 's1']), ['h2 asked reached', 's1 asked reached']);
});

test('host partition: the controller cannot reach the target, its peers can (no evidence it is down)', async () => {
  const rig = makeRig();
  applyFaultLine(rig.world, 'host h1 partition');
  assert.deepEqual(await ask(rig, 'h1', ['h2', 's1']), ['h2 asked reached', 's1 asked reached']);
  assert.equal((await drive(rig.clock, () => rig.env.witnesses.selfCheck())).ok, true);
});

test('host isolate: its peers cannot reach it either (evidence); the isolated host is no witness', async () => {
  const rig = makeRig();
  applyFaultLine(rig.world, 'host h1 isolate');
  const t0 = rig.clock.now();
  assert.deepEqual(await ask(rig, 'h1', ['h2', 's1']), ['h2 asked unreached', 's1 asked unreached']);
  const expectedMs = (DEFAULT_LATENCY.sshLatencySeconds + DEFAULT_LATENCY.witnessConnectTimeoutSeconds) * 1000;
  assert.ok(Math.abs(rig.clock.now() - t0 - expectedMs) < 1, 'the peers wait for their connect timeout');
  assert.deepEqual(await ask(rig, 'h2', ['h1', 's1']), ['h1 not-asked', 's1 asked reached']);
});

test('peers that are down, hung, partitioned from the controller or without ssh are not asked', async () => {
  const rig = makeRig();
  applyFaultLine(rig.world, 'host h2 power-loss');
  applyFaultLine(rig.world, 'host s1 hang');
  assert.deepEqual(await ask(rig, 'h1', ['h2', 's1']), ['h2 not-asked', 's1 not-asked']);
  const other = makeRig();
  applyFaultLine(other.world, 'host h2 partition');
  assert.deepEqual(await ask(other, 'h1', ['h2', 's1', 'h1']), ['h2 not-asked', 's1 asked reached', 'h1 not-asked']);
  const { ssh: _ssh, ...noSsh } = other.host('s1');
  const [report] = await drive(other.clock, () => other.env.witnesses.peersReach(other.host('h1'), [noSsh]));
  assert.deepEqual(report, { peer: 's1', asked: false, reached: false, detail: 'peer has no ssh endpoint' });
});

test('a target that is powered off or hung is unreached by its peers', async () => {
  for (const fault of ['power-loss', 'hang']) {
    const rig = makeRig();
    applyFaultLine(rig.world, `host h1 ${fault}`);
    assert.deepEqual(await ask(rig, 'h1', ['h2']), ['h2 asked unreached'], fault);
  }
});

test('configured self-check addresses are named when the controller is cut off', async () => {
  const { clock, world, env } = buildSimWorld({
    hosts: HOSTS, vms: VMS, start: 0, seed: 7, simEnv: { witnessAddresses: ['198.18.0.1:53', '198.18.0.2:443'] },
  });
  world.applyFault({ kind: 'controller', fault: 'partition' });
  assert.deepEqual(await drive(clock, () => env.witnesses.selfCheck()), {
    ok: false,
    failed: ['witness 198.18.0.1:53 unreachable', 'witness 198.18.0.2:443 unreachable'],
  });
});
