/**
 * What the sim drivers share: the world, its clock, the logger and the modelled protocol latencies.
 * Hardware timings (boots, installs) live in the world (timing.ts); these are the costs and
 * timeouts of talking to it, the part the real drivers pay on the wire.
 */
import type { Clock, Logger } from '../env.js';
import { sleepUnlessAborted } from '../abort.js';
import type { World } from './world.js';

/** Seconds. Set any to 0 to make that call instant (no timer at all: cheaper in the bench). */
export interface SimLatency {
  /** One IPMI request/response on the management LAN (ipmitool round trip). */
  bmcLatencySeconds: number;
  /** A dead or hung BMC: ipmitool's default retries add up to about 5 s before it gives up. */
  bmcTimeoutSeconds: number;
  /** One libvirt RPC over an open connection. */
  libvirtLatencySeconds: number;
  /** Connecting to libvirt on a host that does not answer (keepalive / TCP connect timeout). */
  libvirtConnectTimeoutSeconds: number;
  /** SSH handshake + command start on a host that answers. */
  sshLatencySeconds: number;
  /** OpenSSH ConnectTimeout for a target that does not answer (capped by the call's timeout). */
  sshConnectTimeoutSeconds: number;
  /** A probe whose peers all answer. */
  probeLatencySeconds: number;
  /** A probe where something does not answer: it waits for its own timeout. */
  probeTimeoutSeconds: number;
  /** How often a soft VM reboot polls the domain state while waiting for the guest to stop. */
  pollIntervalSeconds: number;
  /** A peer witness's bounded TCP connect test to a target that does not answer (`timeout 3`). */
  witnessConnectTimeoutSeconds: number;
}

export const DEFAULT_LATENCY: SimLatency = {
  bmcLatencySeconds: 0.2,
  bmcTimeoutSeconds: 5,
  libvirtLatencySeconds: 0.05,
  libvirtConnectTimeoutSeconds: 5,
  sshLatencySeconds: 0.1,
  sshConnectTimeoutSeconds: 10,
  probeLatencySeconds: 0.01,
  probeTimeoutSeconds: 2,
  pollIntervalSeconds: 1,
  witnessConnectTimeoutSeconds: 3,
};

export interface SimContext {
  readonly world: World;
  readonly clock: Clock;
  readonly log: Logger;
  readonly latency: SimLatency;
  /** Wait on the virtual clock; an aborted `signal` ends the wait with RRC_ERR_ABORTED. */
  wait(seconds: number, signal?: AbortSignal): Promise<void>;
}

export function createSimContext(world: World, clock: Clock, log: Logger, latency: Partial<SimLatency> = {}): SimContext {
  return {
    world,
    clock,
    log,
    latency: { ...DEFAULT_LATENCY, ...latency },
    wait: (seconds, signal) => sleepUnlessAborted(clock, seconds * 1000, signal, 'simulated call'),
  };
}
