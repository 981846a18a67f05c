/** Liveness, the state of every target, and the leader's step-down. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { RrcError } from '../../errors.js';
import { actorOf } from '../actor.js';
import { errorResponses } from '../schemas/common.js';
import { HealthOutSchema, TargetStatusOutSchema } from '../schemas/target.js';
import { healthOut, statusOut } from '../serialize.js';
import type { RouteOptions } from '../types.js';

export const healthRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { controller }) => {
  app.get(
    '/health',
    { schema: { tags: ['controller'], summary: 'Controller liveness and counters', response: { 200: HealthOutSchema, ...errorResponses } } },
    async () => healthOut(await controller.health()),
  );

  app.post(
    '/controller/step-down',
    {
      schema: {
        tags: ['controller'],
        summary: 'The leader releases its lease so that a standby takes over (maintenance)',
        response: { 200: HealthOutSchema, ...errorResponses },
      },
    },
    async (req) => {
      if (!(await controller.stepDown(actorOf(req)))) {
        const { holder } = await controller.health();
        throw new RrcError('RRC_ERR_INVALID_STATE', `this controller does not lead${holder ? ` (the leader is ${holder})` : ''}`);
      }
      return healthOut(await controller.health());
    },
  );

  app.get(
    '/status',
    {
      schema: {
        tags: ['controller'],
        summary: 'State of every target (hosts and VMs)',
        response: { 200: z.array(TargetStatusOutSchema), ...errorResponses },
      },
    },
    async () => controller.status().map(statusOut),
  );
};
