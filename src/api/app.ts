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
import { audit } from './plugins/audit.js';
import { auth, requireRouteRule } from './plugins/auth.js';
import { leaderOnly } from './plugins/leader-only.js';
import { apiUrlOf } from '../controller/pair-view.js';
import { metricsRoutes } from './routes/metrics.js';
import { tokenRoutes } from './routes/tokens.js';
import { defaultApiAccess } from './schemas/api-access.js';
import { healthRoutes } from './routes/health.js';
import { hostRoutes } from './routes/hosts.js';
import { incidentRoutes } from './routes/incidents.js';
import { operatorRoutes } from './routes/operator.js';
import { targetRoutes } from './routes/targets.js';
import { vmRoutes } from './routes/vms.js';
import { catalogueRoutes } from './routes/catalogue.js';
import { requestRoutes } from './routes/requests.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { eventsStreamRoutes } from './routes/events-stream.js';
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
  tokenRoutes,
  metricsRoutes,
  requestRoutes,
  catalogueRoutes,
  dashboardRoutes,
  eventsStreamRoutes,
];

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** Host names the API answers to: the configured ones, else loopback and the listen address. */
export function acceptedHostnames(configured: readonly string[] | undefined, listenHost?: string): string[] {
  if (configured) return [...configured];
  return listenHost !== undefined && !WILDCARDS.has(listenHost) ? [...LOOPBACK_NAMES, listenHost] : LOOPBACK_NAMES;
}

export function buildApp(deps: ApiDeps): ApiApp {
  const { controller, logger } = deps;
  const defaults = defaultApiAccess();
  const allow = deps.access?.allow ?? defaults.allow;
  const now = deps.now ?? Date.now;
  // Reads (the CLI and dashboards poll) are not logged per request; changes are.
  const logController = new LogController({ disableRequestLogging: (req) => req.method === 'GET' || req.method === 'HEAD' });
  const server = deps.https ? { https: deps.https } : {};
  // The https variant's types name https.Server; requests and replies are the same to every route.
  const app = (
    typeof logger === 'object'
      ? Fastify({ loggerInstance: logger, logController, ...server })
      : Fastify({ logger: logger ?? false, logController, ...server })
  ).withTypeProvider<ZodTypeProvider>() as unknown as ApiApp;

  app.addHook('onRoute', requireRouteRule);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandlers(app);
  // Before the routes: the auth plugin checks each one has a rule as it is added.
  void app.register(auth, {
    store: controller.store,
    hostnames: acceptedHostnames(deps.access?.hostnames, deps.listenHost),
    metricsOpen: deps.access?.metricsOpen ?? defaults.metricsOpen,
  });
  void app.register(audit, { store: controller.store, now });
  // A standby answers reads and points writes at the leader.
  void app.register(leaderOnly, { controller, leaderUrlOf: (holder) => apiUrlOf(controller.store, holder) });

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

  for (const routes of ROUTES) void app.register(routes, { controller, allow, now, requests: deps.requests ?? null, ...(deps.metrics ? { metrics: deps.metrics } : {}) });
  return app;
}
