/**
 * The leader lease on Prisma (SQLite or PostgreSQL): compare-and-set updates on the lease row
 * (UPDATE ... WHERE holder and epoch are still what we read), so two controllers racing for an
 * expired lease cannot both win; and the fence check of a leader's write, which on PostgreSQL
 * holds the lease row FOR SHARE until the write commits, so a takeover cannot slip in between.
 */
import { checkFence, leaseAfterRequest } from './lease.js';
import type { Prisma, PrismaClient } from './generated/sqlite/client.js';
import { date, ms } from './prisma-rows.js';
import type { LeaseRecord, LeaseRequest, WriteFence } from './types.js';

type Db = PrismaClient | Prisma.TransactionClient;
interface LeaseRow {
  name: string;
  holder: string;
  token: bigint;
  expiresAt: Date;
  rank: number;
}

const recordOf = (r: LeaseRow): LeaseRecord => ({
  name: r.name,
  holder: r.holder,
  epoch: Number(r.token),
  expiresAt: ms(r.expiresAt),
  rank: r.rank,
});

export async function readLease(db: Db, name: string): Promise<LeaseRecord | null> {
  const row = await db.controllerLease.findUnique({ where: { name } });
  return row ? recordOf(row) : null;
}

function isUniqueViolation(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === 'P2002';
}

export async function acquireLease(db: PrismaClient, req: LeaseRequest): Promise<LeaseRecord> {
  const current = await readLease(db, req.name);
  const next = leaseAfterRequest(current, req);
  if (next === null) return current as LeaseRecord;
  const data = { holder: next.holder, token: BigInt(next.epoch), expiresAt: date(next.expiresAt), rank: next.rank };
  if (current === null) {
    try {
      await db.controllerLease.create({ data: { name: req.name, ...data } });
      return next;
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      // Another controller created it first: theirs.
      return (await readLease(db, req.name)) as LeaseRecord;
    }
  }
  const { count } = await db.controllerLease.updateMany({
    where: { name: req.name, holder: current.holder, token: BigInt(current.epoch) },
    data,
  });
  return count === 1 ? next : ((await readLease(db, req.name)) as LeaseRecord);
}

export async function renewLease(db: PrismaClient, req: LeaseRequest & { epoch: number }): Promise<boolean> {
  const { count } = await db.controllerLease.updateMany({
    where: { name: req.name, holder: req.holder, token: BigInt(req.epoch) },
    data: { expiresAt: date(req.now + req.ttlMs), rank: req.rank },
  });
  return count === 1;
}

export async function releaseLease(db: PrismaClient, name: string, holder: string, epoch: number, now: number): Promise<void> {
  await db.controllerLease.updateMany({ where: { name, holder, token: BigInt(epoch) }, data: { expiresAt: date(now) } });
}

/** Inside the write's transaction: throws RRC_ERR_STALE_EPOCH when the lease has moved past the fence. */
export async function checkFenceInTx(tx: Prisma.TransactionClient, provider: 'sqlite' | 'postgresql', fence: WriteFence, what: string): Promise<void> {
  let epoch: number | null;
  if (provider === 'postgresql') {
    const rows = await tx.$queryRaw<Array<{ token: bigint }>>`SELECT token FROM "ControllerLease" WHERE name = ${fence.name} FOR SHARE`;
    epoch = rows.length > 0 ? Number(rows[0]!.token) : null;
  } else {
    // SQLite: one controller per file (leadership.ts), and its writers are serialized anyway.
    epoch = (await readLease(tx, fence.name))?.epoch ?? null;
  }
  checkFence(fence, epoch, what);
}
