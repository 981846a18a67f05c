/**
 * Two real `3rc controller` processes on one PostgreSQL schema, environment `real`, against real
 * peers on 127.0.0.1: per host its own ipmi_sim, sshd and libvirt test:/// file (no VMs). The
 * config is written as JSON (valid YAML); the store URL goes through RRC_DB_URL, the secrets are
 * files. Everything started is registered for `close()` as soon as it exists.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import { freeTcpPort, makeTempDir } from '../../lab/peers/common.js';
import { startIpmiSim, type IpmiSim } from '../../lab/peers/ipmi-sim.js';
import { libvirtTestUri, writeLibvirtTestXml } from '../../lab/peers/libvirt-xml.js';
import { startSshd } from '../../lab/peers/sshd.js';
import { BASE_URL } from './pair-lib.js';

export interface Health {
  leader: boolean;
  epoch: number | null;
  holder?: string | null;
}

export interface ControllerProcess {
  id: string;
  url: string;
  child: ChildProcess;
  /** stdout and stderr so far (pino JSON lines), capped. */
  output(): string;
  /** GET /health; null when it does not answer (killed, stopped, not up yet). */
  health(): Promise<Health | null>;
}

export interface ProcessPair {
  sims: Map<string, IpmiSim>;
  observer: Store;
  start(id: string, rank: number): Promise<ControllerProcess>;
  close(): Promise<void>;
}

const OUTPUT_CAP = 2_000_000;

export async function buildProcessPair(hostNames: string[]): Promise<ProcessPair> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const close = async (): Promise<void> => {
    for (const c of cleanups.reverse().splice(0)) await Promise.resolve().then(c).catch(() => undefined);
  };
  try {
    const tmp = makeTempDir('pair-proc');
    cleanups.push(() => tmp.remove());
    const schema = `rrc_test_pair_${randomBytes(4).toString('hex')}`;
    const dbUrl = `${BASE_URL}${BASE_URL.includes('?') ? '&' : '?'}schema=${schema}`;
    cleanups.push(async () => {
      const admin = new pg.Client({ connectionString: BASE_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    });
    const observer = await openStore(dbUrl);
    cleanups.push(() => observer.close());

    const sims = new Map<string, IpmiSim>();
    const hosts: unknown[] = [];
    const secrets: Record<string, { file: string }> = {};
    const knownHosts: string[] = [];
    let n = 0;
    for (const name of hostNames) {
      n++;
      const sim = await startIpmiSim({ user: 'admin', password: `pw-${name}`, power: 'on' });
      cleanups.push(() => sim.stop());
      sims.set(name, sim);
      const sshd = await startSshd();
      cleanups.push(() => sshd.stop());
      knownHosts.push((await readFile(sshd.knownHostsFile, 'utf8')).trim());
      const bmcFile = join(tmp.dir, `bmc-${name}`);
      await writeFile(bmcFile, sim.password, { mode: 0o600 });
      secrets[`bmc-${name}`] = { file: bmcFile };
      secrets[`ssh-${name}`] = { file: sshd.userKeyPath };
      hosts.push({
        name,
        role: n === 1 ? 'primary' : 'spare',
        macs: [`52:54:00:00:20:${n.toString(16).padStart(2, '0')}`],
        ip: '127.0.0.1',
        bmc: sim.bmc(`bmc-${name}`),
        hypervisorUri: libvirtTestUri(writeLibvirtTestXml(tmp.dir, { cpus: 8, memoryMb: 16_384, domains: [] }, `${name}.xml`)),
        ssh: sshd.sshSpec(`ssh-${name}`),
        capacity: { cores: 8, ramGb: 16, diskTb: 1 },
      });
    }
    const knownHostsFile = join(tmp.dir, 'known_hosts');
    await writeFile(knownHostsFile, knownHosts.map((l) => `${l}\n`).join(''));

    const children = new Set<ChildProcess>();
    // SIGKILL works on a stopped process too; waiting for the exits lets the schema drop go through.
    cleanups.push(async () => {
      const alive = [...children].filter((c) => c.exitCode === null && c.signalCode === null);
      const exits = alive.map((c) => new Promise<void>((r) => c.once('exit', () => r())));
      for (const c of alive) c.kill('SIGKILL');
      await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 5_000))]);
    });

    const start = async (id: string, rank: number): Promise<ControllerProcess> => {
      const port = await freeTcpPort();
      const configFile = join(tmp.dir, `${id}.yaml`);
      const config = {
        api: { listen: `127.0.0.1:${port}`, tokenFile: join(tmp.dir, `${id}-token`), allow: { endpointNetworks: null } },
        environment: { kind: 'real' },
        controller: { id, rank },
        // These lab hosts' sshd and libvirt keep answering when ipmi_sim powers the chassis off, so
        // the BMC is read every probe (the shipped 60 s refresh trusts in-band answers). A 4 s probe
        // timeout: with 2 s, two SSH commands slowed by a loaded CI machine opened a false
        // host-os-hung incident before the fault was even injected.
        probes: { intervalSeconds: 4, timeoutSeconds: 4, concurrency: 8, bmcRefreshSeconds: 0 },
        policy: { failAfter: 2, recoverAfter: 3 },
        inventory: { hosts, vms: [] },
        secrets,
        log: { level: 'info' },
      };
      await writeFile(configFile, JSON.stringify(config, null, 2));
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'controller', '--config', configFile], {
        cwd: join(import.meta.dirname, '../../..'),
        env: { ...process.env, RRC_DB_URL: dbUrl, RRC_KNOWN_HOSTS: knownHostsFile },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.add(child);
      let out = '';
      const append = (b: Buffer) => {
        if (out.length < OUTPUT_CAP) out += b.toString('utf8');
      };
      child.stdout?.on('data', append);
      child.stderr?.on('data', append);
      const url = `http://127.0.0.1:${port}`;
      const proc: ControllerProcess = {
        id,
        url,
        child,
        output: () => out,
        health: async () => {
          try {
            // 5 s: a live controller on a loaded 2-core machine can take over a second to answer.
            const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) });
            return res.ok ? ((await res.json()) as Health) : null;
          } catch {
            return null;
          }
        },
      };
      // Up when /health answers; bounded, and an early exit fails with the child's output.
      // 90 s: starting tsx and the store took over 30 s at load 10 on 2 cores.
      const upBy = Date.now() + 90_000;
      for (let round = 0; round < 900 && Date.now() < upBy; round++) {
        if (child.exitCode !== null) throw new Error(`controller ${id} exited (${child.exitCode}):\n${out}`);
        if (await proc.health()) return proc;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`controller ${id} did not answer /health within 90 s:\n${out}`);
    };
    return { sims, observer, start, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Polls `check` every `intervalMs` until it returns true or `timeoutMs` passes (wall clock). */
export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 200): Promise<boolean> {
  const rounds = Math.ceil(timeoutMs / intervalMs);
  const deadline = Date.now() + timeoutMs;
  for (let round = 0; round <= rounds && Date.now() <= deadline; round++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return check();
}
