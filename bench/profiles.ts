/**
 * What the bench assumes about the rack (profile) and which recovery strategy the controller runs
 * (strategy), each mapped to the settings the product really has: no bench-only behaviour.
 *
 * - `defaults`: the shipped policy (no `selfFenceAfterSeconds`), hosts declare no watchdog, the
 *   world has none. BMC boot progress stays on: the real IPMI driver reads it from the SEL
 *   (`src/drivers/ipmi-sel.ts`), the simulated BMCs report the same states.
 * - `watchdog`: hosts run a storage-lease watchdog (sanlock / wdmd), declared on every host, and
 *   the policy counts a silent host as fenced after the same time (`--watchdog <s>`, default 60).
 *
 * - `ours`: the shipped ladder (evacuate first, then repair the host).
 * - `reference`: the talk's ladder, the host repaired while its VMs wait (`evacuateFirst: false`);
 *   everything else, the evidence gate included, is the controller's own.
 */
import type { DeepPartial, Policy } from '../src/core/policy.js';
import { UsageError } from './usage-error.js';

export const PROFILES = ['defaults', 'watchdog'] as const;
export type Profile = (typeof PROFILES)[number];

export const STRATEGIES = ['ours', 'reference'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** The watchdog profile's lease time unless `--watchdog` says otherwise. */
export const DEFAULT_WATCHDOG_SECONDS = 60;

export interface ProfileSettings {
  profile: Profile;
  /** World watchdog, declared on every host, and policy.selfFenceAfterSeconds (null: none of them). */
  watchdogSeconds: number | null;
  /** Simulated BMC boot progress (what the real driver reads from the SEL). */
  bootProgress: true;
}

function oneOf<T extends string>(option: string, allowed: readonly T[], text: string): T {
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw new UsageError(`--${option} must be one of ${allowed.join(', ')}, not "${text}"`);
}

/** `--profile` (default `defaults`) and `--watchdog` (only meaningful in the watchdog profile). */
export function profileSettings(profileText: string | undefined, watchdogText: string | undefined): ProfileSettings {
  const profile = oneOf('profile', PROFILES, profileText ?? 'defaults');
  if (profile === 'defaults') {
    if (watchdogText !== undefined) throw new UsageError('--watchdog needs --profile watchdog (the defaults profile has no watchdog)');
    return { profile, watchdogSeconds: null, bootProgress: true };
  }
  if (watchdogText === undefined) return { profile, watchdogSeconds: DEFAULT_WATCHDOG_SECONDS, bootProgress: true };
  if (watchdogText === 'off') throw new UsageError('--watchdog off is the defaults profile: use --profile defaults');
  const seconds = Number(watchdogText);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--watchdog must be a positive number of seconds, not "${watchdogText}"`);
  return { profile, watchdogSeconds: seconds, bootProgress: true };
}

/** `--strategy ours|reference|both` -> the strategies to run, in report order. */
export function parseStrategies(text: string | undefined): Strategy[] {
  const value = text ?? 'ours';
  if (value === 'both') return [...STRATEGIES];
  return [oneOf('strategy', [...STRATEGIES, 'both'], value) as Strategy];
}

/** The policy the controller runs with, from the profile's watchdog and the strategy. */
export function benchPolicy(watchdogSeconds: number | null, strategy: Strategy): DeepPartial<Policy> {
  return { selfFenceAfterSeconds: watchdogSeconds, ...(strategy === 'reference' ? { evacuateFirst: false } : {}) };
}

/** How the reference strategy differs from the talk's ladder (printed in the report). */
export const REFERENCE_STRATEGY_NOTES = [
  'policy.evacuateFirst = false: a failed host is repaired while its VMs wait (the talk\'s ladder); everything else is the shipped controller.',
  'The ladder is 3RC\'s: reboot, restart libvirtd, then fence-migrate (VMs started elsewhere) before a reinstall; the talk had no fence-migrate rung.',
  'A reinstall still needs evidence (a BMC boot failure or a person), and the do-no-harm gate, destructive limits and flap damping still apply: the talk reinstalled when reboots did not help.',
  'A host that failed with a boot error enters at the reinstall rung at once (entry from the failure signature), not after a reboot; the controller never reinstalls a host with VMs aboard, so its VMs are moved first (host-destructive service recovery stays close to ours).',
] as const;
