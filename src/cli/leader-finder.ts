/**
 * Which of several controllers leads: ask every one's `GET /health` at once (each bounded by the
 * client's timeout) and take the first in the given order that says `leader: true`. Writes go
 * there; a standby would refuse them with 409 and the leader's name.
 */

/** `GET /health` of one controller: its parsed body, or null when it did not answer. */
export type HealthProbe = (base: string) => Promise<unknown>;

export async function findLeader(candidates: readonly string[], probe: HealthProbe): Promise<string | null> {
  const answers = await Promise.all(candidates.map((base) => probe(base).catch(() => null)));
  const i = answers.findIndex((a) => typeof a === 'object' && a !== null && (a as { leader?: unknown }).leader === true);
  return i < 0 ? null : (candidates[i] as string);
}

/** The body of a standby's refusal (src/api/plugins/leader-only.ts). */
export interface NotLeaderRefusal {
  leader: string | null;
  leaderUrl?: string;
}

export function notLeaderRefusal(status: number, body: unknown): NotLeaderRefusal | null {
  if (status !== 409 || typeof body !== 'object' || body === null) return null;
  const b = body as { error?: unknown; leader?: unknown; leaderUrl?: unknown };
  if (b.error !== 'RRC_ERR_NOT_LEADER') return null;
  return {
    leader: typeof b.leader === 'string' ? b.leader : null,
    ...(typeof b.leaderUrl === 'string' ? { leaderUrl: b.leaderUrl } : {}),
  };
}
