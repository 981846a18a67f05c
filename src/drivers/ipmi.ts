/**
 * PowerDriver over Debian's `ipmitool` (IPMI v2 / RMCP+, cipher suite 3).
 * The password travels in the child's environment (IPMI_PASSWORD with -E), never on argv,
 * where any local user could read it from /proc. `-v` makes ipmitool say *why* a session failed
 * (RAKP 2 HMAC invalid = wrong password, unauthorized name = wrong user), which is how a wrong
 * password is told apart from a dead BMC without waiting for the timeout.
 *
 * Boot progress comes from the System Event Log (ipmi-sel.ts): one `sel elist` per read. Before
 * each power on / cycle / reset the driver notes where the log ends, so records of the boot
 * before ours never count again (a stale "No bootable media" must not send a repaired host to
 * reinstall).
 */
import type { BootDevice, CallOptions, Clock, Logger, PowerDriver } from '../env/env.js';
import { abortError, sleepUnlessAborted, throwIfAborted } from '../env/abort.js';
import type { BootProgress, PowerState } from '../core/signature.js';
import type { BmcSpec, HostSpec } from '../core/types.js';
import { RrcError, errorText, isRrcError } from '../errors.js';
import { execBounded, type ExecFn, type ExecResult } from './exec.js';
import { realClock as wallClock } from '../env/real/clock.js';
import { foldBootProgress, markOf, parseSel, SelMarks, type BootVerdict } from './ipmi-sel.js';

export type ResolveSecret = (ref: string) => Promise<string>;

export interface IpmiOptions {
  resolveSecret: ResolveSecret;
  /** Hard limit per ipmitool run (the child is killed). Default 10 s. */
  timeoutMs?: number;
  /** Extra attempts after a failed run (not after auth errors). Default 2. */
  retries?: number;
  /** Wait before retry n is backoffMs * n. Default 300 ms. */
  backoffMs?: number;
  /** ipmitool's own per-message timeout (-N, seconds) and retries (-R). Defaults 1 and 1. */
  ipmitoolTimeoutSec?: number;
  ipmitoolRetries?: number;
  ipmitoolPath?: string;
  exec?: ExecFn;
  clock?: Clock;
  log?: Logger;
  /** SEL positions at our power actions; share one between the drivers of one controller. */
  selMarks?: SelMarks;
}

// ipmitool -v messages, checked in this order.
const AUTH_PATTERNS = [
  /RAKP \d HMAC is invalid/i,
  /RAKP \d message indicates an error\s*:\s*(unauthorized name|invalid|inactive|illegal)[^\n]*/i,
  /unauthorized name/i,
  /invalid (user ?name|password)/i,
  /insufficient privilege/i,
  /Activate Session error[^\n]*/i,
];
const UNREACHABLE_PATTERNS = [
  /Get Auth Capabilities error/i,
  /Error issuing Get Channel Authentication Capabilities/i,
  /No response from remote controller/i,
  /Unable to establish IPMI v2 \/ RMCP\+ session/i,
  /Address lookup for .* failed/i,
];

export class IpmiPowerDriver implements PowerDriver {
  private readonly opts: Required<Omit<IpmiOptions, 'log'>> & { log?: Logger };

  constructor(opts: IpmiOptions) {
    this.opts = {
      timeoutMs: 10_000,
      retries: 2,
      backoffMs: 300,
      ipmitoolTimeoutSec: 1,
      ipmitoolRetries: 1,
      ipmitoolPath: 'ipmitool',
      exec: execBounded,
      clock: wallClock,
      selMarks: new SelMarks(),
      ...opts,
    };
  }

  async status(host: HostSpec, opts?: CallOptions): Promise<PowerState> {
    const out = await this.run(host, ['chassis', 'power', 'status'], this.opts.retries, opts?.signal);
    const m = /Chassis Power is (on|off)/i.exec(out);
    if (!m?.[1]) {
      throw new RrcError('RRC_ERR_DRIVER', `${where(host)}: unexpected power status output "${firstLine(out)}"`);
    }
    return m[1].toLowerCase() === 'on' ? 'on' : 'off';
  }

  async on(host: HostSpec, opts?: CallOptions): Promise<void> {
    await this.markSel(host, opts?.signal);
    await this.run(host, ['chassis', 'power', 'on'], this.opts.retries, opts?.signal);
  }

  async off(host: HostSpec, opts?: CallOptions): Promise<void> {
    await this.run(host, ['chassis', 'power', 'off'], this.opts.retries, opts?.signal);
  }

  async cycle(host: HostSpec, opts?: CallOptions): Promise<void> {
    const signal = opts?.signal;
    await this.markSel(host, signal);
    try {
      await this.run(host, ['chassis', 'power', 'cycle'], this.opts.retries, signal);
    } catch (e) {
      // Many BMCs refuse "cycle" while the chassis is off (completion code 0xd5); power on instead.
      if (isRrcError(e, 'RRC_ERR_DRIVER') && /not supported in present state|0xd5/i.test(e.message)) {
        await this.run(host, ['chassis', 'power', 'on'], this.opts.retries, signal);
        return;
      }
      throw e;
    }
  }

  async reset(host: HostSpec, opts?: CallOptions): Promise<void> {
    await this.markSel(host, opts?.signal);
    await this.run(host, ['chassis', 'power', 'reset'], this.opts.retries, opts?.signal);
  }

  /** Boot-once: the BMC forgets the override after the next boot. */
  async setBootDevice(host: HostSpec, device: BootDevice, opts?: CallOptions): Promise<void> {
    await this.run(host, ['chassis', 'bootdev', device], this.opts.retries, opts?.signal);
  }

  async bootProgress(host: HostSpec): Promise<BootProgress> {
    return (await this.bootVerdict(host)).progress;
  }

  /** The progress and the record that decided it. One ipmitool run, never retried (probe path). */
  async bootVerdict(host: HostSpec): Promise<BootVerdict> {
    const out = await this.run(host, ['sel', 'elist'], 0);
    const verdict = foldBootProgress(parseSel(out), this.opts.selMarks.get(bmcKey(bmcOf(host))));
    this.opts.log?.debug({ host: host.name, progress: verdict.progress, record: verdict.decidedBy?.id }, 'SEL boot progress');
    return verdict;
  }

  /**
   * Notes where the SEL ends before a power action. Best effort: a BMC without a SEL, or one
   * that fails this read, still gets the power command (then the whole log counts).
   */
  private async markSel(host: HostSpec, signal?: AbortSignal): Promise<void> {
    const bmc = bmcOf(host);
    try {
      this.opts.selMarks.set(bmcKey(bmc), markOf(parseSel(await this.run(host, ['sel', 'elist'], 0, signal))));
    } catch (e) {
      // Aborted: the power command that follows must not be sent.
      throwIfAborted(signal, `${where(host)}: sel elist`);
      this.opts.log?.debug({ host: host.name, err: errorText(e) }, 'SEL not marked before power action');
    }
  }

  /**
   * Runs one ipmitool command with retries; returns stdout or throws a typed error. An aborted
   * `signal` kills the running ipmitool child and sends no further try (RRC_ERR_ABORTED).
   */
  private async run(host: HostSpec, command: string[], retries = this.opts.retries, signal?: AbortSignal): Promise<string> {
    const bmc = bmcOf(host);
    const password = await this.password(host, bmc);
    const args = [
      '-v',
      '-I', 'lanplus',
      '-C', '3',
      '-H', bmc.address,
      '-p', String(bmc.port),
      '-U', bmc.user,
      '-E',
      '-N', String(this.opts.ipmitoolTimeoutSec),
      '-R', String(this.opts.ipmitoolRetries),
      ...command,
    ];
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', IPMI_PASSWORD: password };
    let last: RrcError | undefined;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await sleepUnlessAborted(this.opts.clock, this.opts.backoffMs * attempt, signal, `${where(host)}: ipmitool`);
      throwIfAborted(signal, `${where(host)}: ipmitool ${command.join(' ')}`);
      const res = await this.opts.exec({ file: this.opts.ipmitoolPath, args, env, timeoutMs: this.opts.timeoutMs, ...(signal ? { signal } : {}) });
      if (res.aborted && signal) throw abortError(signal, `${where(host)}: ipmitool ${command.join(' ')} killed`);
      const err = this.classify(host, bmc, command, res);
      if (!err) return res.stdout;
      last = err;
      this.opts.log?.debug({ host: host.name, command: command.join(' '), attempt, err: err.message }, 'ipmitool failed');
      // Retrying cannot fix a wrong password or a missing binary, and would lock out some BMCs.
      if (err.code === 'RRC_ERR_AUTH' || err.code === 'RRC_ERR_MISSING_DEPENDENCY') break;
    }
    throw last ?? new RrcError('RRC_ERR_DRIVER', `${where(host)}: ipmitool failed`);
  }

  private async password(host: HostSpec, bmc: BmcSpec): Promise<string> {
    try {
      return await this.opts.resolveSecret(bmc.secretRef);
    } catch (e) {
      if (e instanceof RrcError) throw e;
      throw new RrcError('RRC_ERR_CONFIG_INVALID', `${where(host)}: BMC secret "${bmc.secretRef}": ${errorText(e)}`);
    }
  }

  private classify(host: HostSpec, bmc: BmcSpec, command: string[], res: ExecResult): RrcError | undefined {
    const what = `${where(host)}: ipmitool ${command.join(' ')}`;
    if (res.spawnError) {
      if (res.spawnError.code === 'ENOENT') {
        return new RrcError(
          'RRC_ERR_MISSING_DEPENDENCY',
          `${this.opts.ipmitoolPath} not found (install Debian package ipmitool)`,
        );
      }
      return new RrcError('RRC_ERR_DRIVER', `${what}: cannot start ipmitool: ${res.spawnError.message}`);
    }
    if (res.code === 0 && !res.timedOut) return undefined;
    const text = `${res.stderr}\n${res.stdout}`;
    for (const p of AUTH_PATTERNS) {
      const m = p.exec(text);
      if (m) return new RrcError('RRC_ERR_AUTH', `${what}: BMC refused user "${bmc.user}" (${m[0].trim()})`);
    }
    if (res.timedOut) {
      return new RrcError(
        'RRC_ERR_DRIVER_TIMEOUT',
        `${what}: no answer within ${this.opts.timeoutMs} ms (BMC down, or a wrong password on a BMC that stays silent)`,
      );
    }
    for (const p of UNREACHABLE_PATTERNS) {
      if (p.test(text)) return new RrcError('RRC_ERR_UNREACHABLE', `${what}: BMC does not answer (${firstErrorLine(res.stderr)})`);
    }
    return new RrcError('RRC_ERR_DRIVER', `${what}: exit ${res.code ?? res.signal}: ${firstErrorLine(res.stderr) || firstLine(res.stdout)}`);
  }
}

function bmcOf(host: HostSpec): BmcSpec {
  if (!host.bmc) throw new RrcError('RRC_ERR_CONFIG_INVALID', `host ${host.name} has no BMC configured`);
  return host.bmc;
}

function bmcKey(bmc: BmcSpec): string {
  return `${bmc.address}:${bmc.port}`;
}

function where(host: HostSpec): string {
  return host.bmc ? `host ${host.name} BMC ${host.bmc.address}:${host.bmc.port}` : `host ${host.name}`;
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0]?.slice(0, 200) ?? '';
}

/** The most telling stderr line, skipping -v chatter. */
function firstErrorLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const err = lines.find((l) => /error|fail|invalid|unable|not supported/i.test(l) && !/IANA PEN/.test(l));
  return (err ?? lines.find((l) => !/IANA PEN/.test(l)) ?? '').slice(0, 200);
}
