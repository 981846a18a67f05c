/**
 * `3rc config check`: every problem in one run with its key path (schema and semantic checks),
 * exit codes and --json through the real launcher.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { checkConfigText, summaryLine, type ConfigReport } from '../../../src/config/check-config.js';
import { configHost } from './config-fixtures.js';

const BIN = fileURLToPath(new URL('../../../bin/3rc.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), '3rc-config-check-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const U = (n: number) => `11111111-2222-4333-8444-55555555555${n}`;
const vm = (name: string, homeHost: string, n: number, ramGb = 4) => ({ name, uuid: U(n), homeHost, resources: { cores: 2, ramGb, diskGb: 20 } });
const host = (name: string, i: number, extra: Record<string, unknown> = {}) =>
  configHost(name, `52:54:00:00:00:0${i}`, { ip: `10.0.0.${i}`, ...extra });

function check(cfg: unknown, env: NodeJS.ProcessEnv = {}): ConfigReport {
  return checkConfigText(stringify(cfg), 'lab.yaml', { env, configDir: dir });
}

const at = (r: ConfigReport, path: string) => r.problems.filter((p) => p.path === path);
function has(r: ConfigReport, path: string, re: RegExp, severity: 'error' | 'warning' = 'error'): void {
  const found = at(r, path);
  assert.ok(
    found.some((p) => p.severity === severity && re.test(p.message)),
    `expected ${severity} at ${path} matching ${re}; got:\n${r.problems.map((p) => `${p.severity} ${p.path}: ${p.message}`).join('\n')}`,
  );
}

/** A valid simulated lab: two primaries and a spare, room for N+1. */
const goodLab = () => ({
  inventory: {
    hosts: [host('hv1', 1), host('hv2', 2), host('spare1', 3, { role: 'spare' })],
    vms: [vm('web1', 'hv1', 1), vm('db1', 'hv2', 2)],
  },
});

describe('config check', () => {
  it('a valid file: ok, no problems, a one-line summary', () => {
    const r = check(goodLab());
    assert.deepEqual(r.problems, []);
    assert.equal(r.ok, true);
    assert.equal(summaryLine(r), 'lab.yaml: ok (3 hosts, 2 VMs, environment sim)');
  });

  it('reports schema and semantic problems together, each with its key path', () => {
    const lab = goodLab();
    lab.inventory.hosts.push(
      // Duplicate name, MAC, address; the host's capacity is incomplete (so the schema's own
      // cross-checks do not run: ours must still find the duplicates).
      host('hv1', 1, { capacity: { cores: 8, ramGb: 64 } }),
      host('hv4', 4, { bmc: { address: '300.1.1.1', user: 'admin', secretRef: 'bmc' } }),
    );
    lab.inventory.vms.push(vm('lost', 'hv9', 3), vm('huge', 'hv2', 4, 1000));
    const r = check({ ...lab, secrets: { bmc: { env: 'BMC_PW' } } }, { BMC_PW: 'x' });
    assert.equal(r.ok, false);
    has(r, 'inventory.hosts[3].capacity.diskTb', /required/);
    has(r, 'inventory.hosts[3].name', /duplicate host name "hv1"/);
    has(r, 'inventory.hosts[3].macs[0]', /MAC 52:54:00:00:00:01 is already used by host "hv1"/);
    has(r, 'inventory.hosts[3].ip', /already host "hv1"/);
    has(r, 'inventory.hosts[4].bmc.address', /expected an IPv4 address/);
    has(r, 'inventory.vms[2].homeHost', /unknown host "hv9"/);
    has(r, 'inventory.vms[3].resources', /fits on no host/);
    // Each problem once, even where the schema and our checks both see it.
    const paths = r.problems.map((p) => `${p.path} ${p.check}`);
    assert.equal(new Set(paths).size, paths.length, paths.join('\n'));
  });

  it('two hosts on one BMC, and a BMC password written inline', () => {
    const bmc = { address: '10.0.1.1', user: 'admin', secretRef: 'bmc' };
    const lab = goodLab();
    lab.inventory.hosts[0] = host('hv1', 1, { bmc });
    lab.inventory.hosts[1] = host('hv2', 2, { bmc: { ...bmc, password: 'hunter2' } });
    const r = check({ ...lab, secrets: { bmc: { env: 'BMC_PW' } } }, { BMC_PW: 'x' });
    has(r, 'inventory.hosts[1].bmc.address', /fencing one host would power off the other/);
    has(r, 'inventory.hosts[1].bmc.password', /never goes in the config.*secretRef/);
    assert.equal(at(r, 'inventory.hosts[1].bmc.password').length, 1, 'not also reported as an unknown key');
  });

  it('N+1: a host whose VMs find no room elsewhere, and no spare', () => {
    const r = check({
      inventory: {
        hosts: [host('hv1', 1, { capacity: { cores: 16, ramGb: 128, diskTb: 1 } }), host('hv2', 2)],
        vms: [vm('a', 'hv1', 1, 40), vm('b', 'hv1', 2, 20), vm('c', 'hv2', 3, 30)],
      },
    });
    assert.equal(r.ok, true, 'warnings only');
    has(r, 'inventory.hosts', /no host has role spare/, 'warning');
    has(r, 'inventory.hosts[0]', /N\+1 not met: if hv1 fails, 1 of its 2 VMs find no room.*\(a\)$/, 'warning');
    assert.equal(at(r, 'inventory.hosts[1]').length, 0, 'hv2\'s one VM fits on hv1');
  });

  it('time budgets: a rung shorter than its verification, a VM reboot longer than its rung', () => {
    const r = check({
      ...goodLab(),
      probes: { intervalSeconds: 10, timeoutSeconds: 3 },
      policy: { vmShutdownTimeoutSeconds: 280, rungs: { 'service-restart': { timeoutSeconds: 40 } } },
    });
    has(r, 'policy.rungs.service-restart.timeoutSeconds', /verifying it takes at least 53 s/);
    has(r, 'policy.vmShutdownTimeoutSeconds', /not below rungs.reboot.timeoutSeconds \(300\)/);
  });

  it('secrets: a missing file, a group-readable file, an unset variable; TLS files', () => {
    const loose = join(dir, 'loose.key');
    const tight = join(dir, 'tight.key');
    writeFileSync(loose, 'k');
    chmodSync(loose, 0o640);
    writeFileSync(tight, 'k');
    chmodSync(tight, 0o600);
    const r = check({
      ...goodLab(),
      api: { tls: { certFile: 'missing.crt', keyFile: loose } },
      secrets: { a: { file: 'nope.key' }, b: { file: loose }, c: { file: tight }, d: { env: 'UNSET_VAR' } },
    });
    has(r, 'secrets.a.file', /nope\.key does not exist/);
    has(r, 'secrets.b.file', /mode 0640: group or others can read it/);
    assert.equal(at(r, 'secrets.c.file').length, 0);
    has(r, 'secrets.d.env', /UNSET_VAR is not set/, 'warning');
    has(r, 'api.tls.certFile', /missing\.crt does not exist/);
    has(r, 'api.tls.keyFile', /group or others can read it/);
  });

  it('exposure: a network listener without TLS, a real controller without a self-check, a store password', () => {
    const r = check({
      ...goodLab(),
      environment: { kind: 'real' },
      api: { listen: '0.0.0.0:7070' },
      store: { url: 'postgresql://rrc:pw@db/3rc' },
    });
    has(r, 'api.listen', /without api.tls/, 'warning');
    has(r, 'witnesses.selfCheck', /no self-check address/, 'warning');
    has(r, 'store.url', /carries a password/, 'warning');
    has(r, 'inventory.hosts[0].bmc', /has no BMC/, 'warning');
  });

  it('YAML errors are reported, every one', () => {
    const r = checkConfigText('a: 1\na: 2\nb: [\n', 'bad.yaml');
    assert.equal(r.ok, false);
    assert.ok(r.problems.length >= 2, JSON.stringify(r.problems));
    assert.ok(r.problems.every((p) => p.path === '(yaml)'));
  });
});

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('3rc config check (the launcher)', () => {
  const good = join(dir, 'good.yaml');
  const bad = join(dir, 'bad.yaml');
  writeFileSync(good, stringify(goodLab()));
  const badLab = goodLab();
  badLab.inventory.hosts[2] = host('hv1', 3);
  writeFileSync(bad, stringify({ ...badLab, probes: { intervalSeconds: 'often' } }));

  it('exit 0 and one summary line when fine', async () => {
    const r = await run(['config', 'check', good]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${good}: ok (3 hosts, 2 VMs, environment sim)\n`);
    assert.equal(r.stderr, '');
  });

  it('exit 1, every problem on stdout with its path, one error line on stderr', async () => {
    const r = await run(['config', 'check', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^error {4}probes\.intervalSeconds: /m);
    assert.match(r.stdout, /^error {4}inventory\.hosts\[2\]\.name: duplicate host name "hv1"/m);
    assert.match(r.stdout, /^warning {2}inventory\.hosts: no host has role spare/m);
    assert.match(r.stdout, /: 2 errors, 1 warning \(3 hosts, 2 VMs, environment sim\)\n$/);
    assert.match(r.stderr, /^3rc: RRC_ERR_CONFIG_INVALID: .*2 error\(s\)/);
  });

  it('--json: the report as one document', async () => {
    const r = await run(['config', 'check', '--json', bad]);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as ConfigReport;
    assert.equal(report.ok, false);
    assert.equal(report.errors, 2);
    assert.ok(report.problems.some((p) => p.path === 'inventory.hosts[2].name'));
  });

  it('--env-file: secret variables from the service\'s environment file; --strict fails on warnings', async () => {
    const withEnv = join(dir, 'env.yaml');
    const envFile = join(dir, '3rc.env');
    writeFileSync(withEnv, stringify({ ...goodLab(), secrets: { bmc: { env: 'H12C_TEST_BMC_PW' } } }));
    writeFileSync(envFile, '# comment\nH12C_TEST_BMC_PW=secret\n');
    const plain = await run(['config', 'check', '--strict', withEnv]);
    assert.equal(plain.code, 1, 'the variable is unset here: a warning, fatal with --strict');
    assert.match(plain.stdout, /^warning {2}secrets\.bmc\.env: /m);
    const given = await run(['config', 'check', '--strict', '--env-file', envFile, withEnv]);
    assert.equal(given.code, 0, given.stdout + given.stderr);
  });

  it('an unreadable file is one error line, exit 1; a missing argument is a usage error, exit 2', async () => {
    const missing = await run(['config', 'check', join(dir, 'absent.yaml')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /RRC_ERR_CONFIG_INVALID: .*absent\.yaml: cannot read the file \(ENOENT\)/);
    const usage = await run(['config', 'check']);
    assert.equal(usage.code, 2);
  });
});
