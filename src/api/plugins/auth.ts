/**
 * Authentication and roles for every route, in one hook: the Host header must name this
 * controller (DNS rebinding, misrouted proxies), then a bearer token of at least the role that
 * ROUTE_RULES gives the route. The token's name becomes the request's principal (the audit actor).
 */
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { RrcError } from '../../errors.js';
import type { Role, Store } from '../../store/types.js';
import { accessOf, routeKey, ROUTE_RULES } from '../auth/route-rules.js';
import { roleRank, verifyToken } from '../auth/tokens.js';

export interface Principal {
  name: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface AuthOptions {
  store: Store;
  /** Accepted Host header names, lowercase, without port. */
  hostnames: readonly string[];
  metricsOpen: boolean;
}

function hostnameOf(req: FastifyRequest): string | null {
  const raw = req.headers.host;
  if (!raw) return null;
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(raw) ?? /^([^:]+)(?::\d+)?$/.exec(raw);
  return m ? (m[1] as string).toLowerCase() : null;
}

function bearerOf(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? (m[1] as string) : null;
}

/**
 * An onRoute hook for the root instance, added before any route: fail at startup, not in
 * production, when a route has no line in the table.
 */
export function requireRouteRule(route: RouteOptions): void {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  for (const m of methods) {
    if (m === 'HEAD' || m === 'OPTIONS') continue;
    if (!(routeKey(m, route.url) in ROUTE_RULES)) throw new Error(`route ${m} ${route.url} has no entry in ROUTE_RULES (src/api/auth/route-rules.ts)`);
  }
}

async function authPlugin(app: FastifyInstance, opts: AuthOptions): Promise<void> {
  const hostnames = new Set(opts.hostnames.map((h) => h.toLowerCase()));
  app.decorateRequest('principal', null);

  app.addHook('onRequest', async (req, reply) => {
    const host = hostnameOf(req);
    if (host === null || !hostnames.has(host)) {
      throw new RrcError('RRC_ERR_MISDIRECTED', `Host "${req.headers.host ?? ''}" is not a name of this controller (api.hostnames)`);
    }
    const access = accessOf(req.method, req.routeOptions.url);
    if (access === 'public' || (access === 'metrics' && opts.metricsOpen)) return;
    const token = bearerOf(req);
    if (token === null) {
      void reply.header('www-authenticate', 'Bearer realm="3rc"');
      throw new RrcError('RRC_ERR_UNAUTHENTICATED', 'send "Authorization: Bearer <token>" (3rc token create; the CLI reads RRC_TOKEN or --token-file)');
    }
    const rec = await verifyToken(opts.store, token);
    if (!rec) {
      void reply.header('www-authenticate', 'Bearer realm="3rc", error="invalid_token"');
      throw new RrcError('RRC_ERR_UNAUTHENTICATED', 'unknown or revoked token');
    }
    req.principal = { name: rec.name, role: rec.role };
    const needed: Role = access === 'metrics' ? 'viewer' : access;
    if (roleRank(rec.role) < roleRank(needed)) {
      throw new RrcError('RRC_ERR_FORBIDDEN', `token "${rec.name}" (${rec.role}) may not ${req.method} ${req.routeOptions.url ?? req.url}: needs ${needed}`);
    }
  });
}

export const auth = fp(authPlugin, { name: '3rc-auth', fastify: '5.x' });
