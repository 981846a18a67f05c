/**
 * Every write request, done or refused, goes to the audit log with who (the token's name), what
 * (method and route), the target, why (a summary of the body without secrets) and how it ended.
 * Written before the answer is sent, so a client that got its answer finds the entry.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditOutcome, Store } from '../../store/types.js';
import { isWrite } from '../auth/route-rules.js';

export interface AuditOptions {
  store: Store;
  now: () => number;
}

/** Keys whose values are never stored, wherever they appear in a body. */
const SECRET_KEY_RE = /^(password|passphrase|secret|token|privateKey|private_key|authorization)$/i;
const MAX_STRING = 200;
const MAX_DEPTH = 4;

/** A copy fit for the audit log: secrets replaced, long strings (domain XML) cut. */
export function summarizeBody(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}... (${value.length} chars)` : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '...';
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => summarizeBody(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, SECRET_KEY_RE.test(k) ? '[redacted]' : summarizeBody(v, depth + 1)]),
  );
}

const KIND_OF_RESOURCE: Record<string, string> = { hosts: 'host', vms: 'vm', tokens: 'token' };

/** `host:hv1`, `vm:web1`, `token:alice`, or the `:target` as given. */
export function auditTarget(path: string, params: unknown, body: unknown): string | null {
  const p = (params ?? {}) as Record<string, unknown>;
  if (typeof p.target === 'string') return p.target;
  const kind = KIND_OF_RESOURCE[path.split('/')[1] ?? ''];
  if (!kind) return null;
  const name = typeof p.name === 'string' ? p.name : (body as { name?: unknown } | null | undefined)?.name;
  return typeof name === 'string' ? `${kind}:${name}` : null;
}

function outcomeOf(status: number): AuditOutcome {
  if (status < 400) return 'ok';
  // Auth, validation, not-found and state conflicts are refused before anything changes; 5xx failed while acting.
  return status >= 500 ? 'failed' : 'refused';
}

function errorOf(payload: unknown): { error?: string; message?: string } {
  if (typeof payload !== 'string') return {};
  try {
    const body = JSON.parse(payload) as { error?: unknown; message?: unknown };
    return {
      ...(typeof body.error === 'string' ? { error: body.error } : {}),
      ...(typeof body.message === 'string' ? { message: body.message.slice(0, 500) } : {}),
    };
  } catch {
    return {};
  }
}

async function auditPlugin(app: FastifyInstance, opts: AuditOptions): Promise<void> {
  app.addHook('onSend', async (req: FastifyRequest, reply, payload) => {
    if (!isWrite(req.method)) return payload;
    const path = req.url.split('?')[0] ?? req.url;
    const status = reply.statusCode;
    const details: Record<string, unknown> = { status, ...(status >= 400 ? errorOf(payload) : {}) };
    if (req.body !== undefined && req.body !== null) details.body = summarizeBody(req.body);
    try {
      await opts.store.addAudit({
        at: opts.now(),
        actor: req.principal?.name ?? 'anonymous',
        action: `${req.method} ${req.routeOptions.url ?? path}`,
        target: auditTarget(path, req.params, req.body),
        details,
        outcome: outcomeOf(status),
      });
    } catch (e) {
      // The answer still goes out: the change (or refusal) already happened; the log says the audit failed.
      req.log.error({ err: e }, 'writing the audit entry failed');
    }
    return payload;
  });
}

export const audit = fp(auditPlugin, { name: '3rc-audit', fastify: '5.x' });
