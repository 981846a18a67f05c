/**
 * Fencing over any PowerDriver (real IPMI or the simulated rack): power off, then read the
 * BMC back until it says off. The trap this avoids: reporting "fenced" because the off command
 * was accepted while the host still runs (stuck relay, BMC that acks and ignores) and then
 * starting its VMs elsewhere: the same disk written by two hosts.
 *
 * Confirmed means (issue 9): the BMC reads off twice, `confirmGapMs` apart (a BMC that flickers
 * "off" during a reset does not count), AND the host no longer answers on any path the controller
 * has (TCP, SSH, libvirt). A BMC that says off while the host still answers is lying: that ends in
 * RRC_ERR_FENCE_UNCONFIRMED with details.kind 'bmc-contradicted', which waits for a person; nothing starts elsewhere.
 */
import type { HostObservation } from '../core/signature.js';
import type { Clock, PowerDriver } from '../env/env.js';
import type { HostSpec } from '../core/types.js';
import { RrcError, errorText } from '../errors.js';
import { sleepUnlessAborted } from '../env/abort.js';
import { withTimeout } from '../env/timing.js';

export interface FenceOptions {
  /** How long the BMC may take to report power off after the command. */
  confirmTimeoutMs: number;
  /**
   * Self-fencing: how long after the controller's last contact the host may still have renewed its
   * lease (it was alive until the probe that found it silent: one probe interval plus its timeout).
   * Added to the watchdog wait. Default 0; the controller sets it from its probe settings.
   */
  silenceMarginMs?: number;
  /** Interval between status reads. */
  pollMs: number;
  /** Off commands sent at most (re-sent while the BMC still reads on). Default 3. */
  maxOffAttempts?: number;
  /**
   * Checked after every status read that is not "off": true ends the wait early (unconfirmed),
   * e.g. once the host's storage-lease watchdog has fenced it anyway (executor).
   */
  giveUp?: () => boolean;
  /** Between the two "off" reads that confirm the fence. Default 5 s. */
  confirmGapMs?: number;
  /** The controller's own look at the host after the BMC said off (env.probes.probeHost). None: not checked. */
  probeHost?: (host: HostSpec) => Promise<HostObservation>;
  /** Bound on that look. Default 10 s. */
  probeTimeoutMs?: number;
}

/** `details.kind` of the RRC_ERR_FENCE_UNCONFIRMED thrown when the BMC says off but the host answers. */
export const BMC_CONTRADICTED = 'bmc-contradicted';

/** True for the "BMC reports off but the host answers" error: a person must look, no retry, no watchdog wait. */
export function isBmcContradicted(e: unknown): boolean {
  if (!(e instanceof RrcError) || e.code !== 'RRC_ERR_FENCE_UNCONFIRMED') return false;
  const details = e.details as { kind?: unknown } | undefined;
  return details?.kind === BMC_CONTRADICTED;
}

export interface FenceResult {
  /** Clock time at which the BMC first reported power off. */
  confirmedAt: number;
  offAttempts: number;
  statusReads: number;
}

/**
 * Resolves only once the BMC reported "off"; otherwise throws RRC_ERR_FENCE_UNCONFIRMED. An
 * aborted `signal` stops it at its next BMC call or wait (RRC_ERR_ABORTED).
 */
export async function fenceHost(
  power: PowerDriver,
  host: HostSpec,
  clock: Clock,
  opts: FenceOptions,
  signal?: AbortSignal,
): Promise<FenceResult> {
  const maxOff = Math.max(1, opts.maxOffAttempts ?? 3);
  const pollMs = Math.max(1, opts.pollMs);
  const deadline = clock.now() + opts.confirmTimeoutMs;
  let offAttempts = 0;
  let statusReads = 0;
  let lastProblem = 'no status read';

  const sendOff = async (): Promise<void> => {
    offAttempts++;
    try {
      await power.off(host, { signal });
    } catch (e) {
      signal?.throwIfAborted();
      // Not fatal: the host may be off already, or the BMC acted but the answer was lost.
      lastProblem = `power off failed: ${errorText(e)}`;
    }
  };

  // A BMC that already reads off gets no off command: if it lies, nothing was sent to a live host.
  const first = await power.status(host, { signal }).catch((e: unknown) => {
    signal?.throwIfAborted();
    return `unreadable (${errorText(e)})`;
  });
  if (first !== 'off') await sendOff();
  // Bounded twice: by the deadline on the clock, and by a round count in case the clock stands still.
  const maxRounds = Math.ceil(opts.confirmTimeoutMs / pollMs) + 2;
  for (let round = 0; round < maxRounds; round++) {
    statusReads++;
    try {
      const state = await power.status(host, { signal });
      if (state === 'off') {
        const second = await secondOffRead(power, host, clock, opts, signal);
        statusReads++;
        if (second === 'off') {
          await requireSilent(host, clock, opts);
          return { confirmedAt: clock.now(), offAttempts, statusReads };
        }
        lastProblem = `BMC reported power off, then ${second} ${(opts.confirmGapMs ?? DEFAULT_CONFIRM_GAP_MS) / 1000} s later`;
      } else {
        lastProblem = `BMC still reports power ${state}`;
        if (state === 'on' && offAttempts < maxOff && clock.now() + pollMs < deadline) await sendOff();
      }
    } catch (e) {
      signal?.throwIfAborted();
      if (isBmcContradicted(e)) throw e;
      lastProblem = `power status failed: ${errorText(e)}`;
    }
    if (clock.now() + pollMs > deadline || opts.giveUp?.()) break;
    await sleepUnlessAborted(clock, pollMs, signal, `fencing ${host.name}`);
  }
  throw new RrcError(
    'RRC_ERR_FENCE_UNCONFIRMED',
    `host ${host.name}: not confirmed off within ${opts.confirmTimeoutMs} ms after ${offAttempts} off command(s): ${lastProblem}`,
    { details: { host: host.name, offAttempts, statusReads, lastProblem } },
  );
}

const DEFAULT_CONFIRM_GAP_MS = 5_000;

/** The second read of the pair, `confirmGapMs` after the first; a failed read is no confirmation. */
async function secondOffRead(power: PowerDriver, host: HostSpec, clock: Clock, opts: FenceOptions, signal?: AbortSignal): Promise<string> {
  await sleepUnlessAborted(clock, Math.max(0, opts.confirmGapMs ?? DEFAULT_CONFIRM_GAP_MS), signal, `confirming the fence of ${host.name}`);
  try {
    return await power.status(host, { signal });
  } catch (e) {
    signal?.throwIfAborted();
    return `unreadable (${errorText(e)})`;
  }
}

/** The paths on which `obs` shows the host alive, in words; empty when it answers on none. */
export function pathsAnswering(obs: HostObservation): string[] {
  const paths: string[] = [];
  if (obs.shellOk === true) paths.push('ssh');
  else if (obs.reachable) paths.push('tcp');
  if (obs.hypervisorOk) paths.push('libvirt');
  return paths;
}

/** Throws the contradiction when the controller's own probe still reaches the host. */
async function requireSilent(host: HostSpec, clock: Clock, opts: FenceOptions): Promise<void> {
  if (!opts.probeHost) return;
  let obs: HostObservation;
  try {
    obs = await withTimeout(clock, opts.probeHost(host), opts.probeTimeoutMs ?? 10_000, `probe of ${host.name}`);
  } catch {
    return; // a probe that does not come back is silence
  }
  const paths = pathsAnswering(obs);
  if (paths.length === 0) return;
  throw new RrcError(
    'RRC_ERR_FENCE_UNCONFIRMED',
    `BMC of ${host.name} reports power off but ${host.name} still answers on ${paths.join(' and ')}: not fenced; confirm by hand`,
    { details: { kind: BMC_CONTRADICTED, host: host.name, paths } },
  );
}

export const DEFAULT_FENCE_OPTIONS: FenceOptions = { confirmTimeoutMs: 30_000, pollMs: 2_000, maxOffAttempts: 3 };
