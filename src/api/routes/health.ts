/** Liveness and the state of every target. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
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
