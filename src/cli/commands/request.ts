/**
 * `3rc request create|list|show|extend|release`: host on demand. Sizes, durations and the owner
 * are checked here with the API's own schema, and the OS and middleware against the controller's
 * catalogue, so a typo is a usage error (exit 2) naming the valid values before anything is asked.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { issueLines } from '../../api/schemas/issues.js';
import { findMiddleware, findOs, middlewareList } from '../../on-demand/catalogue.js';
import type { Catalogue } from '../../on-demand/catalogue-types.js';
import type { CatalogueOut, RequestDetailOut, RequestOut } from '../../on-demand/request-output.js';
import { RequestCreateSchema, RequestExtendSchema, type RequestCreateInput } from '../../on-demand/request-input.js';
import { formatDurationMs, formatSizeGb } from '../../on-demand/units.js';
import { isRrcError } from '../../errors.js';
import { seg } from '../client.js';
import { clientOf, clientWithTimeout, collect, group, wantsJson } from '../context.js';
import { usageError } from '../errors.js';
import { keyValues, print, printJson, shortTime, table } from '../output.js';
import { waitUntilReady } from './request-wait.js';

interface CreateOpts {
  cores: string;
  ram: string;
  disk: string;
  os: string;
  middleware?: string;
  for: string;
  owner?: string;
  wait?: boolean;
  waitTimeout: string;
  queue?: boolean;
  physical?: boolean;
  sshKey?: string[];
}

/** The body, checked with the API's schema: the first problem as one usage line. */
function bodyOf(opts: CreateOpts): RequestCreateInput {
  const keys = (opts.sshKey ?? []).flatMap((file) => {
    try {
      return readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    } catch (e) {
      throw usageError(`--ssh-key ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  });
  const body: RequestCreateInput = {
    cores: /^\d+$/.test(opts.cores) ? Number(opts.cores) : Number.NaN,
    ram: opts.ram,
    disk: opts.disk,
    os: opts.os,
    for: opts.for,
    queue: opts.queue === true,
    physical: opts.physical === true,
    sshKeys: keys,
    ...(opts.middleware !== undefined ? { middleware: middlewareList(opts.middleware) } : {}),
    ...(opts.owner !== undefined ? { owner: opts.owner } : {}),
  };
  const parsed = RequestCreateSchema.safeParse(body);
  if (!parsed.success) {
    const flag: Record<string, string> = { for: '--for', ram: '--ram', disk: '--disk', cores: '--cores', owner: '--owner', sshKeys: '--ssh-key' };
    const first = issueLines(parsed.error.issues)[0];
    const key = first?.path.split(/[.[]/)[0] ?? '';
    throw usageError(`${flag[key] ?? key}: ${key === 'cores' ? 'must be a whole number of cores, at least 1' : (first?.message ?? 'invalid')}`);
  }
  return body;
}

function catalogueOfOut(c: CatalogueOut): Catalogue {
  return {
    os: c.os.map((o) => (o.kind === 'image' ? { ...o, kind: 'image', baseImage: '', format: 'qcow2' } : { ...o, kind: 'install', kickstartTemplate: '' })),
    middleware: c.middleware.map((m) => ({ ...m, firstBoot: [] })),
  };
}

const expiry = (r: RequestOut) => (r.expiresAt ? shortTime(r.expiresAt) : r.state === 'queued' ? `${formatDurationMs(r.durationSeconds * 1000)} once placed` : '-');

function summary(r: RequestOut): string {
  return keyValues([
    ['request', r.id],
    ['state', r.state],
    ['owner', r.owner],
    ['machine', r.machine],
    ['host', r.runsOn ?? r.host],
    ['address', r.address ?? r.machine],
    ['size', `${r.cores} cores, ${formatSizeGb(r.ramGb)} RAM, ${formatSizeGb(r.diskGb)} disk`],
    ['os', `${r.os}${r.middleware.length ? ` + ${r.middleware.join(', ')}` : ''}`],
    ['expires', expiry(r)],
    ['ended', r.endedAt ? `${shortTime(r.endedAt)} (${r.endReason ?? '?'}${r.erasedHow ? `, disk erased: ${r.erasedHow}` : ''})` : null],
    ['error', r.error],
  ]);
}

export function registerRequestCommands(program: Command): void {
  const request = group(program, 'request', 'host on demand: ask for a machine for a time; it is erased at the end');

  request
    .command('create')
    .description('ask for a machine: prints its id, name, host and expiry')
    .requiredOption('--cores <n>', 'CPU cores')
    .requiredOption('--ram <size>', 'memory, e.g. 8G')
    .requiredOption('--disk <size>', 'disk, e.g. 200G or 1T')
    .requiredOption('--os <name>', 'an OS of `3rc catalogue list`')
    .option('--middleware <names>', 'middleware of the catalogue, comma-separated')
    .requiredOption('--for <duration>', 'how long, e.g. 90m, 6h, 2d')
    .option('--owner <name>', 'for someone else (admin); default: your token name')
    .option('--ssh-key <file>', 'public key file to install (repeatable; the config may hold your keys)', collect)
    .option('--queue', 'wait in line when there is no room, instead of being refused')
    .option('--physical', 'a whole spare host reinstalled over PXE (not available yet)')
    .option('--wait', 'block until the machine answers (progress on a terminal)')
    .option('--wait-timeout <duration>', 'give up waiting after this long', '15m')
    .option('--json', 'print JSON')
    .action(async (opts: CreateOpts, cmd: Command) => {
      const body = bodyOf(opts);
      const client = clientOf(cmd);
      const catalogue = catalogueOfOut(await client.get<CatalogueOut>('/api/v1/catalogue'));
      try {
        findOs(catalogue, body.os);
        findMiddleware(catalogue, middlewareList(body.middleware));
      } catch (e) {
        if (isRrcError(e)) throw usageError(e.message.replace(/^invalid input: /, ''));
        throw e;
      }
      const created = await client.post<RequestOut>('/api/v1/requests', body);
      let shown: RequestOut | RequestDetailOut = created;
      if (opts.wait) {
        const timeout = RequestExtendSchema.shape.by.safeParse(opts.waitTimeout);
        if (!timeout.success) throw usageError(`--wait-timeout: ${issueLines(timeout.error.issues)[0]?.message ?? 'invalid'}`);
        if (!wantsJson(cmd)) print(`request ${created.id}: ${created.state}${created.state === 'queued' ? ' (waiting for room)' : ` on ${created.host ?? '?'}`}`);
        shown = await waitUntilReady(clientWithTimeout(cmd, 10_000), created.id, {
          pollMs: 2000,
          timeoutMs: timeout.data,
          tty: process.stdout.isTTY === true && !wantsJson(cmd),
          write: (s) => (wantsJson(cmd) ? process.stderr.write(s) : process.stdout.write(s)),
        });
      }
      if (wantsJson(cmd)) return printJson(shown);
      print(summary(shown));
    });

  request
    .command('list')
    .description('requests, oldest first (yours; an admin sees all)')
    .option('--mine', 'only your own (for an admin)')
    .option('--json', 'print JSON')
    .action(async (opts: { mine?: boolean }, cmd: Command) => {
      const list = await clientOf(cmd).get<RequestOut[]>('/api/v1/requests', { mine: opts.mine ? true : undefined });
      if (wantsJson(cmd)) return printJson(list);
      if (list.length === 0) return print('(no requests)');
      print(
        table(list, [
          { header: 'ID', value: (r) => r.id },
          { header: 'OWNER', value: (r) => r.owner },
          { header: 'STATE', value: (r) => r.state },
          { header: 'HOST', value: (r) => r.runsOn ?? r.host },
          { header: 'CORES', value: (r) => r.cores, align: 'right' },
          { header: 'RAM', value: (r) => formatSizeGb(r.ramGb), align: 'right' },
          { header: 'DISK', value: (r) => formatSizeGb(r.diskGb), align: 'right' },
          { header: 'OS', value: (r) => r.os },
          { header: 'EXPIRES', value: expiry },
        ]),
      );
    });

  request
    .command('show <id>')
    .description('one request with its timeline')
    .option('--json', 'print JSON')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const d = await clientOf(cmd).get<RequestDetailOut>(`/api/v1/requests/${seg(id)}`);
      if (wantsJson(cmd)) return printJson(d);
      print(summary(d));
      print(`\nTimeline:\n${table(d.timeline, [
        { header: 'AT', value: (e) => shortTime(e.at) },
        { header: 'KIND', value: (e) => e.kind },
        { header: 'MESSAGE', value: (e) => e.message },
      ])}`);
    });

  request
    .command('extend <id>')
    .description('push the end, e.g. --by 2h (within the longest allowed)')
    .requiredOption('--by <duration>', 'e.g. 30m, 2h, 1d')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { by: string }, cmd: Command) => {
      const parsed = RequestExtendSchema.safeParse({ by: opts.by });
      if (!parsed.success) throw usageError(`--by: ${issueLines(parsed.error.issues)[0]?.message ?? 'invalid'}`);
      const r = await clientOf(cmd).post<RequestOut>(`/api/v1/requests/${seg(id)}/extend`, { by: opts.by });
      if (wantsJson(cmd)) return printJson(r);
      print(`request ${r.id}: ends ${expiry(r)}`);
    });

  request
    .command('release <id>')
    .description('end it now: the machine is destroyed and its disk erased')
    .option('--json', 'print JSON')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const r = await clientOf(cmd).post<RequestOut>(`/api/v1/requests/${seg(id)}/release`);
      if (wantsJson(cmd)) return printJson(r);
      print(`request ${r.id}: ${r.state}${r.state === 'expiring' ? ' (being erased)' : ''}`);
    });
}
