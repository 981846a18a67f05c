import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { DEFAULT_POLICY } from '../../../src/core/policy.js';
import {
  DEFAULT_STORE_URL,
  DEMO_SOURCE,
  defaultDemoConfig,
  loadConfig,
  parseConfig,
  parseListen,
  resolveConfig,
} from '../../../src/config/index.js';
import { secretResolver } from '../../../src/env/real/secrets.js';
import { isRrcError } from '../../../src/errors.js';
import { configHost as host } from './config-fixtures.js';

const EXAMPLE = fileURLToPath(new URL('../../../src/config/example.yaml', import.meta.url));
const noEnv = { env: {} };

const vm = (name: string, homeHost: string, uuid: string) => ({
  name,
  uuid,
  homeHost,
  resources: { cores: 1, ramGb: 2, diskGb: 10 },
});
const U1 = '11111111-2222-4333-8444-555555555551';
const U2 = '11111111-2222-4333-8444-555555555552';

/** Asserts the config is rejected as RRC_ERR_CONFIG_INVALID with a message matching `re`. */
function rejects(raw: unknown, re: RegExp): void {
  assert.throws(
    () => resolveConfig(raw, 'test.yaml', noEnv),
    (e: unknown) => {
      assert.ok(isRrcError(e, 'RRC_ERR_CONFIG_INVALID'), String(e));
      assert.match(e.message, re);
      assert.match(e.message, /^invalid configuration: test\.yaml: /);
      return true;
    },
  );
}

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), '3rc-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('loads the commented example, merging policy over the defaults', () => {
    const cfg = loadConfig(EXAMPLE, noEnv);
    assert.equal(cfg.source, EXAMPLE);
    assert.equal(cfg.environment.kind, 'real');
    assert.equal(cfg.demo, null);
    assert.equal(cfg.api.listen, '127.0.0.1:7070');
    assert.equal(cfg.inventory.hosts.length, 2);
    assert.equal(cfg.inventory.hosts[0]?.bmc?.port, 623);
    assert.equal(cfg.inventory.hosts[0]?.ssh?.port, 22);
    assert.equal(cfg.inventory.vms[0]?.currentHost, 'hv1');
    assert.equal(cfg.inventory.vms[1]?.priority, 0);
    assert.equal(cfg.policy.rungs['fence-migrate'].maxAttempts, 2);
    assert.equal(cfg.policy.rungs.reinstall.timeoutSeconds, DEFAULT_POLICY.rungs.reinstall.timeoutSeconds);
    assert.equal(cfg.policy.penalty.perIncident, DEFAULT_POLICY.penalty.perIncident);
    assert.deepEqual(cfg.secrets['ssh-key'], { file: '/etc/3rc/id_ed25519' });
  });

  it('an empty file gives every default, no demo, and DATABASE_URL overrides the store', () => {
    const cfg = parseConfig('', 'empty.yaml', noEnv);
    assert.equal(cfg.store.url, DEFAULT_STORE_URL);
    assert.deepEqual(cfg.probes, { intervalSeconds: 5, timeoutSeconds: 3, concurrency: 32, bmcRefreshSeconds: 60 });
    assert.equal(cfg.environment.kind, 'sim');
    assert.equal(cfg.demo, null);
    assert.equal(cfg.log.level, 'info');
    assert.deepEqual(cfg.policy, DEFAULT_POLICY);
    const pg = parseConfig('store: { url: "file:/x.db" }', 'x.yaml', { env: { DATABASE_URL: 'postgresql://u@db/3rc' } });
    assert.equal(pg.store.url, 'postgresql://u@db/3rc');
    assert.deepEqual(parseConfig('demo: {}', 'd.yaml', noEnv).demo, { crashEverySeconds: 45, seed: 1 });
  });

  it('without a path it is the demo lab: sim, 4 primaries + 1 spare, ~10 VMs, crashes on', () => {
    const cfg = loadConfig(undefined, noEnv);
    assert.deepEqual(cfg, defaultDemoConfig(noEnv));
    assert.equal(cfg.source, DEMO_SOURCE);
    assert.equal(cfg.environment.kind, 'sim');
    assert.deepEqual(cfg.demo, { crashEverySeconds: 45, seed: 1 });
    const roles = cfg.inventory.hosts.map((h) => `${h.name}:${h.role}`);
    assert.deepEqual(roles, ['hv1:primary', 'hv2:primary', 'hv3:primary', 'hv4:primary', 'spare1:spare']);
    assert.ok(cfg.inventory.vms.length >= 8);
    assert.ok(cfg.inventory.vms.some((v) => v.serviceCheck?.kind === 'tcp' && v.serviceCheck.restartCommand));
    for (const h of ['hv1', 'hv2', 'hv3', 'hv4']) assert.ok(cfg.inventory.vms.some((v) => v.homeHost === h), h);
  });

  it('reports a missing file and YAML syntax errors as config errors', () => {
    assert.throws(() => loadConfig(join(dir, 'nope.yaml')), /cannot read the file \(ENOENT\)/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'api:\n  listen: [oops\n');
    assert.throws(() => loadConfig(bad), (e: unknown) => isRrcError(e, 'RRC_ERR_CONFIG_INVALID') && /bad\.yaml: YAML: /.test(e.message));
    writeFileSync(bad, 'log: { level: info }\nlog: { level: debug }\n');
    assert.throws(() => loadConfig(bad), /YAML: .*[Mm]ap keys must be unique/);
  });

  it('resolves relative secret files from the config folder', () => {
    const path = join(dir, 'lab.yaml');
    writeFileSync(path, stringify({ secrets: { k: { file: 'keys/id' } } }));
    assert.deepEqual(loadConfig(path, noEnv).secrets.k, { file: join(dir, 'keys/id') });
  });
});

describe('invalid configs name the key path', () => {
  it('bad MAC', () => rejects({ inventory: { hosts: [host('hv1', 'zz:00:00:00:00:01')] } }, /inventory\.hosts\[0\]\.macs\[0\]: invalid MAC address "zz:00:00:00:00:01"/));
  it('duplicate MAC across hosts (any notation)', () =>
    rejects({ inventory: { hosts: [host('hv1', '52:54:00:00:00:01'), host('hv2', '52-54-00-00-00-01')] } }, /inventory\.hosts\[1\]\.macs\[0\]: MAC 52:54:00:00:00:01 is already used by host "hv1"/));
  it('duplicate host name', () =>
    rejects({ inventory: { hosts: [host('hv1', '52:54:00:00:00:01'), host('hv1', '52:54:00:00:00:02')] } }, /inventory\.hosts\[1\]\.name: duplicate host name "hv1"/));
  it('recoverAfter <= failAfter', () => rejects({ policy: { failAfter: 4, recoverAfter: 4 } }, /policy\.recoverAfter: recoverAfter \(4\) must be greater than failAfter \(4\)/));
  it('failAfter alone above the default recoverAfter', () => rejects({ policy: { failAfter: 9 } }, /policy\.failAfter: /));
  it('non-positive numbers', () => {
    rejects({ policy: { failAfter: 0 } }, /policy\.failAfter: Too small/);
    rejects({ policy: { rungs: { reboot: { timeoutSeconds: 0 } } } }, /policy\.rungs\.reboot\.timeoutSeconds: /);
    rejects({ policy: { rungs: { reboot: { maxAttempts: 0 } } } }, /policy\.rungs\.reboot\.maxAttempts: /);
    rejects({ policy: { penalty: { halfLifeSeconds: -1 } } }, /policy\.penalty\.halfLifeSeconds: /);
  });
  it('unknown keys, top level and nested', () => {
    rejects({ polcy: {} }, /polcy: unknown key/);
    rejects({ policy: { rungs: { rebot: {} } } }, /policy\.rungs\.rebot: unknown key/);
    rejects({ inventory: { hosts: [{ ...host('hv1', '52:54:00:00:00:01'), colour: 'red' }] } }, /inventory\.hosts\[0\]\.colour: unknown key/);
  });
  it('VM on an unknown host', () =>
    rejects({ inventory: { hosts: [host('hv1', '52:54:00:00:00:01')], vms: [vm('web1', 'hv9', U1)] } }, /inventory\.vms\[0\]\.homeHost: unknown host "hv9"/));
  it('duplicate VM name and UUID', () => {
    const hosts = [host('hv1', '52:54:00:00:00:01')];
    rejects({ inventory: { hosts, vms: [vm('a', 'hv1', U1), vm('a', 'hv1', U2)] } }, /inventory\.vms\[1\]\.name: duplicate VM name "a"/);
    rejects({ inventory: { hosts, vms: [vm('a', 'hv1', U1), vm('b', 'hv1', U1.toUpperCase())] } }, /inventory\.vms\[1\]\.uuid: UUID .* already used by VM "a"/);
  });
  it('undeclared secret, bad listen, demo on real hardware, timeout over interval', () => {
    rejects({ inventory: { hosts: [{ ...host('hv1', '52:54:00:00:00:01'), bmc: { address: '10.0.1.1', user: 'a', secretRef: 'nope' } }] } }, /inventory\.hosts\[0\]\.bmc\.secretRef: secret "nope" is not declared/);
    rejects({ api: { listen: 'localhost' } }, /api\.listen: must be host:port/);
    rejects({ environment: { kind: 'real' }, demo: {} }, /demo: injected crashes need environment\.kind sim/);
    rejects({ probes: { intervalSeconds: 2, timeoutSeconds: 3 } }, /probes\.timeoutSeconds: must not exceed intervalSeconds/);
    rejects({ secrets: { s: { env: 'A', file: '/b' } } }, /secrets\.s: give exactly one of env or file/);
    rejects({ store: { url: 'mysql://db/x' } }, /store\.url: unsupported store URL/);
  });
  it('lists every problem at once', () => rejects({ log: { level: 'loud' }, probes: { concurrency: 0 } }, /log\.level: .*; probes\.concurrency: |probes\.concurrency: .*; log\.level: /));
});

describe('helpers', () => {
  it('parseListen', () => {
    assert.deepEqual(parseListen('127.0.0.1:7070'), { host: '127.0.0.1', port: 7070 });
    assert.deepEqual(parseListen('[::1]:80'), { host: '::1', port: 80 });
    assert.equal(parseListen('host:99999'), null);
    assert.equal(parseListen(':7070'), null);
  });
  it('the secret resolver reads env without echoing the value in errors', async () => {
    const secrets = { a: { env: 'PW' } };
    assert.equal(await secretResolver(secrets, { PW: 's3cret' })('a'), 's3cret');
    await assert.rejects(secretResolver(secrets, {})('a'), /environment variable PW is not set/);
    await assert.rejects(secretResolver(secrets, {})('b'), /unknown secret ref "b" \(configured: a\)/);
  });
});
