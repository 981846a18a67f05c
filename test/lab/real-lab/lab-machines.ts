/**
 * The machines of the real lab and how they behave: what the simulator's world.ts models for the
 * sim side, done here with real peers on 127.0.0.1.
 *
 *   host  = its OS (a restartable sshd, lab-sshd.ts), its hypervisor (its own test:/// libvirt
 *           connection, reached by the controller through a gate: lab-hypervisor.ts) and its BMC
 *           (ipmi_sim in machine mode, whose chassis power runs this file's power-off / power-on).
 *   guest = a VM's OS: an sshd on the VM's guest address (what the guest check connects to and
 *           where service restarts are sent) plus its service, a process listening on the port
 *           the TCP service check probes. A guest runs while its domain runs: the gate reports
 *           every domain start / stop on a host's hypervisor here, and a guest boots then.
 *
 * Commands reach the machines as they reach real ones: over SSH (`ForceCommand os.sh` answers
 * `true`, the hypervisor restart, the reboot, the service restart, anything else exits 127 like
 * the sim shell) and over IPMI (ipmi_sim's chassis control). Both forward to this process through
 * request files (bin/req.sh writes `req/<id>`, waits for `done/<id>`), so power off means the
 * guests are dead before the BMC answers, as on real hardware. Each machine's operations run one
 * at a time on its own chain; boots are timers (LabTimings) cancelled by an epoch, like world.ts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LibvirtConnection } from '../../../src/drivers/libvirt.js';
import { errorText } from '../../../src/errors.js';
import { requireBinary } from '../peers/common.js';
import { RequestInbox } from './lab-requests.js';
import { printed, SERVICE_PL, type LabSshd } from './lab-sshd.js';
import { spawnGroup, type GroupProcess } from './procs.js';

/** How long the lab's machines take, in ms (the bench gives the sim side the same: bench/real/lab-config.ts). */
export interface LabTimings {
  /** Power on until sshd and the hypervisor answer. */
  hostBootMs: number;
  /** Clean OS shutdown (guests stopped) before the power goes off. */
  hostShutdownMs: number;
  /** Domain started until the guest's sshd and service answer. */
  guestBootMs: number;
  /** `systemctl restart libvirtd` until the hypervisor answers again. */
  hypervisorRestartMs: number;
}

// virDomainState numbers with a live qemu process.
const LIVE_STATES = new Set([1, 2, 3, 4, 6]);

type Chain = { tail: Promise<void> };

function enqueue<T>(chain: Chain, work: () => Promise<T>): Promise<T> {
  const run = chain.tail.then(work);
  chain.tail = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}

export class LabHostMachine {
  power: 'on' | 'off' = 'on';
  os: 'up' | 'booting' | 'down' | 'hung' = 'down';
  hypervisorUp = true;
  /** Bumped whenever open hypervisor connections break (libvirtd restarted, host halted / hung / booted). */
  hvEpoch = 0;
  epoch = 0;
  readonly chain: Chain = { tail: Promise.resolve() };

  constructor(
    readonly name: string,
    readonly dir: string,
    readonly sshd: LabSshd,
    /** The hypervisor's state: one test:/// connection held for the whole episode. */
    readonly conn: LibvirtConnection,
  ) {}

  /** What a client connecting to this host's libvirt gets. */
  gate(): 'up' | 'refused' | 'off' | 'hung' {
    if (this.os === 'up') return this.hypervisorUp ? 'up' : 'refused';
    return this.os === 'hung' ? 'hung' : 'off';
  }
}

export class LabGuestMachine {
  state: 'down' | 'booting' | 'up' | 'hung' = 'down';
  host: string | null = null;
  epoch = 0;
  service: GroupProcess | null = null;
  readonly chain: Chain = { tail: Promise.resolve() };

  constructor(
    readonly vm: string,
    readonly sshd: LabSshd,
    readonly servicePort: number,
  ) {}
}

export class LabMachines {
  readonly hosts = new Map<string, LabHostMachine>();
  readonly guests = new Map<string, LabGuestMachine>();
  /** A VM started on a host while a live copy ran elsewhere (the lab's own safety check). */
  readonly violations: string[] = [];
  /** Things the lab itself failed to do (a guest that could not boot...): reported, never hidden. */
  readonly problems: string[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly wakeOnClose = new Set<() => void>();
  private readonly inbox: RequestInbox;
  private closed = false;

  private readonly perl = requireBinary('perl', 'perl-base');

  constructor(
    readonly labDir: string,
    private readonly timings: LabTimings,
  ) {
    this.inbox = new RequestInbox(labDir, (machine, action) =>
      this.perform(machine, action).catch((e: unknown) => {
        this.problems.push(`${action} on ${machine}: ${errorText(e)}`);
        return 1;
      }),
    );
  }

  // --- requests from os.sh and the BMC scripts (lab-requests.ts) --------------------------------

  startWatching(): void {
    this.inbox.start();
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  /** Exit code for the requester. */
  private async perform(machine: string, action: string): Promise<number> {
    const h = this.hosts.get(machine);
    if (h) {
      switch (action) {
        case 'power-off':
          await this.powerOff(h);
          return 0;
        case 'power-on':
          await this.powerOn(h);
          return 0;
        case 'hv-restart':
          return this.restartHypervisor(h);
        case 'reboot':
          // The SSH session returns first, then the OS goes down (as `systemctl reboot` does).
          this.later(200, () => this.rebootOs(h));
          return 0;
      }
    }
    const g = this.guests.get(machine);
    if (g) {
      switch (action) {
        case 'service-restart':
          return enqueue(g.chain, async () => {
            if (g.state !== 'up') return 1;
            await this.startService(g);
            return 0;
          });
        case 'reboot':
          this.later(200, () => this.rebootGuest(g));
          return 0;
      }
    }
    this.problems.push(`unknown request "${action}" for "${machine}"`);
    return 1;
  }

  private later(ms: number, fn: () => Promise<void> | void): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.closed) return;
      this.track(Promise.resolve().then(fn).catch((e: unknown) => void this.problems.push(errorText(e))));
    }, ms);
    this.timers.add(t);
  }

  // --- hosts ----------------------------------------------------------------------------------

  private writePower(h: LabHostMachine): void {
    writeFileSync(join(h.dir, 'power'), `${h.power}\n`);
  }

  /** Chassis power lost or switched off: the OS and every guest on it stop at once. */
  powerOff(h: LabHostMachine): Promise<void> {
    return enqueue(h.chain, async () => {
      if (h.power === 'off') return;
      h.power = 'off';
      this.writePower(h);
      await this.halt(h);
    });
  }

  powerOn(h: LabHostMachine): Promise<void> {
    return enqueue(h.chain, async () => {
      if (h.power === 'on') return;
      h.power = 'on';
      this.writePower(h);
      this.boot(h, 0);
    });
  }

  /** Runs on the host's chain. */
  private async halt(h: LabHostMachine): Promise<void> {
    h.epoch++;
    h.os = 'down';
    h.hvEpoch++;
    await h.sshd.silence();
    await this.stopDomainsOn(h);
  }

  /** Runs on the host's chain; the boot completes on the chain later. */
  private boot(h: LabHostMachine, delayMs: number): void {
    const epoch = ++h.epoch;
    h.os = 'booting';
    h.hvEpoch++;
    this.later(delayMs + this.timings.hostBootMs, () =>
      enqueue(h.chain, async () => {
        if (h.epoch !== epoch || h.power !== 'on') return;
        await h.sshd.start();
        h.os = 'up';
        h.hypervisorUp = true;
        h.hvEpoch++;
      }),
    );
  }

  /** Boot the host's OS at lab start (no delay). */
  bootNow(h: LabHostMachine): Promise<void> {
    return enqueue(h.chain, async () => {
      h.epoch++;
      await h.sshd.start();
      h.os = 'up';
      h.hypervisorUp = true;
      h.hvEpoch++;
    });
  }

  /** `systemctl reboot`: guests shut down with the OS, then POST and boot. */
  private rebootOs(h: LabHostMachine): Promise<void> {
    return enqueue(h.chain, async () => {
      if (h.os !== 'up') return;
      await this.halt(h);
      this.boot(h, this.timings.hostShutdownMs);
    });
  }

  /** `systemctl restart libvirtd`: down, then up after the restart time; guests keep running. */
  private async restartHypervisor(h: LabHostMachine): Promise<number> {
    const stopped = await enqueue(h.chain, async () => {
      if (h.os !== 'up') return false;
      h.hypervisorUp = false;
      h.hvEpoch++;
      return true;
    });
    if (!stopped) return 1;
    await this.sleep(this.timings.hypervisorRestartMs);
    return enqueue(h.chain, async () => {
      if (h.os !== 'up' || this.closed) return 1;
      h.hypervisorUp = true;
      h.hvEpoch++;
      return 0;
    });
  }

  /** A wait that also ends when the lab closes. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      const wake = (): void => {
        clearTimeout(t);
        this.timers.delete(t);
        this.wakeOnClose.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      this.timers.add(t);
      this.wakeOnClose.add(wake);
    });
  }

  /** Every live domain of the host is gone (power off); its guests stop. */
  private async stopDomainsOn(h: LabHostMachine): Promise<void> {
    for (const { name, handle, state } of await this.domainsOf(h)) {
      if (LIVE_STATES.has(state)) await h.conn.domainDestroy(handle).catch(() => undefined);
      const g = this.guests.get(name);
      if (g && g.host === h.name) await this.guestStop(g);
    }
  }

  private async domainsOf(h: LabHostMachine): Promise<Array<{ name: string; handle: object; state: number }>> {
    const out: Array<{ name: string; handle: object; state: number }> = [];
    for (const handle of await h.conn.connectListAllDomains()) {
      const [name, info] = await Promise.all([h.conn.domainGetName(handle), h.conn.domainGetInfo(handle)]);
      out.push({ name, handle, state: info.state });
    }
    return out;
  }

  // --- what the hypervisor gate reports -------------------------------------------------------

  /** A domain was started on `host` through its hypervisor: its guest boots there. */
  async domainStarted(hostName: string, vm: string): Promise<void> {
    for (const other of this.hosts.values()) {
      if (other.name === hostName) continue;
      for (const d of await this.domainsOf(other)) {
        if (d.name === vm && LIVE_STATES.has(d.state)) this.violations.push(`${vm} started on ${hostName} while a live copy runs on ${other.name}`);
      }
    }
    const g = this.guests.get(vm);
    if (g) await this.guestStart(g, hostName, this.timings.guestBootMs);
  }

  /** A domain was stopped (destroy, shutdown) on `host`: its guest there is gone. */
  async domainStopped(hostName: string, vm: string): Promise<void> {
    const g = this.guests.get(vm);
    if (g && g.host === hostName) await this.guestStop(g);
  }

  // --- guests -------------------------------------------------------------------------------

  guestStart(g: LabGuestMachine, hostName: string, delayMs: number): Promise<void> {
    return enqueue(g.chain, async () => {
      const epoch = ++g.epoch;
      g.state = 'booting';
      g.host = hostName;
      if (delayMs > 0) this.later(delayMs, () => enqueue(g.chain, () => this.guestUp(g, epoch)));
      else await this.guestUp(g, epoch);
    });
  }

  /** Runs on the guest's chain: the boot completes unless something happened to the guest since. */
  private async guestUp(g: LabGuestMachine, epoch: number): Promise<void> {
    if (g.epoch !== epoch) return;
    try {
      await Promise.all([g.sshd.start(), this.startService(g)]);
      g.state = 'up';
    } catch (e) {
      this.problems.push(`guest ${g.vm} did not boot on ${g.host ?? '?'}: ${errorText(e)}`);
    }
  }

  guestStop(g: LabGuestMachine): Promise<void> {
    return enqueue(g.chain, async () => {
      g.epoch++;
      g.state = 'down';
      g.host = null;
      await Promise.all([g.sshd.silence(), this.killService(g)]);
    });
  }

  /** The guest stops answering while its domain runs (hung kernel, or its host hung). */
  guestFreeze(g: LabGuestMachine): Promise<void> {
    return enqueue(g.chain, async () => {
      g.epoch++;
      g.state = 'hung';
      await Promise.all([g.sshd.silence(), this.killService(g)]);
    });
  }

  /** Reboot from inside the guest: down, then up after the boot time; the domain keeps running. */
  private rebootGuest(g: LabGuestMachine): Promise<void> {
    const host = g.host;
    if (host === null) return Promise.resolve();
    return this.guestFreeze(g).then(() => this.guestStart(g, host, this.timings.guestBootMs));
  }

  /** Runs on the guest's chain. */
  private async startService(g: LabGuestMachine): Promise<void> {
    await this.killService(g);
    const proc = spawnGroup(this.perl, ['-e', SERVICE_PL, String(g.servicePort)]);
    g.service = proc;
    if (!(await printed(proc, 'listening', 10_000))) {
      throw new Error(`service of ${g.vm} not listening on ${g.servicePort}: ${proc.output().trim() || 'no output'}`);
    }
  }

  /** Runs on the guest's chain. */
  private async killService(g: LabGuestMachine): Promise<void> {
    const p = g.service;
    g.service = null;
    await p?.kill();
  }

  killServiceNow(g: LabGuestMachine): Promise<void> {
    return enqueue(g.chain, () => this.killService(g));
  }

  // --- ground truth, to judge what the probes saw -----------------------------------------------

  /** A token that changes whenever anything a probe of this host could see changes. */
  hostMark(name: string): string | null {
    const h = this.hosts.get(name);
    return h ? `${h.epoch}/${h.hvEpoch}/${h.power}/${h.os}/${h.hypervisorUp}` : null;
  }

  /** Up in every respect a host probe checks (BMC, TCP, SSH, hypervisor). */
  hostUp(name: string): boolean {
    const h = this.hosts.get(name);
    return h !== undefined && h.power === 'on' && h.os === 'up' && h.hypervisorUp;
  }

  vmMark(name: string): string | null {
    const g = this.guests.get(name);
    return g ? `${g.epoch}/${g.state}/${g.host}/${g.service?.child.pid ?? '-'}/${g.host ? this.hostMark(g.host) : '-'}` : null;
  }

  /** The guest runs on `host`, which is up, with its service listening. */
  vmUp(name: string, host: string): boolean {
    const g = this.guests.get(name);
    return g !== undefined && g.state === 'up' && g.host === host && g.service !== null && !g.service.exited() && this.hostUp(host);
  }

  // --- faults (world.ts language, the subset the lab expresses) -----------------------------------

  hostHang(h: LabHostMachine): Promise<void> {
    return enqueue(h.chain, async () => {
      if (h.power === 'off' || h.os === 'down') return;
      h.epoch++; // a boot in progress never completes
      h.os = 'hung';
      h.hvEpoch++;
      await h.sshd.silence();
      for (const g of this.guests.values()) if (g.host === h.name) await this.guestFreeze(g);
    });
  }

  hostShutdown(h: LabHostMachine): Promise<void> {
    return enqueue(h.chain, async () => {
      if (h.power === 'off') return;
      // Guests are shut down with the OS (their domains stop), then the OS, then the power.
      for (const d of await this.domainsOf(h)) {
        if (LIVE_STATES.has(d.state)) await h.conn.domainShutdown(d.handle).catch(() => undefined);
        const g = this.guests.get(d.name);
        if (g && g.host === h.name) await this.guestStop(g);
      }
      await this.halt(h);
      const epoch = h.epoch;
      this.later(this.timings.hostShutdownMs, () =>
        enqueue(h.chain, async () => {
          if (h.epoch !== epoch || h.power === 'off') return;
          h.power = 'off';
          this.writePower(h);
        }),
      );
    });
  }

  hypervisorCrash(h: LabHostMachine): Promise<void> {
    return enqueue(h.chain, async () => {
      if (h.os !== 'up') return;
      h.hypervisorUp = false;
      h.hvEpoch++;
    });
  }

  /** Hosts holding a live domain of `vm` (the lab's truth, read from each hypervisor). */
  async liveCopies(vm: string): Promise<LabHostMachine[]> {
    const out: LabHostMachine[] = [];
    for (const h of this.hosts.values()) {
      if ((await this.domainsOf(h)).some((d) => d.name === vm && LIVE_STATES.has(d.state))) out.push(h);
    }
    return out;
  }

  /** Guest kernel panic: the domain stops (test driver: shutoff) and the guest is gone. */
  async vmPanic(vm: string): Promise<void> {
    for (const h of await this.liveCopies(vm)) {
      for (const d of await this.domainsOf(h)) if (d.name === vm) await h.conn.domainDestroy(d.handle);
      await this.domainStopped(h.name, vm);
    }
  }

  // --- end --------------------------------------------------------------------------------------

  /** Stops serving requests: scripts waiting or starting now return at once. Idempotent. */
  markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.inbox.close();
  }

  /** Stops watching, cancels timers, waits (bounded) for requests in flight, kills every process. */
  async close(): Promise<void> {
    this.markClosed();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const wake of [...this.wakeOnClose]) wake();
    this.wakeOnClose.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inflight, this.inbox.settled()]), new Promise((r) => (timer = setTimeout(r, 5_000)))]);
    clearTimeout(timer);
    const stops: Array<Promise<void>> = [];
    for (const g of this.guests.values()) stops.push(g.sshd.stop(), g.service?.kill() ?? Promise.resolve());
    for (const h of this.hosts.values()) stops.push(h.sshd.stop());
    await Promise.allSettled(stops);
  }
}
