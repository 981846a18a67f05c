/**
 * Conversions between Prisma rows and the Store's records: Dates become epoch-ms numbers, JSON
 * text becomes values, NULL columns become absent optional fields.
 */
import type { HostOperationalState, HostRole, HostSpec, HostWatchdog, TargetId, VmSpec } from '../core/types.js';
import type { Prisma } from './generated/sqlite/client.js';
import { fromJson, hostRecordOf, toJson, vmRecordOf } from './records.js';
import type { ActionRecord, ApiTokenRecord, AuditRecord, HostRecord, IncidentRecord, RequestRecord, VmRecord } from './types.js';

type HostRow = Prisma.HostGetPayload<{ include: { macs: true } }>;
type VmRow = Prisma.VmGetPayload<object>;
type IncidentRow = Prisma.IncidentGetPayload<object>;
type ActionRow = Prisma.ActionGetPayload<object>;
type AuditRow = Prisma.AuditEntryGetPayload<object>;
type ApiTokenRow = Prisma.ApiTokenGetPayload<object>;
type RequestRow = Prisma.RequestGetPayload<object>;

export const ms = (d: Date) => d.getTime();
export const msOrNull = (d: Date | null) => (d === null ? null : d.getTime());
export const date = (t: number) => new Date(t);
export const dateOrNull = (t: number | null) => (t === null ? null : new Date(t));

export function hostFromRow(row: HostRow): HostRecord {
  const spec: HostSpec = {
    name: row.name,
    role: row.role as HostRole,
    macs: row.macs.map((m) => m.mac),
    ip: row.ip,
    hypervisorUri: row.hypervisorUri,
    capacity: { cores: row.cores, ramGb: row.ramGb, diskTb: row.diskTb },
  };
  if (row.bmcAddress !== null) {
    spec.bmc = { address: row.bmcAddress, port: row.bmcPort ?? 0, user: row.bmcUser ?? '', secretRef: row.bmcSecretRef ?? '' };
  }
  if (row.sshHost !== null) {
    spec.ssh = { host: row.sshHost, port: row.sshPort ?? 0, user: row.sshUser ?? '' };
    if (row.sshKeyRef !== null) spec.ssh.keyRef = row.sshKeyRef;
  }
  const watchdog = fromJson<HostWatchdog>(row.watchdog);
  if (watchdog !== null) spec.watchdog = watchdog;
  return hostRecordOf(spec, spec.macs, row.state as HostOperationalState, ms(row.createdAt), ms(row.updatedAt), msOrNull(row.lastContactAt));
}

export function hostColumns(h: HostRecord) {
  return {
    role: h.role,
    ip: h.ip,
    bmcAddress: h.bmc?.address ?? null,
    bmcPort: h.bmc?.port ?? null,
    bmcUser: h.bmc?.user ?? null,
    bmcSecretRef: h.bmc?.secretRef ?? null,
    hypervisorUri: h.hypervisorUri,
    sshHost: h.ssh?.host ?? null,
    sshPort: h.ssh?.port ?? null,
    sshUser: h.ssh?.user ?? null,
    sshKeyRef: h.ssh?.keyRef ?? null,
    cores: h.capacity.cores,
    ramGb: h.capacity.ramGb,
    diskTb: h.capacity.diskTb,
    state: h.state,
    watchdog: h.watchdog ? toJson(h.watchdog) : null,
    updatedAt: date(h.updatedAt),
  };
}

export function vmFromRow(row: VmRow): VmRecord {
  const spec: VmSpec = {
    name: row.name,
    uuid: row.uuid,
    homeHost: row.homeHost,
    currentHost: row.currentHost,
    priority: row.priority,
    resources: { cores: row.cores, ramGb: row.ramGb, diskGb: row.diskGb },
  };
  if (row.domainXml !== null) spec.domainXml = row.domainXml;
  if (row.template !== null) spec.template = row.template;
  if (row.diskPath !== null) spec.diskPath = row.diskPath;
  if (row.guestAddress !== null) spec.guestAddress = row.guestAddress;
  if (row.sshHost !== null) {
    spec.ssh = { host: row.sshHost, port: row.sshPort ?? 22, user: row.sshUser ?? 'root' };
    if (row.sshKeyRef !== null) spec.ssh.keyRef = row.sshKeyRef;
  }
  const check = fromJson<VmSpec['serviceCheck']>(row.serviceCheck);
  if (check) spec.serviceCheck = check;
  return vmRecordOf(spec, ms(row.createdAt), ms(row.updatedAt));
}

export function vmColumns(v: VmRecord) {
  return {
    uuid: v.uuid,
    domainXml: v.domainXml ?? null,
    template: v.template ?? null,
    homeHost: v.homeHost,
    currentHost: v.currentHost,
    priority: v.priority,
    diskPath: v.diskPath ?? null,
    cores: v.resources.cores,
    ramGb: v.resources.ramGb,
    diskGb: v.resources.diskGb,
    guestAddress: v.guestAddress ?? null,
    sshHost: v.ssh?.host ?? null,
    sshPort: v.ssh?.port ?? null,
    sshUser: v.ssh?.user ?? null,
    sshKeyRef: v.ssh?.keyRef ?? null,
    serviceCheck: v.serviceCheck ? toJson(v.serviceCheck) : null,
    updatedAt: date(v.updatedAt),
  };
}

export function incidentFromRow(row: IncidentRow): IncidentRecord {
  return {
    id: row.id,
    targetId: row.targetId as TargetId,
    targetKind: row.targetKind as IncidentRecord['targetKind'],
    targetName: row.targetName,
    detectedAt: ms(row.detectedAt),
    signature: row.signature as IncidentRecord['signature'],
    signatureSummary: row.signatureSummary,
    entryRung: row.entryRung,
    currentRung: row.currentRung,
    state: row.state as IncidentRecord['state'],
    resolvedAt: msOrNull(row.resolvedAt),
    recoverySeconds: row.recoverySeconds,
    note: row.note,
  };
}

export function actionFromRow(row: ActionRow): ActionRecord {
  return {
    id: row.id,
    incidentId: row.incidentId,
    targetId: row.targetId as TargetId,
    rung: row.rung,
    kind: row.kind as ActionRecord['kind'],
    attempt: row.attempt,
    startedAt: ms(row.startedAt),
    finishedAt: msOrNull(row.finishedAt),
    outcome: row.outcome as ActionRecord['outcome'],
    error: row.error,
    fencingToken: row.fencingToken === null ? null : Number(row.fencingToken),
  };
}

export function actionColumns(a: ActionRecord) {
  return {
    targetId: a.targetId,
    rung: a.rung,
    kind: a.kind,
    attempt: a.attempt,
    startedAt: date(a.startedAt),
    finishedAt: dateOrNull(a.finishedAt),
    outcome: a.outcome,
    error: a.error,
    fencingToken: a.fencingToken === null ? null : BigInt(a.fencingToken),
  };
}

export function auditFromRow(r: AuditRow): AuditRecord {
  const rec: AuditRecord = { at: ms(r.at), actor: r.actor, action: r.action, target: r.target, details: fromJson<Record<string, unknown>>(r.details) };
  if (r.outcome !== null) rec.outcome = r.outcome as NonNullable<AuditRecord['outcome']>;
  return rec;
}

export function tokenFromRow(r: ApiTokenRow): ApiTokenRecord {
  return { name: r.name, role: r.role as ApiTokenRecord['role'], hash: r.hash, createdAt: ms(r.createdAt), createdBy: r.createdBy };
}

export function requestFromRow(r: RequestRow): RequestRecord {
  return {
    id: r.id,
    owner: r.owner,
    state: r.state as RequestRecord['state'],
    kind: r.kind as RequestRecord['kind'],
    cores: r.cores,
    ramGb: r.ramGb,
    diskGb: r.diskGb,
    os: r.os,
    middleware: fromJson<string[]>(r.middleware) ?? [],
    sshKeys: fromJson<string[]>(r.sshKeys) ?? [],
    durationMs: Number(r.durationMs),
    queue: r.queue,
    host: r.host,
    vmName: r.vmName,
    vmUuid: r.vmUuid,
    overlayPath: r.overlayPath,
    seedPath: r.seedPath,
    address: r.address,
    createdAt: ms(r.createdAt),
    placedAt: msOrNull(r.placedAt),
    readyAt: msOrNull(r.readyAt),
    expiresAt: msOrNull(r.expiresAt),
    endedAt: msOrNull(r.endedAt),
    warned: fromJson<number[]>(r.warned) ?? [],
    steps: fromJson<string[]>(r.steps) ?? [],
    endReason: r.endReason as RequestRecord['endReason'],
    erasedHow: r.erasedHow,
    error: r.error,
    updatedAt: ms(r.updatedAt),
  };
}

/** Every column but the id and createdAt (which never change). */
export function requestColumns(r: RequestRecord) {
  return {
    owner: r.owner,
    state: r.state,
    kind: r.kind,
    cores: r.cores,
    ramGb: r.ramGb,
    diskGb: r.diskGb,
    os: r.os,
    middleware: toJson(r.middleware),
    sshKeys: toJson(r.sshKeys),
    durationMs: BigInt(r.durationMs),
    queue: r.queue,
    host: r.host,
    vmName: r.vmName,
    vmUuid: r.vmUuid,
    overlayPath: r.overlayPath,
    seedPath: r.seedPath,
    address: r.address,
    placedAt: dateOrNull(r.placedAt),
    readyAt: dateOrNull(r.readyAt),
    expiresAt: dateOrNull(r.expiresAt),
    endedAt: dateOrNull(r.endedAt),
    warned: toJson(r.warned),
    steps: toJson(r.steps),
    endReason: r.endReason,
    erasedHow: r.erasedHow,
    error: r.error,
    updatedAt: date(r.updatedAt),
  };
}
