/**
 * The real Prober: every check of a target runs in parallel under its own deadline, and a failed
 * check becomes `false` (or 'unknown') with the reason in `details`. A probe never throws:
 * a broken check is evidence for the signature, not a crash of the reconcile pass.
 *
 * BMC cost per host probe: one `chassis power status`; plus one `sel elist` (boot progress) only
 * when the BMC says power on and the OS does not answer (no TCP, or no command over SSH): that
 * is when the signature needs it (boot failed -> reinstall; OS running -> a person, not a wipe).
 *
 * With `bmcRefreshMs` the status read is skipped for a host that answered every in-band check
 * (TCP, SSH, libvirt) at its last probe while its BMC read "on" less than that long ago: each
 * ipmitool run is a fork + exec + RMCP+ session, about three quarters of a host probe's CPU
 * (bench/results/probe-scale.md). The BMC is read again at once when any in-band check of the
 * probe fails (started then, beside the checks still running), and on every probe while the last
 * one had a failure or the BMC did not read "on": every observation of a host that does not fully
 * answer, the only ones the safety gate takes evidence from, carries a fresh BMC read.
 */
import type { Clock, HypervisorDriver, PowerDriver, Prober, RemoteShell } from '../../env/env.js';
import type { BootProgress, DomainState, HostObservation, PowerState, VmObservation } from '../../core/signature.js';
import type { HostSpec, SshSpec, VmSpec } from '../../core/types.js';
import { errorText, isRrcError } from '../../errors.js';
import { httpGetStatus, splitHostPort, tcpConnect } from '../../drivers/net-check.js';
import { withTimeout } from '../timing.js';
import { realClock as wallClock } from './clock.js';

export interface ProbeTimeouts {
  bmcMs: number;
  tcpMs: number;
  sshMs: number;
  libvirtMs: number;
  guestMs: number;
  serviceMs: number;
}

export const DEFAULT_PROBE_TIMEOUTS: ProbeTimeouts = {
  bmcMs: 5_000,
  tcpMs: 3_000,
  sshMs: 5_000,
  libvirtMs: 5_000,
  guestMs: 3_000,
  serviceMs: 5_000,
};

export interface RealProberOptions {
  power: PowerDriver;
  hypervisor: HypervisorDriver;
  shell: RemoteShell;
  timeouts?: Partial<ProbeTimeouts>;
  /** Port for the guest reachability check when guestAddress has none. Default 22. */
  guestPort?: number;
  /** SSH endpoint for `ssh` service checks. Default: guest address, host's SSH user and key. */
  guestSsh?: (vm: VmSpec, host: HostSpec) => SshSpec | undefined;
  clock?: Clock;
  /**
   * The installation check, run over SSH only while the host answers and its hypervisor does not
   * (exit 0: intact). Its failure is the evidence a reinstall needs. Default none: not run.
   */
  installCheckCommand?: string | null;
  /**
   * Longest age of a BMC "on" reused for a host that answers every in-band check (see the header).
   * null or absent: the BMC is read at every probe.
   */
  bmcRefreshMs?: number | null;
}

/** The last BMC status read of a host and whether that host then answered every in-band check. */
interface BmcMemo {
  at: number;
  outcome: Outcome<PowerState>;
  inBandOk: boolean;
}

type Outcome<T> = { ok: true; value: T; ms: number } | { ok: false; error: unknown; ms: number };

export class RealProber implements Prober {
  private readonly t: ProbeTimeouts;
  private readonly clock: Clock;
  private readonly bmcMemo = new Map<string, BmcMemo>();

  constructor(private readonly opts: RealProberOptions) {
    this.t = { ...DEFAULT_PROBE_TIMEOUTS, ...opts.timeouts };
    this.clock = opts.clock ?? wallClock;
  }

  async probeHost(host: HostSpec): Promise<HostObservation> {
    const sshAddr = host.ssh?.host ?? host.ip;
    const sshPort = host.ssh?.port ?? 22;
    const tcpP = this.attempt('tcp', this.t.tcpMs, () => tcpConnect(sshAddr, sshPort, this.t.tcpMs));
    const shellP = host.ssh ? this.attempt('ssh', this.t.sshMs, () => this.shellOk(host.ssh as SshSpec)) : undefined;
    const hvP = this.attempt('hypervisor', this.t.libvirtMs, () => this.opts.hypervisor.ping(host));
    const memoKey = host.bmc ? `${host.name}@${host.bmc.address}:${host.bmc.port}` : host.name;
    const memo = this.reusableBmc(memoKey);
    let bmcRead = false;
    const readBmc = () => {
      bmcRead = true;
      return this.attempt('bmc', this.t.bmcMs, () => this.opts.power.status(host));
    };
    let bmcP: Promise<Outcome<PowerState> | undefined> = Promise.resolve(undefined);
    if (host.bmc && memo === undefined) bmcP = readBmc();
    else if (host.bmc && memo) bmcP = firstInBandFailure(tcpP, shellP, hvP).then((failed) => (failed ? readBmc() : memo.outcome));
    const [bmc, tcp, shell, hv] = await Promise.all([bmcP, tcpP, shellP, hvP]);
    const inBandOk = tcp.ok && hv.ok && (shell ? shellVerdict(shell) !== false : true);
    if (bmc && bmcRead) this.bmcMemo.set(memoKey, { at: this.clock.now(), outcome: bmc, inBandOk });
    else if (memo) memo.inBandOk = inBandOk;
    const details: Record<string, string> = {};
    let bmcReachable: boolean | null = null;
    let power: PowerState = 'unknown';
    if (bmc) {
      details.bmc = bmcRead || !memo
        ? describe(bmc, (p) => `power ${p}`)
        : `power on (read ${Math.round((this.clock.now() - memo.at) / 1000)} s ago; the host answers every in-band check)`;
      if (bmc.ok) {
        bmcReachable = true;
        power = bmc.value;
      } else {
        bmcReachable = bmcAnswered(bmc.error);
      }
    }
    details.tcp = describe(tcp, () => `connected to ${sshAddr}:${sshPort}`);
    if (shell) details.ssh = describe(shell, (r) => r);
    details.hypervisor = describe(hv, () => 'answered');
    const shellOk = shell ? shellVerdict(shell) : null;
    const bootProgress = await this.bootProgress(host, bmc, power, !tcp.ok || shellOk === false, details);
    const installOk = shellOk === true && !hv.ok ? await this.installCheck(host.ssh as SshSpec, details) : null;
    return {
      bmcReachable,
      power,
      reachable: tcp.ok,
      shellOk,
      hypervisorOk: hv.ok,
      ...(bootProgress ? { bootProgress } : {}),
      ...(installOk !== null ? { installOk } : {}),
      details,
    };
  }

  /**
   * The memo whose "on" may stand for this probe's BMC read (bmcRefreshMs set, the host answered
   * every in-band check last time, the BMC read "on" recently enough); else undefined: read it.
   */
  private reusableBmc(key: string): BmcMemo | undefined {
    const refresh = this.opts.bmcRefreshMs;
    const memo = this.bmcMemo.get(key);
    if (refresh === null || refresh === undefined || !memo) return undefined;
    const fresh = this.clock.now() - memo.at < refresh;
    return fresh && memo.inBandOk && memo.outcome.ok && memo.outcome.value === 'on' ? memo : undefined;
  }

  /** null when no check is configured or it could not run (no evidence either way). */
  private async installCheck(endpoint: SshSpec, details: Record<string, string>): Promise<boolean | null> {
    const command = this.opts.installCheckCommand;
    if (!command) return null;
    const r = await this.attempt('install', this.t.sshMs, () => this.opts.shell.run(endpoint, command, { timeoutMs: this.t.sshMs }));
    if (!r.ok) {
      details.install = describe(r, () => '');
      return null;
    }
    details.install = `"${command}" exited ${r.value.code}${r.value.code === 0 ? '' : `: ${r.value.stderr.trim().slice(0, 120)}`}`;
    return r.value.code === 0;
  }

  /**
   * Reads the SEL only when it can change the verdict: power on and the OS silent. Power off
   * needs no read; a BMC whose status call failed would fail this one too (same session).
   */
  private async bootProgress(
    host: HostSpec,
    bmc: Outcome<PowerState> | undefined,
    power: PowerState,
    osSilent: boolean,
    details: Record<string, string>,
  ): Promise<BootProgress | undefined> {
    const read = this.opts.power.bootProgress?.bind(this.opts.power);
    if (!bmc || !read) return undefined;
    if (power === 'off') return 'off';
    if (!osSilent) return undefined;
    if (!bmc.ok) {
      details.bootProgress = `unknown: SEL not read, BMC status failed: ${errorText(bmc.error)}`;
      return 'unknown';
    }
    const sel = await this.attempt('sel', this.t.bmcMs, () => read(host));
    details.bootProgress = sel.ok ? describe(sel, (p) => p) : `unknown: ${describe(sel, () => '')}`;
    return sel.ok ? sel.value : 'unknown';
  }

  async probeVm(vm: VmSpec, host: HostSpec): Promise<Omit<VmObservation, 'hostDown'>> {
    const guest = vm.guestAddress ? splitHostPort(vm.guestAddress, this.opts.guestPort ?? 22) : undefined;
    const [hv, dom, reach, service] = await Promise.all([
      this.attempt('hypervisor', this.t.libvirtMs, () => this.opts.hypervisor.ping(host)),
      this.attempt('domain', this.t.libvirtMs, () => this.opts.hypervisor.domainState(host, vm)),
      guest ? this.attempt('guest', this.t.guestMs, () => tcpConnect(guest.host, guest.port, this.t.guestMs)) : undefined,
      vm.serviceCheck ? this.attempt('service', this.t.serviceMs, () => this.service(vm, host)) : undefined,
    ]);
    const details: Record<string, string> = {};
    details.hypervisor = describe(hv, () => 'answered');
    details.domain = describe(dom, (s) => s);
    const domain: DomainState = dom.ok ? dom.value : 'unknown';
    let guestReachable: boolean;
    if (reach && guest) {
      guestReachable = reach.ok;
      details.guest = describe(reach, () => `connected to ${guest.host}:${guest.port}`);
    } else {
      guestReachable = domain === 'running';
      details.guest = 'no guestAddress; judged from the domain state';
    }
    let serviceOk: boolean | null = null;
    if (service) {
      serviceOk = service.ok && service.value.ok;
      details.service = describe(service, (r) => r.detail);
    }
    return { hypervisorOk: hv.ok, domain, guestReachable, serviceOk, details };
  }

  private async shellOk(endpoint: SshSpec): Promise<string> {
    const r = await this.opts.shell.run(endpoint, 'true', { timeoutMs: this.t.sshMs });
    return `exit ${r.code}`;
  }

  private async service(vm: VmSpec, host: HostSpec): Promise<{ ok: boolean; detail: string }> {
    const check = vm.serviceCheck;
    if (!check) return { ok: true, detail: 'no check' };
    const guestHost = vm.guestAddress ? splitHostPort(vm.guestAddress, 22).host : undefined;
    switch (check.kind) {
      case 'tcp': {
        if (!guestHost) return { ok: false, detail: 'tcp check needs a guestAddress' };
        await tcpConnect(guestHost, check.port, this.t.serviceMs);
        return { ok: true, detail: `tcp ${guestHost}:${check.port} open` };
      }
      case 'http': {
        if (!guestHost) return { ok: false, detail: 'http check needs a guestAddress' };
        const status = await httpGetStatus(guestHost, check.port, check.path, this.t.serviceMs);
        const ok = check.expectStatus !== undefined ? status === check.expectStatus : status >= 200 && status < 300;
        return { ok, detail: `http ${check.path} -> ${status}${ok ? '' : ` (expected ${check.expectStatus ?? '2xx'})`}` };
      }
      case 'ssh': {
        const endpoint = (this.opts.guestSsh ?? defaultGuestSsh(this.opts.guestPort ?? 22))(vm, host);
        if (!endpoint) return { ok: false, detail: 'ssh check needs a guest SSH endpoint' };
        const r = await this.opts.shell.run(endpoint, check.command, { timeoutMs: this.t.serviceMs });
        return { ok: r.code === 0, detail: `ssh check exit ${r.code}${r.code === 0 ? '' : `: ${r.stderr.trim().slice(0, 200)}`}` };
      }
    }
  }

  /** Runs one check under its deadline; never rejects. */
  private async attempt<T>(what: string, ms: number, fn: () => Promise<T>): Promise<Outcome<T>> {
    const started = this.clock.now();
    try {
      const value = await withTimeout(this.clock, Promise.resolve().then(fn), ms, `${what} probe`);
      return { ok: true, value, ms: this.clock.now() - started };
    } catch (error) {
      return { ok: false, error, ms: this.clock.now() - started };
    }
  }
}

/**
 * Resolves true as soon as one in-band check fails (TCP or libvirt not answering, a command over
 * SSH that did not run), false once all passed: the moment a skipped BMC read must be made after all.
 */
function firstInBandFailure(
  tcp: Promise<Outcome<number>>,
  shell: Promise<Outcome<string>> | undefined,
  hv: Promise<Outcome<void>>,
): Promise<boolean> {
  return new Promise((resolve) => {
    const checks: Array<Promise<boolean>> = [
      tcp.then((o) => !o.ok),
      hv.then((o) => !o.ok),
      ...(shell ? [shell.then((o) => shellVerdict(o) === false)] : []),
    ];
    for (const c of checks) void c.then((failed) => failed && resolve(true));
    void Promise.all(checks).then(() => resolve(false));
  });
}

function defaultGuestSsh(port: number): (vm: VmSpec, host: HostSpec) => SshSpec | undefined {
  return (vm, host) => {
    if (!vm.guestAddress) return undefined;
    const g = splitHostPort(vm.guestAddress, port);
    return { host: g.host, port: g.port, user: host.ssh?.user ?? 'root', ...(host.ssh?.keyRef ? { keyRef: host.ssh.keyRef } : {}) };
  };
}

/**
 * A refused key or host key, or a missing secret, says nothing about the OS (sshd answered):
 * null ("not judged") rather than false, which would read as a hung OS and cost a host reboot.
 */
function shellVerdict(o: Outcome<string>): boolean | null {
  if (o.ok) return o.value === 'exit 0';
  if (isRrcError(o.error, 'RRC_ERR_AUTH') || isRrcError(o.error, 'RRC_ERR_CONFIG_INVALID')) return null;
  return false;
}

/** Auth refused or odd output still proves the BMC answered; a missing tool proves nothing. */
function bmcAnswered(e: unknown): boolean | null {
  if (isRrcError(e, 'RRC_ERR_AUTH') || isRrcError(e, 'RRC_ERR_DRIVER')) return true;
  if (isRrcError(e, 'RRC_ERR_MISSING_DEPENDENCY') || isRrcError(e, 'RRC_ERR_CONFIG_INVALID')) return null;
  return false;
}

function describe<T>(o: Outcome<T>, ok: (v: T) => string): string {
  return o.ok ? `${ok(o.value)} (${o.ms} ms)` : `${errorText(o.error)} (${o.ms} ms)`;
}
