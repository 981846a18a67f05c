import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ControllerApi } from '../controller/types.js';

export interface ApiDeps {
  controller: ControllerApi;
  /** A pino logger (or any fastify-compatible one); `true` for fastify's default, omitted = silent. */
  logger?: FastifyBaseLogger | boolean;
}

/** What every route plugin receives. */
export interface RouteOptions {
  controller: ControllerApi;
}

export type ApiApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;
