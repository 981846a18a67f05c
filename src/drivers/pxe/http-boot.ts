/**
 * The HTTP side of a network install, as a fastify plugin:
 *   GET  /boot/<mac>.ipxe        per-host iPXE script (install, or local boot when netboot is off)
 *   GET  /ks/<host>.cfg          kickstart with a one-time callback token
 *   GET  /files/*                kernel, initrd, images (single-range Range support)
 *   POST|GET /callback/<host>?token=   install complete: one use per token
 * `buildBootHttp` wraps it in its own fastify instance (no listen), so tests use inject().
 * Templates are read per request, so an edited template applies to the next boot.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Clock, Logger } from '../../env/env.js';
import { ipxeVars, kickstartVars, type BootHost, type BootHostTable, type RenderContext } from './boot-hosts.js';
import { isMac, normalizeMac } from './dhcp-codec.js';
import { sendFile } from './http-files.js';
import { renderTemplate, TemplateError } from './template.js';
import type { OneTimeTokens } from './tokens.js';

export type HttpMilestone = 'http' | 'kickstart' | 'callback';

export interface HttpBootDeps {
  hosts: BootHostTable;
  tokens: OneTimeTokens;
  render: RenderContext;
  /** Folder with host.ipxe.tpl and local-boot.ipxe.tpl. */
  pxeTemplates: string;
  /** Folder with <template>.ks.tpl. */
  kickstartTemplates: string;
  /** Real path of the folder served under /files. */
  filesRoot: string;
  isNetbootEnabled(mac: string): boolean;
  /** The callback arrived with a valid token: turn netboot off, resolve the reinstall. */
  onInstallComplete(host: BootHost): void;
  milestone(host: string, name: HttpMilestone, detail: string): void;
  log: Logger;
  clock: Clock;
}

export interface HttpStats {
  scripts: number;
  kickstarts: number;
  files: number;
  callbacks: number;
  rejectedCallbacks: number;
  notFound: number;
  renderErrors: number;
}

const IPXE_TYPE = 'text/plain; charset=utf-8';

export const bootHttpPlugin: FastifyPluginAsync<HttpBootDeps & { stats: HttpStats }> = async (app, d) => {
  const log = d.log.child({ component: 'pxe-http' });
  const stats = d.stats;

  // Installers post the callback with whatever body curl/wget adds (even broken JSON); no route
  // reads a body, so every body is discarded unparsed. Encapsulated: the parent app keeps its parsers.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { bodyLimit: 4096 }, (_req, _body, done) => done(null, undefined));

  const render = async (file: string, vars: Parameters<typeof renderTemplate>[1], escape: 'ipxe' | 'kickstart') => {
    const tpl = await readFile(file, 'utf8');
    return renderTemplate(tpl, vars, { escape, name: file });
  };

  app.get<{ Params: { name: string } }>('/boot/:name', async (req, reply) => {
    const m = /^(.+)\.ipxe$/.exec(req.params.name);
    const host = m && isMac(m[1]!) ? d.hosts.byMac(m[1]!) : undefined;
    if (!m || !host) {
      stats.notFound++;
      log.info({ name: req.params.name.slice(0, 64), from: req.ip }, 'boot script for unknown MAC');
      return reply.code(404).type(IPXE_TYPE).send('#!ipxe\necho 3RC: unknown MAC\nexit 1\n');
    }
    const mac = normalizeMac(m[1]!);
    const netboot = d.isNetbootEnabled(mac);
    const tpl = join(d.pxeTemplates, netboot ? 'host.ipxe.tpl' : 'local-boot.ipxe.tpl');
    try {
      const body = await render(tpl, ipxeVars(host, mac, d.render), 'ipxe');
      stats.scripts++;
      d.milestone(host.name, 'http', netboot ? `install script ${mac}` : `local-boot script ${mac}`);
      return reply.type(IPXE_TYPE).header('cache-control', 'no-store').send(body);
    } catch (e) {
      return renderFailed(e, host.name, reply);
    }
  });

  app.get<{ Params: { name: string } }>('/ks/:name', async (req, reply) => {
    const m = /^(.+)\.cfg$/.exec(req.params.name);
    const host = m ? d.hosts.byName(m[1]!) : undefined;
    if (!host) {
      stats.notFound++;
      return reply.code(404).send({ error: 'unknown host' });
    }
    const token = d.tokens.current(host.name) ?? d.tokens.issue(host.name);
    const callbackUrl = `${d.render.baseUrl}/callback/${host.name}?token=${token}`;
    const template = host.install?.template ?? d.render.install.template;
    try {
      const vars = kickstartVars(host, host.macs[0], d.render, callbackUrl);
      const body = await render(join(d.kickstartTemplates, `${template}.ks.tpl`), vars, 'kickstart');
      stats.kickstarts++;
      d.milestone(host.name, 'kickstart', `template ${template}`);
      return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(body);
    } catch (e) {
      return renderFailed(e, host.name, reply);
    }
  });

  // Explicit HEAD: fastify's implicit HEAD route would reset Content-Length to 0.
  app.route<{ Params: { '*': string } }>({ method: ['GET', 'HEAD'], url: '/files/*', handler: async (req, reply) => {
    const name = req.params['*'];
    const host = d.hosts.byIp(req.ip);
    const r = await sendFile(req, reply, d.filesRoot, name);
    if (reply.statusCode < 300) {
      stats.files++;
      if (host) d.milestone(host.name, 'http', `file ${name.slice(0, 128)}`);
    } else {
      stats.notFound++;
    }
    return r;
  } });

  const callback = async (
    req: { params: { host: string }; query: { token?: string }; method: string; ip: string },
    reply: import('fastify').FastifyReply,
  ) => {
    const host = d.hosts.byName(req.params.host);
    if (!host) {
      stats.rejectedCallbacks++;
      return reply.code(404).send({ error: 'unknown host' });
    }
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const result = token ? d.tokens.consume(host.name, token) : 'invalid';
    if (result !== 'ok') {
      stats.rejectedCallbacks++;
      log.warn({ host: host.name, from: req.ip, result }, 'install callback refused');
      const code = result === 'used' ? 409 : 403;
      return reply.code(code).send({ error: result === 'used' ? 'token already used' : `token ${result}` });
    }
    stats.callbacks++;
    log.info({ host: host.name, from: req.ip }, 'install complete callback');
    d.onInstallComplete(host);
    d.milestone(host.name, 'callback', `from ${req.ip}`);
    // iPXE's `chain` executes what it fetches: answer GET with a harmless script.
    if (req.method === 'GET') return reply.type(IPXE_TYPE).send('#!ipxe\necho 3RC: install recorded\nexit 0\n');
    return reply.send({ ok: true, host: host.name });
  };
  app.post<{ Params: { host: string }; Querystring: { token?: string } }>('/callback/:host', (req, reply) => callback(req, reply));
  app.get<{ Params: { host: string }; Querystring: { token?: string } }>('/callback/:host', (req, reply) => callback(req, reply));

  function renderFailed(e: unknown, host: string, reply: import('fastify').FastifyReply) {
    stats.renderErrors++;
    const msg = e instanceof TemplateError ? e.message : String(e);
    log.error({ host, err: msg }, 'template rendering failed');
    return reply.code(500).type('text/plain; charset=utf-8').send(`#!ipxe\necho 3RC: template error for ${host}\nexit 1\n`);
  }
};

export function newHttpStats(): HttpStats {
  return { scripts: 0, kickstarts: 0, files: 0, callbacks: 0, rejectedCallbacks: 0, notFound: 0, renderErrors: 0 };
}

/** A standalone fastify instance with the plugin registered (does not listen). */
export async function buildBootHttp(deps: HttpBootDeps, stats: HttpStats = newHttpStats()): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, trustProxy: false, bodyLimit: 4096, maxParamLength: 256 });
  await app.register(bootHttpPlugin, { ...deps, stats });
  return app;
}
