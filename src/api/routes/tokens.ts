/** API tokens: create (the token is in this answer only), list, revoke. Admins only (ROUTE_RULES). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiTokenRecord } from '../../store/types.js';
import { actorOf } from '../actor.js';
import { issueToken } from '../auth/tokens.js';
import { errorResponses, NameParamsSchema, toIso } from '../schemas/common.js';
import { TokenCreateBodySchema, TokenCreatedOutSchema, TokenOutSchema, type TokenOut } from '../schemas/token.js';
import type { RouteOptions } from '../types.js';

const tokenOut = (t: ApiTokenRecord): TokenOut => ({ name: t.name, role: t.role, createdAt: toIso(t.createdAt), createdBy: t.createdBy });

export const tokenRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { controller, now }) => {
  const { store } = controller;

  app.get(
    '/tokens',
    { schema: { tags: ['tokens'], summary: 'API tokens (names and roles; never the tokens)', response: { 200: z.array(TokenOutSchema), ...errorResponses } } },
    async () => (await store.listApiTokens()).map(tokenOut),
  );

  app.post(
    '/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Create a token for a person or a program (409 on a duplicate name)',
        body: TokenCreateBodySchema,
        response: { 201: TokenCreatedOutSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { token, record } = await issueToken(store, { ...req.body, createdBy: actorOf(req), now: now() });
      return reply.status(201).send({ ...tokenOut(record), token });
    },
  );

  app.delete(
    '/tokens/:name',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Revoke a token: it is refused from the next request on',
        params: NameParamsSchema,
        response: { 204: z.null().describe('revoked'), ...errorResponses },
      },
    },
    async (req, reply) => {
      await store.removeApiToken(req.params.name);
      return reply.status(204).send(null);
    },
  );
};
