/**
 * The root error and not-found handlers: every failure leaves the API as
 * `{ error: RRC_ERR_*, message, details? }`, and a 500 never carries a stack or internals.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { ZodError } from 'zod';
import { isRrcError } from '../errors.js';
import type { ErrorResponse } from './schemas/common.js';
import { formatPath, issueLines } from './schemas/issues.js';

interface Reply {
  status: number;
  body: ErrorResponse;
}

export function errorReply(err: unknown): Reply {
  if (hasZodFastifySchemaValidationErrors(err)) {
    // validationContext is body | querystring | params | headers: name it so the client knows where.
    const where = (err as { validationContext?: string }).validationContext ?? 'request';
    const details = err.validation.map((v) => {
      const keys = (v.params as { keys?: string[] }).keys;
      const segs = v.instancePath
        .split('/')
        .filter(Boolean)
        .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      if (v.keyword === 'unrecognized_keys' && keys) {
        return keys.map((k) => ({ path: formatPath([where, ...segs, k]), message: 'unknown key' }));
      }
      const message = v.keyword === 'invalid_type' && /received undefined$/.test(v.message ?? '') ? 'is required' : v.message;
      return [{ path: formatPath([where, ...segs]), message: message ?? 'invalid' }];
    });
    const flat = details.flat();
    return {
      status: 400,
      body: { error: 'RRC_ERR_VALIDATION', message: flat.map((d) => `${d.path}: ${d.message}`).join('; '), details: flat },
    };
  }
  if (err instanceof ZodError) {
    const lines = issueLines(err.issues);
    return {
      status: 400,
      body: { error: 'RRC_ERR_VALIDATION', message: lines.map((l) => `${l.path}: ${l.message}`).join('; '), details: lines },
    };
  }
  if (isRrcError(err)) {
    // Validation refusals raised by the API itself (allow-lists) name their fields like zod's.
    const details = err.code === 'RRC_ERR_VALIDATION' && Array.isArray(err.details) ? { details: err.details } : {};
    return { status: err.status, body: { error: err.code, message: err.message, ...details } };
  }
  const fe = err as Partial<FastifyError> | null;
  // fastify's own client errors (bad JSON, wrong content type, body too large) keep their 4xx.
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500 && !isSerialization(err)) {
    return {
      status: fe.statusCode,
      body: { error: fe.statusCode === 404 ? 'RRC_ERR_NOT_FOUND' : 'RRC_ERR_VALIDATION', message: fe.message ?? 'bad request' },
    };
  }
  return { status: 500, body: { error: 'RRC_ERR_INTERNAL', message: 'internal error (see the controller log)' } };
}

function isSerialization(err: unknown): boolean {
  return typeof err === 'object' && err !== null && isResponseSerializationError(err);
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = errorReply(err);
    if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: body.error, detail: body.message }, 'request rejected');
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) =>
    reply.status(404).send({ error: 'RRC_ERR_NOT_FOUND', message: `route ${req.method} ${req.url.split('?')[0]} not found` }),
  );
}
