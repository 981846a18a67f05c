import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ControllerApi } from '../controller/types.js';
import type { MetricsSource } from '../metrics/controller-metrics.js';
import type { AllowLists, ApiAccessConfig } from './schemas/api-access.js';
import type { RequestService } from '../on-demand/request-service.js';

export interface ApiDeps {
  controller: ControllerApi;
  /** A pino logger (or any fastify-compatible one); `true` for fastify's default, omitted = silent. */
  logger?: FastifyBaseLogger | boolean;
  /** The config's `api:` access keys; omitted: loopback Host names, metrics closed, default allow-lists. */
  access?: Partial<ApiAccessConfig> & { allow?: AllowLists };
  /** Extra accepted Host names (the listen address), added to `access.hostnames` or the defaults. */
  listenHost?: string;
  /** Clock for audit and token times (epoch ms); the controller's own by default. */
  now?: () => number;
  /** fastify `https` options (key and cert) for TLS. */
  https?: { key: Buffer | string; cert: Buffer | string };
  /** Host on demand (src/on-demand); absent: /api/v1/requests answers 409, the catalogue is empty. */
  requests?: RequestService;
  /** The Prometheus registry behind `/metrics` (src/metrics); omitted: gauges read from the controller only. */
  metrics?: MetricsSource;
}

/** What every route plugin receives. */
export interface RouteOptions {
  controller: ControllerApi;
  allow: AllowLists;
  now: () => number;
  /** Host on demand, when the controller runs it. */
  requests?: RequestService | null;
  metrics?: MetricsSource;
}

export type ApiApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;
