/** Prometheus text exposition of the controller's counters (open to a scraper with api.metricsOpen). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses } from '../schemas/common.js';
import type { RouteOptions } from '../types.js';

export const metricsRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { controller }) => {
  app.get(
    '/metrics',
    { schema: { tags: ['controller'], summary: 'Counters in the Prometheus text format', response: { 200: z.string(), ...errorResponses } } },
    async (_req, reply) => {
      const h = await controller.health();
      const byPhase = new Map<string, number>();
      for (const s of controller.status()) byPhase.set(s.phase, (byPhase.get(s.phase) ?? 0) + 1);
      const lines = [
        '# TYPE rrc_targets gauge',
        `rrc_targets ${h.targets}`,
        '# TYPE rrc_open_incidents gauge',
        `rrc_open_incidents ${h.openIncidents}`,
        '# TYPE rrc_probe_cycles_total counter',
        `rrc_probe_cycles_total ${h.probeCycles}`,
        '# TYPE rrc_store_write_failures_total counter',
        `rrc_store_write_failures_total ${h.storeWriteFailures}`,
        '# TYPE rrc_targets_by_phase gauge',
        ...[...byPhase].sort().map(([phase, n]) => `rrc_targets_by_phase{phase="${phase}"} ${n}`),
      ];
      return reply.type('text/plain; version=0.0.4').send(`${lines.join('\n')}\n`);
    },
  );
};
