/**
 * The controllers' heartbeat rows on Prisma (SQLite or PostgreSQL): one row per (cluster,
 * controller), replaced at each beat. Not fenced: standbys write theirs as well as the leader.
 */
import type { Prisma, PrismaClient } from './generated/sqlite/client.js';
import { date, ms } from './prisma-rows.js';
import type { HeartbeatRecord } from './types.js';

type Db = PrismaClient | Prisma.TransactionClient;
interface HeartbeatRow {
  cluster: string;
  controller: string;
  rank: number;
  role: string;
  apiUrl: string | null;
  lastSeenAt: Date;
  epochSeen: bigint | null;
}

const recordOf = (r: HeartbeatRow): HeartbeatRecord => ({
  cluster: r.cluster,
  controller: r.controller,
  rank: r.rank,
  role: r.role === 'leader' ? 'leader' : 'standby',
  apiUrl: r.apiUrl,
  lastSeenAt: ms(r.lastSeenAt),
  epochSeen: r.epochSeen === null ? null : Number(r.epochSeen),
});

export async function recordHeartbeat(db: Db, rec: HeartbeatRecord): Promise<void> {
  const data = {
    rank: rec.rank,
    role: rec.role,
    apiUrl: rec.apiUrl,
    lastSeenAt: date(rec.lastSeenAt),
    epochSeen: rec.epochSeen === null ? null : BigInt(rec.epochSeen),
  };
  await db.controllerHeartbeat.upsert({
    where: { cluster_controller: { cluster: rec.cluster, controller: rec.controller } },
    create: { cluster: rec.cluster, controller: rec.controller, ...data },
    update: data,
  });
}

export async function listHeartbeats(db: Db, cluster: string): Promise<HeartbeatRecord[]> {
  const rows = await db.controllerHeartbeat.findMany({ where: { cluster }, orderBy: { controller: 'asc' } });
  return rows.map(recordOf);
}

export async function pruneHeartbeats(db: Db, cluster: string, before: number): Promise<number> {
  const { count } = await db.controllerHeartbeat.deleteMany({ where: { cluster, lastSeenAt: { lt: date(before) } } });
  return count;
}
