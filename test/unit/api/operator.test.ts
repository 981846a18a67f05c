/** The operator routes over the drivers, through app.inject and the FakeController. */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { buildApp, type ApiApp } from '../../../src/api/app.js';
import { RrcError } from '../../../src/errors.js';
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
  await controller.addVm({ ...vmSpec('web1', 'hv1', UUID1), serviceCheck: { kind: 'tcp', port: 80 } }, 'test');
}


describe('operator api', () => {
  beforeEach(fresh);
  after(async () => app.close());

  it('host power: GET reads the state without auditing; POST changes it as the actor', async () => {
    const get = await api({ method: 'GET', url: '/hosts/hv1/power' });
    assert.equal(get.statusCode, 200, get.body);
    assert.deepEqual(get.json(), { host: 'hv1', op: 'status', power: 'on' });
    const audits = (await controllerAudit(controller.store)).length;

    const off = await api({ method: 'POST', url: '/hosts/hv1/power', payload: { op: 'off' }, headers: alice });
    assert.equal(off.statusCode, 200, off.body);
    assert.deepEqual(off.json(), { host: 'hv1', op: 'off', power: 'off' });
    const cycle = await api({ method: 'POST', url: '/hosts/hv1/power', payload: { op: 'cycle' } });
    assert.equal(cycle.json().power, 'on');

    assert.deepEqual(controller.calls.map((c) => c.args), [['hv1', 'status', 'api'], ['hv1', 'off', 'alice'], ['hv1', 'cycle', 'api']]);
    const audit = await controllerAudit(controller.store);
    assert.equal(audit.length, audits + 2);
    assert.deepEqual(audit.slice(0, 2).map((a) => [a.actor, a.action]).sort(), [['alice', 'host.power.off'], ['api', 'host.power.cycle']]);
  });

  it('bad bodies are 400 naming the field, and reach no driver', async () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['/hosts/hv1/power', { op: 'status' }, /body\.op: must be one of on, off, cycle/],
      ['/hosts/hv1/power', { op: 'reset' }, /body\.op: must be one of on, off, cycle/],
      ['/hosts/hv1/power', {}, /body\.op: is required/],
      ['/hosts/hv1/power', { op: 'on', force: true }, /body\.force: unknown key/],
      ['/hosts/hv1/bootdev', { device: 'cdrom' }, /body\.device: must be one of pxe, disk/],
      ['/vms/web1/move', {}, /body\.to: is required/],
      ['/vms/web1/move', { to: 'Spare_1' }, /body\.to: must be a DNS label/],
    ];
    for (const [url, payload, re] of cases) {
      const res = await api({ method: 'POST', url, payload: payload as object });
      assert.equal(res.statusCode, 400, `${url} ${JSON.stringify(payload)}: ${res.body}`);
      assert.equal(res.json().error, 'RRC_ERR_VALIDATION');
      assert.match(res.json().message, re);
    }
    const noBody = await api({ method: 'POST', url: '/hosts/hv1/power' });
    assert.equal(noBody.statusCode, 400);
    assert.deepEqual(controller.calls, []);
  });

  it('unknown hosts and VMs are 404 on every route, before the controller is called', async () => {
    const routes: Array<[string, string, object?]> = [
      ['GET', '/hosts/nope/power'],
      ['POST', '/hosts/nope/power', { op: 'on' }],
      ['POST', '/hosts/nope/bootdev', { device: 'pxe' }],
      ['POST', '/hosts/nope/fence'],
      ['GET', '/hosts/nope/probe'],
      ['GET', '/vms/nope/probe'],
      ['POST', '/vms/nope/reboot'],
      ['POST', '/vms/nope/restart'],
      ['POST', '/vms/nope/move', { to: 'spare1' }],
      ['POST', '/vms/web1/move', { to: 'hv9' }],
    ];
    for (const [method, url, payload] of routes) {
      const res = await api({ method: method as 'GET' | 'POST', url, ...(payload ? { payload } : {}) });
      assert.equal(res.statusCode, 404, `${method} ${url}: ${res.body}`);
      assert.equal(res.json().error, 'RRC_ERR_NOT_FOUND');
      assert.match(res.json().message, /^(host|vm) "(nope|hv9)" not found$/);
    }
    assert.deepEqual(controller.calls, []);
  });

  it('bootdev sets the next boot device', async () => {
    const res = await api({ method: 'POST', url: '/hosts/hv1/bootdev', payload: { device: 'pxe' }, headers: alice });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { host: 'hv1', device: 'pxe' });
    assert.equal(controller.bootDevice.get('hv1'), 'pxe');
    assert.deepEqual((await controllerAudit(controller.store, 1))[0]?.details, { device: 'pxe' });
  });

  it('fence answers the confirmation time in ISO; an unconfirmed fence is a 409 with the reason', async () => {
    const ok = await api({ method: 'POST', url: '/hosts/hv1/fence', headers: alice });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.match(ok.json().confirmedAt, ISO);
    assert.deepEqual(ok.json(), { host: 'hv1', confirmedAt: new Date(controller.clock).toISOString(), offAttempts: 1 });
    assert.equal((await controller.store.getHost('hv1'))?.state, 'fenced');

    controller.failNext('hostFence', new RrcError('RRC_ERR_FENCE_UNCONFIRMED', 'BMC still reports power on after 3 power-off commands (30s)'));
    const bad = await api({ method: 'POST', url: '/hosts/spare1/fence' });
    assert.equal(bad.statusCode, 409);
    assert.deepEqual(bad.json(), {
      error: 'RRC_ERR_FENCE_UNCONFIRMED',
      message: 'fencing could not be confirmed: BMC still reports power on after 3 power-off commands (30s)',
    });
  });

  it('driver errors keep their code and status', async () => {
    const cases: Array<[Parameters<FakeController['failNext']>[0], RrcError, string, string, number]> = [
      ['hostPower', new RrcError('RRC_ERR_DRIVER_TIMEOUT', 'ipmi chassis status on hv1 after 10s'), 'GET', '/hosts/hv1/power', 504],
      ['hostBootDevice', new RrcError('RRC_ERR_AUTH', 'BMC 10.0.1.1 refused user admin'), 'POST', '/hosts/hv1/bootdev', 502],
      ['hostProbe', new RrcError('RRC_ERR_UNREACHABLE', 'BMC 10.0.1.1'), 'GET', '/hosts/hv1/probe', 502],
      ['vmPower', new RrcError('RRC_ERR_INVALID_STATE', 'vm:web1 has a recovery action running'), 'POST', '/vms/web1/reboot', 409],
      ['vmMove', new RrcError('RRC_ERR_INVALID_STATE', 'vm:web1 could not be stopped on hv1'), 'POST', '/vms/web1/move', 409],
    ];
    for (const [method, err, verb, url, status] of cases) {
      controller.failNext(method, err);
      const payload = url.endsWith('bootdev') ? { device: 'disk' } : url.endsWith('move') ? { to: 'spare1' } : undefined;
      const res = await api({ method: verb as 'GET' | 'POST', url, ...(payload ? { payload } : {}) });
      assert.equal(res.statusCode, status, `${url}: ${res.body}`);
      assert.deepEqual(res.json(), { error: err.code, message: err.message });
    }
    assert.equal((await controller.store.getVm('web1'))?.currentHost, 'hv1');
  });

  it('host probe returns every probe result and the signature', async () => {
    const ok = await api({ method: 'GET', url: '/hosts/hv1/probe' });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json(), {
      host: 'hv1',
      observation: { bmcReachable: true, power: 'on', reachable: true, shellOk: null, hypervisorOk: true },
      signature: { code: 'ok', healthy: true, summary: 'host healthy' },
    });
    controller.hostObservations.set('hv1', { shellOk: false, details: { ssh: 'timeout after 3s' }, extra: 1 } as object);
    const hung = (await api({ method: 'GET', url: '/hosts/hv1/probe' })).json();
    assert.deepEqual(hung.observation.details, { ssh: 'timeout after 3s' });
    assert.equal(hung.observation.extra, undefined);
    assert.deepEqual(hung.signature, { code: 'host-os-hung', healthy: false, summary: 'host accepts TCP but no command runs' });
  });

  it('vm probe names the host probed and the signature', async () => {
    controller.vmObservations.set('web1', { domain: 'crashed' });
    const res = await api({ method: 'GET', url: '/vms/web1/probe' });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.vm, 'web1');
    assert.equal(body.host, 'hv1');
    assert.deepEqual(body.observation, { hostDown: false, hypervisorOk: true, domain: 'crashed', guestReachable: true, serviceOk: true });
    assert.equal(body.signature.code, 'vm-crashed');
  });

  it('vm reboot and restart call the controller with the op and the actor', async () => {
    const reboot = await api({ method: 'POST', url: '/vms/web1/reboot', headers: alice });
    assert.equal(reboot.statusCode, 200, reboot.body);
    assert.deepEqual(reboot.json(), { vm: 'web1', host: 'hv1', op: 'reboot' });
    const restart = await api({ method: 'POST', url: '/vms/web1/restart' });
    assert.deepEqual(restart.json(), { vm: 'web1', host: 'hv1', op: 'restart' });
    assert.deepEqual(controller.calls, [
      { method: 'vmPower', args: ['web1', 'reboot', 'alice'] },
      { method: 'vmPower', args: ['web1', 'restart', 'api'] },
    ]);
  });

  it('vm move returns from, to and the updated record; moving onto its own host is a 409', async () => {
    const res = await api({ method: 'POST', url: '/vms/web1/move', payload: { to: 'spare1' }, headers: alice });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.from, 'hv1');
    assert.equal(body.to, 'spare1');
    assert.equal(body.vm.currentHost, 'spare1');
    assert.equal(body.vm.homeHost, 'hv1');
    assert.match(body.vm.updatedAt, ISO);
    assert.deepEqual(controller.calls, [{ method: 'vmMove', args: ['web1', 'spare1', 'alice'] }]);

    const again = await api({ method: 'POST', url: '/vms/web1/move', payload: { to: 'spare1' } });
    assert.equal(again.statusCode, 409);
    assert.match(again.json().message, /already runs on spare1/);
    assert.equal(controller.calls.length, 1);
  });

  it('the x-3rc-actor header is ignored: the actor is the token\'s name', async () => {
    const res = await api({ method: 'POST', url: '/hosts/hv1/fence', headers: { 'x-3rc-actor': 'mallory' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual((await controllerAudit(controller.store)).map((a) => a.actor).filter((a) => a === 'mallory'), []);
  });
});

describe('operator openapi', () => {
  let doc: { paths: Record<string, Record<string, { responses?: Record<string, unknown>; requestBody?: { content: Record<string, { schema: { properties: Record<string, { enum?: string[] }> } }> } }>> };

  before(async () => {
    const fake = new FakeController();
    const a = buildApp({ controller: fake });
    doc = (await authed(a, await tokenFor(fake.store, 'viewer'))({ method: 'GET', url: '/openapi.json' })).json();
    await a.close();
  });

  it('documents every operator route with a 2xx response, and the body enums', () => {
    const routes: Array<[string, string]> = [
      ['get', '/hosts/{name}/power'],
      ['post', '/hosts/{name}/power'],
      ['post', '/hosts/{name}/bootdev'],
      ['post', '/hosts/{name}/fence'],
      ['get', '/hosts/{name}/probe'],
      ['get', '/vms/{name}/probe'],
      ['post', '/vms/{name}/reboot'],
      ['post', '/vms/{name}/restart'],
      ['post', '/vms/{name}/move'],
    ];
    for (const [method, path] of routes) {
      const op = doc.paths[path]?.[method];
      assert.ok(op, `${method} ${path} missing`);
      assert.ok(op.responses?.['200'], `${method} ${path} has no 200`);
      assert.ok(op.responses?.['409'] && op.responses['404'], `${method} ${path} lacks error responses`);
    }
    const body = (path: string) => doc.paths[path]?.post?.requestBody?.content['application/json']?.schema.properties;
    assert.deepEqual(body('/hosts/{name}/power')?.op?.enum, ['on', 'off', 'cycle']);
    assert.deepEqual(body('/hosts/{name}/bootdev')?.device?.enum, ['pxe', 'disk']);
    assert.ok(body('/vms/{name}/move')?.to);
  });
});
