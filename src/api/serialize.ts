/**
 * Store records -> response shapes. The store speaks epoch ms; the API speaks ISO-8601.
 * Fields are copied one by one so a store that returns `null` for an absent optional
 * (SQL columns do) or carries extra columns cannot break the response schema.
 */
import type { ControllerHealth, TargetStatus } from '../controller/types.js';
import type { ActionRecord, AuditRecord, HostRecord, IncidentDetail, IncidentRecord, VmRecord } from '../store/types.js';
import { toIso } from './schemas/common.js';
import type { HostOut } from './schemas/host.js';
import type { ActionOut, AuditOut, IncidentDetailOut, IncidentOut } from './schemas/incident.js';
import type { HealthOut, TargetStatusOut } from './schemas/target.js';
import type { VmOut } from './schemas/vm.js';

const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

export function hostOut(h: HostRecord): HostOut {
  return {
    name: h.name,
    role: h.role,
    macs: [...h.macs],
    ip: h.ip,
    bmc: h.bmc ? { address: h.bmc.address, port: h.bmc.port, user: h.bmc.user, secretRef: h.bmc.secretRef } : undefined,
    hypervisorUri: h.hypervisorUri,
    ssh: h.ssh ? { host: h.ssh.host, port: h.ssh.port, user: h.ssh.user, keyRef: opt(h.ssh.keyRef) } : undefined,
    capacity: { cores: h.capacity.cores, ramGb: h.capacity.ramGb, diskTb: h.capacity.diskTb },
    watchdog: h.watchdog ? { kind: h.watchdog.kind, leaseTimeoutSeconds: h.watchdog.leaseTimeoutSeconds } : undefined,
    state: h.state,
    createdAt: toIso(h.createdAt),
    updatedAt: toIso(h.updatedAt),
  };
}

export function vmOut(v: VmRecord): VmOut {
  return {
    name: v.name,
    uuid: v.uuid,
    domainXml: opt(v.domainXml),
    template: opt(v.template),
    homeHost: v.homeHost,
    currentHost: v.currentHost,
    priority: v.priority,
    diskPath: opt(v.diskPath),
    resources: { cores: v.resources.cores, ramGb: v.resources.ramGb, diskGb: v.resources.diskGb },
    guestAddress: opt(v.guestAddress),
    ssh: v.ssh ? { host: v.ssh.host, port: v.ssh.port, user: v.ssh.user, keyRef: opt(v.ssh.keyRef) } : undefined,
    serviceCheck: v.serviceCheck ? { ...v.serviceCheck } : undefined,
    createdAt: toIso(v.createdAt),
    updatedAt: toIso(v.updatedAt),
  };
}

export function statusOut(s: TargetStatus): TargetStatusOut {
  return {
    targetId: s.targetId,
    kind: s.kind,
    name: s.name,
    phase: s.phase,
    rung: s.rung,
    rungName: s.rungName,
    incidentId: s.incidentId,
    signature: s.signature,
    maintenance: s.maintenance,
    penalty: s.penalty,
    since: toIso(s.since),
    reason: s.reason,
  };
}

export function healthOut(h: ControllerHealth): HealthOut {
  return {
    status: 'ok',
    startedAt: toIso(h.startedAt),
    now: toIso(h.now),
    uptimeSeconds: Math.max(0, Math.round((h.now - h.startedAt) / 1000)),
    env: h.env,
    store: h.store,
    targets: h.targets,
    openIncidents: h.openIncidents,
    probeCycles: h.probeCycles,
    safetyGuard: h.safetyGuard,
    destructiveInFlight: h.destructiveInFlight,
    storeWriteFailures: h.storeWriteFailures,
    storeWritesAbandoned: h.storeWritesAbandoned,
    lastStoreError: h.lastStoreError ? { ...h.lastStoreError, at: toIso(h.lastStoreError.at) } : null,
    leader: h.leader,
    epoch: h.epoch,
    holder: h.holder,
  };
}

export function incidentOut(i: IncidentRecord): IncidentOut {
  return {
    id: i.id,
    targetId: i.targetId,
    targetKind: i.targetKind,
    targetName: i.targetName,
    detectedAt: toIso(i.detectedAt),
    signature: i.signature,
    signatureSummary: i.signatureSummary,
    entryRung: i.entryRung,
    currentRung: i.currentRung,
    state: i.state,
    resolvedAt: toIso(i.resolvedAt ?? null),
    recoverySeconds: i.recoverySeconds ?? null,
    note: i.note ?? null,
  };
}

export function actionOut(a: ActionRecord): ActionOut {
  return {
    id: a.id,
    incidentId: a.incidentId,
    targetId: a.targetId,
    rung: a.rung,
    kind: a.kind,
    attempt: a.attempt,
    startedAt: toIso(a.startedAt),
    finishedAt: toIso(a.finishedAt ?? null),
    outcome: a.outcome ?? null,
    error: a.error ?? null,
    fencingToken: a.fencingToken ?? null,
  };
}

export function incidentDetailOut(d: IncidentDetail): IncidentDetailOut {
  return {
    ...incidentOut(d),
    events: d.events.map((e) => ({ at: toIso(e.at), kind: e.kind, message: e.message, data: opt(e.data) })),
    actions: d.actions.map(actionOut),
  };
}

export function auditOut(a: AuditRecord): AuditOut {
  const out: AuditOut = { at: toIso(a.at), actor: a.actor, action: a.action, target: a.target ?? null, details: a.details ?? null };
  if (a.outcome !== undefined) out.outcome = a.outcome;
  return out;
}
