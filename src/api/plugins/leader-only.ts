/**
 * Writes go to the leader only. Controllers sharing one database all answer reads, but a write
 * (any non-GET route but the step-down, which answers for itself) on a standby is refused with 409
 * after authentication and before validation (the leader judges the body), and the answer names the leader so that a client can go there instead:
 * `{ error: 'RRC_ERR_NOT_LEADER', message, leader, leaderUrl? }`. Nothing changes on a standby.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { ControllerApi } from '../../controller/types.js';
import { isWrite, routeKey } from '../auth/route-rules.js';

export const NOT_LEADER = 'RRC_ERR_NOT_LEADER';
/** 409, not 421: undici (fetch) silently resends a request answered 421 on a new connection. */
export const NOT_LEADER_STATUS = 409;

/** Routes that may run on a standby: the step-down says itself who leads. */
const ANY_CONTROLLER = new Set(['POST /controller/step-down']);

export interface LeaderOnlyOptions {
  controller: Pick<ControllerApi, 'health'>;
  /** The API URL of a controller by its holder id, when the deployment knows it (its heartbeat row). */
  leaderUrlOf?: (holder: string) => string | undefined | Promise<string | undefined>;
}

export interface NotLeaderBody {
  error: typeof NOT_LEADER;
  message: string;
  /** The lease holder, null when no controller leads right now (between terms). */
  leader: string | null;
  leaderUrl?: string;
}

async function leaderOnlyPlugin(app: FastifyInstance, opts: LeaderOnlyOptions): Promise<void> {
  app.addHook('preValidation', async (req, reply) => {
    if (!isWrite(req.method) || req.routeOptions.url === undefined) return;
    if (ANY_CONTROLLER.has(routeKey(req.method, req.routeOptions.url))) return;
    const { leader, holder } = await opts.controller.health();
    if (leader) return;
    // The refusal stands without a URL when the lookup fails: the client still learns who leads.
    const leaderUrl = holder === null ? undefined : await Promise.resolve(opts.leaderUrlOf?.(holder)).catch(() => undefined);
    const body: NotLeaderBody = {
      error: NOT_LEADER,
      message: holder === null ? 'this controller does not lead and no leader is known yet: retry shortly' : `this controller does not lead: send writes to ${holder}${leaderUrl ? ` (${leaderUrl})` : ''}`,
      leader: holder,
      ...(leaderUrl ? { leaderUrl } : {}),
    };
    // The routes' error schema has no `leader` key: send the body as it is.
    return reply.code(NOT_LEADER_STATUS).serializer(JSON.stringify).send(body);
  });
}

export const leaderOnly = fp(leaderOnlyPlugin, { name: '3rc-leader-only', fastify: '5.x' });
