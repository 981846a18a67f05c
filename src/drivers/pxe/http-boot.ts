/**
 * The HTTP side of a network install, as a fastify plugin:
 *   GET  /boot/<mac>.ipxe        per-host iPXE script (install, or local boot when netboot is off)
 *   GET  /ks/<host>.cfg          kickstart with a one-time callback token, only to the address
 *                                leased to the host being reinstalled (tokens.ts)
 *   GET  /files/*                kernel, initrd, images (single-range Range support)
 *   POST|GET /callback/<host>?token=&mac=   install complete: one use per token, from the leased
 *                                address, for the MAC that netbooted, while netboot is on; may
 *                                carry the new ed25519 host key (`hostkey`), recorded in known_hosts,
 *                                and the watchdog the host runs (`watchdog=<kind>:<lease>`, declared)
 *   GET  /agent/rrc-watchdog     the host watchdog agent the kickstart installs
 *   GET  /health                 any answer: the agent's proof that it reaches this controller
 * `buildBootHttp` wraps it in its own fastify instance (no listen), so tests use inject().
 * Templates are read per request, so an edited template applies to the next boot.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { HostWatchdog } from '../../core/types.js';
import type { Clock, InstallProfile, Logger } from '../../env/env.js';
import { parseEd25519KeyLine, type KnownHostsStore } from '../known-hosts.js';
import { ipxeVars, kickstartVars, sshNamesOf, type BootHost, type BootHostTable, type RenderContext } from './boot-hosts.js';
import { isMac, normalizeMac } from './dhcp-codec.js';
import { sendFile } from './http-files.js';
import { parseWatchdogReport } from './watchdog-report.js';
import { renderTemplate, TemplateError } from './template.js';
import { REFUSAL_TEXT, type InstallTokens } from './tokens.js';

export type HttpMilestone = 'http' | 'kickstart' | 'callback';

export interface HttpBootDeps {
  hosts: BootHostTable;
  tokens: InstallTokens;
  render: RenderContext;
  /** Where a reinstalled host's new host key is recorded; absent: the key is only logged. */
  knownHosts?: KnownHostsStore;
  /** Folder with host.ipxe.tpl and local-boot.ipxe.tpl. */
  pxeTemplates: string;
  /** Folder with <template>.ks.tpl. */
  kickstartTemplates: string;
  /** Real path of the folder served under /files. */
  filesRoot: string;
  isNetbootEnabled(mac: string): boolean;
  /** A host lent out (`--physical`): its template and first-boot section instead of the hypervisor's. */
  installProfile?(host: string): InstallProfile | undefined;
  /** The callback arrived with a valid token: turn netboot off, resolve the reinstall. */
  onInstallComplete(host: BootHost): void;
  /** What the new installation runs as its watchdog (null: none), from a valid callback. */
  onWatchdogReport?(host: BootHost, watchdog: HostWatchdog | null): void;
  /** kickstart/rrc-watchdog.sh, served to installing hosts. */
  agentScript: string;
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
  refusedKickstarts: number;
  hostKeysRecorded: number;
  notFound: number;
  renderErrors: number;
}

const IPXE_TYPE = 'text/plain; charset=utf-8';

export const bootHttpPlugin: FastifyPluginAsync<HttpBootDeps & { stats: HttpStats }> = async (app, d) => {
  const log = d.log.child({ component: 'pxe-http' });
  const stats = d.stats;

  // Installers post the callback with whatever body curl/wget adds (even broken JSON); no route
  // reads a body, so every body is discarded unparsed. Encapsulated: the parent app keeps its parsers.
  // The callback's form (curl --data-urlencode) or plain-text body carries the host key.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { bodyLimit: 4096 }, (_req, _body, done) => done(null, undefined));
  app.addContentTypeParser('text/plain', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => done(null, { text: body }));
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) =>
    done(null, { form: new URLSearchParams(body as string) }),
  );

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
    const grant = d.tokens.forKickstart(host.name, { from: req.ip, isNetbootEnabled: d.isNetbootEnabled });
    if ('refused' in grant) {
      stats.refusedKickstarts++;
      log.warn({ host: host.name, from: req.ip, reason: grant.refused }, 'kickstart refused');
      return reply.code(403).type('text/plain; charset=utf-8').send(`# 3RC: kickstart refused: ${REFUSAL_TEXT[grant.refused]}\n`);
    }
    const callbackUrl = `${d.render.baseUrl}/callback/${host.name}?token=${grant.token}`;
    const profile = d.installProfile?.(host.name);
    const template = profile?.template ?? host.install?.template ?? d.render.install.template;
    try {
      const peers = d.hosts.all().filter((h) => h.name !== host.name).map((h) => h.ip);
      const vars = kickstartVars(host, grant.lease.mac, d.render, callbackUrl, peers);
      const rendered = await render(join(d.kickstartTemplates, `${template}.ks.tpl`), vars, 'kickstart');
      const body = profile?.firstBoot ? withFirstBoot(rendered, profile.firstBoot, callbackUrl) : rendered;
      stats.kickstarts++;
      d.milestone(host.name, 'kickstart', `template ${template}`);
      return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(body);
    } catch (e) {
      return renderFailed(e, host.name, reply);
    }
  });

  app.get('/health', async (_req, reply) => reply.send({ ok: true }));

  app.get('/agent/rrc-watchdog', async (_req, reply) => {
    const body = await readFile(d.agentScript, 'utf8');
    return reply.type('text/x-shellscript; charset=utf-8').header('cache-control', 'no-store').send(body);
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
    req: { params: { host: string }; query: CallbackQuery; body?: unknown; method: string; ip: string },
    reply: import('fastify').FastifyReply,
  ) => {
    const host = d.hosts.byName(req.params.host);
    if (!host) {
      stats.rejectedCallbacks++;
      return reply.code(404).send({ error: 'unknown host' });
    }
    const { token, mac, hostKey, watchdog } = callbackFields(req.query, req.body);
    const refuse = (code: number, result: string, error: string) => {
      stats.rejectedCallbacks++;
      log.warn({ host: host.name, from: req.ip, mac, result, reason: error }, 'install callback refused');
      return reply.code(code).send({ error });
    };
    // Checked before the token: a malformed key must not use the token up.
    const key = hostKey === undefined ? undefined : parseEd25519KeyLine(hostKey);
    if (key && !key.ok) return refuse(400, 'bad-host-key', `host key refused: ${key.reason}`);
    const report = parseWatchdogReport(watchdog);
    if (!report.ok) return refuse(400, 'bad-watchdog', report.reason);
    const result = token ? d.tokens.consume(host.name, token, { from: req.ip, mac, isNetbootEnabled: d.isNetbootEnabled }) : 'invalid';
    if (result !== 'ok') return refuse(result === 'used' ? 409 : 403, result, REFUSAL_TEXT[result]);
    stats.callbacks++;
    let keyNote = 'no host key reported';
    if (key?.ok && d.knownHosts) {
      const names = sshNamesOf(host);
      try {
        const r = await d.knownHosts.replace(names, key.key);
        stats.hostKeysRecorded++;
        keyNote = `host key recorded for ${names.join(',')}`;
        log.info({ host: host.name, names, replaced: r.removed, key: key.key }, 'new host key recorded in known_hosts');
      } catch (e) {
        keyNote = 'host key NOT recorded (see log)';
        log.error({ host: host.name, file: d.knownHosts.file, err: String(e) }, 'could not record the new host key');
      }
    } else if (key?.ok) {
      keyNote = 'host key reported, no known_hosts store configured';
      log.warn({ host: host.name, key: key.key }, 'new host key not recorded: no known_hosts store');
    }
    log.info({ host: host.name, from: req.ip, mac, watchdog: report.watchdog }, 'install complete callback');
    d.onInstallComplete(host);
    d.onWatchdogReport?.(host, report.watchdog);
    d.milestone(host.name, 'callback', `from ${req.ip}, ${keyNote}`);
    // iPXE's `chain` executes what it fetches: answer GET with a harmless script.
    if (req.method === 'GET') return reply.type(IPXE_TYPE).send('#!ipxe\necho 3RC: install recorded\nexit 0\n');
    return reply.send({ ok: true, host: host.name });
  };
  app.post<{ Params: { host: string }; Querystring: CallbackQuery }>('/callback/:host', (req, reply) => callback(req, reply));
  app.get<{ Params: { host: string }; Querystring: CallbackQuery }>('/callback/:host', (req, reply) => callback(req, reply));

  function renderFailed(e: unknown, host: string, reply: import('fastify').FastifyReply) {
    stats.renderErrors++;
    const msg = e instanceof TemplateError ? e.message : String(e);
    log.error({ host, err: msg }, 'template rendering failed');
    return reply.code(500).type('text/plain; charset=utf-8').send(`#!ipxe\necho 3RC: template error for ${host}\nexit 1\n`);
  }
};

export function newHttpStats(): HttpStats {
  return { scripts: 0, kickstarts: 0, files: 0, callbacks: 0, rejectedCallbacks: 0, refusedKickstarts: 0, hostKeysRecorded: 0, notFound: 0, renderErrors: 0 };
}

type CallbackQuery = { token?: string; mac?: string; hostkey?: string; watchdog?: string };

/** token, MAC and host key from the query, a form body (curl --data-urlencode) or a plain-text body (the key). */
function callbackFields(query: CallbackQuery, body: unknown): { token?: string; mac?: string; hostKey?: string; watchdog?: string } {
  const form = (body as { form?: URLSearchParams } | undefined)?.form;
  const text = (body as { text?: string } | undefined)?.text;
  const pick = (name: keyof CallbackQuery) => {
    const q = query[name];
    return typeof q === 'string' ? q : (form?.get(name) ?? undefined);
  };
  const rawMac = pick('mac');
  return {
    token: pick('token'),
    mac: rawMac !== undefined && isMac(rawMac) ? normalizeMac(rawMac) : undefined,
    hostKey: pick('hostkey') ?? text,
    watchdog: pick('watchdog'),
  };
}

/** A standalone fastify instance with the plugin registered (does not listen). */
export async function buildBootHttp(deps: HttpBootDeps, stats: HttpStats = newHttpStats()): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, trustProxy: false, bodyLimit: 4096, maxParamLength: 256 });
  await app.register(bootHttpPlugin, { ...deps, stats });
  return app;
}

/**
 * The first-boot `%post` section (kickstart-first-boot.ts, already quoted) goes before the %post
 * that calls back, so "install complete" means the owner's key and middleware are in place;
 * a template without a callback section gets it at the end.
 */
export function withFirstBoot(kickstart: string, firstBoot: string, callbackUrl: string): string {
  const section = firstBoot.endsWith('\n') ? firstBoot : `${firstBoot}\n`;
  const at = kickstart.indexOf(callbackUrl);
  const start = at < 0 ? -1 : kickstart.lastIndexOf('\n%post', at);
  if (start < 0) return `${kickstart.endsWith('\n') ? kickstart : `${kickstart}\n`}${section}`;
  return `${kickstart.slice(0, start + 1)}${section}${kickstart.slice(start + 1)}`;
}
