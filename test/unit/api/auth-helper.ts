/** Tokens for API tests: issue one straight into the store and send it with every injected request. */
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { ApiApp } from '../../../src/api/app.js';
import { issueToken } from '../../../src/api/auth/tokens.js';
import type { Role, Store } from '../../../src/store/types.js';

export async function tokenFor(store: Store, role: Role, name: string = role): Promise<string> {
  return (await issueToken(store, { name, role, createdBy: 'test', now: Date.now() })).token;
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

export type Inject = (opts: InjectOptions) => Promise<LightMyRequestResponse>;

/** `app.inject` with the token's Authorization header (a request's own headers win). */
export function authed(app: ApiApp, token: string): Inject {
  return (opts) => app.inject({ ...opts, headers: { ...bearer(token), ...(opts.headers ?? {}) } });
}

/** The audit entries the controller wrote (the API's own request entries carry an outcome). */
export async function controllerAudit(store: Store, limit?: number): Promise<Awaited<ReturnType<Store['listAudit']>>> {
  const all = (await store.listAudit()).filter((a) => a.outcome === undefined);
  return limit === undefined ? all : all.slice(0, limit);
}
