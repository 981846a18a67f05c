/**
 * Store on Prisma 7 with a driver adapter: one class for SQLite and PostgreSQL (their generated
 * clients have the same models, hence the same API). Inventory changes run in interactive
 * transactions so that a refused change writes nothing; the hot paths (target states, incidents,
 * events, actions, audit) are single statements that let the database's keys do the checking.
 */
import type { HostOperationalState, HostSpec, TargetId, VmSpec } from '../core/types.js';
import { RrcError } from '../errors.js';
import type { Prisma, PrismaClient } from './generated/sqlite/client.js';
import {
  actionColumns,
  actionFromRow,
  auditFromRow,
  date,
  dateOrNull,
  hostColumns,
  hostFromRow,
  incidentFromRow,
  ms,
  tokenFromRow,
  vmColumns,
  vmFromRow,
} from './prisma-rows.js';
import {
  actionRecordOf,
  auditFilterOf,
  checkFencingToken,
  conflict,
  fromJson,
  hostRecordOf,
  INCIDENT_PATCH_FIELDS,
  normalizeMacs,
  notFound,
  patchedHost,
  patchedVm,
  toJson,
  tokenConflict,
  vmRecordOf,
  type StoreOptions,
} from './records.js';
import type {
  ActionFilter,
  ActionRecord,
  ApiTokenRecord,
  AuditFilter,
  AuditRecord,
  HostPatch,
  HostRecord,
  IncidentDetail,
  IncidentEventRecord,
  IncidentFilter,
  IncidentPatch,
  IncidentRecord,
  Store,
  LeaseRecord,
  LeaseRequest,
  TargetStateRecord,
  VmPatch,
  VmRecord,
  WriteFence,
} from './types.js';
import type { DeadLetterFilter, DeadLetterRecord } from './types.js';
import type { RequestEventRecord, RequestFilter, RequestPatch, RequestRecord } from './types.js';
import { requestColumns, requestFromRow } from './prisma-rows.js';
import { notFound as missing, conflict as taken, patchedRequest, requestRecordOf } from './records.js';
import * as lease from './prisma-lease.js';
import { checkFenceInTx } from './prisma-lease.js';
import * as heartbeat from './prisma-heartbeat.js';
import type { HeartbeatRecord } from './types.js';

type Tx = Prisma.TransactionClient;

const CLOSED_STATES = ['resolved', 'cancelled'];
const MACS_IN_ORDER = { macs: { orderBy: { position: 'asc' } } } as const;
// Generous: the machines are small and shared, and SQLite serializes writers.
const TX_OPTIONS = { maxWait: 10_000, timeout: 30_000 };

function prismaCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('P') ? code : undefined;
}

export class PrismaStore implements Store {
  private readonly now: () => number;

  constructor(
    readonly provider: 'sqlite' | 'postgresql',
    private readonly db: PrismaClient,
    /** Where the data lives (password masked), for error texts. */
    private readonly where: string,
    opts: StoreOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** Runs `fn`, turning anything that is not already an RrcError into RRC_ERR_STORE. */
  private async guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof RrcError) throw e;
      const code = prismaCode(e);
      // A concurrent writer won the race between our check and our insert.
      if (code === 'P2002') throw new RrcError('RRC_ERR_CONFLICT', `${what}: a unique key is already taken`, { cause: e });
      const text = e instanceof Error ? e.message.trim().split('\n').pop() : String(e);
      throw new RrcError('RRC_ERR_STORE', `${what} failed on ${this.where}: ${text}`, { cause: e });
    }
  }

  private tx<T>(what: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.guard(what, () => this.db.$transaction(fn, TX_OPTIONS));
  }

  // ---- hosts -------------------------------------------------------------------------------

  listHosts(): Promise<HostRecord[]> {
    return this.guard('listing hosts', async () =>
      (await this.db.host.findMany({ include: MACS_IN_ORDER, orderBy: { name: 'asc' } })).map(hostFromRow),
    );
  }

  getHost(name: string): Promise<HostRecord | null> {
    return this.guard(`reading host ${name}`, async () => {
      const row = await this.db.host.findUnique({ where: { name }, include: MACS_IN_ORDER });
      return row ? hostFromRow(row) : null;
    });
  }

  private async refuseTakenMacs(tx: Tx, macs: string[], exceptHostId?: number): Promise<void> {
    if (macs.length === 0) return;
    const taken = await tx.hostMac.findMany({
      where: { mac: { in: macs }, ...(exceptHostId !== undefined ? { hostId: { not: exceptHostId } } : {}) },
      include: { host: { select: { name: true } } },
    });
    const first = macs.map((mac) => taken.find((t) => t.mac === mac)).find((t) => t !== undefined);
    if (first) throw conflict.macTaken(first.mac, first.host.name);
  }

  addHost(spec: HostSpec, state: HostOperationalState = 'active'): Promise<HostRecord> {
    return this.tx(`adding host ${spec.name}`, async (tx) => {
      if (await tx.host.findUnique({ where: { name: spec.name }, select: { id: true } })) {
        throw conflict.hostExists(spec.name);
      }
      const macs = normalizeMacs(spec.name, spec.macs);
      await this.refuseTakenMacs(tx, macs);
      const t = this.now();
      const rec = hostRecordOf(spec, macs, state, t, t);
      await tx.host.create({
        data: {
          name: rec.name,
          ...hostColumns(rec),
          createdAt: date(t),
          macs: { create: macs.map((mac, position) => ({ mac, position })) },
        },
      });
      return rec;
    });
  }

  updateHost(name: string, patch: HostPatch): Promise<HostRecord> {
    return this.tx(`updating host ${name}`, async (tx) => {
      const row = await tx.host.findUnique({ where: { name }, include: MACS_IN_ORDER });
      if (!row) throw notFound.host(name);
      const macs = patch.macs ? normalizeMacs(name, patch.macs) : undefined;
      if (macs) await this.refuseTakenMacs(tx, macs, row.id);
      const next = patchedHost(hostFromRow(row), patch, macs, this.now());
      await tx.host.update({ where: { id: row.id }, data: hostColumns(next) });
      if (macs) {
        await tx.hostMac.deleteMany({ where: { hostId: row.id } });
        await tx.hostMac.createMany({ data: macs.map((mac, position) => ({ mac, position, hostId: row.id })) });
      }
      return next;
    });
  }

  setHostLastContact(name: string, at: number | null): Promise<void> {
    return this.guard(`writing the last contact of host ${name}`, async () => {
      const { count } = await this.db.host.updateMany({ where: { name }, data: { lastContactAt: dateOrNull(at) } });
      if (count === 0) throw notFound.host(name);
    });
  }

  removeHost(name: string): Promise<void> {
    return this.tx(`removing host ${name}`, async (tx) => {
      const row = await tx.host.findUnique({ where: { name }, select: { id: true } });
      if (!row) throw notFound.host(name);
      const users = await tx.vm.findMany({
        where: { OR: [{ homeHost: name }, { currentHost: name }] },
        select: { name: true, homeHost: true, currentHost: true },
      });
      if (users.length > 0) throw conflict.hostInUse(name, users);
      await tx.host.delete({ where: { id: row.id } }); // its MACs go with it (ON DELETE CASCADE)
    });
  }

  // ---- VMs ---------------------------------------------------------------------------------

  listVms(): Promise<VmRecord[]> {
    return this.guard('listing VMs', async () =>
      (await this.db.vm.findMany({ orderBy: { name: 'asc' } })).map(vmFromRow),
    );
  }

  getVm(name: string): Promise<VmRecord | null> {
    return this.guard(`reading VM ${name}`, async () => {
      const row = await this.db.vm.findUnique({ where: { name } });
      return row ? vmFromRow(row) : null;
    });
  }

  private async refuseUnknownHosts(tx: Tx, home: string | undefined, current: string | undefined): Promise<void> {
    for (const [which, host] of [['home', home], ['current', current]] as const) {
      if (host !== undefined && !(await tx.host.findUnique({ where: { name: host }, select: { id: true } }))) {
        throw notFound.vmHost(which, host);
      }
    }
  }

  addVm(spec: VmSpec): Promise<VmRecord> {
    return this.tx(`adding VM ${spec.name}`, async (tx) => {
      if (await tx.vm.findUnique({ where: { name: spec.name }, select: { id: true } })) {
        throw conflict.vmExists(spec.name);
      }
      const owner = await tx.vm.findUnique({ where: { uuid: spec.uuid }, select: { name: true } });
      if (owner) throw conflict.uuidTaken(spec.uuid, owner.name);
      await this.refuseUnknownHosts(tx, spec.homeHost, spec.currentHost);
      const t = this.now();
      const rec = vmRecordOf(spec, t, t);
      await tx.vm.create({ data: { name: rec.name, ...vmColumns(rec), createdAt: date(t) } });
      return rec;
    });
  }

  updateVm(name: string, patch: VmPatch, fence?: WriteFence): Promise<VmRecord> {
    return this.tx(`updating VM ${name}`, async (tx) => {
      if (fence) await checkFenceInTx(tx, this.provider, fence, `placement of VM ${name}`);
      const row = await tx.vm.findUnique({ where: { name } });
      if (!row) throw notFound.vm(name);
      if (patch.uuid !== undefined && patch.uuid !== row.uuid) {
        const owner = await tx.vm.findUnique({ where: { uuid: patch.uuid }, select: { name: true } });
        if (owner) throw conflict.uuidTaken(patch.uuid, owner.name);
      }
      await this.refuseUnknownHosts(tx, patch.homeHost, patch.currentHost);
      const next = patchedVm(vmFromRow(row), patch, this.now());
      await tx.vm.update({ where: { id: row.id }, data: vmColumns(next) });
      return next;
    });
  }

  removeVm(name: string): Promise<void> {
    return this.guard(`removing VM ${name}`, async () => {
      const { count } = await this.db.vm.deleteMany({ where: { name } });
      if (count === 0) throw notFound.vm(name);
    });
  }

  // ---- target states -----------------------------------------------------------------------

  saveTargetState(rec: TargetStateRecord, fence?: WriteFence): Promise<void> {
    if (fence) {
      return this.tx(`saving state of ${rec.targetId}`, async (tx) => {
        await checkFenceInTx(tx, this.provider, fence, `state of ${rec.targetId}`);
        await this.writeTargetState(tx, rec);
      });
    }
    return this.guard(`saving state of ${rec.targetId}`, () => this.writeTargetState(this.db, rec));
  }

  private async writeTargetState(db: Tx | PrismaClient, rec: TargetStateRecord): Promise<void> {
    const data = {
      phase: rec.phase,
      rung: rec.rung ?? null,
      maintenance: rec.maintenance,
      snapshot: toJson(rec.snapshot),
      updatedAt: date(rec.updatedAt),
    };
    await db.targetState.upsert({ where: { targetId: rec.targetId }, create: { targetId: rec.targetId, ...data }, update: data });
  }

  listTargetStates(): Promise<TargetStateRecord[]> {
    return this.guard('listing target states', async () =>
      (await this.db.targetState.findMany({ orderBy: { targetId: 'asc' } })).map((r) => ({
        targetId: r.targetId as TargetId,
        phase: r.phase as TargetStateRecord['phase'],
        rung: r.rung,
        maintenance: r.maintenance,
        snapshot: fromJson<unknown>(r.snapshot),
        updatedAt: ms(r.updatedAt),
      })),
    );
  }

  deleteTargetState(targetId: TargetId): Promise<void> {
    return this.guard(`deleting state of ${targetId}`, async () => {
      await this.db.targetState.deleteMany({ where: { targetId } });
    });
  }

  // ---- incidents and actions ---------------------------------------------------------------

  createIncident(rec: IncidentRecord): Promise<void> {
    return this.guard(`creating incident ${rec.id}`, async () => {
      try {
        await this.db.incident.create({
          data: {
            id: rec.id,
            targetId: rec.targetId,
            targetKind: rec.targetKind,
            targetName: rec.targetName,
            detectedAt: date(rec.detectedAt),
            signature: rec.signature,
            signatureSummary: rec.signatureSummary,
            entryRung: rec.entryRung,
            currentRung: rec.currentRung,
            state: rec.state,
            resolvedAt: dateOrNull(rec.resolvedAt ?? null),
            recoverySeconds: rec.recoverySeconds ?? null,
            note: rec.note ?? null,
          },
        });
      } catch (e) {
        if (prismaCode(e) === 'P2002') throw conflict.incidentExists(rec.id);
        throw e;
      }
    });
  }

  updateIncident(id: string, patch: IncidentPatch): Promise<void> {
    return this.guard(`updating incident ${id}`, async () => {
      const data: Record<string, unknown> = {};
      for (const key of INCIDENT_PATCH_FIELDS) {
        const value = patch[key];
        if (value === undefined) continue;
        data[key] = key === 'detectedAt' || key === 'resolvedAt' ? dateOrNull(value as number | null) : value;
      }
      // An empty update matches nothing, so existence is then checked by a count.
      const count =
        Object.keys(data).length === 0
          ? await this.db.incident.count({ where: { id } })
          : (await this.db.incident.updateMany({ where: { id }, data })).count;
      if (count === 0) throw notFound.incident(id);
    });
  }

  getIncident(id: string): Promise<IncidentDetail | null> {
    return this.guard(`reading incident ${id}`, async () => {
      const row = await this.db.incident.findUnique({
        where: { id },
        include: {
          events: { orderBy: [{ at: 'asc' }, { id: 'asc' }] },
          actions: { orderBy: [{ startedAt: 'asc' }, { id: 'asc' }] },
        },
      });
      if (!row) return null;
      const events = row.events.map((e) => {
        const ev: IncidentEventRecord = { incidentId: e.incidentId, at: ms(e.at), kind: e.kind, message: e.message };
        const data = fromJson<Record<string, unknown>>(e.data);
        if (data !== null) ev.data = data;
        return ev;
      });
      return { ...incidentFromRow(row), events, actions: row.actions.map(actionFromRow) };
    });
  }

  listIncidents(filter: IncidentFilter = {}): Promise<IncidentRecord[]> {
    return this.guard('listing incidents', async () => {
      const where: Prisma.IncidentWhereInput = {};
      if (filter.targetId !== undefined) where.targetId = filter.targetId;
      if (filter.open !== undefined) where.state = filter.open ? { notIn: CLOSED_STATES } : { in: CLOSED_STATES };
      const rows = await this.db.incident.findMany({
        where,
        orderBy: [{ detectedAt: 'desc' }, { id: 'desc' }],
        ...(filter.limit !== undefined ? { take: filter.limit } : {}),
      });
      return rows.map(incidentFromRow);
    });
  }

  addIncidentEvent(ev: IncidentEventRecord): Promise<void> {
    return this.guard(`adding an event to incident ${ev.incidentId}`, async () => {
      try {
        await this.db.incidentEvent.create({
          data: {
            incidentId: ev.incidentId,
            at: date(ev.at),
            kind: ev.kind,
            message: ev.message,
            data: ev.data === undefined || ev.data === null ? null : toJson(ev.data),
          },
        });
      } catch (e) {
        if (prismaCode(e) === 'P2003') throw notFound.incident(ev.incidentId);
        throw e;
      }
    });
  }

  upsertAction(rec: ActionRecord, fence?: WriteFence): Promise<void> {
    const a = actionRecordOf(rec);
    if (fence) {
      return this.tx(`saving action ${rec.id}`, async (tx) => {
        await checkFenceInTx(tx, this.provider, fence, `action ${rec.id}`);
        await this.writeAction(tx, a);
      });
    }
    return this.guard(`saving action ${rec.id}`, () => this.writeAction(this.db, a));
  }

  private async writeAction(db: Tx | PrismaClient, a: ActionRecord): Promise<void> {
    checkFencingToken(a.fencingToken);
    const data = actionColumns(a);
    try {
      await db.action.upsert({
        where: { id: a.id },
        create: { id: a.id, incidentId: a.incidentId, ...data },
        update: { incidentId: a.incidentId, ...data },
      });
    } catch (e) {
      if (prismaCode(e) === 'P2003') throw notFound.incident(a.incidentId);
      throw e;
    }
  }

  /** Newest first (startedAt, then id, descending). */
  listActions(filter: ActionFilter = {}): Promise<ActionRecord[]> {
    return this.guard('listing actions', async () => {
      const rows = await this.db.action.findMany({
        where: {
          ...(filter.incidentId !== undefined ? { incidentId: filter.incidentId } : {}),
          ...(filter.unfinished ? { finishedAt: null } : {}),
        },
        orderBy: [{ startedAt: 'desc' }, { id: 'desc' }],
        ...(filter.limit !== undefined ? { take: filter.limit } : {}),
      });
      return rows.map(actionFromRow);
    });
  }

  // ---- audit -------------------------------------------------------------------------------

  addAudit(rec: AuditRecord): Promise<void> {
    return this.guard('writing the audit log', async () => {
      await this.db.auditEntry.create({
        data: {
          at: date(rec.at),
          actor: rec.actor,
          action: rec.action,
          target: rec.target ?? null,
          details: rec.details === null || rec.details === undefined ? null : toJson(rec.details),
          outcome: rec.outcome ?? null,
        },
      });
    });
  }

  listAudit(filter?: number | AuditFilter): Promise<AuditRecord[]> {
    const f = auditFilterOf(filter);
    return this.guard('reading the audit log', async () => {
      const rows = await this.db.auditEntry.findMany({
        where: {
          ...(f.actor !== undefined ? { actor: f.actor } : {}),
          ...(f.target !== undefined ? { target: f.target } : {}),
          ...(f.since !== undefined ? { at: { gte: date(f.since) } } : {}),
          ...(f.outcome !== undefined ? { outcome: f.outcome } : {}),
        },
        orderBy: [{ at: 'desc' }, { id: 'desc' }],
        ...(f.limit !== undefined ? { take: f.limit } : {}),
      });
      return rows.map(auditFromRow);
    });
  }

  // ---- API tokens ----------------------------------------------------------------------------

  addApiToken(rec: ApiTokenRecord): Promise<void> {
    return this.tx(`adding token ${rec.name}`, async (tx) => {
      if (await tx.apiToken.findUnique({ where: { name: rec.name } })) throw tokenConflict(rec.name);
      await tx.apiToken.create({ data: { ...rec, createdAt: date(rec.createdAt) } });
    });
  }

  listApiTokens(): Promise<ApiTokenRecord[]> {
    return this.guard('listing tokens', async () => (await this.db.apiToken.findMany({ orderBy: { name: 'asc' } })).map(tokenFromRow));
  }

  findApiTokenByHash(hash: string): Promise<ApiTokenRecord | null> {
    return this.guard('checking a token', async () => {
      const row = await this.db.apiToken.findUnique({ where: { hash } });
      return row ? tokenFromRow(row) : null;
    });
  }

  removeApiToken(name: string): Promise<void> {
    return this.guard(`removing token ${name}`, async () => {
      const { count } = await this.db.apiToken.deleteMany({ where: { name } });
      if (count === 0) throw notFound.apiToken(name);
    });
  }

  // ---- leader lease (prisma-lease.ts) --------------------------------------------------------

  acquireLease(req: LeaseRequest): Promise<LeaseRecord> {
    return this.guard(`taking lease ${req.name}`, () => lease.acquireLease(this.db, req));
  }

  renewLease(req: LeaseRequest & { epoch: number }): Promise<boolean> {
    return this.guard(`renewing lease ${req.name}`, () => lease.renewLease(this.db, req));
  }

  releaseLease(name: string, holder: string, epoch: number, now: number): Promise<void> {
    return this.guard(`releasing lease ${name}`, () => lease.releaseLease(this.db, name, holder, epoch, now));
  }

  getLease(name: string): Promise<LeaseRecord | null> {
    return this.guard(`reading lease ${name}`, () => lease.readLease(this.db, name));
  }

  // ---- webhook dead letters (src/notify/) --------------------------------------------------

  addDeadLetter(rec: DeadLetterRecord): Promise<void> {
    return this.guard(`writing a dead letter for ${rec.receiver}`, async () => {
      await this.db.webhookDeadLetter.create({ data: { ...rec, failedAt: date(rec.failedAt) } });
    });
  }

  listDeadLetters(filter: DeadLetterFilter = {}): Promise<DeadLetterRecord[]> {
    return this.guard('reading dead letters', async () => {
      const rows = await this.db.webhookDeadLetter.findMany({
        where: filter.receiver !== undefined ? { receiver: filter.receiver } : {},
        orderBy: [{ failedAt: 'desc' }, { id: 'desc' }],
        ...(filter.limit !== undefined ? { take: filter.limit } : {}),
      });
      return rows.map(({ id: _id, failedAt, ...r }) => ({ ...r, failedAt: ms(failedAt) }));
    });
  }

  // ---- controller heartbeats (prisma-heartbeat.ts) -------------------------------------------

  recordHeartbeat(rec: HeartbeatRecord): Promise<void> {
    return this.guard(`writing the heartbeat of ${rec.controller}`, () => heartbeat.recordHeartbeat(this.db, rec));
  }

  listHeartbeats(cluster: string): Promise<HeartbeatRecord[]> {
    return this.guard(`reading the heartbeats of ${cluster}`, () => heartbeat.listHeartbeats(this.db, cluster));
  }

  pruneHeartbeats(cluster: string, before: number): Promise<number> {
    return this.guard(`pruning the heartbeats of ${cluster}`, () => heartbeat.pruneHeartbeats(this.db, cluster, before));
  }

  // ---- host-on-demand requests (src/on-demand/) ---------------------------------------------

  createRequest(rec: RequestRecord): Promise<void> {
    const r = requestRecordOf(rec);
    return this.guard(`creating request ${r.id}`, async () => {
      try {
        await this.db.request.create({ data: { id: r.id, ...requestColumns(r), createdAt: date(r.createdAt) } });
      } catch (e) {
        if (prismaCode(e) === 'P2002') throw taken.requestExists(r.id);
        throw e;
      }
    });
  }

  updateRequest(id: string, patch: RequestPatch, fence?: WriteFence): Promise<RequestRecord> {
    return this.tx(`updating request ${id}`, async (tx) => {
      if (fence) await checkFenceInTx(tx, this.provider, fence, `request ${id}`);
      const row = await tx.request.findUnique({ where: { id } });
      if (!row) throw missing.request(id);
      const next = patchedRequest(requestFromRow(row), patch, this.now());
      await tx.request.update({ where: { id }, data: requestColumns(next) });
      return next;
    });
  }

  getRequest(id: string): Promise<RequestRecord | null> {
    return this.guard(`reading request ${id}`, async () => {
      const row = await this.db.request.findUnique({ where: { id } });
      return row ? requestFromRow(row) : null;
    });
  }

  listRequests(filter: RequestFilter = {}): Promise<RequestRecord[]> {
    return this.guard('listing requests', async () => {
      const closed = ['erased', 'released', 'failed'];
      const rows = await this.db.request.findMany({
        where: {
          ...(filter.owner !== undefined ? { owner: filter.owner } : {}),
          ...(filter.open !== undefined ? { state: filter.open ? { notIn: closed } : { in: closed } } : {}),
        },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      });
      return rows.map(requestFromRow);
    });
  }

  addRequestEvent(ev: RequestEventRecord): Promise<void> {
    return this.guard(`adding an event to request ${ev.requestId}`, async () => {
      try {
        await this.db.requestEvent.create({
          data: { requestId: ev.requestId, at: date(ev.at), kind: ev.kind, message: ev.message, data: ev.data === undefined ? null : toJson(ev.data) },
        });
      } catch (e) {
        if (prismaCode(e) === 'P2003') throw missing.request(ev.requestId);
        throw e;
      }
    });
  }

  listRequestEvents(requestId: string): Promise<RequestEventRecord[]> {
    return this.guard(`reading the timeline of request ${requestId}`, async () => {
      const rows = await this.db.requestEvent.findMany({ where: { requestId }, orderBy: [{ at: 'asc' }, { id: 'asc' }] });
      return rows.map((e) => {
        const ev: RequestEventRecord = { requestId: e.requestId, at: ms(e.at), kind: e.kind, message: e.message };
        const data = fromJson<Record<string, unknown>>(e.data);
        if (data !== null) ev.data = data;
        return ev;
      });
    });
  }

  ping(): Promise<void> {
    return this.guard('pinging the database', async () => {
      await this.db.$queryRaw`SELECT 1`;
    });
  }

  async close(): Promise<void> {
    await this.db.$disconnect();
  }
}
