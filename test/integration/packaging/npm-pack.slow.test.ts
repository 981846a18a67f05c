/**
 * The package as an operator gets it: `npm pack`, `npm install -g` of the tarball into a fresh
 * prefix (dependencies from npm's cache when there, else the registry), then the installed `3rc`:
 * --help, config check (exit 0 and 1), and the demo controller on SQLite answering /health (the
 * generated Prisma client and the migrations ship).
 *
 * Native addons: compiling better-sqlite3 and the libvirt binding with node-gyp takes 7-15 minutes
 * of wall time on 2 shared cores (no prebuilt binaries reach this machine), which would make this
 * one test most of CI's budget and says nothing about our package. So by default the install runs
 * with --ignore-scripts and the addons' build folders come from this checkout's own node_modules
 * (same Node ABI, same machine, same versions: checked), as a prebuilt binary download would
 * provide them. RRC_PACK_COMPILE=1 installs with the scripts and compiles everything instead.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { freeTcpPort } from '../../lab/peers/common.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const COMPILE = process.env.RRC_PACK_COMPILE === '1';
const INSTALL_TIMEOUT_MS = COMPILE ? 25 * 60_000 : 8 * 60_000;
/** Dependencies with a compiled addon in build/ (ssh2's optional cpu-features falls back to JS). */
const NATIVE_ADDONS = ['better-sqlite3', '@unraid/libvirt'];

const versionOf = (dir: string) => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;

/** Puts the checkout's compiled addon of each NATIVE_ADDONS package into the installed tree. */
function provideAddons(installed: string): void {
  for (const pkg of NATIVE_ADDONS) {
    const from = join(REPO, 'node_modules', pkg);
    const to = join(installed, 'node_modules', pkg);
    assert.ok(existsSync(join(from, 'build')), `${pkg} is not built in this checkout: run scripts/setup.sh`);
    assert.ok(existsSync(to), `the installed package has no ${pkg}`);
    assert.equal(versionOf(to), versionOf(from), `${pkg}: installed and checkout versions differ; use RRC_PACK_COMPILE=1`);
    cpSync(join(from, 'build'), join(to, 'build'), { recursive: true });
  }
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd: opts.cwd, timeout: opts.timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', ...opts.env } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('npm pack, then npm install -g in a fresh prefix', { timeout: INSTALL_TIMEOUT_MS + 5 * 60_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), '3rc-pack-'));
  const prefix = join(work, 'prefix');
  const bin = join(prefix, 'bin', '3rc');
  after(() => rmSync(work, { recursive: true, force: true }));

  before(async () => {
    assert.ok(
      existsSync(join(REPO, 'src/store/generated/sqlite/client.ts')),
      'the Prisma clients are not generated: run `npm run generate` (scripts/setup.sh does)',
    );
    // --ignore-scripts: prepack would regenerate the clients under other tests running now.
    const pack = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], { cwd: REPO, timeoutMs: 5 * 60_000 });
    assert.equal(pack.code, 0, pack.stderr);
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    assert.ok(tarball, `no tarball in ${work}`);
    const started = Date.now();
    const install = await run(
      'npm',
      ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...(COMPILE ? [] : ['--ignore-scripts']), join(work, tarball)],
      { cwd: work, timeoutMs: INSTALL_TIMEOUT_MS },
    );
    assert.equal(install.code, 0, `npm install -g failed:\n${install.stderr.slice(-4000)}`);
    if (!COMPILE) provideAddons(join(prefix, 'lib', 'node_modules', '3rc'));
    console.log(`# npm install -g took ${Math.round((Date.now() - started) / 1000)} s`);
  });

  it('3rc --help lists the commands, config check among them', async () => {
    const r = await run(bin, ['--help'], { cwd: work, timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: 3rc /m);
    assert.match(r.stdout, /^ {2}controller /m);
    assert.match(r.stdout, /^ {2}config /m);
  });

  it('3rc config check: exit 0 on the example service config, 1 with every problem listed', async () => {
    const etc = join(work, 'etc');
    mkdirSync(etc);
    const key = join(etc, 'id_ed25519');
    writeFileSync(key, 'not a real key\n');
    chmodSync(key, 0o600);
    const host = (name: string, i: number, role = 'primary') => ({
      name, role, macs: [`52:54:00:00:00:0${i}`], ip: `10.10.0.${i}`,
      bmc: { address: `10.10.1.${i}`, user: 'admin', secretRef: 'bmc-password' },
      hypervisorUri: `qemu+ssh://root@10.10.0.${i}/system`, ssh: { host: `10.10.0.${i}`, user: 'root', keyRef: 'ssh-key' },
      capacity: { cores: 32, ramGb: 256, diskTb: 4 },
    });
    const good = {
      environment: { kind: 'real' },
      witnesses: { selfCheck: ['10.10.0.254:53'] },
      secrets: { 'bmc-password': { env: 'RRC_BMC_PASSWORD' }, 'ssh-key': { file: 'id_ed25519' } },
      inventory: { hosts: [host('hv1', 1), host('spare1', 2, 'spare')], vms: [] },
    };
    writeFileSync(join(etc, 'good.yaml'), stringify(good));
    const ok = await run(bin, ['config', 'check', join(etc, 'good.yaml')], { cwd: work, timeoutMs: 120_000, env: { RRC_BMC_PASSWORD: 'x' } });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /good\.yaml: ok \(2 hosts, 0 VMs, environment real\)\n$/);

    const bad = { ...good, inventory: { hosts: [host('hv1', 1), { ...host('hv1', 2), bmc: { address: '10.10.1.1', user: 'admin', password: 'pw' } }], vms: [] } };
    writeFileSync(join(etc, 'bad.yaml'), stringify(bad));
    const ko = await run(bin, ['config', 'check', join(etc, 'bad.yaml')], { cwd: work, timeoutMs: 120_000, env: { RRC_BMC_PASSWORD: 'x' } });
    assert.equal(ko.code, 1, ko.stdout + ko.stderr);
    assert.match(ko.stdout, /inventory\.hosts\[1\]\.name: duplicate host name "hv1"/);
    assert.match(ko.stdout, /inventory\.hosts\[1\]\.bmc\.password: the secret itself never goes in the config/);
    assert.match(ko.stderr, /^3rc: RRC_ERR_CONFIG_INVALID: /);
  });

  it('the installed controller runs the demo lab on SQLite and answers /health', async () => {
    const cwd = join(work, 'demo');
    mkdirSync(cwd);
    const port = await freeTcpPort();
    const child = spawn(bin, ['controller', '--no-demo', '--listen', `127.0.0.1:${port}`], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      let health: { status?: string; store?: string } | null = null;
      for (let i = 0; i < 240 && health === null && child.exitCode === null; i++) {
        health = await fetch(`http://127.0.0.1:${port}/health`).then((r) => (r.ok ? (r.json() as Promise<{ status: string; store: string }>) : null), () => null);
        if (health === null) await new Promise((r) => setTimeout(r, 500));
      }
      assert.ok(health, `no /health answer within 2 minutes:\n${output.slice(-3000)}`);
      assert.equal(health.status, 'ok');
      assert.equal(health.store, 'sqlite');
      // Not a terminal: one JSON object per line.
      const first = output.split('\n').find((l) => l.trim() !== '');
      assert.doesNotThrow(() => JSON.parse(first ?? ''), `log lines are not JSON: ${first}`);
    } finally {
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000))]);
      if (code === 'timeout') child.kill('SIGKILL');
    }
  });
});
