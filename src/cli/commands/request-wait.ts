/**
 * `request create --wait`: polls the request until it is ready (exit 0), or ends without being
 * ready (failed, released, erased: exit 1 with the reason). On a terminal one line is rewritten
 * in place; otherwise a plain line is printed each time the state or the last step changes.
 */
import type { ApiClient } from '../client.js';
import { seg } from '../client.js';
import { CliError } from '../errors.js';
import type { RequestDetailOut } from '../../on-demand/request-output.js';

export interface WaitOptions {
  pollMs: number;
  timeoutMs: number;
  tty: boolean;
  write: (s: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function progressOf(d: RequestDetailOut): string {
  const last = [...d.timeline].reverse().find((e) => e.kind === 'step' || e.kind === 'state' || e.kind === 'queue');
  return `${d.id}: ${d.state}${last ? ` - ${last.message}` : ''}`;
}

export async function waitUntilReady(client: ApiClient, id: string, opts: WaitOptions): Promise<RequestDetailOut> {
  const sleep = opts.sleep ?? defaultSleep;
  const started = Date.now();
  let shown = '';
  const rounds = Math.max(1, Math.ceil(opts.timeoutMs / Math.max(1, opts.pollMs)));
  for (let i = 0; i <= rounds; i++) {
    const d = await client.get<RequestDetailOut>(`/api/v1/requests/${seg(id)}`);
    const line = progressOf(d);
    if (line !== shown) {
      const secs = Math.round((Date.now() - started) / 1000);
      if (opts.tty) opts.write(`\r\x1b[2K${line.slice(0, 150)} (${secs}s)`);
      else opts.write(`${line}\n`);
      shown = line;
    }
    if (d.state === 'ready') {
      if (opts.tty) opts.write('\n');
      return d;
    }
    if (d.state === 'failed' || d.state === 'erased' || d.state === 'released' || d.state === 'expiring') {
      if (opts.tty) opts.write('\n');
      throw new CliError('RRC_ERR_INVALID_STATE', `request ${id} is ${d.state}${d.error ? `: ${d.error}` : ''} (3rc request show ${id})`);
    }
    if (Date.now() - started >= opts.timeoutMs) break;
    await sleep(opts.pollMs);
  }
  if (opts.tty) opts.write('\n');
  throw new CliError('RRC_ERR_DRIVER_TIMEOUT', `request ${id} not ready after ${Math.round(opts.timeoutMs / 1000)} s; it goes on: 3rc request show ${id}`);
}
