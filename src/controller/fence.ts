/**
 * Fencing over any PowerDriver (real IPMI or the simulated rack): power off, then read the
 * BMC back until it says off. The trap this avoids: reporting "fenced" because the off command
 * was accepted while the host still runs (stuck relay, BMC that acks and ignores) and then
 * starting its VMs elsewhere: the same disk written by two hosts.
 */
import type { Clock, PowerDriver } from '../env/env.js';
import type { HostSpec } from '../core/types.js';
import { RrcError, errorText } from '../errors.js';
import { sleep } from '../env/timing.js';

export interface FenceOptions {
  /** How long the BMC may take to report power off after the command. */
  confirmTimeoutMs: number;
  /** Interval between status reads. */
  pollMs: number;
  /** Off commands sent at most (re-sent while the BMC still reads on). Default 3. */
  maxOffAttempts?: number;
  /**
   * Checked after every status read that is not "off": true ends the wait early (unconfirmed),
   * e.g. once the host's storage-lease watchdog has fenced it anyway (executor).
   */
  giveUp?: () => boolean;
}

export interface FenceResult {
  /** Clock time at which the BMC first reported power off. */
  confirmedAt: number;
  offAttempts: number;
  statusReads: number;
}

/** Resolves only once the BMC reported "off"; otherwise throws RRC_ERR_FENCE_UNCONFIRMED. */
export async function fenceHost(
  power: PowerDriver,
  host: HostSpec,
  clock: Clock,
  opts: FenceOptions,
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
      await power.off(host);
    } catch (e) {
      // Not fatal: the host may be off already, or the BMC acted but the answer was lost.
      lastProblem = `power off failed: ${errorText(e)}`;
    }
  };

  await sendOff();
  // Bounded twice: by the deadline on the clock, and by a round count in case the clock stands still.
  const maxRounds = Math.ceil(opts.confirmTimeoutMs / pollMs) + 2;
  for (let round = 0; round < maxRounds; round++) {
    statusReads++;
    try {
      const state = await power.status(host);
      if (state === 'off') return { confirmedAt: clock.now(), offAttempts, statusReads };
      lastProblem = `BMC still reports power ${state}`;
      if (state === 'on' && offAttempts < maxOff && clock.now() + pollMs < deadline) await sendOff();
    } catch (e) {
      lastProblem = `power status failed: ${errorText(e)}`;
    }
    if (clock.now() + pollMs > deadline || opts.giveUp?.()) break;
    await sleep(clock, pollMs);
  }
  throw new RrcError(
    'RRC_ERR_FENCE_UNCONFIRMED',
    `host ${host.name}: not confirmed off within ${opts.confirmTimeoutMs} ms after ${offAttempts} off command(s): ${lastProblem}`,
    { details: { host: host.name, offAttempts, statusReads, lastProblem } },
  );
}

export const DEFAULT_FENCE_OPTIONS: FenceOptions = { confirmTimeoutMs: 30_000, pollMs: 2_000, maxOffAttempts: 3 };
