import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { storeContract } from './store-contract.js';

storeContract('memory', {
  fresh: async (now) => new MemoryStore({ now }),
  release: async (store) => store.close(),
});

// Incident event data go in and out as their JSON copy, flat data (copied without the text) too.
test('memory store: event data come back as their JSON round trip, never shared', async () => {
  const store = new MemoryStore({ now: () => 0 });
  await store.createIncident({
    id: 'vm:a#1', targetId: 'vm:a', targetKind: 'vm', targetName: 'a', detectedAt: 0, signature: 'vm-hung', signatureSummary: 'hung',
    entryRung: 1, currentRung: 1, state: 'open', resolvedAt: null, recoverySeconds: null, note: null,
  });
  const flat = { rung: 2, action: 'vm-restart', ok: true, none: null, skipped: undefined, zero: -0 };
  const nested = { rung: 3, inner: { at: 1 } };
  const odd = { n: Number.NaN };
  for (const data of [flat, nested, odd]) await store.addIncidentEvent({ incidentId: 'vm:a#1', at: 1, kind: 'rung', message: 'm', data });
  flat.rung = 99;
  nested.inner.at = 99;
  const [a, b, c] = (await store.getIncident('vm:a#1'))!.events.map((e) => e.data as Record<string, unknown>);
  assert.deepEqual(a, { rung: 2, action: 'vm-restart', ok: true, none: null, zero: 0 });
  assert.equal(Object.is(a!.zero, -0), false);
  assert.equal('skipped' in a!, false);
  assert.deepEqual(b, { rung: 3, inner: { at: 1 } });
  assert.deepEqual(c, { n: null });
  a!.rung = 7;
  assert.equal(((await store.getIncident('vm:a#1'))!.events[0]!.data as Record<string, unknown>).rung, 2);
});
