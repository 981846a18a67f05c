/**
 * The controller pair as the leader's lease and the heartbeat rows (heartbeat.ts) show it: who
 * leads at which epoch and where its API is, and every other controller with when it was last
 * seen and whether that is recent (within FRESH_RENEWALS renewal periods).
 */
import type { HeartbeatRecord, LeaseRecord, Store } from '../store/types.js';
import { DEFAULT_LEASE } from './leadership.js';

/** A controller not seen for this many renewal periods is stale (stopped, cut off or paused). */
export const FRESH_RENEWALS = 3;
/** The lease row every controller of a database shares (leadership.ts's default cluster). */
export const DEFAULT_CLUSTER = 'default';

export interface PairMember {
  controller: string;
  rank: number;
  /** What it believed when it last wrote its row. */
  role: 'leader' | 'standby';
  apiUrl: string | null;
  lastSeenAt: number;
  epochSeen: number | null;
  fresh: boolean;
}

export interface PairView {
  /** The holder of a live lease; null between terms. */
  leader: string | null;
  epoch: number | null;
  /** The leader's API address from its heartbeat row, if it wrote one. */
  leaderUrl: string | null;
  /** Every other controller with a heartbeat row, by id. */
  standbys: PairMember[];
}

export function pairView(lease: LeaseRecord | null, rows: HeartbeatRecord[], now: number, renewEveryMs: number = DEFAULT_LEASE.renewEveryMs): PairView {
  const leader = lease !== null && lease.expiresAt > now ? lease.holder : null;
  const member = (r: HeartbeatRecord): PairMember => ({
    controller: r.controller,
    rank: r.rank,
    role: r.role,
    apiUrl: r.apiUrl,
    lastSeenAt: r.lastSeenAt,
    epochSeen: r.epochSeen,
    fresh: now - r.lastSeenAt <= FRESH_RENEWALS * renewEveryMs,
  });
  return {
    leader,
    epoch: lease?.epoch ?? null,
    leaderUrl: rows.find((r) => r.controller === leader)?.apiUrl ?? null,
    standbys: rows.filter((r) => r.controller !== leader).map(member),
  };
}

export async function readPairView(store: Store, now: number, cluster = DEFAULT_CLUSTER, renewEveryMs?: number): Promise<PairView> {
  const [lease, rows] = await Promise.all([store.getLease(cluster), store.listHeartbeats(cluster)]);
  return pairView(lease, rows, now, renewEveryMs);
}

/** The API address the heartbeat row of `holder` names, if any (RRC_ERR_NOT_LEADER's leaderUrl). */
export async function apiUrlOf(store: Store, holder: string, cluster = DEFAULT_CLUSTER): Promise<string | undefined> {
  const row = (await store.listHeartbeats(cluster)).find((r) => r.controller === holder);
  return row?.apiUrl ?? undefined;
}
