/**
 * Who is asking: the name of the token the request was authenticated with (plugins/auth.ts).
 * A client-chosen header (the old x-3rc-actor) is no longer trusted.
 */
import type { FastifyRequest } from 'fastify';
import { RrcError } from '../errors.js';

export function actorOf(req: FastifyRequest): string {
  // Every route that records an actor needs a token (ROUTE_RULES), so this is a wiring error.
  if (!req.principal) throw new RrcError('RRC_ERR_UNAUTHENTICATED', 'no token on a route that records who acts');
  return req.principal.name;
}
