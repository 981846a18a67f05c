/**
 * What the bench assumes about the rack (profile) and which recovery strategy the controller runs
 * (strategy), each mapped to the settings the product really has: no bench-only behaviour.
 *
 * - `defaults`: a rack 3RC installed, on the shipped policy. Every host runs the watchdog agent
 *   the kickstart installs (kickstart/rrc-watchdog.sh: fed while the host reaches the controller
 *   or a majority of its peers) and declared it in its install callback with the agent's lease;
 *   the world resets a host off the network that still runs guests at the latest the agent's
 *   device would. policy.selfFenceAfterSeconds stays the shipped 60. BMC boot progress is on: the
 *   real IPMI driver reads it from the SEL (`src/drivers/ipmi-sel.ts`).
 * - `bare`: hosts 3RC did not install and that run no watchdog (nothing declared): the shipped
 *   policy, so a host silent with its BMC dead goes to a person.
 * - `watchdog`: hosts run a storage-lease watchdog (sanlock / wdmd), declared on every host, and
 *   the policy counts a silent host as fenced after the same time (`--watchdog <s>`, default 60).
 *
 * - `ours`: the shipped ladder (evacuate first, then repair the host).
 * - `reference`: the talk's ladder, the host repaired while its VMs wait (`evacuateFirst: false`);
 *   everything else, the evidence gate included, is the controller's own.
 */
import type { DeepPartial, Policy } from '../src/core/policy.js';
import type { WatchdogKind } from '../src/core/types.js';
import { agentLeaseSeconds, agentResetAfterContactLossSeconds } from '../src/drivers/pxe/watchdog-agent.js';
import type { WatchdogContact } from '../src/env/sim/world-types.js';
import { UsageError } from './usage-error.js';

export const PROFILES = ['defaults', 'bare', 'watchdog'] as const;
export type Profile = (typeof PROFILES)[number];

export const STRATEGIES = ['ours', 'reference'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** The watchdog profile's lease time unless `--watchdog` says otherwise. */
export const DEFAULT_WATCHDOG_SECONDS = 60;

/** The watchdog every host of the rack runs: what resets it (world) and what it declared (controller). */
export interface RackWatchdog {
  kind: WatchdogKind;
  contact: WatchdogContact;
  /** The world resets a host that lost contact while running guests this long after. */
  resetAfterSeconds: number;
  /** HostSpec.watchdog.leaseTimeoutSeconds on every host. */
  leaseSeconds: number;
}

export interface ProfileSettings {
  profile: Profile;
  /** null: no host runs (or declares) a watchdog. */
  watchdog: RackWatchdog | null;
  /** Set only where the profile changes the shipped policy.selfFenceAfterSeconds. */
  selfFenceAfterSeconds?: number;
  /** Simulated BMC boot progress (what the real driver reads from the SEL). */
  bootProgress: true;
}

/** The shipped agent, hardware device (a softdog host declares the same lease). */
export const AGENT_WATCHDOG: RackWatchdog = {
  kind: 'rrc-agent',
  contact: 'cluster',
  resetAfterSeconds: agentResetAfterContactLossSeconds(),
  leaseSeconds: agentLeaseSeconds(),
};

function oneOf<T extends string>(option: string, allowed: readonly T[], text: string): T {
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw new UsageError(`--${option} must be one of ${allowed.join(', ')}, not "${text}"`);
}

/** `--profile` (default `defaults`) and `--watchdog` (only meaningful in the watchdog profile). */
export function profileSettings(profileText: string | undefined, watchdogText: string | undefined): ProfileSettings {
  const profile = oneOf('profile', PROFILES, profileText ?? 'defaults');
  if (profile !== 'watchdog') {
    if (watchdogText !== undefined) throw new UsageError(`--watchdog needs --profile watchdog (the ${profile} profile sets its own)`);
    return { profile, watchdog: profile === 'defaults' ? AGENT_WATCHDOG : null, bootProgress: true };
  }
  let seconds = DEFAULT_WATCHDOG_SECONDS;
  if (watchdogText !== undefined) {
    if (watchdogText === 'off') throw new UsageError('--watchdog off is the bare profile: use --profile bare');
    seconds = Number(watchdogText);
    if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--watchdog must be a positive number of seconds, not "${watchdogText}"`);
  }
  return {
    profile,
    watchdog: { kind: 'sanlock', contact: 'storage', resetAfterSeconds: seconds, leaseSeconds: seconds },
    selfFenceAfterSeconds: seconds,
    bootProgress: true,
  };
}

/** `--strategy ours|reference|both` -> the strategies to run, in report order. */
export function parseStrategies(text: string | undefined): Strategy[] {
  const value = text ?? 'ours';
  if (value === 'both') return [...STRATEGIES];
  return [oneOf('strategy', [...STRATEGIES, 'both'], value) as Strategy];
}

/** The policy the controller runs with: the shipped one, with the profile's self-fence time and the strategy. */
export function benchPolicy(selfFenceAfterSeconds: number | undefined, strategy: Strategy): DeepPartial<Policy> {
  return {
    ...(selfFenceAfterSeconds !== undefined ? { selfFenceAfterSeconds } : {}),
    ...(strategy === 'reference' ? { evacuateFirst: false } : {}),
  };
}

/** How the reference strategy differs from the talk's ladder (printed in the report). */
export const REFERENCE_STRATEGY_NOTES = [
  'policy.evacuateFirst = false: a failed host is repaired while its VMs wait (the talk\'s ladder); everything else is the shipped controller.',
  'The ladder is 3RC\'s: reboot, restart libvirtd, then fence-migrate (VMs started elsewhere) before a reinstall; the talk had no fence-migrate rung.',
  'A reinstall still needs evidence (a BMC boot failure or a person), and the do-no-harm gate, destructive limits and flap damping still apply: the talk reinstalled when reboots did not help.',
  'A host that failed with a boot error enters at the reinstall rung at once (entry from the failure signature), not after a reboot; the controller never reinstalls a host with VMs aboard, so its VMs are moved first (host-destructive service recovery stays close to ours).',
] as const;
