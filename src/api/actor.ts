/**
 * Who is asking. The single place the audit actor is derived, so authentication and roles
 * can be added here later without touching the routes.
 */
import type { FastifyRequest } from 'fastify';
import { RrcError } from '../errors.js';

export const ACTOR_HEADER = 'x-3rc-actor';
const ACTOR_RE = /^[A-Za-z0-9][A-Za-z0-9_.@:+-]{0,63}$/;

export function actorOf(req: FastifyRequest): string {
  const raw = req.headers[ACTOR_HEADER];
  if (raw === undefined || raw === '') return 'api';
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || !ACTOR_RE.test(value)) {
    throw new RrcError('RRC_ERR_VALIDATION', `header ${ACTOR_HEADER}: must be 1-64 letters, digits or _.@:+-`);
  }
  return value;
}
