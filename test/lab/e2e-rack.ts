/**
 * A small real rack for end-to-end tests: the real controller, on the wall clock, over the real
 * Env (ipmitool -> ipmi_sim, ssh2 -> sshd, @unraid/libvirt -> test:///<file>.xml), with a
 * memory store. Every host gets its own peers, so one can be broken without touching the others:
 *
 *   bmc: 'ipmi'   its own ipmi_sim (user/password; secretRef `bmc-<host>`)
 *        'frozen' its own ipmi_sim, SIGSTOPped before the controller starts (never answers)
 *   ssh: 'sshd'   its own sshd on 127.0.0.1 (keyRef `ssh-<host>`; known_hosts from the harness)
 *        'hung'   a TCP server that accepts and never sends a byte
 *
 * Everything started is registered for `cleanup()` as soon as it exists, so a setup that fails
 * halfway still leaves no process, connection or temp dir behind. All traffic is to 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { createController, type Controller, type ControllerEvent } from '../../src/controller/index.js';
import type { FenceOptions } from '../../src/controller/fence.js';
import { resolvePolicy, type DeepPartial, type Policy } from '../../src/core/policy.js';
import type { HostRole, HostSpec, VmSpec } from '../../src/core/types.js';
import type { Env, Prober } from '../../src/env/env.js';
import { realClock } from '../../src/env/real/clock.js';
import { createRealEnv, type RealEnv, type RealTimeouts } from '../../src/env/real/real-env.js';
import { RrcError } from '../../src/errors.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { trackedEnv } from './real-lab/tracked-env.js';
import { delay, makeTempDir, requireBinary } from './peers/common.js';
import { startHungTcpServer, type HungTcpServer } from './peers/hung-tcp.js';
import { startIpmiSim, type IpmiSim } from './peers/ipmi-sim.js';
import { libvirtTestUri, testDomainXml, writeLibvirtTestXml, type TestDomain } from './peers/libvirt-xml.js';
import { startSshd, type Sshd } from './peers/sshd.js';

export interface RackHostPlan {
  name: string;
  role: HostRole;
  bmc: 'ipmi' | 'frozen';
  ssh: 'sshd' | 'hung';
  /** Domains defined (and running) in this host's test:/// file; they become VMs of the store. */
  domains?: TestDomain[];
  cpus?: number;
  memoryMb?: number;
}

export interface RackHost {
  spec: HostSpec;
  uri: string;
  sim: IpmiSim;
  sshd?: Sshd;
  hung?: HungTcpServer;
}

interface ProbeLogEntry {
  host: string;
  at: number;
  ms: number;
  result: string;
}

export interface RackOptions {
  hosts: RackHostPlan[];
  policy?: DeepPartial<Policy>;
  probeIntervalMs: number;
  probeTimeoutMs: number;
  timeouts: RealTimeouts;
  fence: FenceOptions;
}

export interface Rack {
  controller: Controller;
  env: RealEnv;
  store: Store;
  policy: Policy;
  hosts: Map<string, RackHost>;
  host(name: string): RackHost;
  /** Every controller event, in order, with the wall time it was seen. */
  events: Array<ControllerEvent & { seenAt: number }>;
  /** Status, host states and incident timelines: for assertion messages. */
  dump(): Promise<string>;
  /** Idempotent; every step runs even if an earlier one fails. */
  cleanup(): Promise<void>;
}

const BMC_PASSWORD = (host: string) => `pw-${host}`;

export async function startRack(opts: RackOptions): Promise<Rack> {
  // Cleanup runs by stage (then newest first): stop the controller, unblock calls waiting on hung
  // peers, let driver calls in flight settle, close connections and the store, stop peers, rm.
  const cleanups: Array<{ stage: number; what: string; fn: () => Promise<void> | void }> = [];
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    const errors: string[] = [];
    const ordered = cleanups.map((c, i) => ({ ...c, i })).sort((a, b) => a.stage - b.stage || b.i - a.i);
    for (const c of ordered) {
      try {
        await bounded(Promise.resolve().then(c.fn), 10_000, `cleanup: ${c.what}`);
      } catch (e) {
        errors.push(`${c.what}: ${String(e)}`);
      }
    }
    if (errors.length) throw new Error(`rack cleanup problems: ${errors.join('; ')}`);
  };

  try {
    const tmp = makeTempDir('e2e');
    cleanups.push({ stage: 5, what: 'temp dir', fn: () => tmp.remove() });

    const hosts = new Map<string, RackHost>();
    const vms: VmSpec[] = [];
    const secrets = new Map<string, () => Promise<string>>();
    const knownHosts: string[] = [];
    let n = 0;
    for (const plan of opts.hosts) {
      n++;
      const sim = await startIpmiSim({ user: 'admin', password: BMC_PASSWORD(plan.name), power: 'on' });
      cleanups.push({ stage: 4, what: `ipmi_sim of ${plan.name}`, fn: () => sim.stop() });
      secrets.set(`bmc-${plan.name}`, async () => sim.password);
      let sshd: Sshd | undefined;
      let hung: HungTcpServer | undefined;
      let ssh: HostSpec['ssh'];
      if (plan.ssh === 'sshd') {
        const started = await startSshd();
        sshd = started;
        cleanups.push({ stage: 4, what: `sshd of ${plan.name}`, fn: () => started.stop() });
        secrets.set(`ssh-${plan.name}`, () => readFile(started.userKeyPath, 'utf8'));
        knownHosts.push((await readFile(started.knownHostsFile, 'utf8')).trim());
        ssh = started.sshSpec(`ssh-${plan.name}`);
      } else {
        const started = await startHungTcpServer();
        hung = started;
        cleanups.push({ stage: 1, what: `hung TCP server of ${plan.name}`, fn: () => started.stop() });
        // A valid key, so the only thing that fails is the hang (never the key parsing).
        const keyFile = join(tmp.dir, `${plan.name}_ed25519`);
        execFileSync(requireBinary('ssh-keygen', 'openssh-client'), ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile], { stdio: 'ignore' });
        secrets.set(`ssh-${plan.name}`, () => readFile(keyFile, 'utf8'));
        ssh = { host: '127.0.0.1', port: started.port, user: 'root', keyRef: `ssh-${plan.name}` };
      }
      const domains = plan.domains ?? [];
      const uri = libvirtTestUri(
        writeLibvirtTestXml(tmp.dir, { cpus: plan.cpus ?? 8, memoryMb: plan.memoryMb ?? 16_384, domains }, `${plan.name}.xml`),
      );
      const spec: HostSpec = {
        name: plan.name,
        role: plan.role,
        macs: [`52:54:00:00:10:${n.toString(16).padStart(2, '0')}`],
        ip: '127.0.0.1',
        bmc: sim.bmc(`bmc-${plan.name}`),
        hypervisorUri: uri,
        ssh,
        capacity: { cores: plan.cpus ?? 8, ramGb: Math.floor((plan.memoryMb ?? 16_384) / 1024), diskTb: 1 },
      };
      hosts.set(plan.name, { spec, uri, sim, ...(sshd ? { sshd } : {}), ...(hung ? { hung } : {}) });
      for (const d of domains) {
        vms.push({
          name: d.name,
          uuid: d.uuid,
          domainXml: testDomainXml(d),
          homeHost: plan.name,
          currentHost: plan.name,
          priority: 1,
          resources: { cores: d.vcpus ?? 1, ramGb: Math.max(1, Math.ceil((d.memoryMb ?? 512) / 1024)), diskGb: 10 },
        });
      }
      if (plan.bmc === 'frozen') sim.setBehaviour({ frozen: true });
    }
    const knownHostsFile = join(tmp.dir, 'known_hosts');
    await writeFile(knownHostsFile, knownHosts.map((l) => `${l}\n`).join(''));

    const resolveSecret = async (ref: string): Promise<string> => {
      const get = secrets.get(ref);
      if (!get) throw new RrcError('RRC_ERR_CONFIG_INVALID', `unknown secret ref "${ref}"`);
      return get();
    };

    const policy = resolvePolicy({ failAfter: 2, recoverAfter: 3, ...opts.policy });
    const log = pino({ level: process.env.RRC_TEST_LOG ?? 'silent' });
    const env = createRealEnv({
      clock: realClock,
      log,
      resolveSecret,
      knownHostsFile,
      hypervisorRestartCommand: policy.hypervisorRestartCommand,
      timeouts: opts.timeouts,
    });
    cleanups.push({ stage: 3, what: 'libvirt connections', fn: () => env.close() });

    const store = await openStore('memory:');
    cleanups.push({ stage: 3, what: 'store', fn: () => store.close() });
    for (const h of hosts.values()) await store.addHost(h.spec);
    for (const v of vms) await store.addVm(v);

    // The controller gets the real Env with every driver call counted, so cleanup can wait for
    // calls still in flight after stop() (stop() does not await a running probe cycle or action)
    // before closing the libvirt connections and removing the test:/// files under them.
    const inflight = new Set<Promise<unknown>>();
    const tracked = trackedEnv(env, inflight);
    // Host probes as the controller saw them (the controller keeps only the signature), for dump().
    const probeLog: ProbeLogEntry[] = [];
    const probes = tracked.probes;
    // A host of this lab is three peers (ipmi_sim, sshd, a libvirt test:/// file); no power switch
    // can stop the test:/// driver, so while a host's chassis reads off its hypervisor is made silent
    // here, as a powered-off host's libvirtd would be (fencing checks that nothing answers).
    const chassisOff = (name: string): boolean => hosts.get(name)?.sim.powerState() === 'off';
    const hypervisorSilentWhenChassisOff = new Proxy(tracked.hypervisor, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const host = args[0] as HostSpec | undefined;
          if (host && typeof host === 'object' && 'name' in host && chassisOff(host.name)) {
            return Promise.reject(new RrcError('RRC_ERR_UNREACHABLE', `lab: ${host.name} chassis is off, its hypervisor does not answer`));
          }
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const loggedProbes: Prober = {
      probeVm: (vm, host) => probes.probeVm(vm, host),
      probeHost: async (host) => {
        const started = Date.now();
        const entry: ProbeLogEntry = { host: host.name, at: started, ms: -1, result: 'pending' };
        if (probeLog.length >= 2_000) probeLog.shift();
        probeLog.push(entry);
        try {
          const seen = await probes.probeHost(host);
          const o = chassisOff(host.name) ? { ...seen, hypervisorOk: false, details: { ...seen.details, hypervisor: 'lab: chassis off, hypervisor silent' } } : seen;
          entry.result = `reachable=${o.reachable} shell=${o.shellOk} bmc=${o.bmcReachable}/${o.power} hv=${o.hypervisorOk} ${JSON.stringify(o.details ?? {})}`;
          return o;
        } catch (e) {
          entry.result = `threw ${String(e)}`;
          throw e;
        } finally {
          entry.ms = Date.now() - started;
        }
      },
    };
    const controllerEnv: Env = { ...tracked, probes: loggedProbes, hypervisor: hypervisorSilentWhenChassisOff };
    cleanups.push({ stage: 2, what: 'driver calls and actions in flight', fn: async () => {
      // Bounded (rounds here, 10 s in cleanup): every driver call has its own deadline, and an
      // action still running (recorded without finishedAt) may call a driver again after a sleep.
      for (let round = 0; round < 200; round++) {
        if (inflight.size > 0) {
          await Promise.all([...inflight]);
          continue;
        }
        const running = (await store.listActions()).filter((a) => a.finishedAt === null);
        if (running.length === 0) return;
        await delay(50);
      }
    } });

    const controller = createController({
      env: controllerEnv,
      store,
      policy,
      probes: { intervalMs: opts.probeIntervalMs, timeoutMs: opts.probeTimeoutMs, concurrency: 8 },
      fence: opts.fence,
    });
    const events: Rack['events'] = [];
    const unsubscribe = controller.onEvent((e) => {
      if (events.length < 10_000) events.push({ ...e, seenAt: Date.now() });
    });
    cleanups.push({ stage: 0, what: 'controller', fn: async () => {
      unsubscribe();
      await controller.stop();
    } });
    await controller.start();

    const rack: Rack = {
      controller,
      env,
      store,
      policy,
      hosts,
      events,
      host: (name) => {
        const h = hosts.get(name);
        if (!h) throw new Error(`no host ${name} in the rack`);
        return h;
      },
      dump: async () => {
        const lines: string[] = [];
        for (const s of controller.status()) {
          lines.push(`${s.targetId}: ${s.phase} rung=${s.rungName ?? '-'} sig=${s.signature ?? '-'} reason=${s.reason ?? '-'}`);
        }
        for (const h of await store.listHosts()) lines.push(`store host ${h.name}: ${h.state}`);
        for (const v of await store.listVms()) lines.push(`store vm ${v.name}: on ${v.currentHost}`);
        for (const h of hosts.keys()) {
          // The first bad probes (what opened an incident) and the last two.
          const mine = probeLog.filter((x) => x.host === h);
          const bad = mine.filter((x) => !x.result.startsWith('reachable=true shell=true bmc=true/on hv=true'));
          const shown = [...new Set([...bad.slice(0, 4), ...mine.slice(-2)])].sort((a, b) => a.at - b.at);
          lines.push(`probes of ${h} (${mine.length}, ${bad.length} bad; started ms before now, took ms, result):`);
          const now = Date.now();
          for (const p of shown) lines.push(`  -${now - p.at} ms, ${p.ms} ms: ${p.result}`);
        }
        for (const i of await store.listIncidents()) {
          const d = await store.getIncident(i.id);
          lines.push(`incident ${i.id} (${i.state}, ${i.signature}):`);
          for (const e of d?.events ?? []) lines.push(`  ${e.kind}: ${e.message}`);
        }
        return lines.join('\n');
      },
      cleanup,
    };
    return rack;
  } catch (e) {
    await cleanup().catch(() => undefined);
    throw e;
  }
}

/** Polls `check` every `intervalMs` until true or `timeoutMs`; returns whether it became true. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let round = 0; round < Math.ceil(timeoutMs / intervalMs) + 1; round++) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await delay(intervalMs);
  }
  return check();
}

/** Rejects if `p` does not settle within `ms`. */
export function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** True when `needles` appear in `haystack` in this order (each matched by a later element). */
export function inOrder(haystack: string[], needles: RegExp[]): { ok: boolean; missing: RegExp | null } {
  let i = 0;
  for (const re of needles) {
    while (i < haystack.length && !re.test(haystack[i] as string)) i++;
    if (i >= haystack.length) return { ok: false, missing: re };
    i++;
  }
  return { ok: true, missing: null };
}

/** hv1 (primary, two running domains) and spare1 (spare, empty): the fencing scenarios. */
export const FENCE_VMS: TestDomain[] = [
  { name: 'web1', uuid: '00000000-0000-4000-8000-00000000e201', memoryMb: 512, vcpus: 1 },
  { name: 'db1', uuid: '00000000-0000-4000-8000-00000000e202', memoryMb: 1024, vcpus: 2 },
];

export function fenceRackOptions(): RackOptions {
  return {
    hosts: [
      { name: 'hv1', role: 'primary', bmc: 'ipmi', ssh: 'sshd', domains: FENCE_VMS },
      { name: 'spare1', role: 'spare', bmc: 'ipmi', ssh: 'sshd' },
    ],
    probeIntervalMs: 500,
    // Generous per-check deadlines: under load a healthy sshd took up to ~0.8 s to run `true`,
    // and a spare that looks unhealthy at placement time gets no VMs.
    probeTimeoutMs: 3_000,
    timeouts: {
      ipmiMs: 2_000,
      ipmiRetries: 1,
      libvirtCallMs: 2_000,
      probe: { bmcMs: 2_500, tcpMs: 1_500, sshMs: 2_500, libvirtMs: 2_500 },
    },
    fence: { confirmTimeoutMs: 3_000, pollMs: 250, maxOffAttempts: 3 },
    policy: {
      rungs: {
        reboot: { timeoutSeconds: 5, maxAttempts: 1 },
        'fence-migrate': { timeoutSeconds: 20, maxAttempts: 1 },
        reinstall: { timeoutSeconds: 5, maxAttempts: 1 },
      },
    },
  };
}

/** Waits until every target is healthy and has been probed a few full cycles (settled). */
export async function settled(rack: Rack, timeoutMs = 20_000): Promise<boolean> {
  const first = (await rack.controller.health()).probeCycles;
  return until(async () => {
    const cycles = (await rack.controller.health()).probeCycles;
    return cycles >= first + rack.policy.recoverAfter + 1 && rack.controller.status().every((s) => s.phase === 'healthy');
  }, timeoutMs);
}
