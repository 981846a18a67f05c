/**
 * Helpers shared by every Store implementation, so that they normalize input and word their
 * errors identically (the contract tests compare them).
 */
import { RrcError } from '../errors.js';
import type { HostOperationalState, HostSpec, VmSpec } from '../core/types.js';
import type { ActionRecord, AuditFilter, AuditRecord, HostPatch, HostRecord, IncidentRecord, RequestPatch, RequestRecord, VmPatch, VmRecord } from './types.js';

/** Options accepted by every implementation. */
export interface StoreOptions {
  /** Clock for createdAt / updatedAt (epoch ms); the simulator passes its virtual clock. */
  now?: () => number;
}

/** VmSpec fields that may be absent (stored as NULL). */
export const OPTIONAL_VM_FIELDS = ['domainXml', 'template', 'diskPath', 'guestAddress', 'ssh', 'serviceCheck'] as const;

/** Canonical MAC form: trimmed, lowercase, `:`-separated. */
export function normalizeMac(mac: string): string {
  return mac.trim().toLowerCase().replace(/-/g, ':');
}

/** Normalized MACs of one host, refusing one listed twice. */
export function normalizeMacs(host: string, macs: readonly string[]): string[] {
  const out = macs.map(normalizeMac);
  const seen = new Set<string>();
  for (const mac of out) {
    if (seen.has(mac)) throw new RrcError('RRC_ERR_CONFLICT', `MAC ${mac} is listed twice for host ${host}`);
    seen.add(mac);
  }
  return out;
}

export const conflict = {
  hostExists: (name: string) => new RrcError('RRC_ERR_CONFLICT', `host ${name} already exists`),
  macTaken: (mac: string, owner: string) =>
    new RrcError('RRC_ERR_CONFLICT', `MAC ${mac} already belongs to host ${owner}`),
  vmExists: (name: string) => new RrcError('RRC_ERR_CONFLICT', `VM ${name} already exists`),
  uuidTaken: (uuid: string, owner: string) =>
    new RrcError('RRC_ERR_CONFLICT', `UUID ${uuid} already belongs to VM ${owner}`),
  incidentExists: (id: string) => new RrcError('RRC_ERR_CONFLICT', `incident ${id} already exists`),
  requestExists: (id: string) => new RrcError('RRC_ERR_CONFLICT', `request ${id} already exists`),
  hostInUse: (name: string, vms: { name: string; homeHost: string; currentHost: string }[]) => {
    const list = vms
      .map((v) => {
        const roles = [v.currentHost === name ? 'current' : null, v.homeHost === name ? 'home' : null];
        return `${v.name} (${roles.filter(Boolean).join(', ')})`;
      })
      .sort();
    return new RrcError('RRC_ERR_CONFLICT', `host ${name} still has VMs: ${list.join(', ')}`, {
      details: { vms: vms.map((v) => v.name).sort() },
    });
  },
};

export const notFound = {
  host: (name: string) => new RrcError('RRC_ERR_NOT_FOUND', `host ${name}`),
  vm: (name: string) => new RrcError('RRC_ERR_NOT_FOUND', `VM ${name}`),
  incident: (id: string) => new RrcError('RRC_ERR_NOT_FOUND', `incident ${id}`),
  vmHost: (which: 'home' | 'current', name: string) => new RrcError('RRC_ERR_NOT_FOUND', `${which} host ${name}`),
  apiToken: (name: string) => new RrcError('RRC_ERR_NOT_FOUND', `token ${name}`),
  request: (id: string) => new RrcError('RRC_ERR_NOT_FOUND', `request ${id}`),
};

export const tokenConflict = (name: string) => new RrcError('RRC_ERR_CONFLICT', `token ${name} already exists`);

/** `listAudit(5)` is `listAudit({ limit: 5 })`. */
export function auditFilterOf(filter: number | AuditFilter | undefined): AuditFilter {
  return typeof filter === 'number' ? { limit: filter } : (filter ?? {});
}

export function auditMatches(rec: AuditRecord, f: AuditFilter): boolean {
  return (
    (f.actor === undefined || rec.actor === f.actor) &&
    (f.target === undefined || rec.target === f.target) &&
    (f.since === undefined || rec.at >= f.since) &&
    (f.outcome === undefined || rec.outcome === f.outcome)
  );
}

/** Fencing tokens are stored as BIGINT; refuse what would not round-trip as a JS number. */
export function checkFencingToken(token: number | null): void {
  if (token !== null && !Number.isSafeInteger(token)) {
    throw new RrcError('RRC_ERR_VALIDATION', `fencing token ${token} is not a safe integer`);
  }
}

/**
 * Optional fields of a patch: `undefined` (or absent) leaves the value alone, `null` clears it.
 * The patch types do not spell out null, hence the runtime check.
 */
export function clears(value: unknown): boolean {
  return value === null;
}

/** The host after a patch (MACs already normalized and checked by the caller). */
export function patchedHost(current: HostRecord, patch: HostPatch, macs: string[] | undefined, now: number): HostRecord {
  const spec: HostSpec = {
    name: current.name,
    role: patch.role ?? current.role,
    macs: macs ?? current.macs,
    ip: patch.ip ?? current.ip,
    hypervisorUri: patch.hypervisorUri ?? current.hypervisorUri,
    capacity: patch.capacity ?? current.capacity,
  };
  const bmc = clears(patch.bmc) ? undefined : (patch.bmc ?? current.bmc);
  if (bmc) spec.bmc = bmc;
  const ssh = clears(patch.ssh) ? undefined : (patch.ssh ?? current.ssh);
  if (ssh) spec.ssh = ssh;
  const watchdog = clears(patch.watchdog) ? undefined : (patch.watchdog ?? current.watchdog);
  if (watchdog) spec.watchdog = watchdog;
  return { ...hostRecordOf(spec, spec.macs, patch.state ?? current.state, current.createdAt, now), lastContactAt: current.lastContactAt };
}

/** The VM after a patch (host existence and UUID uniqueness are checked by the caller). */
export function patchedVm(current: VmRecord, patch: VmPatch, now: number): VmRecord {
  const spec: VmSpec = {
    name: current.name,
    uuid: patch.uuid ?? current.uuid,
    homeHost: patch.homeHost ?? current.homeHost,
    currentHost: patch.currentHost ?? current.currentHost,
    priority: patch.priority ?? current.priority,
    resources: patch.resources ?? current.resources,
  };
  for (const key of OPTIONAL_VM_FIELDS) {
    const value = clears(patch[key]) ? undefined : (patch[key] ?? current[key]);
    if (value !== undefined) (spec as unknown as Record<string, unknown>)[key] = value;
  }
  return vmRecordOf(spec, current.createdAt, now);
}

/** JSON text column helpers: the stores keep JSON as text for both SQL providers. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

export function fromJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

/** A host record holding exactly the contract's fields (callers may pass richer objects). */
export function hostRecordOf(
  spec: HostSpec,
  macs: string[],
  state: HostOperationalState,
  createdAt: number,
  updatedAt: number,
  lastContactAt: number | null = null,
): HostRecord {
  const rec: HostRecord = {
    name: spec.name,
    role: spec.role,
    macs: [...macs],
    ip: spec.ip,
    hypervisorUri: spec.hypervisorUri,
    capacity: { cores: spec.capacity.cores, ramGb: spec.capacity.ramGb, diskTb: spec.capacity.diskTb },
    state,
    lastContactAt,
    createdAt,
    updatedAt,
  };
  if (spec.bmc) {
    const { address, port, user, secretRef } = spec.bmc;
    rec.bmc = { address, port, user, secretRef };
  }
  if (spec.ssh) {
    const { host, port, user, keyRef } = spec.ssh;
    rec.ssh = keyRef === undefined || keyRef === null ? { host, port, user } : { host, port, user, keyRef };
  }
  if (spec.watchdog) rec.watchdog = { kind: spec.watchdog.kind, leaseTimeoutSeconds: spec.watchdog.leaseTimeoutSeconds };
  return rec;
}

export function vmRecordOf(spec: VmSpec, createdAt: number, updatedAt: number): VmRecord {
  const rec: VmRecord = {
    name: spec.name,
    uuid: spec.uuid,
    homeHost: spec.homeHost,
    currentHost: spec.currentHost,
    priority: spec.priority,
    resources: { cores: spec.resources.cores, ramGb: spec.resources.ramGb, diskGb: spec.resources.diskGb },
    createdAt,
    updatedAt,
  };
  for (const key of OPTIONAL_VM_FIELDS) {
    const value = spec[key];
    if (value !== undefined && value !== null) {
      (rec as unknown as Record<string, unknown>)[key] = typeof value === 'object' ? JSON.parse(JSON.stringify(value)) : value;
    }
  }
  return rec;
}

export function incidentRecordOf(r: IncidentRecord): IncidentRecord {
  return {
    id: r.id,
    targetId: r.targetId,
    targetKind: r.targetKind,
    targetName: r.targetName,
    detectedAt: r.detectedAt,
    signature: r.signature,
    signatureSummary: r.signatureSummary,
    entryRung: r.entryRung,
    currentRung: r.currentRung,
    state: r.state,
    resolvedAt: r.resolvedAt ?? null,
    recoverySeconds: r.recoverySeconds ?? null,
    note: r.note ?? null,
  };
}

export function actionRecordOf(r: ActionRecord): ActionRecord {
  return {
    id: r.id,
    incidentId: r.incidentId,
    targetId: r.targetId,
    rung: r.rung,
    kind: r.kind,
    attempt: r.attempt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt ?? null,
    outcome: r.outcome ?? null,
    error: r.error ?? null,
    fencingToken: r.fencingToken ?? null,
  };
}

/** Fields an IncidentPatch may change (identity fields never change). */
export const INCIDENT_PATCH_FIELDS = [
  'detectedAt',
  'signature',
  'signatureSummary',
  'entryRung',
  'currentRung',
  'state',
  'resolvedAt',
  'recoverySeconds',
  'note',
] as const;

/** A request record holding exactly the contract's fields, lists copied. */
export function requestRecordOf(r: RequestRecord): RequestRecord {
  return {
    id: r.id,
    owner: r.owner,
    state: r.state,
    kind: r.kind,
    cores: r.cores,
    ramGb: r.ramGb,
    diskGb: r.diskGb,
    os: r.os,
    middleware: [...r.middleware],
    sshKeys: [...r.sshKeys],
    durationMs: r.durationMs,
    queue: r.queue,
    host: r.host ?? null,
    vmName: r.vmName ?? null,
    vmUuid: r.vmUuid ?? null,
    overlayPath: r.overlayPath ?? null,
    seedPath: r.seedPath ?? null,
    address: r.address ?? null,
    createdAt: r.createdAt,
    placedAt: r.placedAt ?? null,
    readyAt: r.readyAt ?? null,
    expiresAt: r.expiresAt ?? null,
    endedAt: r.endedAt ?? null,
    warned: [...r.warned],
    steps: [...r.steps],
    endReason: r.endReason ?? null,
    erasedHow: r.erasedHow ?? null,
    error: r.error ?? null,
    updatedAt: r.updatedAt,
  };
}

/** The request after a patch (`undefined` leaves a field alone, `null` clears it). */
export function patchedRequest(current: RequestRecord, patch: RequestPatch, now: number): RequestRecord {
  const next = { ...current } as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) next[k] = v;
  return requestRecordOf({ ...(next as unknown as RequestRecord), updatedAt: now });
}
