/**
 * Sim witnesses: the same contract as the real ones (src/env/real/witness.ts), read from the world
 * with modelled latencies on the virtual clock. As with the probes, what a question finds is taken
 * when it is sent; it then costs its latency or its timeout.
 *
 * - peersReach: the controller asks each peer over SSH (so it must reach the peer: not down, hung,
 *   isolated, partitioned from it, nor the controller's own network cut); the peer then tries a
 *   TCP connect to the target, which succeeds when both are on the network (`peerReaches`: a
 *   controller <-> host partition or a controller partition does not matter to peers).
 * - selfCheck: fails, naming every configured witness address, while `controller partition` holds.
 */
import type { HostSpec } from '../../core/types.js';
import type { PeerReachReport, SelfCheck, Witnesses } from '../env.js';
import type { SimContext } from './sim-context.js';

export interface SimWitnessOptions {
  /** `host:port` witness addresses of the controller's self-check (default: one gateway). */
  addresses?: readonly string[];
}

export const DEFAULT_SIM_WITNESS_ADDRESSES: readonly string[] = ['gateway:53'];

export function createSimWitnesses(ctx: SimContext, opts: SimWitnessOptions = {}): Witnesses {
  const { world, latency } = ctx;
  const addresses = opts.addresses ?? DEFAULT_SIM_WITNESS_ADDRESSES;

  async function askPeer(target: HostSpec, peer: HostSpec): Promise<PeerReachReport> {
    const notAsked = (detail: string): PeerReachReport => ({ peer: peer.name, asked: false, reached: false, detail });
    if (peer.name === target.name) return notAsked('peer is the target');
    if (!peer.ssh) return notAsked('peer has no ssh endpoint');
    const where = `${target.ssh?.host ?? target.ip}:${target.ssh?.port ?? 22}`;
    if (!world.hostAnswers(peer.name)) {
      await ctx.wait(latency.sshConnectTimeoutSeconds);
      return notAsked('peer unreachable');
    }
    const reached = world.peerReaches(peer.name, target.name);
    await ctx.wait(latency.sshLatencySeconds + (reached ? latency.probeLatencySeconds : latency.witnessConnectTimeoutSeconds));
    return reached
      ? { peer: peer.name, asked: true, reached: true, detail: `reaches ${where}` }
      : { peer: peer.name, asked: true, reached: false, detail: `cannot reach ${where}: timed out` };
  }

  return {
    peersReach(target, peers) {
      // All peers are asked at once: the answer takes as long as the slowest peer.
      return Promise.all(peers.map((peer) => askPeer(target, peer)));
    },

    async selfCheck(): Promise<SelfCheck> {
      const cut = world.controllerPartitioned;
      await ctx.wait(cut ? latency.probeTimeoutSeconds : latency.probeLatencySeconds);
      const failed = cut ? addresses.map((a) => `witness ${a} unreachable`) : [];
      return { ok: failed.length === 0, failed };
    },
  };
}
