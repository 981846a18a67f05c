/**
 * The HTTP API as a fastify instance. `buildApp` wires compilers, OpenAPI, the error handler
 * and the route plugins, and does not listen: the `controller` command listens, tests inject.
 */
import swagger from '@fastify/swagger';
import Fastify, { LogController } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type FastifyPluginAsyncZod,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { installErrorHandlers } from './error-handler.js';
import { healthRoutes } from './routes/health.js';
import { hostRoutes } from './routes/hosts.js';
import { incidentRoutes } from './routes/incidents.js';
import { operatorRoutes } from './routes/operator.js';
import { targetRoutes } from './routes/targets.js';
import { vmRoutes } from './routes/vms.js';
import type { ApiApp, ApiDeps, RouteOptions } from './types.js';

export type { ApiApp, ApiDeps } from './types.js';

export const API_VERSION = '0.1.0';

/** Every route plugin, registered in this order; new resources add a line here. */
export const ROUTES: ReadonlyArray<FastifyPluginAsyncZod<RouteOptions>> = [
  healthRoutes,
  hostRoutes,
  vmRoutes,
  incidentRoutes,
  targetRoutes,
  operatorRoutes,
];

export function buildApp(deps: ApiDeps): ApiApp {
  const { controller, logger } = deps;
  // Reads (the CLI and dashboards poll) are not logged per request; changes are.
  const logController = new LogController({ disableRequestLogging: (req) => req.method === 'GET' || req.method === 'HEAD' });
  const app = (
    typeof logger === 'object'
      ? Fastify({ loggerInstance: logger, logController })
      : Fastify({ logger: logger ?? false, logController })
  ).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandlers(app);

  // Registered before the routes: swagger collects them through the onRoute hook.
  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: '3RC controller API',
        description: 'Reboot, Restart, Reinstall: the recovery controller. Times are ISO-8601; errors are { error, message }.',
        version: API_VERSION,
      },
    },
    transform: jsonSchemaTransform,
  });

  app.get(
    '/openapi.json',
    { schema: { hide: true, response: { 200: z.record(z.string(), z.unknown()) } } },
    async () => app.swagger() as unknown as Record<string, unknown>,
  );

  for (const routes of ROUTES) void app.register(routes, { controller });
  return app;
}
