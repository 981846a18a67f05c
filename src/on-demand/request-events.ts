/**
 * What the request service tells its listeners (the notification hook, tests): state changes,
 * expiry warnings and the closing record. Listeners must not throw; one that does is logged.
 */
import type { Logger } from '../env/env.js';
import type { RequestRecord, RequestState } from '../store/types.js';

export type RequestEvent =
  | { type: 'request-state'; requestId: string; owner: string; from: RequestState; to: RequestState; at: number; reason: string }
  | { type: 'request-warning'; requestId: string; owner: string; expiresAt: number; offsetMs: number; at: number }
  | { type: 'request-closed'; request: RequestRecord; at: number };

export type RequestListener = (e: RequestEvent) => void;

export class RequestEvents {
  private readonly listeners = new Set<RequestListener>();

  constructor(private readonly log: Logger) {}

  /** Returns the function that removes the listener. */
  on(listener: RequestListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(e: RequestEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log.error({ error: err instanceof Error ? err.message : String(err), event: e.type }, 'request listener failed');
      }
    }
  }
}
