/**
 * Every write of a request goes through here: a state change is checked against the life cycle,
 * logged `old => new (reason)`, written with its timeline line, and told to the listeners; steps
 * are recorded before they run (timeline) and after (the record's `steps`), so a restarted
 * controller knows what was done and redoes only what may not have been.
 */
import type { Clock, Logger } from '../env/env.js';
import type { RequestPatch, RequestRecord, RequestState, Store } from '../store/types.js';
import { checkTransition } from './lifecycle.js';
import type { RequestEvents } from './request-events.js';

export class RequestBook {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly events: RequestEvents,
  ) {}

  now(): number {
    return this.clock.now();
  }

  async event(r: RequestRecord, kind: string, message: string, data?: Record<string, unknown>): Promise<void> {
    await this.store.addRequestEvent({ requestId: r.id, at: this.now(), kind, message, ...(data ? { data } : {}) });
  }

  async patch(r: RequestRecord, patch: RequestPatch): Promise<RequestRecord> {
    return this.store.updateRequest(r.id, patch);
  }

  async transition(r: RequestRecord, to: RequestState, reason: string, patch: RequestPatch = {}): Promise<RequestRecord> {
    checkTransition(r.id, r.state, to);
    const next = await this.store.updateRequest(r.id, { ...patch, state: to });
    const at = this.now();
    this.log.info({ request: r.id, owner: r.owner, from: r.state, to }, `${r.id}: ${r.state} => ${to} (${reason})`);
    await this.event(next, 'state', `${r.state} -> ${to}: ${reason}`);
    this.events.notify({ type: 'request-state', requestId: r.id, owner: r.owner, from: r.state, to, at, reason });
    if (to === 'erased' || to === 'released' || to === 'failed') this.events.notify({ type: 'request-closed', request: next, at });
    return next;
  }

  /** Runs `work` as step `name` unless the record says it is done; records it before and after. */
  async step(r: RequestRecord, name: string, what: string, work: () => Promise<RequestPatch | void>): Promise<RequestRecord> {
    if (r.steps.includes(name)) return r;
    await this.event(r, 'step', `${what}: started`, { step: name });
    const extra = (await work()) ?? {};
    const next = await this.store.updateRequest(r.id, { ...extra, steps: [...r.steps, name] });
    await this.event(next, 'step', `${what}: done`, { step: name });
    return next;
  }
}
