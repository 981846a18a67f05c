import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { buildApp, type ApiApp } from '../../../src/api/app.js';
import { defaultApiAccess } from '../../../src/api/schemas/api-access.js';
import { authed, bearer, controllerAudit, tokenFor, type Inject } from './auth-helper.js';
import { FakeController, hostSpec, vmSpec } from './fake-controller.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const UUID1 = '6f1c7c6e-2b1a-4c47-9a53-0d6a3b0e1a01';

let controller: FakeController;
let app: ApiApp;
/** app.inject as the admin token "api"; `alice` is the headers of a second admin token. */
let api: Inject;
let alice: Record<string, string>;

async function fresh(): Promise<void> {
  controller = new FakeController();
  app = buildApp({ controller, access: { allow: { ...defaultApiAccess().allow, secretRefs: ['bmc-lab'] } } });
  await app.ready();
  api = authed(app, await tokenFor(controller.store, 'admin', 'api'));
  alice = bearer(await tokenFor(controller.store, 'admin', 'alice'));
  await controller.addHost(hostSpec('hv1', '52:54:00:00:00:01'), 'test');
  await controller.addHost(hostSpec('spare1', '52:54:00:00:00:09', 'spare'), 'test');
  await controller.addVm(vmSpec('web1', 'hv1', UUID1), 'test');
}

const newHost = {
  name: 'hv2',
  role: 'primary',
  macs: ['52-54-00-AA-BB-CC', '5254.00aa.bbcd'],
  ip: '10.0.0.12',
  hypervisorUri: 'qemu+ssh://root@hv2/system',
  bmc: { address: '10.0.1.12', user: 'admin', secretRef: 'bmc-lab' },
  capacity: { cores: 32, ramGb: 256, diskTb: 4 },
};

describe('api', () => {
  beforeEach(fresh);
  after(async () => app.close());

  it('GET /health answers with ISO times', async () => {
    const res = await api({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.status, 'ok');
    assert.match(body.startedAt, ISO);
    assert.match(body.now, ISO);
    assert.equal(body.targets, 3);
  });

  it('POST /hosts normalizes MACs, applies defaults, returns 201 and audits the actor', async () => {
    const res = await api({ method: 'POST', url: '/hosts', payload: newHost, headers: alice });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.deepEqual(body.macs, ['52:54:00:aa:bb:cc', '52:54:00:aa:bb:cd']);
    assert.equal(body.bmc.port, 623);
    assert.equal(body.state, 'active');
    assert.match(body.createdAt, ISO);
    const audit = (await api({ method: 'GET', url: '/audit?limit=2' })).json();
    // Newest first: the request with its outcome, then what the controller recorded before acting.
    assert.deepEqual([audit[0].actor, audit[0].action, audit[0].outcome, audit[0].target], ['alice', 'POST /hosts', 'ok', 'host:hv2']);
    assert.equal(audit[1].actor, 'alice');
    assert.equal(audit[1].action, 'host.add');
    assert.match(audit[0].at, ISO);
  });

  it('malformed host bodies give 400 naming the field, and change nothing', async () => {
    const before = (await controller.store.listHosts()).length;
    const auditBefore = (await controllerAudit(controller.store)).length;
    const cases: Array<[unknown, RegExp]> = [
      [{ ...newHost, macs: ['zz:54:00:aa:bb:cc'] }, /body\.macs\[0\]: invalid MAC address "zz:54:00:aa:bb:cc"/],
      [{ ...newHost, macs: [] }, /body\.macs: at least one MAC address is required/],
      [{ ...newHost, macs: ['52:54:00:aa:bb:cc', '52-54-00-AA-BB-CC'] }, /body\.macs\[1\]: duplicate MAC address 52:54:00:aa:bb:cc/],
      [{ ...newHost, ip: '10.0.0.300' }, /body\.ip: must be an IPv4 or IPv6 address/],
      [{ ...newHost, name: 'HV_2' }, /body\.name: must be a DNS label/],
      [{ ...newHost, role: 'backup' }, /body\.role:/],
      [{ ...newHost, colour: 'red' }, /body\.colour: unknown key/],
      [{ ...newHost, capacity: { cores: 0, ramGb: 1, diskTb: 1 } }, /body\.capacity\.cores:/],
      [{ ...newHost, capacity: undefined }, /body\.capacity: is required/],
    ];
    for (const [payload, re] of cases) {
      const res = await api({ method: 'POST', url: '/hosts', payload: payload as object });
      assert.equal(res.statusCode, 400, res.body);
      const body = res.json();
      assert.equal(body.error, 'RRC_ERR_VALIDATION');
      assert.match(body.message, re);
      assert.ok(Array.isArray(body.details));
    }
    assert.equal((await controller.store.listHosts()).length, before);
    assert.equal((await controllerAudit(controller.store)).length, auditBefore);
    assert.equal((await controller.store.listAudit({ outcome: 'refused', actor: 'api' })).length, cases.length);
  });

  it('invalid JSON is a 400 in the same error shape', async () => {
    const res = await api({ method: 'POST', url: '/hosts', payload: '{"name":', headers: { 'content-type': 'application/json' } });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'RRC_ERR_VALIDATION');
  });

  it('duplicate name and duplicate MAC pass through as 409', async () => {
    const dupName = await api({ method: 'POST', url: '/hosts', payload: { ...newHost, name: 'hv1' } });
    assert.equal(dupName.statusCode, 409);
    assert.equal(dupName.json().error, 'RRC_ERR_CONFLICT');
    const dupMac = await api({ method: 'POST', url: '/hosts', payload: { ...newHost, macs: ['52:54:00:00:00:01'] } });
    assert.equal(dupMac.statusCode, 409);
    assert.match(dupMac.json().message, /52:54:00:00:00:01/);
  });

  it('unknown host gives 404; unknown route too', async () => {
    for (const [method, url] of [['GET', '/hosts/nope'], ['DELETE', '/hosts/nope'], ['POST', '/hosts/nope/confirm-off'], ['GET', '/nowhere']] as const) {
      const res = await api({ method, url });
      assert.equal(res.statusCode, 404, `${method} ${url}`);
      assert.equal(res.json().error, 'RRC_ERR_NOT_FOUND');
    }
  });

  it('GET /hosts/:name has the record, its status and the VMs on it', async () => {
    const res = await api({ method: 'GET', url: '/hosts/hv1' });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.host.name, 'hv1');
    assert.equal(body.status.targetId, 'host:hv1');
    assert.match(body.status.since, ISO);
    assert.deepEqual(body.vms.map((v: { name: string }) => v.name), ['web1']);
  });

  it('DELETE answers 204, and 409 while VMs live on the host', async () => {
    assert.equal((await api({ method: 'DELETE', url: '/hosts/hv1' })).statusCode, 409);
    const vm = await api({ method: 'DELETE', url: '/vms/web1' });
    assert.equal(vm.statusCode, 204);
    assert.equal(vm.body, '');
    assert.equal((await api({ method: 'DELETE', url: '/hosts/hv1' })).statusCode, 204);
    assert.equal((await api({ method: 'GET', url: '/hosts/hv1' })).statusCode, 404);
  });

  it('POST /vms defaults currentHost and priority; unknown host is 404; bad uuid is 400', async () => {
    const spec = { name: 'db1', uuid: UUID1.replace('01', '02').toUpperCase(), homeHost: 'hv1', resources: { cores: 2, ramGb: 8, diskGb: 50 }, serviceCheck: { kind: 'tcp', port: 5432 } };
    const res = await api({ method: 'POST', url: '/vms', payload: spec });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().currentHost, 'hv1');
    assert.equal(res.json().priority, 0);
    assert.equal(res.json().uuid, spec.uuid.toLowerCase());
    const unknown = await api({ method: 'POST', url: '/vms', payload: { ...spec, name: 'db2', uuid: UUID1.replace('01', '03'), homeHost: 'hv9' } });
    assert.equal(unknown.statusCode, 404);
    const badUuid = await api({ method: 'POST', url: '/vms', payload: { ...spec, name: 'db3', uuid: 'nope' } });
    assert.equal(badUuid.statusCode, 400);
    assert.match(badUuid.json().message, /body\.uuid: must be a UUID/);
    const badCheck = await api({ method: 'POST', url: '/vms', payload: { ...spec, name: 'db4', serviceCheck: { kind: 'http', port: 80 } } });
    assert.equal(badCheck.statusCode, 400);
    assert.match(badCheck.json().message, /body\.serviceCheck\.path/);
  });

  it('target actions resolve host:x, vm:x and unique bare names', async () => {
    const a = await api({ method: 'POST', url: '/targets/host:hv1/maintenance', payload: { on: true } });
    assert.equal(a.statusCode, 200, a.body);
    assert.equal(a.json().phase, 'maintenance');
    const b = await api({ method: 'POST', url: '/targets/web1/maintenance', payload: { on: true } });
    assert.equal(b.json().targetId, 'vm:web1');
    assert.equal((await api({ method: 'POST', url: '/targets/vm:nope/maintenance', payload: { on: true } })).statusCode, 404);
    assert.equal((await api({ method: 'POST', url: '/targets/nope/release' })).statusCode, 404);
    const bad = await api({ method: 'POST', url: '/targets/hv1/maintenance', payload: { on: 'yes' } });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().message, /body\.on:/);
  });

  it('a bare name that is both a host and a VM is rejected as ambiguous', async () => {
    await controller.addVm(vmSpec('hv1', 'hv1', UUID1.replace('01', '05')), 'test');
    const res = await api({ method: 'POST', url: '/targets/hv1/release' });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().message, /host:hv1 or vm:hv1/);
  });

  it('rung by name opens an incident visible under /incidents, /incidents/:id and /actions', async () => {
    const res = await api({ method: 'POST', url: '/targets/vm:web1/rung', payload: { rung: 'reboot' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().rung, 1);
    assert.equal((await api({ method: 'POST', url: '/targets/web1/rung', payload: { rung: 7 } })).statusCode, 400);

    const list = (await api({ method: 'GET', url: '/incidents?open=true&target=web1' })).json();
    assert.equal(list.length, 1);
    assert.match(list[0].detectedAt, ISO);
    assert.equal(list[0].resolvedAt, null);
    const id = list[0].id as string;
    const detail = await api({ method: 'GET', url: `/incidents/${encodeURIComponent(id)}` });
    assert.equal(detail.statusCode, 200);
    assert.equal(detail.json().events.length, 1);
    assert.match(detail.json().events[0].at, ISO);
    assert.equal(detail.json().actions[0].id, `${id}/r1a1`);
    const actions = (await api({ method: 'GET', url: `/actions?incident=${encodeURIComponent(id)}` })).json();
    assert.equal(actions.length, 1);
    assert.equal((await api({ method: 'GET', url: '/incidents?open=false' })).json().length, 0);
    assert.equal((await api({ method: 'GET', url: '/incidents/nope' })).statusCode, 404);
  });

  it('bad query strings are 400 naming the parameter', async () => {
    const a = await api({ method: 'GET', url: '/incidents?limit=0' });
    assert.equal(a.statusCode, 400);
    assert.match(a.json().message, /querystring\.limit:/);
    const b = await api({ method: 'GET', url: '/incidents?colour=red' });
    assert.match(b.json().message, /querystring\.colour: unknown key/);
  });

  it('release in the wrong state is 409; from quarantine it works', async () => {
    const a = await api({ method: 'POST', url: '/targets/hv1/release' });
    assert.equal(a.statusCode, 409);
    assert.equal(a.json().error, 'RRC_ERR_INVALID_STATE');
    controller.setPhase('host:hv1', 'quarantined', 'flapping');
    const b = await api({ method: 'POST', url: '/targets/hv1/release' });
    assert.equal(b.statusCode, 200);
    assert.equal(b.json().phase, 'healthy');
  });

  it('unexpected errors are a 500 without internals', async () => {
    controller.health = async () => {
      throw new Error('password=hunter2 at /srv/db');
    };
    const res = await api({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(Object.keys(res.json()).sort(), ['error', 'message']);
    assert.doesNotMatch(res.body, /hunter2|\/srv|at /);
  });
});

describe('openapi', () => {
  let doc: { openapi: string; paths: Record<string, Record<string, unknown>> };
  const routes: Array<{ method: string; url: string }> = [];

  before(async () => {
    controller = new FakeController();
    app = buildApp({ controller });
    app.addHook('onRoute', (r) => {
      for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push({ method: m.toLowerCase(), url: r.url });
    });
    const res = await authed(app, await tokenFor(controller.store, 'viewer'))({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    doc = res.json();
  });
  after(async () => app.close());

  it('lists every route with its response schema', () => {
    assert.match(doc.openapi, /^3\.1/);
    const api = routes.filter((r) => r.url !== '/openapi.json');
    assert.ok(api.length >= 18, `only ${api.length} routes seen`);
    for (const r of api) {
      const path = r.url.replace(/:(\w+)/g, '{$1}');
      const op = doc.paths[path]?.[r.method] as { responses?: Record<string, unknown> } | undefined;
      assert.ok(op, `${r.method} ${path} missing from OpenAPI`);
      assert.ok(op.responses && Object.keys(op.responses).some((c) => c.startsWith('2')), `${r.method} ${path} has no 2xx response`);
    }
  });

  it('documents host input with MAC, defaults and strictness', () => {
    const post = doc.paths['/hosts']?.post as { requestBody: { content: Record<string, { schema: Record<string, unknown> }> } };
    const schema = post.requestBody.content['application/json']?.schema as { required: string[]; additionalProperties: boolean };
    assert.ok(schema.required.includes('macs'));
    assert.equal(schema.additionalProperties, false);
  });
});
