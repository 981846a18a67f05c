/**
 * Host on demand: the requests' front door (create, list, show, extend, release) and the sweep
 * that moves them on (provisioning, warnings, expiry, the queue). The store is the truth: the
 * sweep reads every open request each time, so a restarted controller continues where the last
 * one stopped, and only the leader sweeps. Everything that places or sweeps runs one at a time
 * (`serial`), so two requests can never be promised the same room.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { RrcError, errorText, isRrcError, type ErrorCode } from '../errors.js';
import type { RequestEventRecord, RequestRecord, Store } from '../store/types.js';
import { heldAddresses, lowestFreeAddress, poolFullReason, resolvePool, type AddressPool } from './address-pool.js';
import { findMiddleware, findOs, middlewareList } from './catalogue.js';
import { capacityView } from './capacity-view.js';
import { advanceEnding } from './ending.js';
import { isClosed } from './lifecycle.js';
import { placeMachine, type Resources } from './placement.js';
import { advanceProvisioning, overlayPathOf } from './provisioning.js';
import { advancePhysicalEnding, advancePhysicalProvisioning, type PhysicalDeps } from './physical-lending.js';
import { choosePhysicalHost } from './physical-placement.js';
import { PhysicalReinstalls } from './physical-reinstalls.js';
import { quotaRefusal, usageOf } from './quotas.js';
import { RequestBook } from './request-book.js';
import { RequestEvents, type RequestListener } from './request-events.js';
import type { RequestCreate } from './request-input.js';
import type { RequestServiceDeps } from './service-deps.js';
import { formatDurationMs } from './units.js';
import { dueWarnings, warnedAfterExtension } from './warnings.js';

/** Provisioning errors that no retry can cure: the request fails at once. */
const PERMANENT = new Set<ErrorCode>(['RRC_ERR_VALIDATION', 'RRC_ERR_CONFLICT', 'RRC_ERR_CONFIG_INVALID', 'RRC_ERR_NOT_FOUND', 'RRC_ERR_MISSING_DEPENDENCY']);

/** Who asks: the token's name and whether it may see and change every request. */
export interface Requester {
  name: string;
  admin: boolean;
}

export interface RequestDetail {
  request: RequestRecord;
  /** Where the machine runs now (the inventory's word; a recovery may have moved it). */
  runsOn: string | null;
  timeline: RequestEventRecord[];
}

export class RequestService {
  private readonly store: Store;
  private readonly book: RequestBook;
  private readonly events: RequestEvents;
  /** Reinstalls of lent hosts (--physical) running in the background of this service. */
  private readonly reinstalls = new PhysicalReinstalls();
  /** onDemand.addresses: each lent VM gets a static address at placement; null: none given. */
  private readonly pool: AddressPool | null;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: unknown = null;
  private running = false;

  constructor(private readonly deps: RequestServiceDeps) {
    if (!isAbsolute(deps.config.storageDir)) throw new RrcError('RRC_ERR_CONFIG_INVALID', `onDemand.storageDir must be absolute here, got ${deps.config.storageDir}`);
    this.store = deps.store;
    this.pool = deps.config.addresses ? resolvePool(deps.config.addresses) : null;
    this.events = new RequestEvents(deps.log);
    this.book = new RequestBook(deps.store, deps.clock, deps.log, this.events);
  }

  get catalogue() {
    return this.deps.catalogue;
  }

  onEvent(listener: RequestListener): () => void {
    return this.events.on(listener);
  }

  // ---- periodic sweep -------------------------------------------------------------------------

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.reinstalls.detach();
    if (this.timer !== null) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.chain.catch(() => undefined);
  }

  /** Resolves when the sweep or request change under way (if any) is done. */
  async idle(): Promise<void> {
    await this.chain.catch(() => undefined);
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = null;
      void this.sweep().finally(() => this.schedule(this.deps.config.sweepInterval));
    }, ms);
  }

  /** One pass over the open requests (leader only): endings first (they free room), then the queue, then the rest. */
  sweep(): Promise<void> {
    return this.serial(async () => {
      if (!this.deps.isLeader()) return;
      const open = await this.store.listRequests({ open: true });
      for (const r of open.filter((x) => x.state === 'expiring')) await this.guarded(r, () => this.ending(r));
      await this.placeQueued();
      for (const id of open.filter((x) => x.state !== 'expiring' && x.state !== 'queued').map((x) => x.id)) {
        const r = await this.store.getRequest(id);
        if (r) await this.guarded(r, () => this.advance(r));
      }
    });
  }

  private async advance(r: RequestRecord): Promise<RequestRecord> {
    const now = this.book.now();
    if (r.expiresAt !== null && now >= r.expiresAt) return this.endNow(r, 'expired', `its time (${formatDurationMs(r.durationMs)}) is over`);
    let cur = r;
    if (cur.state === 'placing' || cur.state === 'provisioning') {
      cur = cur.kind === 'physical' ? await advancePhysicalProvisioning(this.physicalDeps(), this.book, cur) : await advanceProvisioning(this.deps, this.book, cur);
      if (cur.state === 'expiring') return this.ending(cur);
    }
    if (cur.state === 'ready' || cur.state === 'provisioning') cur = await this.warn(cur);
    return cur;
  }

  /**
   * A failure of one request is recorded on it (once per distinct error) and does not stop the
   * sweep. The step is tried again at the next sweep, except a provisioning that cannot succeed
   * (refused input, a conflict) or that has run out of onDemand.provisionTimeout: that request
   * ends as failed, and its ending erases whatever was made. A ready machine is never ended by an
   * error: only its time, or its owner, ends it.
   */
  private async guarded(r: RequestRecord, work: () => Promise<RequestRecord>): Promise<void> {
    try {
      await work();
    } catch (e) {
      const text = errorText(e);
      this.deps.log.error({ request: r.id, error: text }, `request ${r.id}: ${text}`);
      const now = await this.store.getRequest(r.id);
      if (!now || isClosed(now.state)) return;
      const provisioning = now.state === 'placing' || now.state === 'provisioning';
      const permanent = isRrcError(e) && PERMANENT.has(e.code);
      const late = this.book.now() - (now.placedAt ?? now.createdAt) > this.deps.config.provisionTimeout;
      if (provisioning && (permanent || late)) {
        await this.endNow(now, 'failed', text, { error: text });
        return;
      }
      if (now.error !== text) {
        await this.book.event(now, 'error', `${text} (tried again at the next sweep)`);
        await this.book.patch(now, { error: text });
      }
    }
  }

  private endNow(r: RequestRecord, reason: 'expired' | 'released' | 'failed', why: string, extra: Partial<RequestRecord> = {}): Promise<RequestRecord> {
    return this.book.transition(r, 'expiring', why, { endReason: reason, ...extra }).then((x) => this.ending(x));
  }

  private ending(r: RequestRecord): Promise<RequestRecord> {
    return r.kind === 'physical' ? advancePhysicalEnding(this.physicalDeps(), this.book, r) : advanceEnding(this.deps, this.book, r);
  }

  private physicalDeps(): PhysicalDeps {
    return { ...this.deps, reinstalls: this.reinstalls };
  }

  private async warn(r: RequestRecord): Promise<RequestRecord> {
    if (r.expiresAt === null) return r;
    const now = this.book.now();
    const due = dueWarnings(this.deps.config.warnings, r.warned, r.expiresAt, now);
    if (due.length === 0) return r;
    for (const offset of due) {
      const left = formatDurationMs(r.expiresAt - now);
      this.deps.log.warn({ request: r.id, owner: r.owner, expiresAt: new Date(r.expiresAt).toISOString() }, `${r.id} of ${r.owner} ends in ${left} (warning ${formatDurationMs(offset)} before)`);
      await this.book.event(r, 'warning', `ends in ${left}, at ${new Date(r.expiresAt).toISOString()} (warning ${formatDurationMs(offset)} before the end)`, { offsetMs: offset });
      this.events.notify({ type: 'request-warning', requestId: r.id, owner: r.owner, expiresAt: r.expiresAt, offsetMs: offset, at: now });
    }
    return this.book.patch(r, { warned: [...r.warned, ...due] });
  }

  /** First in, first out: the oldest queued request starts when it fits; the ones behind it wait. */
  private async placeQueued(): Promise<void> {
    const queued = await this.store.listRequests({ open: true });
    for (const r of queued.filter((x) => x.state === 'queued')) {
      const placement = placeMachine(await this.capacity(), r, this.deps.config.reserve);
      if (!placement.ok) return;
      const address = await this.nextAddress();
      if (!address.ok) return;
      await this.book.transition(r, 'placing', `room on ${placement.host} (${placement.reason}) after ${formatDurationMs(this.book.now() - r.createdAt)} in the queue`, this.placedPatch(r.id, placement.host, r.durationMs, address.address));
    }
  }

  private capacity() {
    return capacityView({ store: this.store, controller: this.deps.controller, hypervisor: this.deps.hypervisor, clock: this.deps.clock });
  }

  /** The lowest free pool address (null without a pool), or why there is none. Runs inside `serial`, so no two placements get the same. */
  private async nextAddress(): Promise<{ ok: true; address: string | null } | { ok: false; reason: string }> {
    if (!this.pool) return { ok: true, address: null };
    const [open, vms] = await Promise.all([this.store.listRequests({ open: true }), this.store.listVms()]);
    const address = lowestFreeAddress(this.pool, heldAddresses(open, vms.map((v) => v.guestAddress)));
    return address === null ? { ok: false, reason: poolFullReason(this.pool) } : { ok: true, address };
  }

  private placedPatch(id: string, host: string, durationMs: number, address: string | null): Partial<RequestRecord> {
    const now = this.book.now();
    return {
      host,
      address,
      placedAt: now,
      expiresAt: now + durationMs,
      vmName: id,
      vmUuid: (this.deps.newUuid ?? randomUUID)(),
      overlayPath: overlayPathOf(this.deps.config.storageDir, id),
    };
  }

  /** A spare beyond the reserve, never queued: a lent host is refused at once when none is free. */
  private async placePhysical(ask: Resources): Promise<{ ok: true; host: string; reason: string }> {
    const choice = choosePhysicalHost(await this.store.listHosts(), await this.capacity(), ask, this.deps.config.reserve);
    if (!choice.ok) throw new RrcError('RRC_ERR_NO_CAPACITY', choice.reason);
    return choice;
  }

  private physicalPatch(host: string, durationMs: number): Partial<RequestRecord> {
    const now = this.book.now();
    return { host, placedAt: now, expiresAt: now + durationMs };
  }

  // ---- the front door -------------------------------------------------------------------------

  create(input: RequestCreate, who: Requester): Promise<RequestRecord> {
    return this.serial(async () => {
      this.requireLeader();
      const owner = input.owner ?? who.name;
      if (owner !== who.name && !who.admin) throw new RrcError('RRC_ERR_FORBIDDEN', `${who.name} may ask only for itself, not for ${owner}`);
      const os = findOs(this.deps.catalogue, input.os);
      const middleware = middlewareList(input.middleware);
      findMiddleware(this.deps.catalogue, middleware);
      if (input.physical && os.kind !== 'install') {
        throw new RrcError('RRC_ERR_VALIDATION', `OS ${os.name} is a disk image for VMs: --physical installs over PXE; install OSes: ${this.deps.catalogue.os.filter((o) => o.kind === 'install').map((o) => o.name).join(', ') || '(none)'}`);
      }
      if (input.physical && !this.deps.provisioner) throw new RrcError('RRC_ERR_VALIDATION', '--physical needs the PXE boot services (provisioning) configured in this controller');
      if (!input.physical && os.kind !== 'image') throw new RrcError('RRC_ERR_VALIDATION', `OS ${os.name} installs from scratch over PXE: only --physical can take it; VM images: ${this.deps.catalogue.os.filter((o) => o.kind === 'image').map((o) => o.name).join(', ') || '(none)'}`);
      const max = this.deps.config.maxDuration;
      if (input.for > max) throw new RrcError('RRC_ERR_VALIDATION', `--for ${formatDurationMs(input.for)} is longer than the longest allowed (onDemand.maxDuration ${formatDurationMs(max)})`);
      const ask: Resources = { cores: input.cores, ramGb: input.ram, diskGb: input.disk };
      const quota = this.deps.config.owners[owner]?.quota ?? this.deps.config.quotas.default;
      const mine = await this.store.listRequests({ owner, open: true });
      const refusal = quotaRefusal(owner, quota, usageOf(mine.map((m) => ({ cores: m.cores, ramGb: m.ramGb, diskGb: m.diskGb }))), ask);
      if (refusal) throw new RrcError('RRC_ERR_QUOTA', refusal);
      const queuedAhead = !input.physical && (await this.store.listRequests({ open: true })).some((x) => x.state === 'queued');
      // Behind a queue, even a request that would fit waits its turn (first in, first out).
      const room = input.physical
        ? await this.placePhysical(ask)
        : queuedAhead ? null : placeMachine(await this.capacity(), ask, this.deps.config.reserve);
      // A lent VM needs an address too when there is a pool: a full pool is no room either.
      const address = room?.ok && !input.physical ? await this.nextAddress() : ({ ok: true, address: null } as const);
      const placement = address.ok ? room : ({ ok: false, reason: address.reason } as const);
      if (placement && !placement.ok && !input.queue) throw new RrcError('RRC_ERR_NO_CAPACITY', `${placement.reason} (ask with --queue to wait for room)`);
      if (!placement && !input.queue) throw new RrcError('RRC_ERR_NO_CAPACITY', 'other requests wait for room before this one (ask with --queue to wait in line)');
      const now = this.book.now();
      const id = (this.deps.newId ?? (() => `r-${randomBytes(4).toString('hex')}`))();
      const rec: RequestRecord = {
        id,
        owner,
        state: 'queued',
        kind: input.physical ? 'physical' : 'vm',
        cores: ask.cores,
        ramGb: ask.ramGb,
        diskGb: ask.diskGb,
        os: os.name,
        middleware,
        sshKeys: input.sshKeys,
        durationMs: input.for,
        queue: input.queue,
        host: null,
        vmName: null,
        vmUuid: null,
        overlayPath: null,
        seedPath: null,
        address: null,
        createdAt: now,
        placedAt: null,
        readyAt: null,
        expiresAt: null,
        endedAt: null,
        warned: [],
        steps: [],
        endReason: null,
        erasedHow: null,
        error: null,
        updatedAt: now,
      };
      await this.store.createRequest(rec);
      const asked = `${ask.cores} cores, ${ask.ramGb}G RAM, ${ask.diskGb}G disk, ${os.name}${middleware.length ? ` + ${middleware.join(', ')}` : ''} for ${formatDurationMs(input.for)}`;
      await this.book.event(rec, 'created', `asked by ${who.name} for ${owner}: ${asked}`);
      this.deps.log.info({ request: id, owner }, `request ${id} of ${owner}: ${asked}`);
      if (placement?.ok) {
        const patch = input.physical ? this.physicalPatch(placement.host, input.for) : this.placedPatch(id, placement.host, input.for, address.ok ? address.address : null);
        const placed = await this.book.transition(rec, 'placing', `${placement.host}: ${placement.reason}`, patch);
        this.kick();
        return placed;
      }
      await this.book.event(rec, 'queue', `queued: ${placement && !placement.ok ? placement.reason : 'behind other queued requests'}`);
      return rec;
    });
  }

  async list(who: Requester, opts: { mine?: boolean } = {}): Promise<RequestRecord[]> {
    const all = await this.store.listRequests(who.admin && !opts.mine ? {} : { owner: who.name });
    return all;
  }

  async show(id: string, who: Requester): Promise<RequestDetail> {
    const request = await this.visible(id, who);
    const [timeline, vm] = await Promise.all([this.store.listRequestEvents(id), request.vmName ? this.store.getVm(request.vmName) : null]);
    return { request, runsOn: vm?.currentHost ?? null, timeline };
  }

  /** Pushes the end by `byMs`: the new end must be in the future and within onDemand.maxDuration of the start. */
  extend(id: string, byMs: number, who: Requester): Promise<RequestRecord> {
    return this.serial(async () => {
      this.requireLeader();
      const r = await this.visible(id, who);
      if (isClosed(r.state) || r.state === 'expiring') throw new RrcError('RRC_ERR_INVALID_STATE', `request ${id} is ${r.state}: it cannot be extended`);
      const now = this.book.now();
      const max = this.deps.config.maxDuration;
      if (r.state === 'queued' || r.expiresAt === null) {
        if (r.durationMs + byMs > max) throw new RrcError('RRC_ERR_VALIDATION', `${formatDurationMs(r.durationMs + byMs)} in all would exceed onDemand.maxDuration (${formatDurationMs(max)})`);
        const next = await this.book.patch(r, { durationMs: r.durationMs + byMs });
        await this.book.event(next, 'operator', `${who.name} extended it by ${formatDurationMs(byMs)} (not started yet: ${formatDurationMs(next.durationMs)} in all)`);
        return next;
      }
      const end = r.expiresAt + byMs;
      if (end <= now) throw new RrcError('RRC_ERR_VALIDATION', `the new end ${new Date(end).toISOString()} is not in the future`);
      const start = r.placedAt ?? r.createdAt;
      if (end - start > max) throw new RrcError('RRC_ERR_VALIDATION', `${formatDurationMs(end - start)} in all would exceed onDemand.maxDuration (${formatDurationMs(max)}); at most ${formatDurationMs(Math.max(0, start + max - r.expiresAt))} more`);
      const next = await this.book.patch(r, { expiresAt: end, durationMs: end - start, warned: warnedAfterExtension(r.warned, end, now) });
      await this.book.event(next, 'operator', `${who.name} extended it by ${formatDurationMs(byMs)}: ends at ${new Date(end).toISOString()}`);
      this.deps.log.info({ request: id, owner: r.owner, actor: who.name }, `${id} extended by ${formatDurationMs(byMs)}`);
      return next;
    });
  }

  /** Ends it now: a queued request is closed at once; a placed one is erased by the sweep. */
  release(id: string, who: Requester): Promise<RequestRecord> {
    return this.serial(async () => {
      this.requireLeader();
      const r = await this.visible(id, who);
      if (isClosed(r.state)) throw new RrcError('RRC_ERR_INVALID_STATE', `request ${id} is already ${r.state}`);
      if (r.state === 'expiring') return r;
      if (r.state === 'queued') return this.book.transition(r, 'released', `released by ${who.name} before it started`, { endReason: 'released', endedAt: this.book.now() });
      const next = await this.book.transition(r, 'expiring', `released by ${who.name}`, { endReason: 'released' });
      this.kick();
      return next;
    });
  }

  /** A request the requester may see: its own, or any for an admin; others are "not found". */
  private async visible(id: string, who: Requester): Promise<RequestRecord> {
    const r = await this.store.getRequest(id);
    if (!r || (!who.admin && r.owner !== who.name)) throw new RrcError('RRC_ERR_NOT_FOUND', `request ${id}`);
    return r;
  }

  /** A sweep soon, without waiting for it (the caller answers at once). */
  private kick(): void {
    if (!this.running) return;
    this.deps.clock.setTimeout(() => void this.sweep().catch(() => undefined), 0);
  }

  /** Only the leader changes requests (the API's leader-only plugin answers a standby's writes before this). */
  private requireLeader(): void {
    if (!this.deps.isLeader()) throw new RrcError('RRC_ERR_INVALID_STATE', 'this controller does not lead: send the request to the leader');
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work, work);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
