/**
 * The controller service as an operator meets it: the composition root with the demo lab, its HTTP
 * API, and bad input of every kind refused with a clear error and nothing changed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultDemoConfig, parseConfig } from '../../src/config/index.js';
import { startService, type RunningService } from '../../src/service/index.js';

describe('controller service with the demo lab', () => {
  let service: RunningService;
  // The first start writes an admin token to api.tokenFile: the test reads it as an operator would.
  const dir = mkdtempSync(join(tmpdir(), '3rc-service-'));
  let token = '';
  const api = (path: string, init?: RequestInit) =>
    fetch(`${service.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init?.headers as Record<string, string> | undefined) }, signal: AbortSignal.timeout(10_000) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const json = async (res: Response | Promise<Response>): Promise<any> => (await res).json();
  const post = (path: string, body: unknown) => api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  before(async () => {
    const config = defaultDemoConfig();
    config.store.url = 'memory:';
    config.demo = null;
    config.api.tokenFile = join(dir, 'admin-token');
    service = await startService(config, { listen: { host: '127.0.0.1', port: 0 }, logger: (await import('pino')).pino({ level: 'silent' }) });
    token = readFileSync(config.api.tokenFile, 'utf8').trim();
  });
  after(async () => {
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('serves health, status and the OpenAPI document', async () => {
    const health = await json(api('/health'));
    assert.equal(health.env, 'sim');
    assert.equal(health.store, 'memory');
    const status = (await (await api('/status')).json()) as Array<{ targetId: string }>;
    assert.ok(status.some((s) => s.targetId === 'host:spare1'));
    const doc = await json(api('/openapi.json'));
    assert.ok(doc.paths['/incidents/{id}']);
  });

  test('a duplicate MAC is refused with 409 and nothing is added', async () => {
    const hosts = (await (await api('/hosts')).json()) as Array<{ name: string; macs: string[] }>;
    const taken = hosts[0]!.macs[0]!;
    const res = await post('/hosts', {
      name: 'hv9', role: 'primary', macs: [taken], ip: '198.18.0.99', hypervisorUri: 'test:///default',
      capacity: { cores: 8, ramGb: 32, diskTb: 1 },
    });
    assert.equal(res.status, 409);
    const body = await json(res);
    assert.equal(body.error, 'RRC_ERR_CONFLICT');
    assert.match(body.message, new RegExp(taken));
    assert.equal(((await (await api('/hosts')).json()) as unknown[]).length, hosts.length);
    assert.equal(service.controller.targetStatus('host:hv9'), null);
  });

  test('a malformed body is 400 naming the field; an unknown host is 404', async () => {
    const before = ((await (await api('/vms')).json()) as unknown[]).length;
    const bad = await post('/vms', { name: 'x1', uuid: 'not-a-uuid', homeHost: 'hv1', resources: { cores: 1, ramGb: 1, diskGb: 1 } });
    assert.equal(bad.status, 400);
    assert.match((await json(bad)).message, /uuid/);
    const unknownHost = await post('/vms', { name: 'x2', uuid: '11111111-2222-4333-8444-555555555555', homeHost: 'nope', resources: { cores: 1, ramGb: 1, diskGb: 1 } });
    assert.equal(unknownHost.status, 404);
    assert.equal(((await (await api('/vms')).json()) as unknown[]).length, before);
    assert.equal((await api('/hosts/nope')).status, 404);
    assert.equal((await api('/targets/host:nope/release', { method: 'POST' })).status, 404);
  });

  test('maintenance on and off are audited and change the phase', async () => {
    const on = await post('/targets/vm:web1/maintenance', { on: true });
    assert.equal(on.status, 200);
    assert.equal(service.controller.targetStatus('vm:web1')!.phase, 'maintenance');
    await post('/targets/vm:web1/maintenance', { on: false });
    assert.equal(service.controller.targetStatus('vm:web1')!.phase, 'healthy');
    const audit = (await (await api('/audit')).json()) as Array<{ action: string; actor: string }>;
    assert.ok(audit.some((a) => a.action === 'maintenance.on' && a.actor === 'admin'));
  });
});

test('an invalid config is refused before anything starts, with the key path', () => {
  assert.throws(
    () => parseConfig('policy: { failAfter: 5, recoverAfter: 3 }\ninventory: { hosts: [], vms: [] }\n', 'bad.yaml'),
    (e: Error & { code?: string }) => e.code === 'RRC_ERR_CONFIG_INVALID' && /recoverAfter/.test(e.message) && /bad\.yaml/.test(e.message),
  );
});
