/** What can be asked for: OS images or installs and middleware recipes (the config's catalogue). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CatalogueOutSchema, catalogueOut } from '../../on-demand/request-output.js';
import { errorResponses } from '../schemas/common.js';
import type { RouteOptions } from '../types.js';

export const catalogueRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { requests }) => {
  app.get(
    '/api/v1/catalogue',
    { schema: { tags: ['requests'], summary: 'OS and middleware that can be asked for', response: { 200: CatalogueOutSchema, ...errorResponses } } },
    async () => catalogueOut(requests?.catalogue ?? { os: [], middleware: [] }),
  );
};
