/**
 * /api/v1/requests and /api/v1/catalogue through fastify inject, on the real controller and the
 * request service over the simulated rack: the same validation as the CLI, owners limited to
 * their own requests, an admin sees all, refusals as one line with the valid names.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { buildApp, type ApiApp } from '../../../src/api/app.js';
import { bearer, tokenFor } from '../../unit/api/auth-helper.js';
import { lendingRig, type LendingRig } from '../../unit/on-demand/lending-rig.js';

describe('requests API', () => {
  let rig: LendingRig;
  let app: ApiApp;
  const tokens: Record<string, string> = {};
  const call = (who: string, opts: InjectOptions) => rig.settle(app.inject({ ...opts, headers: { ...bearer(tokens[who] as string), ...(opts.headers ?? {}) } }));

  before(async () => {
    rig = await lendingRig({ config: { quotas: { default: { cores: 16, ram: '512G', disk: '10T', requests: 3 } } } });
    app = buildApp({ controller: rig.rack.controller, requests: rig.service, now: () => rig.rack.clock.now() });
    await app.ready();
    tokens.alice = await tokenFor(rig.rack.store, 'viewer', 'alice');
    tokens.bob = await tokenFor(rig.rack.store, 'viewer', 'bob');
    tokens.admin = await tokenFor(rig.rack.store, 'admin', 'admin');
  });
  after(async () => {
    await app.close();
    await rig.stop();
  });

  test('the catalogue lists what can be asked for', async () => {
    const res = await call('alice', { method: 'GET', url: '/api/v1/catalogue' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().os.map((o: { name: string }) => o.name), ['debian-12', 'alma-9']);
    assert.deepEqual(res.json().middleware.map((o: { name: string }) => o.name), ['htcondor', 'cvmfs']);
  });

  test('create, show with its timeline, extend, release; owners see only theirs, an admin all', async () => {
    const body = { cores: 2, ram: '4G', disk: '50G', os: 'debian-12', middleware: 'htcondor', for: '6h' };
    const created = await call('alice', { method: 'POST', url: '/api/v1/requests', payload: body });
    assert.equal(created.statusCode, 201, created.body);
    const r = created.json();
    assert.equal(r.owner, 'alice');
    assert.equal(r.state, 'placing');
    assert.equal(r.ramGb, 4);
    assert.equal(r.durationSeconds, 6 * 3600);
    assert.ok(await rig.runUntil(async () => (await rig.rack.store.getRequest(r.id))?.state === 'ready', 300));

    const shown = await call('alice', { method: 'GET', url: `/api/v1/requests/${r.id}` });
    assert.equal(shown.statusCode, 200, shown.body);
    assert.equal(shown.json().state, 'ready');
    assert.equal(shown.json().runsOn, r.host);
    const kinds = shown.json().timeline.map((e: { kind: string; message: string }) => `${e.kind}: ${e.message}`);
    assert.match(kinds[0], /^created: asked by alice for alice: 2 cores, 4G RAM, 50G disk, debian-12 \+ htcondor for 6h/);
    assert.ok(kinds.some((k: string) => /^state: provisioning -> ready/.test(k)), kinds.join('\n'));

    assert.equal((await call('bob', { method: 'GET', url: `/api/v1/requests/${r.id}` })).statusCode, 404, "bob does not see alice's request");
    assert.equal((await call('bob', { method: 'POST', url: `/api/v1/requests/${r.id}/extend`, payload: { by: '1h' } })).statusCode, 404);
    assert.deepEqual((await call('bob', { method: 'GET', url: '/api/v1/requests' })).json(), []);
    assert.equal((await call('admin', { method: 'GET', url: '/api/v1/requests' })).json().length, 1);
    assert.equal((await call('admin', { method: 'GET', url: '/api/v1/requests?mine=true' })).json().length, 0);

    const ext = await call('alice', { method: 'POST', url: `/api/v1/requests/${r.id}/extend`, payload: { by: '2h' } });
    assert.equal(ext.statusCode, 200, ext.body);
    assert.equal(Date.parse(ext.json().expiresAt) - Date.parse(shown.json().expiresAt), 2 * 3600_000);

    const rel = await call('admin', { method: 'POST', url: `/api/v1/requests/${r.id}/release` });
    assert.equal(rel.statusCode, 200, rel.body);
    assert.ok(await rig.runUntil(async () => (await rig.rack.store.getRequest(r.id))?.state === 'released', 300));
    const audit = await rig.rack.store.listAudit({ actor: 'alice' });
    assert.ok(audit.some((a) => a.action.includes('/api/v1/requests') || a.action.includes('POST')), 'the API audits the writes');
  });

  test('refusals: 400 naming the field or listing the valid names, 409 for quota and capacity, 403 asking for someone else', async () => {
    const base = { cores: 2, ram: '4G', disk: '50G', os: 'debian-12', for: '1h' };
    const badSize = await call('alice', { method: 'POST', url: '/api/v1/requests', payload: { ...base, ram: '4' } });
    assert.equal(badSize.statusCode, 400);
    assert.match(badSize.json().message, /body\.ram: "4" is not a size: use a number and a unit, e.g. 512M, 8G, 200G, 1T/);
    const badFor = await call('alice', { method: 'POST', url: '/api/v1/requests', payload: { ...base, for: 'forever' } });
    assert.match(badFor.json().message, /body\.for: "forever" is not a duration/);
    const os = await call('alice', { method: 'POST', url: '/api/v1/requests', payload: { ...base, os: 'windows-11' } });
    assert.equal(os.statusCode, 400);
    assert.equal(os.json().message, 'invalid input: unknown OS "windows-11"; valid: debian-12, alma-9');
    const mw = await call('alice', { method: 'POST', url: '/api/v1/requests', payload: { ...base, middleware: ['cvmfs', 'root', 'geant4'] } });
    assert.equal(mw.json().message, 'invalid input: unknown middleware "root", "geant4"; valid: htcondor, cvmfs');
    const quota = await call('alice', { method: 'POST', url: '/api/v1/requests', payload: { ...base, cores: 17 } });
    assert.equal(quota.statusCode, 409);
    assert.equal(quota.json().error, 'RRC_ERR_QUOTA');
    assert.match(quota.json().message, /quota cores of alice is 16/);
    const big = await call('admin', { method: 'POST', url: '/api/v1/requests', payload: { ...base, owner: 'carol', cores: 16, ram: '200G' } });
    assert.equal(big.statusCode, 409);
    assert.equal(big.json().error, 'RRC_ERR_NO_CAPACITY');
    assert.match(big.json().message, /G RAM short/);
    const other = await call('alice', { method: 'POST', url: '/api/v1/requests', payload: { ...base, owner: 'bob' } });
    assert.equal(other.statusCode, 403);
    assert.equal((await rig.rack.store.listRequests({ owner: 'carol' })).length, 0, 'a refusal writes no request');
  });
});
