/**
 * The CLI's HTTP client for the controller API: fetch with a bounded timeout, JSON in and out, the
 * bearer token on every request, and every failure turned into a CliError whose line tells the
 * operator what to do. Several controller URLs may be given: reads use the first that answers,
 * writes the one whose /health says it leads (src/cli/leader-finder.ts).
 */
import { isWrite } from '../api/auth/route-rules.js';
import { CliError, usageError } from './errors.js';
import { findLeader, notLeaderRefusal } from './leader-finder.js';

export const DEFAULT_API = 'http://127.0.0.1:7070';
export const DEFAULT_TIMEOUT_MS = 10_000;

export type Query = Record<string, string | number | boolean | undefined>;

export interface ClientOptions {
  timeoutMs?: number;
  /** Bearer token (from RRC_TOKEN or a token file; never from argv). */
  token?: string | null;
  /** Where the token came from, for the 401 hint. */
  tokenSource?: string;
}

function parseBase(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw usageError(`--api: invalid URL "${baseUrl}" (expected e.g. ${DEFAULT_API})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`--api: "${baseUrl}" is not an http(s) URL`);
  return url.toString().replace(/\/+$/, '');
}

export class ApiClient {
  /** The controller that answered last (the first of the list until one has). */
  baseUrl: string;
  private readonly candidates: string[];
  private readonly timeoutMs: number;
  private readonly token: string | null;
  private readonly tokenSource: string;

  /** `baseUrls`: one URL or several separated by commas, tried in order. */
  constructor(baseUrls: string, opts: ClientOptions = {}) {
    const list = baseUrls.split(',').map((s) => s.trim()).filter(Boolean);
    if (list.length === 0) throw usageError('--api: no controller URL given');
    this.candidates = list.map(parseBase);
    this.baseUrl = this.candidates[0] as string;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.token = opts.token ?? null;
    this.tokenSource = opts.tokenSource ?? 'no token';
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path + queryString(query));
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  delete(path: string): Promise<void> {
    return this.request<void>('DELETE', path);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    // Writes go to the leader when there is a choice; reads to whichever answers.
    const leader = isWrite(method) && this.candidates.length > 1 ? await findLeader(this.candidates, (b) => this.health(b)) : null;
    if (leader !== null) this.baseUrl = leader;
    // The one that answered before (or the leader) first; the others in the given order (bounded by the list).
    const order = [this.baseUrl, ...this.candidates.filter((c) => c !== this.baseUrl)];
    let lastError: CliError | null = null;
    for (const base of order) {
      let res: Response;
      try {
        res = await this.send(base, method, path, body);
      } catch (e) {
        lastError = this.transportError(base, e);
        continue;
      }
      this.baseUrl = base;
      const text = await res.text();
      const moved = await this.followRefusal<T>(res.status, text, method, path, body);
      return moved ? moved.value : this.read<T>(res.status, text, path);
    }
    throw lastError as CliError;
  }

  /**
   * A standby refused a write and named the leader's URL: send it there once. Only to a URL of
   * the --api list: the token is not handed to an address the operator did not give.
   */
  private async followRefusal<T>(status: number, text: string, method: string, path: string, body: unknown): Promise<{ value: T } | null> {
    const refusal = notLeaderRefusal(status, parseJson(text));
    if (!refusal?.leaderUrl) return null;
    let target: string;
    try {
      target = parseBase(refusal.leaderUrl);
    } catch {
      return null;
    }
    if (target === this.baseUrl || !this.candidates.includes(target)) return null;
    let res: Response;
    try {
      res = await this.send(target, method, path, body);
    } catch (e) {
      throw this.transportError(target, e);
    }
    this.baseUrl = target;
    return { value: this.read<T>(res.status, await res.text(), path) };
  }

  /** `/health` of one controller (public, no token needed), or null when it does not answer in time. */
  private async health(base: string): Promise<unknown> {
    const res = await fetch(`${base}/health`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.timeoutMs) });
    return res.ok ? parseJson(await res.text()) : null;
  }

  private send(base: string, method: string, path: string, body: unknown): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token !== null) headers.authorization = `Bearer ${this.token}`;
    // No content-type without a body: fastify rejects an empty JSON body.
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
  }

  private read<T>(status: number, text: string, path: string): T {
    const ok = status >= 200 && status < 300;
    if ((status === 204 || text === '') && ok) return undefined as T;
    let payload: unknown;
    try {
      payload = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new CliError(
        'RRC_ERR_CONTROLLER_UNREACHABLE',
        `unexpected non-JSON answer from ${this.baseUrl} (HTTP ${status}); is it a 3rc controller?`,
      );
    }
    if (!ok) {
      const err = payload as { error?: unknown; message?: unknown } | undefined;
      if (err && typeof err.error === 'string' && typeof err.message === 'string') {
        const hint = status === 401 ? ` (token: ${this.tokenSource})` : '';
        throw new CliError(err.error, err.message + hint);
      }
      throw new CliError('RRC_ERR_CONTROLLER_UNREACHABLE', `HTTP ${status} from ${this.baseUrl}${path}`);
    }
    return payload as T;
  }

  private transportError(base: string, e: unknown): CliError {
    const err = e as Error & { cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } };
    if (err.name === 'TimeoutError' || err.name === 'AbortError') {
      return new CliError('RRC_ERR_CONTROLLER_UNREACHABLE', `controller at ${base} did not answer within ${Math.round(this.timeoutMs / 1000)}s`);
    }
    // undici puts the socket error in `cause`; with several addresses (localhost) in cause.errors.
    const code = err.cause?.code ?? err.cause?.errors?.find((x) => x.code)?.code;
    const where = this.candidates.length > 1 ? `any of ${this.candidates.join(', ')}` : base;
    const hint = '(is `3rc controller` running?)';
    if (code === 'ECONNREFUSED') {
      return new CliError('RRC_ERR_CONTROLLER_UNREACHABLE', `controller not reachable at ${where} ${hint}`);
    }
    return new CliError('RRC_ERR_CONTROLLER_UNREACHABLE', `controller not reachable at ${where}: ${code ?? err.cause?.message ?? err.message} ${hint}`);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function queryString(q: Query | undefined): string {
  if (!q) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** A path segment (names, incident ids such as `host:hv1#2`). */
export const seg = (s: string): string => encodeURIComponent(s);
