/**
 * The request life cycle on the simulated rack and a virtual clock: create, ready, warnings in
 * order, expiry with erasure, extend, release, refusals (quota, capacity, catalogue), the FIFO
 * queue, and a restarted service in the middle of a provisioning and of an expiry.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { RrcError, isRrcError } from '../../../src/errors.js';
import type { RequestEvent } from '../../../src/on-demand/request-events.js';
import { RequestCreateSchema, type RequestCreateInput } from '../../../src/on-demand/request-input.js';
import type { RequestRecord } from '../../../src/store/types.js';
import { ALICE_KEY, lendingRig, type LendingRig } from './lending-rig.js';

const alice = { name: 'alice', admin: false };
const bob = { name: 'bob', admin: false };
const admin = { name: 'admin', admin: true };
const ask = (over: Partial<RequestCreateInput> = {}) =>
  RequestCreateSchema.parse({ cores: 4, ram: '8G', disk: '200G', os: 'debian-12', middleware: 'htcondor,cvmfs', for: '2h', ...over });

let rig: LendingRig | null = null;
afterEach(async () => {
  await rig?.stop();
  rig = null;
});

async function state(r: LendingRig, id: string): Promise<RequestRecord> {
  const rec = await r.rack.store.getRequest(id);
  assert.ok(rec, `request ${id} exists`);
  return rec;
}

async function until(r: LendingRig, id: string, want: RequestRecord['state'], maxSeconds = 300): Promise<RequestRecord> {
  const ok = await r.runUntil(async () => (await state(r, id)).state === want, maxSeconds);
  const rec = await state(r, id);
  assert.ok(ok, `request ${id} reached ${want} within ${maxSeconds} s (is ${rec.state}; ${rec.error ?? ''})`);
  return rec;
}

describe('request life cycle (sim rack, virtual clock)', () => {
  test('create: placed on the least loaded primary, provisioned step by step, ready once the controller probes it healthy', async () => {
    rig = await lendingRig();
    const r = await rig.settle(rig.service.create(ask(), alice));
    assert.equal(r.state, 'placing');
    assert.equal(r.owner, 'alice');
    assert.ok(r.host === 'hv1' || r.host === 'hv2');
    const ready = await until(rig, r.id, 'ready');
    assert.deepEqual(ready.steps, ['overlay', 'seed', 'domain', 'inventory']);
    assert.equal(ready.expiresAt, (ready.placedAt as number) + 2 * 3600_000);
    // The lent VM is an inventory VM on its host, protected like any other.
    const vm = await rig.rack.store.getVm(r.id);
    assert.equal(vm?.currentHost, r.host);
    assert.equal(rig.rack.controller.targetStatus(`vm:${r.id}`)?.phase, 'healthy');
    // First-boot data: hostname and the owner's key from the config.
    const seed = [...rig.images.seeds.values()][0];
    assert.equal(seed?.hostname, r.id);
    assert.deepEqual(seed?.sshAuthorizedKeys, [ALICE_KEY]);
    assert.deepEqual(seed?.middleware.map((m) => m.name), ['htcondor', 'cvmfs']);
    assert.equal(rig.images.overlays.get(ready.overlayPath as string)?.baseImage, '/shared/base/debian-12.qcow2');
  });

  test('warnings before the end in order (1h, then 10m), then expiry: destroyed, undefined, out of the inventory, overlay and seed erased', async () => {
    rig = await lendingRig();
    const events: RequestEvent[] = [];
    rig.service.onEvent((e) => events.push(e));
    const r = await rig.settle(rig.service.create(ask({ for: '2h' }), alice));
    const ready = await until(rig, r.id, 'ready');
    const expiresAt = ready.expiresAt as number;
    await rig.rack.clock.advanceTo(expiresAt - 3600_000 - 10_000);
    assert.deepEqual(events.filter((e) => e.type === 'request-warning'), []);
    const erased = await until(rig, r.id, 'erased', 4000);
    const warnings = events.filter((e) => e.type === 'request-warning');
    assert.deepEqual(warnings.map((w) => w.type === 'request-warning' && w.offsetMs), [3600_000, 600_000]);
    for (const w of warnings) if (w.type === 'request-warning') assert.ok(w.at >= expiresAt - w.offsetMs && w.at < expiresAt);
    assert.equal(erased.endReason, 'expired');
    assert.equal(erased.erasedHow, 'overwrite');
    assert.ok((erased.endedAt as number) >= expiresAt);
    assert.equal(await rig.rack.store.getVm(r.id), null);
    assert.equal(rig.images.overlays.size, 0);
    assert.equal(rig.images.seeds.size, 0);
    assert.equal(rig.rack.world.domain(ready.host as string, r.id), undefined);
    const timeline = (await rig.rack.store.listRequestEvents(r.id)).map((e) => `${e.kind}: ${e.message}`);
    assert.ok(timeline.some((l) => /^state: expiring -> erased: expired: ran on hv\d for 2h/.test(l)), timeline.join('\n'));
    assert.ok(events.some((e) => e.type === 'request-closed' && e.request.id === r.id));
  });

  test('extend pushes the end (within maxDuration); warnings already given come again when their moment is in the future again', async () => {
    rig = await lendingRig({ config: { maxDuration: '4h' } });
    const r = await rig.settle(rig.service.create(ask({ for: '30m' }), alice));
    const ready = await until(rig, r.id, 'ready');
    assert.deepEqual(ready.warned, [3600_000], 'a 30 min request is warned an hour before at once');
    const ext = await rig.settle(rig.service.extend(r.id, 2 * 3600_000, alice));
    assert.equal(ext.expiresAt, (ready.expiresAt as number) + 2 * 3600_000);
    assert.deepEqual(ext.warned, []);
    await assert.rejects(rig.settle(rig.service.extend(r.id, 2 * 3600_000, alice)), (e) => isRrcError(e, 'RRC_ERR_VALIDATION') && /maxDuration/.test(e.message));
    await assert.rejects(rig.settle(rig.service.extend(r.id, 3600_000, bob)), (e) => isRrcError(e, 'RRC_ERR_NOT_FOUND'));
  });

  test('release: erased at once and closed as released; a second release is refused', async () => {
    rig = await lendingRig();
    const r = await rig.settle(rig.service.create(ask(), alice));
    await until(rig, r.id, 'ready');
    const rel = await rig.settle(rig.service.release(r.id, alice));
    assert.equal(rel.state, 'expiring');
    const done = await until(rig, r.id, 'released');
    assert.equal(done.endReason, 'released');
    assert.equal(await rig.rack.store.getVm(r.id), null);
    assert.equal(rig.images.overlays.size, 0);
    await assert.rejects(rig.settle(rig.service.release(r.id, alice)), (e) => isRrcError(e, 'RRC_ERR_INVALID_STATE'));
  });

  test('refusals: quota (named, with the usage), unknown OS or middleware (valid names listed), install OS, too long, someone else', async () => {
    rig = await lendingRig();
    await rig.settle(rig.service.create(ask({ cores: 12 }), alice));
    await assert.rejects(rig.settle(rig.service.create(ask({ cores: 8 }), alice)), (e) => isRrcError(e, 'RRC_ERR_QUOTA') && /quota cores of alice is 16: 12 in use by 1 open request\(s\), 8 asked/.test(e.message));
    await assert.rejects(rig.settle(rig.service.create(ask({ os: 'windows' }), alice)), (e) => isRrcError(e, 'RRC_ERR_VALIDATION') && /unknown OS "windows"; valid: debian-12, alma-9/.test(e.message));
    await assert.rejects(rig.settle(rig.service.create(ask({ middleware: 'htcondor,root' }), alice)), (e) => /unknown middleware "root"; valid: htcondor, cvmfs/.test((e as Error).message));
    await assert.rejects(rig.settle(rig.service.create(ask({ os: 'alma-9' }), alice)), (e) => /only --physical/.test((e as Error).message));
    await assert.rejects(rig.settle(rig.service.create(ask({ for: '30d' }), alice)), (e) => /maxDuration/.test((e as Error).message));
    await assert.rejects(rig.settle(rig.service.create(ask({ owner: 'bob' }), alice)), (e) => isRrcError(e, 'RRC_ERR_FORBIDDEN'));
    const forBob = await rig.settle(rig.service.create(ask({ owner: 'bob' }), admin));
    assert.equal(forBob.owner, 'bob');
    assert.deepEqual((await rig.service.list(bob)).map((x) => x.id), [forBob.id]);
    assert.equal((await rig.service.list(admin)).length, 2);
  });

  test('no room: refused with the resource and shortfall; with --queue it waits and starts first-in first-out when room appears', async () => {
    rig = await lendingRig({ config: { quotas: { default: { cores: 200, ram: '1T', disk: '100T', requests: 10 } } } });
    // The lab: hv1 and hv2 (32 cores, 128G) carry 8 cores each; the spare is the reserve.
    const big1 = await rig.settle(rig.service.create(ask({ cores: 24, ram: '64G' }), alice));
    const big2 = await rig.settle(rig.service.create(ask({ cores: 24, ram: '64G' }), alice));
    assert.notEqual(big1.host, big2.host, 'spread over both primaries');
    await assert.rejects(rig.settle(rig.service.create(ask({ cores: 4 }), alice)), (e) => isRrcError(e, 'RRC_ERR_NO_CAPACITY') && /4 cores short \(0 cores free\)/.test(e.message) && /--queue/.test(e.message));
    const q1 = await rig.settle(rig.service.create(ask({ cores: 4, queue: true }), alice));
    const q2 = await rig.settle(rig.service.create(ask({ cores: 1, queue: true }), alice));
    assert.equal(q1.state, 'queued');
    assert.equal(q2.state, 'queued');
    await until(rig, big1.id, 'ready');
    await rig.run(30);
    assert.equal((await state(rig, q1.id)).state, 'queued');
    assert.equal((await state(rig, q2.id)).state, 'queued', 'the second waits behind the first even if it would fit');
    await rig.settle(rig.service.release(big1.id, alice));
    await until(rig, q1.id, 'ready');
    const second = await until(rig, q2.id, 'ready');
    assert.ok(((await state(rig, q1.id)).placedAt as number) <= (second.placedAt as number));
  });

  test('a provisioning error is tried again at the next sweep; one no retry can cure fails the request and erases what was made', async () => {
    rig = await lendingRig();
    rig.images.failNext.createOverlay = new RrcError('RRC_ERR_DRIVER', 'qemu-img: storage busy');
    const r = await rig.settle(rig.service.create(ask(), alice));
    const ready = await until(rig, r.id, 'ready');
    assert.equal(ready.error, null);
    assert.ok((await rig.rack.store.listRequestEvents(r.id)).some((e) => e.kind === 'error' && /storage busy \(tried again at the next sweep\)/.test(e.message)));

    rig.images.failNext.buildNoCloudSeed = new RrcError('RRC_ERR_VALIDATION', 'SSH key "x": one line');
    const bad = await rig.settle(rig.service.create(ask(), alice));
    const failed = await until(rig, bad.id, 'failed');
    assert.equal(failed.endReason, 'failed');
    assert.match(failed.error ?? '', /SSH key/);
    assert.equal(rig.images.overlays.has(failed.overlayPath as string), false, 'the overlay made before the failure is erased');
    assert.equal(await rig.rack.store.getVm(bad.id), null);
  });

  test('a controller that dies in the middle of a provisioning: the next one redoes the step in flight, repeats none that was done', async () => {
    rig = await lendingRig();
    rig.images.hangNext.buildNoCloudSeed = true;
    const r = await rig.settle(rig.service.create(ask(), alice));
    await rig.runUntil(() => rig?.images.calls.some((c) => c.startsWith('buildNoCloudSeed')) ?? false, 60);
    assert.deepEqual((await state(rig, r.id)).steps, ['overlay']);
    rig.crashService();
    const ready = await until(rig, r.id, 'ready');
    assert.deepEqual(ready.steps, ['overlay', 'seed', 'domain', 'inventory']);
    assert.equal(rig.images.calls.filter((c) => c.startsWith('createOverlay')).length, 1, 'the overlay step was done: not repeated');
    assert.equal(rig.images.calls.filter((c) => c.startsWith('buildNoCloudSeed')).length, 2, 'the seed step was in flight: done again');
    assert.equal(rig.rack.world.runningCopies(r.id).length, 1);
  });

  test('a controller that dies in the middle of an expiry: the next one finishes it, the VM is not lost nor erased twice', async () => {
    rig = await lendingRig();
    const events: RequestEvent[] = [];
    const r = await rig.settle(rig.service.create(ask({ for: '30m' }), alice));
    const ready = await until(rig, r.id, 'ready');
    rig.images.hangNext.eraseOverlay = true;
    await rig.rack.clock.advanceTo((ready.expiresAt as number) - 1000);
    await rig.runUntil(() => rig?.images.calls.some((c) => c.startsWith('eraseOverlay')) ?? false, 120);
    const mid = await state(rig, r.id);
    assert.equal(mid.state, 'expiring');
    assert.deepEqual(mid.steps.filter((s) => s.startsWith('end:')), ['end:maintenance', 'end:domain', 'end:inventory']);
    assert.equal(rig.rack.world.runningCopies(r.id).length, 0);
    rig.crashService().onEvent((e) => events.push(e));
    const erased = await until(rig, r.id, 'erased');
    assert.equal(erased.erasedHow, 'overwrite');
    assert.equal(rig.images.overlays.size, 0);
    assert.equal(rig.images.calls.filter((c) => c.startsWith('eraseOverlay')).length, 2, 'the erase in flight was done again, once');
    assert.equal(events.filter((e) => e.type === 'request-closed').length, 1);
    assert.equal(events.filter((e) => e.type === 'request-warning').length, 0, 'warnings already given are not given again');
  });

  test('a whole controller restart in the middle of a provisioning, then of an expiry: nothing lost, nothing done twice', async () => {
    rig = await lendingRig();
    rig.images.hangNext.buildNoCloudSeed = true;
    const r = await rig.settle(rig.service.create(ask({ for: '30m' }), alice));
    await rig.runUntil(() => rig?.images.calls.some((c) => c.startsWith('buildNoCloudSeed')) ?? false, 60);
    await rig.restartController();
    const ready = await until(rig, r.id, 'ready');
    assert.equal(rig.controller.targetStatus(`vm:${r.id}`)?.phase, 'healthy', 'the new controller protects the lent VM');
    assert.equal(rig.images.calls.filter((c) => c.startsWith('createOverlay')).length, 1);
    rig.images.hangNext.eraseOverlay = true;
    await rig.rack.clock.advanceTo((ready.expiresAt as number) - 1000);
    await rig.runUntil(() => rig?.images.calls.some((c) => c.startsWith('eraseOverlay')) ?? false, 120);
    await rig.restartController();
    const erased = await until(rig, r.id, 'erased');
    assert.equal(erased.steps.filter((s) => s === 'end:domain').length, 1);
    assert.equal(rig.controller.targetStatus(`vm:${r.id}`), null, 'not in the new controller either');
    assert.equal(rig.rack.world.runningCopies(r.id).length, 0);
    assert.equal(rig.images.overlays.size, 0);
    assert.equal(rig.images.calls.filter((c) => c.startsWith('eraseOverlay')).length, 2);
  });

  test('a standby neither sweeps nor takes requests: an expiry waits for a leader', async () => {
    let leading = true;
    rig = await lendingRig({ isLeader: () => leading });
    const r = await rig.settle(rig.service.create(ask({ for: '30m' }), alice));
    const ready = await until(rig, r.id, 'ready');
    leading = false;
    await rig.rack.clock.advanceTo((ready.expiresAt as number) + 1000);
    await rig.run(30);
    assert.equal((await state(rig, r.id)).state, 'ready', 'not erased by a standby');
    await assert.rejects(rig.settle(rig.service.create(ask(), alice)), (e) => isRrcError(e, 'RRC_ERR_INVALID_STATE') && /does not lead/.test(e.message));
    leading = true;
    const erased = await until(rig, r.id, 'erased');
    assert.ok((erased.endedAt as number) > (ready.expiresAt as number));
  });
});
