/**
 * Host on demand: ask for a machine for a time, see it, extend it, give it back. Owners see and
 * change only their own requests (owner = the token's name); an admin sees and changes all.
 * Without an onDemand service (a controller built without one) every route answers 409.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { RrcError } from '../../errors.js';
import { RequestCreateSchema, RequestExtendSchema } from '../../on-demand/request-input.js';
import { RequestDetailOutSchema, RequestOutSchema, requestEventOut, requestOut } from '../../on-demand/request-output.js';
import type { Requester, RequestService } from '../../on-demand/request-service.js';
import { actorOf } from '../actor.js';
import { errorResponses } from '../schemas/common.js';
import type { RouteOptions } from '../types.js';

const IdParamsSchema = z.strictObject({ id: z.string().min(1).max(64) });
const ListQuerySchema = z.strictObject({ mine: z.enum(['true', 'false']).optional() });

function requesterOf(req: FastifyRequest): Requester {
  return { name: actorOf(req), admin: req.principal?.role === 'admin' };
}

export const requestRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { controller, requests }) => {
  const service = (): RequestService => {
    if (!requests) throw new RrcError('RRC_ERR_INVALID_STATE', 'host on demand is not set up on this controller (no catalogue / onDemand service)');
    return requests;
  };
  const out = async (r: Awaited<ReturnType<RequestService['create']>>) => {
    const vm = r.vmName ? await controller.store.getVm(r.vmName) : null;
    return requestOut(r, vm?.currentHost ?? null);
  };

  app.post(
    '/api/v1/requests',
    {
      schema: {
        tags: ['requests'],
        summary: 'Ask for a machine for a time (409 RRC_ERR_NO_CAPACITY with the reason unless queue, 409 RRC_ERR_QUOTA naming the quota; 400 lists the valid OS / middleware names)',
        body: RequestCreateSchema,
        response: { 201: RequestOutSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.status(201).send(await out(await service().create(req.body, requesterOf(req)))),
  );

  app.get(
    '/api/v1/requests',
    {
      schema: {
        tags: ['requests'],
        summary: 'Requests, oldest first: an owner sees its own, an admin all (mine=true: only its own)',
        querystring: ListQuerySchema,
        response: { 200: z.array(RequestOutSchema), ...errorResponses },
      },
    },
    async (req) => {
      const list = await service().list(requesterOf(req), { mine: req.query.mine === 'true' });
      return Promise.all(list.map(out));
    },
  );

  app.get(
    '/api/v1/requests/:id',
    { schema: { tags: ['requests'], summary: 'One request and its timeline', params: IdParamsSchema, response: { 200: RequestDetailOutSchema, ...errorResponses } } },
    async (req) => {
      const d = await service().show(req.params.id, requesterOf(req));
      return { ...requestOut(d.request, d.runsOn), timeline: d.timeline.map(requestEventOut) };
    },
  );

  app.post(
    '/api/v1/requests/:id/extend',
    {
      schema: {
        tags: ['requests'],
        summary: 'Push the end by a duration ("2h"); the new end must be in the future and within onDemand.maxDuration',
        params: IdParamsSchema,
        body: RequestExtendSchema,
        response: { 200: RequestOutSchema, ...errorResponses },
      },
    },
    async (req) => out(await service().extend(req.params.id, req.body.by, requesterOf(req))),
  );

  app.post(
    '/api/v1/requests/:id/release',
    { schema: { tags: ['requests'], summary: 'End it now: the machine is destroyed and its disk erased', params: IdParamsSchema, response: { 200: RequestOutSchema, ...errorResponses } } },
    async (req) => out(await service().release(req.params.id, requesterOf(req))),
  );
};
