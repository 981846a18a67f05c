/**
 * What "confirmed off" means (issue 9, src/controller/fence.ts): two BMC reads "off" some seconds
 * apart AND the host answering on no path. A BMC that says off while the host answers is lying.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fenceHost, isBmcContradicted } from '../../../src/controller/fence.js';
import type { PowerState } from '../../../src/core/signature.js';
import type { PowerDriver } from '../../../src/env/env.js';
import { applyFaultLine } from '../../../src/env/sim/index.js';
import { isRrcError } from '../../../src/errors.js';
import { drive, makeRig, type Rig } from '../env/sim-fixture.js';
import { evacuationRig } from './evacuation-rig.js';

const OPTS = { confirmTimeoutMs: 30_000, pollMs: 2_000 };

/** The rig's BMCs, with every status answer and off command written down with its time. */
function watchedPower(rig: Rig): { power: PowerDriver; reads: Array<[number, PowerState]>; offs: number[] } {
  const reads: Array<[number, PowerState]> = [];
  const offs: number[] = [];
  const inner = rig.env.power;
  const power: PowerDriver = {
    ...inner,
    status: async (h, o) => {
      const s = await inner.status(h, o);
      reads.push([rig.clock.now(), s]);
      return s;
    },
    off: async (h, o) => {
      offs.push(rig.clock.now());
      await inner.off(h, o);
    },
  };
  return { power, reads, offs };
}

test('confirmed: the BMC reads off twice, 5 s apart, and the host no longer answers', async () => {
  const rig = makeRig();
  const { power, reads, offs } = watchedPower(rig);
  const probeHost = (h: Parameters<typeof rig.env.probes.probeHost>[0]) => rig.env.probes.probeHost(h);
  const r = await drive(rig.clock, () => fenceHost(power, rig.host('h1'), rig.clock, { ...OPTS, probeHost }));
  assert.equal(rig.world.host('h1').power, 'off');
  assert.equal(offs.length, 1);
  const offReads = reads.filter(([, s]) => s === 'off').map(([t]) => t);
  assert.ok(offReads.length >= 2, JSON.stringify(reads));
  const [first, second] = offReads.slice(-2) as [number, number];
  assert.ok(second - first >= 5_000, `the confirming reads are ${second - first} ms apart`);
  assert.ok(r.confirmedAt >= second, 'confirmed only after the second read');
});

test('one read "off" followed by "on" is no confirmation', async () => {
  const rig = makeRig();
  // A BMC that flickers: off, then on again at the second look; off commands change nothing.
  let n = 0;
  const flicker: PowerDriver = { ...rig.env.power, status: async () => (n++ % 2 === 1 ? 'off' : 'on'), off: async () => {} };
  let error: unknown = null;
  await drive(rig.clock, () => fenceHost(flicker, rig.host('h1'), rig.clock, OPTS).catch((e: unknown) => void (error = e)));
  assert.ok(isRrcError(error, 'RRC_ERR_FENCE_UNCONFIRMED'), String(error));
  assert.match(error.message, /BMC reported power off, then on 5 s later/);
  assert.equal(isBmcContradicted(error), false, 'not a contradiction: the BMC itself does not say off twice');
});

test('a BMC that already reads off gets no off command; off while the host answers is a lie', async () => {
  const rig = makeRig();
  applyFaultLine(rig.world, 'host h1 bmc-lies-off');
  const { power, offs } = watchedPower(rig);
  const probeHost = (h: Parameters<typeof rig.env.probes.probeHost>[0]) => rig.env.probes.probeHost(h);
  let error: unknown = null;
  await drive(rig.clock, () => fenceHost(power, rig.host('h1'), rig.clock, { ...OPTS, probeHost }).catch((e: unknown) => void (error = e)));
  assert.deepEqual(offs, [], 'nothing was sent to a BMC that reads off');
  assert.ok(isBmcContradicted(error), String(error));
  assert.match((error as Error).message, /BMC of h1 reports power off but h1 still answers on ssh and libvirt/);
  assert.equal(rig.world.host('h1').power, 'on');
});

test('fence-migrate with a lying BMC ends blocked with the reason, and no VM starts elsewhere', async () => {
  const rig = await evacuationRig();
  applyFaultLine(rig.rack.world, 'host hv1 bmc-lies-off');
  const result = await rig.run('fence-migrate', 'hv1');
  assert.equal(result.outcome, 'blocked');
  assert.match(result.outcome === 'blocked' ? result.reason : '', /BMC of hv1 reports power off but hv1 still answers on ssh and libvirt: not fenced; confirm by hand/);
  for (const vm of ['web1', 'db1']) assert.deepEqual(rig.rack.world.runningCopies(vm), ['hv1'], `${vm} runs only on hv1`);
  assert.equal(rig.index.vms.get('web1')?.currentHost, 'hv1', 'nothing recorded elsewhere');
});
