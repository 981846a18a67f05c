/**
 * The web dashboard: the page and its assets (public: they hold no data) and the one snapshot the
 * page reads (a viewer token). The assets are hand-written files in src/api/dashboard/public/,
 * read once at registration and served from memory: no build step, no CDN.
 */
import { readFileSync } from 'node:fs';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { RrcError } from '../../errors.js';
import { buildDashboard } from '../dashboard/snapshot.js';
import { DashboardSchema } from '../dashboard/snapshot-schema.js';
import { errorResponses } from '../schemas/common.js';
import type { RouteOptions } from '../types.js';

export const DASHBOARD_PATH = '/api/v1/dashboard';

const PUBLIC_DIR = new URL('../dashboard/public/', import.meta.url);
/** The only files served: a fixed list, so no path from a URL ever reaches the file system. */
const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'main.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'render.js': 'text/javascript; charset=utf-8',
  'incidents.js': 'text/javascript; charset=utf-8',
  'plot.js': 'text/javascript; charset=utf-8',
  'actions.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
};

/** Only our own files run, and data is never markup: the token in sessionStorage stays ours. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function loadAssets(): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of Object.keys(ASSETS)) {
    try {
      out.set(name, readFileSync(new URL(name, PUBLIC_DIR)));
    } catch (e) {
      throw new RrcError('RRC_ERR_MISSING_DEPENDENCY', `dashboard asset ${name} (${(e as NodeJS.ErrnoException).code ?? 'unreadable'}): the package is incomplete`);
    }
  }
  return out;
}

export const dashboardRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { controller }) => {
  const files = loadAssets();
  const asset = (summary: string) => ({ tags: ['dashboard'], summary, response: { 200: z.string(), ...errorResponses } });

  const serve = (name: string) => async (_req: unknown, reply: import('fastify').FastifyReply) =>
    reply
      .header('content-type', ASSETS[name] as string)
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(files.get(name));

  app.get('/', { schema: asset('The web dashboard (HTML; the page asks for a token and reads /api/v1/dashboard)') }, serve('index.html'));
  app.get('/dashboard/:file', { schema: { ...asset("The dashboard's scripts and style sheet"), params: z.strictObject({ file: z.string() }) } }, async (req, reply) => {
    const name = req.params.file;
    if (!Object.hasOwn(ASSETS, name) || name === 'index.html') throw new RrcError('RRC_ERR_NOT_FOUND', `dashboard file "${name}"`);
    return serve(name)(req, reply);
  });

  app.get(
    DASHBOARD_PATH,
    {
      schema: {
        tags: ['dashboard'],
        summary: 'Everything the dashboard shows: targets with their next step, open incidents with timelines, recent recoveries, the controller pair',
        response: { 200: DashboardSchema, ...errorResponses },
      },
    },
    async (req) => {
      if (!req.principal) throw new RrcError('RRC_ERR_UNAUTHENTICATED', 'no token');
      return buildDashboard(controller, req.principal);
    },
  );
};
