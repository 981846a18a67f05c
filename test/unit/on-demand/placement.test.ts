import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { placeMachine, reserveShortfall, type PlacementHost } from '../../../src/on-demand/placement.js';

function host(name: string, total: [number, number, number], used: [number, number, number], over: Partial<PlacementHost> = {}): PlacementHost {
  return {
    name,
    total: { cores: total[0], ramGb: total[1], diskGb: total[2] },
    allocated: { cores: used[0], ramGb: used[1], diskGb: used[2] },
    lendable: true,
    healthy: true,
    ...over,
  };
}
const spare = (name: string, total: [number, number, number]) => host(name, total, [0, 0, 0], { lendable: false, whyNot: 'spare (kept for recovery)' });
const ask = (cores: number, ramGb: number, diskGb: number) => ({ cores, ramGb, diskGb });

describe('placement', () => {
  test('spreads: the least loaded host with room wins, ties by name', () => {
    const hosts = [host('hv1', [32, 128, 4096], [16, 64, 0]), host('hv2', [32, 128, 4096], [4, 8, 0]), spare('spare1', [32, 128, 4096])];
    const r = placeMachine(hosts, ask(4, 8, 200), 'n+1');
    assert.equal(r.ok && r.host, 'hv2');
    const tie = placeMachine([host('b', [8, 16, 100], [0, 0, 0]), host('a', [8, 16, 100], [0, 0, 0])], ask(1, 1, 1), 'none');
    assert.equal(tie.ok && tie.host, 'a');
  });

  test('never on a spare, an unhealthy or a maintenance host; the refusal lists why each is out', () => {
    const hosts = [host('hv1', [32, 128, 4096], [0, 0, 0], { lendable: false, whyNot: 'maintenance' }), spare('spare1', [32, 128, 4096])];
    const r = placeMachine(hosts, ask(1, 1, 1), 'none');
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.resource, 'hosts');
      assert.match(r.reason, /hv1: maintenance/);
      assert.match(r.reason, /spare1: spare/);
    }
  });

  test('no room: names the resource and how much is missing on the closest host; never overcommits', () => {
    const hosts = [host('hv1', [8, 32, 1000], [6, 8, 0]), host('hv2', [8, 32, 1000], [7, 30, 0])];
    const r = placeMachine(hosts, ask(4, 8, 200), 'none');
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.resource, 'cores');
      assert.match(r.reason, /the closest, hv1, is 2 cores short \(2 cores free\)/);
    }
    // Exactly full is fine, one more is not.
    assert.equal(placeMachine([host('hv1', [8, 32, 1000], [4, 24, 800])], ask(4, 8, 200), 'none').ok, true);
    assert.equal(placeMachine([host('hv1', [8, 32, 1000], [4, 24, 801])], ask(4, 8, 200), 'none').ok, false);
  });

  test('N+1: refuses what the loss of one host would then need, and says which loss', () => {
    // Two primaries of 32 cores and a spare of 16: hv1 carries 16 cores, hv2 8.
    const hosts = [host('hv1', [32, 128, 4096], [16, 32, 0]), host('hv2', [32, 128, 4096], [8, 16, 0]), spare('spare1', [16, 64, 4096])];
    // 16 more cores on hv2: losing hv2 (24) would need hv1's 16 free + spare's 16 = 32: fine.
    assert.equal(placeMachine(hosts, ask(16, 16, 10), 'n+1').ok, true);
    // A small spare (8 cores): hv1 16 and hv2 24 in use can just absorb each other's loss today.
    // 8 more cores on either host would leave 8 cores of a lost host without a place.
    const fuller = [host('hv1', [32, 128, 4096], [16, 32, 0]), host('hv2', [32, 128, 4096], [24, 16, 0]), spare('spare1', [8, 64, 4096])];
    assert.equal(reserveShortfall(fuller, 'hv1', ask(0, 0, 0)), null);
    const r = placeMachine(fuller, ask(8, 8, 10), 'n+1');
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.resource, 'reserve');
      assert.match(r.reason, /N\+1 reserve/);
      assert.match(r.reason, /losing hv\d \(\d+ cores in use\) would leave \d+ cores? without a place/);
    }
    // Without the reserve policy the same ask fits.
    assert.equal(placeMachine(fuller, ask(8, 8, 10), 'none').ok, true);
  });

  test('the reserve counts only healthy hosts as room', () => {
    const hosts = [host('hv1', [32, 128, 4096], [8, 8, 0]), host('hv2', [32, 128, 4096], [0, 0, 0], { healthy: false, lendable: false, whyNot: 'recovering' })];
    assert.match(reserveShortfall(hosts, 'hv1', ask(4, 4, 0)) ?? '', /losing hv1 \(12 cores in use\)/);
  });
});
