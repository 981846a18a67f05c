/**
 * The real lab of one `--real` injection: every host of the topology gets its own ipmi_sim BMC
 * (machine mode), sshd (its OS) and test:/// hypervisor; every VM its own guest sshd and service
 * process; the real Env (ipmitool, ssh2 with known_hosts, @unraid/libvirt through the lab's
 * gate) is built over them. A generalisation of the e2e fixture (test/integration/e2e/rack.ts),
 * with machines that react to power, boots and domain starts (lab-machines.ts).
 *
 * All traffic is to 127.0.0.1. Everything started is registered for `cleanup()` as soon as it
 * exists, so a setup that fails halfway leaves no process, connection or temp dir behind.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { bindingConnect, type LibvirtConnection } from '../../../src/drivers/libvirt.js';
import type { HostSpec, VmSpec } from '../../../src/core/types.js';
import type { Logger } from '../../../src/env/env.js';
import { realClock } from '../../../src/env/real/clock.js';
import { createRealEnv, type RealEnv } from '../../../src/env/real/real-env.js';
import { RrcError } from '../../../src/errors.js';
import { parseFaultCommand } from '../../../src/env/sim/index.js';
import { freeTcpPort } from '../peers/common.js';
import { startIpmiSim, type IpmiSim } from '../peers/ipmi-sim.js';
import { libvirtTestUri, writeLibvirtTestXml } from '../peers/libvirt-xml.js';
import { hostCapacity, labMac, LAB_REAL_TIMEOUTS, SERVICE_RESTART_COMMAND, vmBase, type LabTopology } from './topology.js';
import { labConnect } from './lab-hypervisor.js';
import { LabGuestMachine, LabHostMachine, LabMachines, type LabTimings } from './lab-machines.js';
import { bmcMachineScripts, writeLabScripts, writeOsScript } from './lab-scripts.js';
import { LabSshd, type LabKeys } from './lab-sshd.js';
import { childPid, registerPid, unregisterPid } from './procs.js';

export interface LabOptions {
  topology: LabTopology;
  timings: LabTimings;
  keys: LabKeys;
  /** A fresh directory for this lab (removed by the caller). */
  dir: string;
  log: Logger;
  hypervisorRestartCommand: string;
  hostRebootCommand: string;
}

export interface Lab {
  hosts: HostSpec[];
  vms: VmSpec[];
  env: RealEnv;
  machines: LabMachines;
  /** One fault command of the world language (src/env/sim/world.ts), the subset the lab expresses. */
  applyFault(line: string): Promise<void>;
  cleanup(): Promise<void>;
}

const BMC_PASSWORD = (host: string) => `lab-${host}`;

export async function startLab(opts: LabOptions): Promise<Lab> {
  const cleanups: Array<{ what: string; fn: () => Promise<void> | void }> = [];
  let cleaned = false;
  let machinesRef: LabMachines | null = null;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    // First: requests stop being served and the BMC scripts return at once (ipmi_sim's own stop
    // runs the machine's stop script synchronously).
    machinesRef?.markClosed();
    const errors: string[] = [];
    for (const c of cleanups.reverse()) {
      try {
        await bounded(Promise.resolve().then(c.fn), 10_000, c.what);
      } catch (e) {
        errors.push(`${c.what}: ${String(e)}`);
      }
    }
    if (errors.length) throw new Error(`lab cleanup problems: ${errors.join('; ')}`);
  };

  try {
    const { dir, keys, timings } = opts;
    const scripts = writeLabScripts(dir);
    const machines = new LabMachines(dir, timings);
    machinesRef = machines;
    // Registered first, so it runs last: the machines' processes die after the BMCs are stopped.
    cleanups.push({ what: 'machines (sshd, guests, services)', fn: () => machines.close() });
    const os = { hypervisorRestart: opts.hypervisorRestartCommand, reboot: [opts.hostRebootCommand, 'reboot'] };
    const secrets = new Map<string, () => Promise<string>>([['lab-key', () => readFile(keys.userKey, 'utf8')]]);
    const knownHosts: string[] = [];
    const hostByUri = new Map<string, string>();
    const hosts: HostSpec[] = [];
    const vms: VmSpec[] = [];
    const sims: IpmiSim[] = [];
    const connect = bindingConnect();
    const user = userInfo().username;

    for (const [i, plan] of opts.topology.hosts.entries()) {
      const hdir = join(dir, 'm', plan.name);
      mkdirSync(hdir, { recursive: true });
      writeFileSync(join(hdir, 'power'), 'on\n');
      const domains = opts.topology.vms
        .filter((v) => v.home === plan.name)
        .map((v) => ({ name: v.name, uuid: v.uuid, memoryMb: v.memoryMb, vcpus: v.vcpus }));
      const uri = libvirtTestUri(writeLibvirtTestXml(hdir, { cpus: plan.cpus, memoryMb: plan.memoryMb, domains }, 'node.xml'));
      hostByUri.set(uri, plan.name);
      const conn: LibvirtConnection = await connect(uri);
      await conn.connectOpen();
      cleanups.push({ what: `hypervisor of ${plan.name}`, fn: () => conn.connectClose() });
      const sshd = new LabSshd(plan.name, await freeTcpPort(), hdir, keys, `sh ${writeOsScript(hdir, scripts.req, plan.name, 'host', os)}`);
      knownHosts.push(sshd.knownHostsLine(keys));
      machines.hosts.set(plan.name, new LabHostMachine(plan.name, hdir, sshd, conn));
      const sim = await startIpmiSim({
        user: 'admin',
        password: BMC_PASSWORD(plan.name),
        machine: bmcMachineScripts(hdir, scripts.req, plan.name),
      });
      // Known to the reaper by pid (the harness starts it in our own process group).
      const simPid = childPid(sim.dir);
      if (simPid !== null) registerPid(simPid, `ipmi_sim of ${plan.name}`);
      // Stopped before the machines close (cleanup runs newest first): nothing calls in afterwards.
      cleanups.push({ what: `ipmi_sim of ${plan.name}`, fn: async () => {
        await sim.stop();
        if (simPid !== null) unregisterPid(simPid);
      } });
      sims.push(sim);
      secrets.set(`bmc-${plan.name}`, async () => sim.password);
      hosts.push({
        name: plan.name,
        role: plan.role,
        macs: [labMac(i)],
        ip: '127.0.0.1',
        bmc: sim.bmc(`bmc-${plan.name}`),
        hypervisorUri: uri,
        ssh: { host: '127.0.0.1', port: sshd.port, user, keyRef: 'lab-key' },
        capacity: hostCapacity(plan),
      });
    }
    for (const v of opts.topology.vms) {
      const gdir = join(dir, 'm', v.name);
      mkdirSync(gdir, { recursive: true });
      const restart = v.restartable ? SERVICE_RESTART_COMMAND : undefined;
      const sshd = new LabSshd(v.name, await freeTcpPort(), gdir, keys, `sh ${writeOsScript(gdir, scripts.req, v.name, 'guest', os, restart)}`);
      knownHosts.push(sshd.knownHostsLine(keys));
      const servicePort = await freeTcpPort();
      machines.guests.set(v.name, new LabGuestMachine(v.name, sshd, servicePort));
      vms.push({
        ...vmBase(v),
        guestAddress: `127.0.0.1:${sshd.port}`,
        ssh: { host: '127.0.0.1', port: sshd.port, user, keyRef: 'lab-key' },
        serviceCheck: restart ? { kind: 'tcp', port: servicePort, restartCommand: restart } : { kind: 'tcp', port: servicePort },
      });
    }
    const knownHostsFile = join(dir, 'known_hosts');
    writeFileSync(knownHostsFile, knownHosts.map((l) => `${l}\n`).join(''));

    // Boot everything: hosts up, the guests of their (running) domains up.
    machines.startWatching();
    await Promise.all([...machines.hosts.values()].map((h) => machines.bootNow(h)));
    await Promise.all(opts.topology.vms.map((v) => machines.guestStart(machines.guests.get(v.name)!, v.home, 0)));
    const notUp = [...machines.guests.values()].filter((g) => g.state !== 'up').map((g) => g.vm);
    if (notUp.length) throw new Error(`lab guests did not boot: ${notUp.join(', ')}; ${machines.problems.join('; ')}`);

    const env = createRealEnv({
      clock: realClock,
      log: opts.log,
      resolveSecret: async (ref) => {
        const get = secrets.get(ref);
        if (!get) throw new RrcError('RRC_ERR_CONFIG_INVALID', `unknown secret ref "${ref}"`);
        return get();
      },
      knownHostsFile,
      hypervisorRestartCommand: opts.hypervisorRestartCommand,
      timeouts: LAB_REAL_TIMEOUTS,
      libvirtConnect: labConnect(machines, hostByUri),
    });
    // Closed before the BMCs and machines stop.
    cleanups.push({ what: 'libvirt connections of the Env', fn: () => env.close() });

    const applyFault = async (line: string): Promise<void> => {
      const cmd = parseFaultCommand(line);
      const host = (name: string): LabHostMachine => {
        const h = machines.hosts.get(name);
        if (!h) throw new Error(`lab: no host ${name}`);
        return h;
      };
      switch (cmd.kind) {
        case 'vm': {
          const g = machines.guests.get(cmd.vm);
          if (!g) throw new Error(`lab: no vm ${cmd.vm}`);
          if (cmd.fault === 'panic' || cmd.fault === 'destroy') return machines.vmPanic(cmd.vm);
          if (cmd.fault === 'hang') return machines.guestFreeze(g);
          if (cmd.fault === 'service-dead') return machines.killServiceNow(g);
          break;
        }
        case 'hypervisor':
          return machines.hypervisorCrash(host(cmd.host));
        case 'host':
          switch (cmd.fault) {
            case 'power-loss':
              return machines.powerOff(host(cmd.host));
            case 'power-on':
              return machines.powerOn(host(cmd.host));
            case 'hang':
            case 'overload':
              return machines.hostHang(host(cmd.host));
            case 'shutdown':
              return machines.hostShutdown(host(cmd.host));
            default:
              break;
          }
          break;
        case 'delay':
          break;
      }
      throw new Error(`lab: "${line}" cannot be expressed in the real lab`);
    };

    return { hosts, vms, env, machines, applyFault, cleanup };
  } catch (e) {
    await cleanup().catch(() => undefined);
    throw e;
  }
}

/** Rejects if `p` does not settle within `ms`. */
export function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}
