/**
 * `GET /metrics`: the Prometheus exposition of the controller's registry (src/metrics, prom-client).
 * Open to a scraper without a token only with api.metricsOpen (auth plugin). Without a registry from
 * the service (tests that build the app alone) a registry reading the controller's gauges is made here.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ControllerMetrics } from '../../metrics/controller-metrics.js';
import { errorResponses } from '../schemas/common.js';
import type { RouteOptions } from '../types.js';

export const metricsRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { controller, metrics }) => {
  const source = metrics ?? new ControllerMetrics({ defaultMetrics: false }).bindController(controller);
  app.get(
    '/metrics',
    { schema: { tags: ['controller'], summary: 'Metrics in the Prometheus text format', response: { 200: z.string(), ...errorResponses } } },
    async (_req, reply) => reply.type(source.contentType).send(await source.render()),
  );
};
