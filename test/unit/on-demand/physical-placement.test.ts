/** Which spare a --physical request may borrow (pure): healthy, empty, big enough, beyond the N+1 reserve. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { choosePhysicalHost } from '../../../src/on-demand/physical-placement.js';
import type { PlacementHost } from '../../../src/on-demand/placement.js';
import { labHosts } from '../../../src/sim-rack/index.js';
import type { HostRecord } from '../../../src/store/types.js';

const records = (): HostRecord[] => labHosts().map((h) => ({ ...h, state: 'active', lastContactAt: null, createdAt: 0, updatedAt: 0 }));
const view = (used: Record<string, number>, over: Partial<Record<string, Partial<PlacementHost>>> = {}): PlacementHost[] =>
  labHosts().map((h) => ({
    name: h.name,
    total: { cores: 32, ramGb: 128, diskGb: 4096 },
    allocated: { cores: used[h.name] ?? 0, ramGb: (used[h.name] ?? 0) * 2, diskGb: 0 },
    lendable: h.role === 'primary',
    healthy: true,
    ...over[h.name],
  }));
const ask = { cores: 8, ramGb: 32, diskGb: 200 };

describe('choosePhysicalHost', () => {
  test('lends the spare when the primaries absorb each other', () => {
    const c = choosePhysicalHost(records(), view({ hv1: 8, hv2: 8 }), ask, 'n+1');
    assert.deepEqual(c.ok && c.host, 'spare1');
  });
  test('refuses the spare that is the N+1 reserve, with the shortfall', () => {
    const c = choosePhysicalHost(records(), view({ hv1: 24, hv2: 24 }), ask, 'n+1');
    assert.equal(c.ok, false);
    assert.match(c.ok ? '' : c.reason, /spare1 is the N\+1 reserve: without it, losing hv1 \(24 cores in use\) would leave 16 cores without a place/);
    assert.equal(choosePhysicalHost(records(), view({ hv1: 24, hv2: 24 }), ask, 'none').ok, true);
  });
  test('refuses an unhealthy, busy or too small spare, and a rack without spares', () => {
    assert.match(JSON.stringify(choosePhysicalHost(records(), view({}, { spare1: { healthy: false, whyNot: 'failed' } }), ask, 'n+1')), /spare1: failed/);
    assert.match(JSON.stringify(choosePhysicalHost(records(), view({ spare1: 4 }), ask, 'n+1')), /spare1: carries VMs/);
    assert.match(JSON.stringify(choosePhysicalHost(records(), view({}), { ...ask, cores: 64 }, 'n+1')), /spare1: too small/);
    const noSpare = records().filter((h) => h.role !== 'spare');
    assert.match(JSON.stringify(choosePhysicalHost(noSpare, view({}), ask, 'n+1')), /no host of role spare/);
  });
});
