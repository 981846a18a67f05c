/**
 * The state half of the simulated rack: hosts, domains and guests, what the probes read, the
 * domain operations of libvirt, and the event / epoch plumbing. Host life cycle and faults are
 * in world.ts (World extends WorldState), which also documents the fault command language.
 */
import type { HostSpec, TargetKind, VmSpec } from '../../core/types.js';
import { RrcError } from '../../errors.js';
import type { Clock } from '../env.js';
import { Random } from './random.js';
import { DEFAULT_TIMINGS, sampleMs, type SimTimings, type TimingName } from './timing.js';
import type { BmcState, GuestState, PxePhase, SimDomain, SimDomainState, SimHost, WorldEvent, WorldOptions } from './world-types.js';

/** Domain states in which a qemu process exists and may write the VM's disk. */
const LIVE_STATES: ReadonlySet<SimDomainState> = new Set(['running', 'paused', 'crashed']);

export abstract class WorldState {
  readonly clock: Clock;
  readonly random: Random;
  readonly timings: SimTimings;
  /** Bumped on every change, so a runner can tell when the world stopped moving. */
  version = 0;
  protected readonly hosts = new Map<string, SimHost>();
  private sortedHostNames: readonly string[] | null = null;
  protected readonly vms = new Map<string, VmSpec>();
  protected readonly autostart: Set<string>;
  protected readonly listeners = new Set<(e: WorldEvent) => void>();
  /** `controller partition`: the controller's own network is cut (world.ts). */
  protected controllerCut = false;

  constructor(opts: WorldOptions) {
    this.clock = opts.clock;
    this.random = new Random(opts.seed ?? 1);
    this.timings = { ...DEFAULT_TIMINGS, ...opts.timings };
    this.autostart = new Set(opts.autostart);
    for (const spec of opts.hosts) this.addHost(spec);
    for (const vm of opts.vms) {
      if (!this.hosts.has(vm.currentHost)) {
        throw new RrcError('RRC_ERR_CONFIG_INVALID', `vm ${vm.name}: currentHost ${vm.currentHost} is not a host`);
      }
      this.registerVm(vm);
      const d = this.defineDomain(vm.currentHost, vm.name);
      Object.assign(d, { state: 'running', guest: 'up' });
    }
  }

  // --- reading ---------------------------------------------------------------------------------

  onChange(listener: (e: WorldEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  host(name: string): Readonly<SimHost> {
    return this.requireHost(name);
  }

  /** Sorted (a copy of the order kept until a host is added: serving() reads it at every referee check). */
  hostNames(): string[] {
    return this.sortedNames().slice();
  }

  private sortedNames(): readonly string[] {
    return (this.sortedHostNames ??= [...this.hosts.keys()].sort());
  }

  vmSpec(name: string): VmSpec {
    const vm = this.vms.get(name);
    if (!vm) throw new RrcError('RRC_ERR_NOT_FOUND', `simulated vm ${name}`);
    return vm;
  }

  domain(host: string, vm: string): Readonly<SimDomain> | undefined {
    return this.requireHost(host).domains.get(vm);
  }

  /** Hosts (sorted) holding a live copy of the VM. Safety invariant: never more than one. */
  runningCopies(vm: string): string[] {
    return this.sortedNames().filter((h) => {
      const d = this.hosts.get(h)?.domains.get(vm);
      return d !== undefined && LIVE_STATES.has(d.state);
    });
  }

  /** The controller's own network is cut from every host, BMC and guest (`controller partition`). */
  get controllerPartitioned(): boolean {
    return this.controllerCut;
  }

  /**
   * The host OS answers on the network (TCP, SSH, libvirt) from the controller's side: up, and
   * neither its path to the controller (`partition`), its own network (`isolate`) nor the
   * controller's network (`controller partition`) is cut.
   */
  hostAnswers(name: string): boolean {
    return this.hostOnNetwork(name) && !this.requireHost(name).partitioned && !this.controllerCut;
  }

  /** The host OS answers its peers and users: up and not isolated (partitions do not matter). */
  hostOnNetwork(name: string): boolean {
    const h = this.requireHost(name);
    return h.power === 'on' && h.os === 'up' && !h.isolated;
  }

  /** Peer witness ground truth: `peer` opens a TCP connection to `target` (both on the network). */
  peerReaches(peer: string, target: string): boolean {
    return this.hostOnNetwork(peer) && this.hostOnNetwork(target);
  }

  /** The guest answers the controller. Its host must be up: a hung kernel freezes its guests. */
  guestAnswers(host: string, vm: string): boolean {
    const d = this.domain(host, vm);
    return d !== undefined && d.state === 'running' && d.guest === 'up' && this.hostAnswers(host);
  }

  /**
   * The BMC as the controller sees it: its own state, or `dead` (no answer) while the
   * controller's network is cut. A host's `partition` or `isolate` leaves its BMC reachable.
   */
  bmcSeen(name: string): BmcState {
    return this.controllerCut ? 'dead' : this.requireHost(name).bmc;
  }

  /** The chassis power the BMC reports: the truth, or `off` from a BMC that lies. */
  bmcPower(name: string): SimHost['power'] {
    const h = this.requireHost(name);
    return h.bmcLiesOff ? 'off' : h.power;
  }

  /**
   * Ground truth for the scenario checker: does the target serve its users right now?
   * - host: powered, OS and hypervisor up, not isolated. A partition from the controller (one
   *   host's or the controller's own) does not stop it serving.
   * - vm: a live copy whose domain runs with guest and service up, on a host that is powered,
   *   OS up and not isolated. libvirtd being down does not matter: the guest's qemu keeps running.
   */
  serving(kind: TargetKind, name: string): boolean {
    if (kind === 'host') return this.hostOnNetwork(name) && this.requireHost(name).hypervisor === 'up';
    this.vmSpec(name);
    return this.sortedNames().some((h) => {
      const d = this.hosts.get(h)?.domains.get(name);
      return d !== undefined && d.state === 'running' && d.guest === 'up' && d.service === 'up' && this.hostOnNetwork(h);
    });
  }

  /** Which host or guest answers at `address` (host ip, host ssh address, VM guestAddress). */
  resolveAddress(address: string): { host: string; vm?: string } | undefined {
    for (const h of this.hosts.values()) {
      if (h.spec.ip === address || h.spec.ssh?.host === address) return { host: h.spec.name };
    }
    for (const vm of this.vms.values()) {
      if (vm.guestAddress !== address) continue;
      // The same address on two copies: the one that answers wins. No copy: nobody is there.
      const copies = this.runningCopies(vm.name);
      const host = copies.find((h) => this.guestAnswers(h, vm.name)) ?? copies[0];
      return host === undefined ? undefined : { host, vm: vm.name };
    }
    return undefined;
  }

  /** One draw of a named timing, in ms. */
  sample(name: TimingName): number {
    return sampleMs(this.random, this.timings[name]);
  }

  // --- inventory and libvirt domains: what the drivers do ------------------------------------------

  addHost(spec: HostSpec): void {
    const host: SimHost = {
      spec, power: 'on', bmc: 'ok', os: 'up', hypervisor: 'up', partitioned: false, isolated: false, bmcLiesOff: false,
      overloaded: false,
      bootDevice: 'disk', bootDestroyed: false, installBroken: false, installedTemplate: 'default', nextInstallTemplate: 'default', domains: new Map(), epoch: 0,
    };
    this.hosts.set(spec.name, host);
    this.sortedHostNames = null;
  }

  /** Learn (or update) a VM's spec, e.g. when the controller defines it from its store. */
  registerVm(vm: VmSpec): void {
    this.vms.set(vm.name, vm);
  }

  defineDomain(host: string, vm: string): SimDomain {
    const h = this.requireHost(host);
    let d = h.domains.get(vm);
    if (d) return d;
    d = { vm, state: 'shutoff', guest: 'off', service: 'up', autostart: this.autostart.has(vm), transient: false, epoch: 0 };
    h.domains.set(vm, d);
    this.emitDomain(h, d, 'defined');
    return d;
  }

  /** Start a defined domain (no-op if running). Refuses a crashed one and overcommitted memory. */
  startDomain(host: string, vm: string): void {
    const h = this.requireHost(host);
    const d = this.requireDomain(h, vm);
    if (d.state === 'running' || d.state === 'paused') return;
    if (d.state === 'crashed') throw new RrcError('RRC_ERR_DRIVER', `domain ${vm} on ${host} is crashed; destroy it first`);
    const needGb = this.vms.get(vm)?.resources.ramGb ?? 0;
    if (this.usedRamGb(h) + needGb > h.spec.capacity.ramGb) {
      throw new RrcError('RRC_ERR_DRIVER', `cannot start ${vm} on ${host}: not enough free memory`);
    }
    Object.assign(d, { state: 'running', guest: 'booting', service: 'up' });
    d.epoch++;
    this.emitDomain(h, d, 'started, guest booting');
    this.afterDomain(d, this.sample('vmBootSeconds'), () => this.setGuest(h, d, 'up'));
  }

  /** Forced off (`virsh destroy`); no-op if not live. */
  destroyDomain(host: string, vm: string): void {
    const h = this.requireHost(host);
    const d = h.domains.get(vm);
    if (d && d.state !== 'shutoff') this.stopDomain(h, d, 'destroyed');
  }

  /** ACPI shutdown request; returns whether the guest will honour it (only a guest that is up). */
  shutdownDomain(host: string, vm: string): boolean {
    const h = this.requireHost(host);
    const d = this.requireDomain(h, vm);
    if (d.state !== 'running' || d.guest !== 'up') return false;
    this.afterDomain(d, this.sample('vmShutdownSeconds'), () => this.stopDomain(h, d, 'guest shut down'));
    return true;
  }

  /** `virsh autostart [--disable]`: whether libvirtd starts the domain when its host boots. */
  setDomainAutostart(host: string, vm: string, on: boolean): void {
    const h = this.requireHost(host);
    const d = this.requireDomain(h, vm);
    if (d.autostart === on) return;
    d.autostart = on;
    this.emitDomain(h, d, on ? 'autostart on' : 'autostart off');
  }

  undefineDomain(host: string, vm: string): void {
    const h = this.requireHost(host);
    const d = h.domains.get(vm);
    if (!d) return;
    if (d.state === 'shutoff') {
      h.domains.delete(vm);
      this.emitDomain(h, d, 'undefined');
    } else d.transient = true;
  }

  /** Reboot from inside the guest: the domain keeps running, the guest goes down and boots. */
  rebootGuest(host: string, vm: string): void {
    const h = this.requireHost(host);
    const d = this.requireDomain(h, vm);
    d.epoch++;
    this.setGuest(h, d, 'booting');
    this.afterDomain(d, this.sample('vmShutdownSeconds') + this.sample('vmBootSeconds'), () => {
      d.service = 'up';
      this.setGuest(h, d, 'up');
    });
  }

  /** The VM's service restart command; returns how long it takes. */
  restartService(host: string, vm: string): number {
    const h = this.requireHost(host);
    const d = this.requireDomain(h, vm);
    const ms = this.sample('serviceRestartSeconds');
    this.afterDomain(d, ms, () => {
      d.service = 'up';
      this.emitDomain(h, d, 'service up');
    });
    return ms;
  }

  // --- internals -------------------------------------------------------------------------------------

  protected requireHost(name: string): SimHost {
    const h = this.hosts.get(name);
    if (!h) throw new RrcError('RRC_ERR_NOT_FOUND', `simulated host ${name}`);
    return h;
  }

  protected requireDomain(h: SimHost, vm: string): SimDomain {
    const d = h.domains.get(vm);
    if (!d) throw new RrcError('RRC_ERR_NOT_FOUND', `domain ${vm} on ${h.spec.name}`);
    return d;
  }

  protected usedRamGb(h: SimHost): number {
    let used = 0;
    for (const d of h.domains.values()) {
      if (LIVE_STATES.has(d.state)) used += this.vms.get(d.vm)?.resources.ramGb ?? 0;
    }
    return used;
  }

  protected stopDomain(h: SimHost, d: SimDomain, why: string): void {
    d.epoch++;
    d.state = 'shutoff';
    d.guest = 'off';
    if (d.transient) h.domains.delete(d.vm);
    this.emitDomain(h, d, d.transient ? `${why}, undefined` : why);
  }

  protected setGuest(h: SimHost, d: SimDomain, guest: GuestState): void {
    d.guest = guest;
    this.emitDomain(h, d, `guest ${guest}`);
  }

  protected setHypervisor(h: SimHost, state: 'up' | 'down', why: string): void {
    h.hypervisor = state;
    this.emit(h, why);
  }

  /** Run `fn` after `ms` unless the host changed epoch (power loss, reboot) meanwhile. */
  protected after(h: SimHost, ms: number, fn: () => void): void {
    const epoch = h.epoch;
    this.clock.setTimeout(() => {
      if (h.epoch === epoch) fn();
    }, ms);
  }

  protected afterDomain(d: SimDomain, ms: number, fn: () => void): void {
    const epoch = d.epoch;
    this.clock.setTimeout(() => {
      if (d.epoch === epoch) fn();
    }, ms);
  }

  protected emit(h: SimHost, change: string, pxe?: PxePhase): void {
    this.publish({ at: this.clock.now(), target: `host:${h.spec.name}`, change, ...(pxe ? { pxe } : {}) });
  }

  protected emitPxe(h: SimHost, phase: PxePhase): void {
    this.emit(h, `pxe ${phase}`, phase);
  }

  protected emitDomain(h: SimHost, d: SimDomain, change: string): void {
    this.publish({ at: this.clock.now(), target: `vm:${d.vm}`, change: `${change} (on ${h.spec.name})` });
  }

  protected publish(e: WorldEvent): void {
    this.version++;
    for (const listener of this.listeners) listener(e);
  }
}
