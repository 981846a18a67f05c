/** A standby controller answers reads and refuses writes with the leader's name, changing nothing. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApp, type ApiApp } from '../../../src/api/app.js';
import { ROUTE_RULES } from '../../../src/api/auth/route-rules.js';
import type { ControllerHealth } from '../../../src/controller/types.js';
import { authed, tokenFor, type Inject } from './auth-helper.js';
import { FakeController, hostSpec } from './fake-controller.js';

/** A FakeController that follows another one: the lease is held by `ctl-a`. */
class StandbyController extends FakeController {
  holder: string | null = 'ctl-a';
  override async stepDown(): Promise<boolean> {
    return false;
  }
  override async health(): Promise<ControllerHealth> {
    return { ...(await super.health()), leader: false, holder: this.holder, epoch: 7 };
  }
}

/** A concrete URL for a route pattern (`:name` -> `hv1`). */
const urlOf = (pattern: string): string => pattern.replace(/:[a-z]+/g, (p) => (p === ':target' ? 'host:hv1' : 'hv1'));

describe('api on a standby controller', () => {
  let controller: StandbyController;
  let app: ApiApp;
  let api: Inject;

  before(async () => {
    controller = new StandbyController();
    app = buildApp({ controller });
    await app.ready();
    api = authed(app, await tokenFor(controller.store, 'admin'));
    await controller.addHost(hostSpec('hv1', '52:54:00:00:00:01'), 'test');
  });
  after(async () => app.close());

  it('answers reads', async () => {
    const hosts = await api({ method: 'GET', url: '/hosts' });
    assert.equal(hosts.statusCode, 200, hosts.body);
    const health = await api({ method: 'GET', url: '/health' });
    assert.equal(health.json().leader, false);
    assert.equal(health.json().holder, 'ctl-a');
  });

  it('refuses every write route but the step-down with 409 naming the leader, and changes nothing', async () => {
    const writes = Object.keys(ROUTE_RULES).filter((k) => !k.startsWith('GET ') && k !== 'POST /controller/step-down');
    assert.ok(writes.length >= 15, `write routes found: ${writes.length}`);
    const hostsBefore = await controller.store.listHosts();
    const tokensBefore = await controller.store.listApiTokens();
    for (const key of writes) {
      const [method, pattern] = key.split(' ') as [string, string];
      const res = await api({ method: method as 'POST' | 'DELETE', url: urlOf(pattern), payload: method === 'POST' ? {} : undefined });
      // Even with an empty body: the leader judges it.
      assert.equal(res.statusCode, 409, `${key}: ${res.body}`);
      assert.deepEqual(res.json(), { error: 'RRC_ERR_NOT_LEADER', message: 'this controller does not lead: send writes to ctl-a', leader: 'ctl-a' });
    }
    const del = await api({ method: 'DELETE', url: '/hosts/hv1' });
    assert.equal(del.statusCode, 409, del.body);
    assert.deepEqual(await controller.store.listHosts(), hostsBefore);
    assert.deepEqual(await controller.store.listApiTokens(), tokensBefore);
    assert.equal(controller.calls.length, 0, 'no driver call');
  });

  it('says when no controller leads', async () => {
    controller.holder = null;
    const res = await api({ method: 'POST', url: '/targets/host:hv1/maintenance', payload: {} });
    assert.equal(res.statusCode, 409, res.body);
    assert.equal(res.json().leader, null);
    assert.match(res.json().message, /no leader is known/);
    controller.holder = 'ctl-a';
  });

  it('lets the step-down answer for itself', async () => {
    const res = await api({ method: 'POST', url: '/controller/step-down' });
    assert.equal(res.statusCode, 409, res.body);
    assert.equal(res.json().error, 'RRC_ERR_INVALID_STATE');
  });

  it('the leader takes writes', async () => {
    const leader = new FakeController();
    const leaderApp = buildApp({ controller: leader });
    await leaderApp.ready();
    try {
      await leader.addHost(hostSpec('hv2', '52:54:00:00:00:02'), 'test');
      const res = await authed(leaderApp, await tokenFor(leader.store, 'admin'))({ method: 'DELETE', url: '/hosts/hv2' });
      assert.ok(res.statusCode < 300, res.body);
      assert.deepEqual(await leader.store.listHosts(), []);
    } finally {
      await leaderApp.close();
    }
  });
});
