/**
 * Generated from ROUTE_RULES: for every route, no token is 401, a token one role too low is 403,
 * a malformed body is 400 naming the field, a wrong Host is 421, and after every refused call the
 * store (inventory, tokens, the controller's audit, target states) is exactly as before; each
 * refused write leaves one audit entry with outcome "refused".
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { buildApp, type ApiApp } from '../../../src/api/app.js';
import { ROUTE_RULES } from '../../../src/api/auth/route-rules.js';
import { defaultApiAccess } from '../../../src/api/schemas/api-access.js';
import { ROLES, type Role } from '../../../src/store/types.js';
import { bearer, controllerAudit, tokenFor } from './auth-helper.js';
import { FakeController, hostSpec, vmSpec } from './fake-controller.js';

const PARAMS: Record<string, string> = { ':target': 'host:hv1', ':id': encodeURIComponent('host:hv1#1') };

/** A concrete URL for a route pattern: names that exist, so a refusal is never a 404 in disguise. */
function concrete(url: string): string {
  return url
    .replace(':target', PARAMS[':target'] as string)
    .replace(':id', PARAMS[':id'] as string)
    .replace(/^\/(hosts)\/:name/, '/$1/hv1')
    .replace(/^\/(vms)\/:name/, '/$1/web1')
    .replace(/^\/(tokens)\/:name/, '/$1/viewer');
}

const routes = Object.entries(ROUTE_RULES).map(([key, access]) => {
  const [method, url] = key.split(' ') as [string, string];
  return { key, method, url, access };
});

let controller: FakeController;
let app: ApiApp;
const tokens = {} as Record<Role, string>;

async function snapshot(): Promise<string> {
  const s = controller.store;
  return JSON.stringify({
    hosts: await s.listHosts(),
    vms: await s.listVms(),
    tokens: await s.listApiTokens(),
    audit: await controllerAudit(s),
    status: controller.status(),
    calls: controller.calls.length,
  });
}

describe('route table', () => {
  before(async () => {
    controller = new FakeController();
    app = buildApp({ controller, access: { metricsOpen: false, allow: { ...defaultApiAccess().allow, secretRefs: [] } } });
    await app.ready();
    await controller.addHost(hostSpec('hv1', '52:54:00:00:00:01'), 'test');
    await controller.addHost(hostSpec('spare1', '52:54:00:00:00:09', 'spare'), 'test');
    await controller.addVm(vmSpec('web1', 'hv1', '6f1c7c6e-2b1a-4c47-9a53-0d6a3b0e1a01'), 'test');
    for (const role of ROLES) tokens[role] = await tokenFor(controller.store, role);
  });

  it('every rule names a registered route', () => {
    for (const r of routes) assert.ok(app.hasRoute({ method: r.method as 'GET', url: r.url }), `${r.key} is in ROUTE_RULES but not registered`);
  });

  it('a route missing from the table cannot be registered', async () => {
    const a = buildApp({ controller: new FakeController() });
    assert.throws(() => a.get('/not-in-the-table', async () => 'open'), /GET \/not-in-the-table has no entry in ROUTE_RULES/);
    await a.close();
  });

  for (const r of routes.filter((x) => x.access !== 'public')) {
    it(`${r.key}: no token 401, a bad token 401, ${r.access === 'viewer' || r.access === 'metrics' ? '' : 'one role too low 403, '}nothing changed`, async () => {
      const before = await snapshot();
      const refusedBefore = (await controller.store.listAudit({ outcome: 'refused' })).length;
      const url = concrete(r.url);
      const none = await app.inject({ method: r.method as 'GET', url, payload: r.method === 'GET' || r.method === 'DELETE' ? undefined : {} });
      assert.equal(none.statusCode, 401, none.body);
      assert.equal(none.json().error, 'RRC_ERR_UNAUTHENTICATED');
      assert.match(String(none.headers['www-authenticate']), /^Bearer/);
      const forged = await app.inject({ method: r.method as 'GET', url, headers: bearer(`3rc_${'A'.repeat(43)}`) });
      assert.equal(forged.statusCode, 401, forged.body);
      const needed = r.access === 'metrics' ? 'viewer' : (r.access as Role);
      const lower = ROLES[ROLES.indexOf(needed) - 1];
      if (lower !== undefined) {
        const low = await app.inject({ method: r.method as 'GET', url, headers: bearer(tokens[lower]), payload: r.method === 'POST' ? {} : undefined });
        assert.equal(low.statusCode, 403, low.body);
        assert.match(low.json().message, new RegExp(`\\(${lower}\\).*needs ${needed}`));
      }
      assert.equal(await snapshot(), before);
      const writes = r.method === 'GET' ? 0 : lower === undefined ? 2 : 3;
      assert.equal((await controller.store.listAudit({ outcome: 'refused' })).length - refusedBefore, writes, 'one refused entry per refused write');
    });
  }

  it('a malformed body is 400 naming the field, with the right role, and changes nothing', async () => {
    const withBody = routes.filter((r) => r.method === 'POST');
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json', headers: bearer(tokens.viewer) })).json() as {
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    };
    let checked = 0;
    for (const r of withBody) {
      if (!doc.paths[r.url.replace(/:(\w+)/g, '{$1}')]?.post?.requestBody) continue;
      const before = await snapshot();
      const res = await app.inject({ method: 'POST', url: concrete(r.url), headers: bearer(tokens.admin), payload: { bogus: 1 } });
      assert.equal(res.statusCode, 400, `${r.key}: ${res.body}`);
      assert.match(res.json().message, /body\.\w+/, r.key);
      assert.equal(await snapshot(), before, r.key);
      checked++;
    }
    assert.ok(checked >= 8, `only ${checked} routes with a body`);
  });

  it('a Host header that is not ours is 421 before the token is looked at', async () => {
    const res = await app.inject({ method: 'GET', url: '/status', headers: { ...bearer(tokens.admin), host: 'evil.example:7070' } });
    assert.equal(res.statusCode, 421);
    assert.equal(res.json().error, 'RRC_ERR_MISDIRECTED');
    assert.equal((await app.inject({ method: 'GET', url: '/health', headers: { host: '127.0.0.1:7070' } })).statusCode, 200);
  });

  it('/health needs no token; /metrics needs one unless opened', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
    const open = buildApp({ controller, access: { metricsOpen: true } });
    const res = await open.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /^rrc_targets 3$/m);
    await open.close();
  });
});
