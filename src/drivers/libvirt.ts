/**
 * HypervisorDriver over @unraid/libvirt (native binding, optional dependency, loaded lazily so
 * the controller runs without it). One connection per hypervisor URI, dropped on failure or
 * timeout and reopened by the next call. The binding has no reboot/reset/migrate: reboot is
 * shutdown + wait + create, restart is destroy + create, migrate is define-from-XML + create.
 * Nor has it autostart: that goes through virsh (libvirt-autostart.ts), and every domain this
 * driver defines or starts is left with autostart off.
 */
import type { CallOptions, Clock, DomainInfo, HypervisorDriver, Logger, NodeInfo } from '../env/env.js';
import { sleepUnlessAborted, throwIfAborted, unlessAborted } from '../env/abort.js';
import type { DomainState } from '../core/signature.js';
import type { HostSpec, VmSpec } from '../core/types.js';
import { RrcError, errorText } from '../errors.js';
import { withTimeout } from '../env/timing.js';
import { realClock as wallClock } from '../env/real/clock.js';
import { VirshAutostart } from './libvirt-autostart.js';

/** Opaque domain handle of the binding. */
export type DomainHandle = object;

/** The part of @unraid/libvirt's Hypervisor this driver uses (a seam for fault-injection tests). */
export interface LibvirtConnection {
  connectOpen(): Promise<void>;
  connectClose(): Promise<void>;
  connectGetHostname(): Promise<string>;
  connectListAllDomains(): Promise<DomainHandle[]>;
  domainLookupByName(name: string): Promise<DomainHandle>;
  domainLookupByUUIDString(uuid: string): Promise<DomainHandle>;
  domainDefineXML(xml: string): Promise<DomainHandle>;
  domainCreate(d: DomainHandle): Promise<void>;
  domainShutdown(d: DomainHandle): Promise<void>;
  domainDestroy(d: DomainHandle): Promise<void>;
  domainUndefine(d: DomainHandle): Promise<void>;
  domainResume(d: DomainHandle): Promise<void>;
  domainGetInfo(d: DomainHandle): Promise<{ state: number }>;
  domainGetName(d: DomainHandle): Promise<string>;
  domainGetUUIDString(d: DomainHandle): Promise<string>;
  nodeGetInfo(): Promise<{ cpus: number; memory: number }>;
}

/** Builds an unopened connection for a URI. */
export type LibvirtConnect = (uri: string) => Promise<LibvirtConnection>;

export interface LibvirtOptions {
  clock?: Clock;
  log?: Logger;
  /** Limit for every single binding call. Default 10 s. */
  callTimeoutMs?: number;
  /** Interval of state polls while waiting for a shutdown. Default 500 ms. */
  pollMs?: number;
  connect?: LibvirtConnect;
  /** Autostart control (virsh by default, with callTimeoutMs). */
  autostart?: VirshAutostart;
}

const MISSING = 'libvirt binding not built: install Debian package libvirt-dev and run npm install';
// Messages of errors after which the connection is not trusted any more.
const CONNECTION_BROKEN = /connection|socket|broken pipe|end of file|not connected|invalid connection|cannot recv|cannot write|no route|refused/i;
const DOMAIN_MISSING = /domain not found|no domain with matching/i;
const NOT_RUNNING = /not running|domain is not active|operation is not valid: domain is not/i;

// libvirt virDomainState numbers.
const STATES: Record<number, DomainState> = {
  0: 'unknown', // NOSTATE
  1: 'running',
  2: 'running', // BLOCKED on a resource, still running
  3: 'paused',
  4: 'running', // SHUTDOWN in progress: still running until it reaches SHUTOFF
  5: 'shutoff',
  6: 'crashed',
  7: 'paused', // PMSUSPENDED
};

type Binding = { Hypervisor: new (o: { uri: string }) => LibvirtConnection };
const bindings = new Map<string, Promise<Binding>>();

/** A LibvirtConnect over the binding module `spec` (another name only in tests), imported on first use. */
export function bindingConnect(spec = '@unraid/libvirt'): LibvirtConnect {
  return async (uri) => {
    let p = bindings.get(spec);
    if (!p) {
      // A variable specifier keeps TypeScript from requiring the optional package at compile time.
      p = import(spec) as Promise<Binding>;
      bindings.set(spec, p);
    }
    let mod: Binding;
    try {
      mod = await p;
    } catch (e) {
      bindings.delete(spec);
      throw new RrcError('RRC_ERR_MISSING_DEPENDENCY', MISSING, { cause: e });
    }
    try {
      // The native .node file is required inside the constructor, not at import.
      return new mod.Hypervisor({ uri });
    } catch (e) {
      throw new RrcError('RRC_ERR_MISSING_DEPENDENCY', `${MISSING} (${errorText(e)})`, { cause: e });
    }
  };
}

/** Default connect: the real binding. */
export const connectBinding: LibvirtConnect = bindingConnect();

export class LibvirtDriver implements HypervisorDriver {
  private closed = false;
  /** Per URI: the open in progress, and the connection once open (so drops are synchronous). */
  private readonly conns = new Map<string, { opening: Promise<LibvirtConnection>; conn?: LibvirtConnection }>();
  private readonly clock: Clock;
  private readonly callTimeoutMs: number;
  private readonly pollMs: number;
  private readonly connect: LibvirtConnect;
  private readonly autostart: VirshAutostart;

  constructor(private readonly opts: LibvirtOptions = {}) {
    this.clock = opts.clock ?? wallClock;
    this.callTimeoutMs = opts.callTimeoutMs ?? 10_000;
    this.pollMs = opts.pollMs ?? 500;
    this.connect = opts.connect ?? connectBinding;
    this.autostart = opts.autostart ?? new VirshAutostart({ timeoutMs: this.callTimeoutMs });
  }

  async ping(host: HostSpec, opts?: CallOptions): Promise<void> {
    await this.call(host, 'ping', (c) => c.connectGetHostname(), true, opts?.signal);
  }

  async listDomains(host: HostSpec, opts?: CallOptions): Promise<DomainInfo[]> {
    const signal = opts?.signal;
    const handles = await this.call(host, 'list domains', (c) => c.connectListAllDomains(), true, signal);
    const out: DomainInfo[] = [];
    for (const d of handles) {
      try {
        const [name, uuid, info] = await this.call(
          host,
          'domain info',
          (c) => Promise.all([c.domainGetName(d), c.domainGetUUIDString(d), c.domainGetInfo(d)]),
          false,
          signal,
        );
        out.push({ name, uuid, state: STATES[info.state] ?? 'unknown' });
      } catch (e) {
        // A domain undefined between list and info is simply gone.
        if (!DOMAIN_MISSING.test(errorText(e))) throw e;
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  async domainState(host: HostSpec, vm: VmSpec, opts?: CallOptions): Promise<DomainState> {
    const d = await this.lookup(host, vm, opts?.signal);
    return d ? this.stateOf(host, vm, d, opts?.signal) : 'missing';
  }

  async reboot(host: HostSpec, vm: VmSpec, opts: { shutdownTimeoutMs: number } & CallOptions): Promise<void> {
    const signal = opts.signal;
    const d = await this.mustLookup(host, vm, signal);
    const state = await this.stateOf(host, vm, d, signal);
    if (state === 'running') {
      let asked = true;
      try {
        await this.call(host, `shutdown ${vm.name}`, (c) => c.domainShutdown(d), false, signal);
      } catch (e) {
        throwIfAborted(signal, `${where(host)}: reboot ${vm.name}`);
        if (!NOT_RUNNING.test(errorText(e))) {
          asked = false;
          this.opts.log?.warn({ host: host.name, vm: vm.name, err: errorText(e) }, 'shutdown refused, destroying');
        }
      }
      const off = asked && (await this.waitShutoff(host, vm, d, opts.shutdownTimeoutMs, signal));
      if (!off) {
        this.opts.log?.info({ host: host.name, vm: vm.name }, 'guest ignored shutdown, destroying');
        await this.destroyHandle(host, vm, d, signal);
      }
    } else if (state !== 'shutoff') {
      // Paused or crashed guests cannot act on an ACPI shutdown.
      await this.destroyHandle(host, vm, d, signal);
    }
    await this.start(host, vm, signal);
  }

  async restart(host: HostSpec, vm: VmSpec, opts?: CallOptions): Promise<void> {
    const signal = opts?.signal;
    const d = await this.mustLookup(host, vm, signal);
    if ((await this.stateOf(host, vm, d, signal)) !== 'shutoff') await this.destroyHandle(host, vm, d, signal);
    await this.start(host, vm, signal);
  }

  async defineAndStart(host: HostSpec, vm: VmSpec, opts?: CallOptions): Promise<void> {
    const signal = opts?.signal;
    let d = await this.lookup(host, vm, signal);
    if (!d) {
      const xml = vm.domainXml;
      if (!xml) throw new RrcError('RRC_ERR_CONFIG_INVALID', `vm ${vm.name}: no domain XML stored, cannot define it on ${host.name}`);
      d = await this.call(host, `define ${vm.name}`, (c) => c.domainDefineXML(xml), false, signal);
    }
    await this.keepAutostartOff(host, vm, d);
    const state = await this.stateOf(host, vm, d, signal);
    if (state === 'running') return;
    if (state === 'paused') {
      const handle = d;
      await this.call(host, `resume ${vm.name}`, (c) => c.domainResume(handle), false, signal);
      await this.verifyRunning(host, vm, signal);
      return;
    }
    if (state !== 'shutoff') await this.destroyHandle(host, vm, d, signal);
    await this.start(host, vm, signal);
  }

  async destroy(host: HostSpec, vm: VmSpec, opts?: CallOptions): Promise<void> {
    const signal = opts?.signal;
    const d = await this.lookup(host, vm, signal);
    if (d && (await this.stateOf(host, vm, d, signal)) !== 'shutoff') await this.destroyHandle(host, vm, d, signal);
  }

  async undefine(host: HostSpec, vm: VmSpec, opts?: CallOptions): Promise<void> {
    const signal = opts?.signal;
    const d = await this.lookup(host, vm, signal);
    if (!d) return;
    try {
      await this.call(host, `undefine ${vm.name}`, (c) => c.domainUndefine(d), false, signal);
    } catch (e) {
      if (!DOMAIN_MISSING.test(errorText(e))) throw e;
    }
  }

  /** Throws RRC_ERR_NOT_FOUND when the domain is not defined on the host. */
  async getAutostart(host: HostSpec, vm: VmSpec): Promise<boolean> {
    return this.autostart.get(host.hypervisorUri, await this.uuidOf(host, vm, await this.mustLookup(host, vm)));
  }

  /** UUIDs of the domains on this host with autostart on (one virsh run, for drift checks). */
  async autostartDomains(host: HostSpec): Promise<string[]> {
    return this.autostart.listOn(host.hypervisorUri);
  }

  async setAutostart(host: HostSpec, vm: VmSpec, on: boolean): Promise<void> {
    await this.autostart.set(host.hypervisorUri, await this.uuidOf(host, vm, await this.mustLookup(host, vm)), on);
  }

  async nodeInfo(host: HostSpec): Promise<NodeInfo> {
    const info = await this.call(host, 'node info', (c) => c.nodeGetInfo(), true);
    // libvirt reports memory in KiB.
    return { cores: info.cpus, memoryMb: Math.floor(info.memory / 1024) };
  }

  /** Closes for good (controller shutdown): a probe still in flight gets an error, not a new connection. */
  async close(): Promise<void> {
    this.closed = true;
    await this.resetConnections();
  }

  /** Drops every cached connection; the next call reconnects, like after a restarted hypervisor. */
  async resetConnections(): Promise<void> {
    const all = [...this.conns.values()];
    this.conns.clear();
    await Promise.all(all.map((e) => e.opening.then((c) => this.closeQuietly(c), () => undefined)));
  }

  // --- internals -------------------------------------------------------------------------------

  /**
   * Autostart off before the domain runs here. Not fatal: a VM the controller must start is not
   * held back by virsh trouble; the failure is logged (as error) and the next check corrects it.
   * A domain virsh cannot see (test:/// files give every connection its own copy) is skipped.
   */
  private async keepAutostartOff(host: HostSpec, vm: VmSpec, d: DomainHandle): Promise<void> {
    try {
      const uuid = await this.uuidOf(host, vm, d);
      if (!(await this.autostart.get(host.hypervisorUri, uuid))) return;
      await this.autostart.set(host.hypervisorUri, uuid, false);
      this.opts.log?.warn({ host: host.name, vm: vm.name }, 'autostart was on: switched off');
    } catch (e) {
      const level = e instanceof RrcError && e.code === 'RRC_ERR_NOT_FOUND' ? 'debug' : 'error';
      this.opts.log?.[level]({ host: host.name, vm: vm.name, err: errorText(e) }, 'autostart not checked');
    }
  }

  private uuidOf(host: HostSpec, vm: VmSpec, d: DomainHandle): Promise<string> {
    return this.call(host, `uuid of ${vm.name}`, (c) => c.domainGetUUIDString(d), true);
  }

  private async start(host: HostSpec, vm: VmSpec, signal?: AbortSignal): Promise<void> {
    const d = await this.mustLookup(host, vm, signal);
    try {
      await this.call(host, `create ${vm.name}`, (c) => c.domainCreate(d), false, signal);
    } catch (e) {
      if (!/already running|already active/i.test(errorText(e))) throw e;
    }
    await this.verifyRunning(host, vm, signal);
  }

  private async verifyRunning(host: HostSpec, vm: VmSpec, signal?: AbortSignal): Promise<void> {
    const state = await this.domainState(host, vm, { signal });
    if (state !== 'running') {
      throw new RrcError('RRC_ERR_DRIVER', `${where(host)}: vm ${vm.name} is ${state} after start, expected running`);
    }
  }

  private async destroyHandle(host: HostSpec, vm: VmSpec, d: DomainHandle, signal?: AbortSignal): Promise<void> {
    try {
      await this.call(host, `destroy ${vm.name}`, (c) => c.domainDestroy(d), false, signal);
    } catch (e) {
      if (!NOT_RUNNING.test(errorText(e))) throw e;
    }
  }

  /** Polls on the injected clock; bounded by the deadline. */
  private async waitShutoff(host: HostSpec, vm: VmSpec, d: DomainHandle, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = this.clock.now() + timeoutMs;
    const poll = Math.max(1, Math.min(this.pollMs, timeoutMs));
    // Bounded by the deadline, and by a round count in case the clock stands still.
    const maxRounds = Math.ceil(timeoutMs / poll) + 2;
    for (let round = 0; round < maxRounds; round++) {
      const s = await this.stateOf(host, vm, d, signal).catch((e: unknown) => {
        if (DOMAIN_MISSING.test(errorText(e))) return 'shutoff' as const; // transient domain gone
        throw e;
      });
      if (s === 'shutoff') return true;
      if (this.clock.now() + poll > deadline) return false;
      await sleepUnlessAborted(this.clock, poll, signal, `${where(host)}: waiting for ${vm.name} to stop`);
    }
    return false;
  }

  private async stateOf(host: HostSpec, _vm: VmSpec, d: DomainHandle, signal?: AbortSignal): Promise<DomainState> {
    const info = await this.call(host, 'domain state', (c) => c.domainGetInfo(d), true, signal);
    return STATES[info.state] ?? 'unknown';
  }

  /** By UUID first (names can be reused), then by name; null when not defined. */
  private async lookup(host: HostSpec, vm: VmSpec, signal?: AbortSignal): Promise<DomainHandle | null> {
    const tries: Array<[string, (c: LibvirtConnection) => Promise<DomainHandle>]> = [];
    if (vm.uuid) tries.push([`lookup ${vm.uuid}`, (c) => c.domainLookupByUUIDString(vm.uuid)]);
    tries.push([`lookup ${vm.name}`, (c) => c.domainLookupByName(vm.name)]);
    for (const [what, fn] of tries) {
      try {
        return await this.call(host, what, fn, true, signal);
      } catch (e) {
        // Any driver error of the UUID lookup (not found, malformed UUID) falls through to the name.
        const miss = e instanceof RrcError && e.code === 'RRC_ERR_DRIVER' && (what.includes(vm.uuid) || DOMAIN_MISSING.test(e.message));
        if (!miss) throw e;
      }
    }
    return null;
  }

  private async mustLookup(host: HostSpec, vm: VmSpec, signal?: AbortSignal): Promise<DomainHandle> {
    const d = await this.lookup(host, vm, signal);
    if (!d) throw new RrcError('RRC_ERR_NOT_FOUND', `vm ${vm.name} (domain) on ${where(host)}`);
    return d;
  }

  /**
   * One binding call with a timeout and error mapping. A timeout or a broken connection drops
   * the cached connection; idempotent reads on a cached connection are retried once on a new one.
   * An aborted `signal` sends no further call and stops waiting for the one in flight:
   * multi-step operations stop at their next step.
   */
  private async call<T>(host: HostSpec, what: string, fn: (c: LibvirtConnection) => Promise<T>, idempotent = false, signal?: AbortSignal): Promise<T> {
    const uri = host.hypervisorUri;
    for (let attempt = 0; attempt < 2; attempt++) {
      throwIfAborted(signal, `${where(host)}: ${what}`);
      const wasCached = this.conns.has(uri);
      const conn = await unlessAborted(this.connection(host), signal, `${where(host)}: connect`);
      try {
        const work = withTimeout(this.clock, fn(conn), this.callTimeoutMs, `${where(host)}: ${what}`, () => this.drop(uri, conn));
        // The RPC itself cannot be cancelled (libvirtd finishes it); only our wait ends. The shared
        // connection stays: probes of the same host use it.
        return await unlessAborted(work, signal, `${where(host)}: ${what}`);
      } catch (e) {
        if (e instanceof RrcError) throw e;
        const msg = errorText(e);
        if (CONNECTION_BROKEN.test(msg)) {
          this.drop(uri, conn);
          if (idempotent && wasCached && attempt === 0) continue;
          throw new RrcError('RRC_ERR_UNREACHABLE', `${where(host)}: ${what}: ${msg}`, { cause: e });
        }
        throw new RrcError('RRC_ERR_DRIVER', `${where(host)}: ${what}: ${msg}`, { cause: e });
      }
    }
    throw new RrcError('RRC_ERR_UNREACHABLE', `${where(host)}: ${what}: connection lost twice`);
  }

  private connection(host: HostSpec): Promise<LibvirtConnection> {
    const uri = host.hypervisorUri;
    const cached = this.conns.get(uri);
    if (cached) return cached.opening;
    const entry: { opening: Promise<LibvirtConnection>; conn?: LibvirtConnection } = { opening: this.open(host) };
    this.conns.set(uri, entry);
    entry.opening.then(
      (c) => {
        entry.conn = c;
      },
      () => {
        // A failed open must not stay cached.
        if (this.conns.get(uri) === entry) this.conns.delete(uri);
      },
    );
    return entry.opening;
  }

  private async open(host: HostSpec): Promise<LibvirtConnection> {
    if (this.closed) throw new RrcError('RRC_ERR_UNREACHABLE', `${where(host)}: driver closed`);
    const conn = await this.connect(host.hypervisorUri);
    try {
      await withTimeout(this.clock, conn.connectOpen(), this.callTimeoutMs, `${where(host)}: connect`);
    } catch (e) {
      if (e instanceof RrcError) throw e;
      throw new RrcError('RRC_ERR_UNREACHABLE', `${where(host)}: ${errorText(e)}`, { cause: e });
    }
    this.opts.log?.debug({ host: host.name, uri: host.hypervisorUri }, 'libvirt connected');
    return conn;
  }

  private drop(uri: string, conn: LibvirtConnection): void {
    const cur = this.conns.get(uri);
    // Compare by connection: a newer connection opened meanwhile stays.
    if (cur?.conn === conn) this.conns.delete(uri);
    // Close in the background: a hung connection must not block the caller.
    void this.closeQuietly(conn);
  }

  private async closeQuietly(c: LibvirtConnection): Promise<void> {
    try {
      await withTimeout(this.clock, c.connectClose(), this.callTimeoutMs, 'libvirt close');
    } catch {
      // Nothing useful to do with a failed close.
    }
  }
}

function where(host: HostSpec): string {
  return `host ${host.name} hypervisor ${host.hypervisorUri}`;
}
