/**
 * Who may call what: one table, route -> minimum role. Viewers read; operators act on targets;
 * admins change inventory and tokens. The auth plugin refuses to start when a registered route
 * is missing here, so a new route cannot ship open by accident. Tests are generated from it.
 */
import type { Role } from '../../store/types.js';

/** `public`: no token (liveness); `metrics`: a viewer token unless `api.metricsOpen`. */
export type Access = Role | 'public' | 'metrics';

export const ROUTE_RULES: Readonly<Record<string, Access>> = {
  'GET /health': 'public',
  'GET /metrics': 'metrics',
  'GET /openapi.json': 'viewer',
  'GET /status': 'viewer',
  'GET /hosts': 'viewer',
  'GET /hosts/:name': 'viewer',
  'GET /hosts/:name/power': 'viewer',
  'GET /hosts/:name/probe': 'viewer',
  'GET /vms': 'viewer',
  'GET /vms/:name': 'viewer',
  'GET /vms/:name/probe': 'viewer',
  'GET /incidents': 'viewer',
  'GET /incidents/:id': 'viewer',
  'GET /actions': 'viewer',
  'GET /audit': 'viewer',
  // The dashboard page and its assets hold no data; the snapshot and the event stream need a token.
  'GET /': 'public',
  'GET /dashboard/:file': 'public',
  'GET /api/v1/dashboard': 'viewer',
  'GET /api/v1/events': 'viewer',
  'POST /targets/:target/maintenance': 'operator',
  'POST /targets/:target/release': 'operator',
  'POST /targets/:target/rung': 'operator',
  'POST /hosts/:name/confirm-off': 'operator',
  'POST /hosts/:name/power': 'operator',
  'POST /hosts/:name/bootdev': 'operator',
  'POST /hosts/:name/fence': 'operator',
  'POST /vms/:name/reboot': 'operator',
  'POST /vms/:name/restart': 'operator',
  'POST /vms/:name/move': 'operator',
  'POST /hosts': 'admin',
  'DELETE /hosts/:name': 'admin',
  'POST /vms': 'admin',
  'DELETE /vms/:name': 'admin',
  'POST /controller/step-down': 'admin',
  'GET /tokens': 'admin',
  'POST /tokens': 'admin',
  'DELETE /tokens/:name': 'admin',
  // Host on demand: any token may ask; owners see and change only their own requests, admins all
  // (the request service checks ownership: src/on-demand/request-service.ts).
  'GET /api/v1/catalogue': 'viewer',
  'GET /api/v1/requests': 'viewer',
  'GET /api/v1/requests/:id': 'viewer',
  'POST /api/v1/requests': 'viewer',
  'POST /api/v1/requests/:id/extend': 'viewer',
  'POST /api/v1/requests/:id/release': 'viewer',
};

export function routeKey(method: string, url: string): string {
  // fastify adds a HEAD route for every GET: same rule.
  return `${method === 'HEAD' ? 'GET' : method} ${url}`;
}

/** The rule of a registered route; unknown routes (404s) still need a token, so nothing is probed anonymously. */
export function accessOf(method: string, url: string | undefined): Access {
  if (url === undefined) return 'viewer';
  return ROUTE_RULES[routeKey(method, url)] ?? 'viewer';
}

export const isWrite = (method: string): boolean => method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
