/**
 * The reinstall rung over the network (issue 4): the Provisioner of the real Env.
 *
 *   netboot on for the host's MACs + fresh one-time callback token
 *   -> BMC: boot device pxe -> power cycle (power on when off)       milestones bootdev-set, power-cycled
 *   -> the boot services see the machine: DHCP, TFTP, HTTP, kickstart  milestones dhcp, tftp, http, kickstart
 *   -> the installer calls back with its token                         milestone callback: resolve
 *   -> always, success or not: netboot off, BMC boot device back to disk.
 *
 * Netboot is OFF for every host unless its reinstall is in progress: a host that PXE-boots for
 * any other reason (a controller restart, a BIOS boot order with the network first) gets no boot
 * file and falls through to its disk. The boot services enable netboot for a MAC they were never
 * told about, so the composition root calls `disableNetboot(allHosts)` at start-up and after each
 * change of the boot host table.
 *
 * A missed deadline rejects with RRC_ERR_DRIVER_TIMEOUT naming the last milestone reached, so
 * the incident (and the person it is handed to) knows where the machine stopped; the same text
 * goes to the timeline as a last `deadline-missed` entry.
 */
import type { HostSpec } from '../../core/types.js';
import type { Clock, InstallProfile, Logger, PowerDriver, Provisioner, ReinstallMilestone, ReinstallOptions } from '../../env/env.js';
import { abortError } from '../../env/abort.js';
import { errorText, RrcError } from '../../errors.js';
import type { BootMilestone, BootServices } from './index.js';

/**
 * What the provisioner needs from the boot services (a remote stand-in in the netns tests).
 * `setInstallProfile` makes the host's next kickstart render another template with a first-boot
 * section (a host lent out, `--physical`), null back to the hypervisor template; boot services
 * without it can only install hypervisors.
 */
export type BootServicesHandle = Pick<BootServices, 'events' | 'setNetboot' | 'issueToken'> & {
  setInstallProfile?(host: string, profile: InstallProfile | null): void;
};

/** The issue's default for the callback deadline; the controller passes its policy's value. */
export const DEFAULT_REINSTALL_DEADLINE_MS = 15 * 60_000;

export interface PxeProvisionerOptions {
  power: PowerDriver;
  boot: BootServicesHandle;
  clock: Clock;
  log?: Logger;
  /**
   * Events of one milestone name passed on per reinstall (default 10). An installer fetching
   * hundreds of packages over HTTP must not flood the incident timeline; the first event past
   * the limit says so, later ones only move "last milestone reached".
   */
  maxPerMilestone?: number;
  /** After a deadline or a failure: how long to wait for a BMC call still in flight before restoring the boot device. Default 30 s. */
  settleMs?: number;
}

type MilestoneSink = (m: ReinstallMilestone) => void;

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };

export class PxeProvisioner implements Provisioner {
  private readonly power: PowerDriver;
  private readonly boot: BootServicesHandle;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly maxPerMilestone: number;
  private readonly settleMs: number;
  private readonly running = new Set<string>();

  constructor(opts: PxeProvisionerOptions) {
    this.power = opts.power;
    this.boot = opts.boot;
    this.clock = opts.clock;
    this.log = (opts.log ?? silent).child({ component: 'pxe-provisioner' });
    this.maxPerMilestone = opts.maxPerMilestone ?? 10;
    this.settleMs = opts.settleMs ?? 30_000;
  }

  /** Netboot off for every MAC of `hosts`, except hosts whose reinstall is in progress. */
  disableNetboot(hosts: ReadonlyArray<Pick<HostSpec, 'name' | 'macs'>>): void {
    for (const h of hosts) {
      if (this.running.has(h.name)) continue;
      for (const mac of h.macs) this.boot.setNetboot(mac, false);
    }
  }

  /** Names of the hosts being reinstalled now, sorted. */
  inProgress(): string[] {
    return [...this.running].sort();
  }

  /**
   * An aborted `signal` (the rung timed out) stops the wait for the callback and the BMC calls in
   * flight; netboot goes off again as after any failure, so the host is not wiped at its next boot.
   */
  async reinstall(host: HostSpec, opts: ReinstallOptions): Promise<void> {
    if (!Number.isFinite(opts.deadlineMs) || opts.deadlineMs <= 0) {
      throw new RrcError('RRC_ERR_VALIDATION', `reinstall deadline must be a positive number of ms, got ${opts.deadlineMs}`);
    }
    if (host.macs.length === 0) {
      throw new RrcError('RRC_ERR_CONFIG_INVALID', `host ${host.name} has no MAC address: it cannot boot from the network`);
    }
    if (opts.profile && !this.boot.setInstallProfile) {
      throw new RrcError('RRC_ERR_MISSING_DEPENDENCY', `these boot services render only the hypervisor template: ${host.name} cannot be installed with ${opts.profile.template}`);
    }
    if (this.running.has(host.name)) throw new RrcError('RRC_ERR_CONFLICT', `a reinstall of ${host.name} is already in progress`);
    this.running.add(host.name);
    try {
      // The template choice holds for this reinstall only; a plain reinstall clears a leftover one.
      this.boot.setInstallProfile?.(host.name, opts.profile ?? null);
      await this.run(host, opts.deadlineMs, opts.onMilestone, opts.signal);
    } finally {
      this.running.delete(host.name);
      this.clearProfile(host.name);
    }
  }

  private async run(host: HostSpec, deadlineMs: number, onMilestone: MilestoneSink, signal?: AbortSignal): Promise<void> {
    const { clock, boot, power } = this;
    const log = this.log.child({ host: host.name });
    const startedAt = clock.now();
    const counts = new Map<string, number>();
    let last: ReinstallMilestone | undefined;

    const forward = (m: ReinstallMilestone) => {
      try {
        onMilestone(m);
      } catch (e) {
        log.warn({ err: errorText(e) }, 'milestone listener threw');
      }
    };
    const report = (m: ReinstallMilestone) => {
      last = m;
      const n = (counts.get(m.name) ?? 0) + 1;
      counts.set(m.name, n);
      if (n <= this.maxPerMilestone) forward(m);
      else if (n === this.maxPerMilestone + 1) forward({ name: m.name, at: m.at, detail: `further ${m.name} events of this reinstall are not recorded` });
    };

    // Boot-service events that arrive while the power command is still in flight are held back
    // and reported after "power-cycled", so the timeline keeps cause before effect.
    let powerIssued = false;
    let held: BootMilestone[] | null = [];
    let onCallback: () => void = () => undefined;
    const callback = new Promise<void>((resolve) => (onCallback = resolve));
    const listener = (m: BootMilestone) => {
      if (m.host !== host.name) return;
      if (!powerIssued) {
        log.debug({ milestone: m.name, detail: m.detail }, 'boot service event before the power cycle ignored');
        return;
      }
      if (held) held.push(m);
      else report({ name: m.name, at: m.at, detail: m.detail });
      if (m.name === 'callback') onCallback();
    };

    let cancelled = false;
    let inflight: Promise<unknown> | undefined;
    const step = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
      if (cancelled) throw new RrcError('RRC_ERR_INTERNAL', `reinstall of ${host.name} abandoned before ${what}`);
      log.info({ step: what }, `reinstall: ${what}`);
      const p = work();
      inflight = p;
      return p;
    };

    let deadlineHandle: unknown;
    const deadline = new Promise<never>((_, reject) => {
      deadlineHandle = clock.setTimeout(() => {
        const err = this.deadlineError(host, deadlineMs, startedAt, last);
        // Also in the timeline, so the incident shows where the machine stopped whatever the
        // caller makes of the error.
        forward({ name: 'deadline-missed', at: clock.now(), detail: (err.details as { reason: string }).reason });
        reject(err);
      }, deadlineMs);
    });
    deadline.catch(() => undefined);
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortError(signal as AbortSignal, `reinstall of ${host.name}`));
    });
    aborted.catch(() => undefined);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    const call = signal ? { signal } : undefined;

    const flow = async () => {
      boot.issueToken(host.name);
      for (const mac of host.macs) boot.setNetboot(mac, true);
      await step('boot device pxe', () => power.setBootDevice(host, 'pxe', call));
      report({ name: 'bootdev-set', at: clock.now(), detail: 'next boot from the network (pxe)' });
      const state = await step('power status', () => power.status(host, call));
      powerIssued = true;
      if (state === 'off') await step('power on', () => power.on(host, call));
      else await step('power cycle', () => power.cycle(host, call));
      report({ name: 'power-cycled', at: clock.now(), detail: state === 'off' ? 'was off: powered on' : `was ${state}: power cycled` });
      const early = held ?? [];
      held = null;
      for (const m of early) report({ name: m.name, at: m.at, detail: m.detail });
      await callback;
    };

    boot.events.on('milestone', listener);
    try {
      await Promise.race([flow(), deadline, aborted]);
      log.info({ seconds: Math.round((clock.now() - startedAt) / 1000) }, 'reinstall: install-complete callback received');
    } catch (e) {
      log.warn({ err: errorText(e), last: last?.name ?? null }, 'reinstall failed');
      throw e;
    } finally {
      cancelled = true;
      clock.clearTimeout(deadlineHandle);
      signal?.removeEventListener('abort', onAbort);
      boot.events.off('milestone', listener);
      await this.restore(host, inflight, log);
    }
  }

  private clearProfile(host: string): void {
    try {
      this.boot.setInstallProfile?.(host, null);
    } catch (e) {
      this.log.error({ host, err: errorText(e) }, 'could not clear the install profile');
    }
  }

  /** Netboot off, then (once no BMC call is in flight) the boot device back to disk. Never throws. */
  private async restore(host: HostSpec, inflight: Promise<unknown> | undefined, log: Logger): Promise<void> {
    for (const mac of host.macs) {
      try {
        this.boot.setNetboot(mac, false);
      } catch (e) {
        log.error({ mac, err: errorText(e) }, 'could not turn netboot off');
      }
    }
    await settle(this.clock, inflight, this.settleMs);
    try {
      await this.power.setBootDevice(host, 'disk');
    } catch (e) {
      // Netboot is off at the DHCP server, so a PXE boot now gets no boot file and falls through to disk.
      log.warn({ err: errorText(e) }, 'could not set the boot device back to disk');
    }
  }

  private deadlineError(host: HostSpec, deadlineMs: number, startedAt: number, last: ReinstallMilestone | undefined): RrcError {
    const reached = last
      ? `${last.name}${last.detail ? ` (${last.detail})` : ''} at ${new Date(last.at).toISOString()}, ${Math.round((last.at - startedAt) / 1000)} s after the start`
      : 'none';
    const reason = `no install-complete callback within ${formatMs(deadlineMs)}; last milestone reached: ${reached}`;
    return new RrcError('RRC_ERR_DRIVER_TIMEOUT', `reinstall of ${host.name}: ${reason}`, {
      details: { host: host.name, lastMilestone: last?.name ?? null, lastMilestoneAt: last?.at ?? null, reason },
    });
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** Resolves when `p` settles or after `ms`, whichever comes first; never rejects, leaves no timer behind. */
function settle(clock: Clock, p: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!p) return Promise.resolve();
  return new Promise((resolve) => {
    const handle = clock.setTimeout(resolve, ms);
    const done = () => {
      clock.clearTimeout(handle);
      resolve();
    };
    p.then(done, done);
  });
}
