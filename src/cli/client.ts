/**
 * The CLI's HTTP client for the controller API: fetch with a bounded timeout, JSON in and out,
 * and every failure turned into a CliError whose line tells the operator what to do.
 */
import { userInfo } from 'node:os';
import { CliError, usageError } from './errors.js';

export const DEFAULT_API = 'http://127.0.0.1:7070';
export const DEFAULT_TIMEOUT_MS = 10_000;

export type Query = Record<string, string | number | boolean | undefined>;

export interface ClientOptions {
  timeoutMs?: number;
  /** Sent as x-3rc-actor for the audit log. */
  actor?: string;
}

/** Who runs the CLI, for the audit log: RRC_ACTOR, else `cli:<login>`. */
export function defaultActor(env: NodeJS.ProcessEnv = process.env): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9_.@:+-]/g, '_').slice(0, 64);
  if (env.RRC_ACTOR) return clean(env.RRC_ACTOR);
  try {
    return clean(`cli:${userInfo().username}`);
  } catch {
    return 'cli'; // no passwd entry (containers)
  }
}

export class ApiClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly actor: string;

  constructor(baseUrl: string, opts: ClientOptions = {}) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw usageError(`--api: invalid URL "${baseUrl}" (expected e.g. ${DEFAULT_API})`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`--api: "${baseUrl}" is not an http(s) URL`);
    this.baseUrl = url.toString().replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.actor = opts.actor ?? defaultActor();
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
    const headers: Record<string, string> = { accept: 'application/json', 'x-3rc-actor': this.actor };
    // No content-type without a body: fastify rejects an empty JSON body.
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw this.transportError(e);
    }
    const text = await res.text();
    if (res.status === 204 || text === '') {
      if (res.ok) return undefined as T;
    }
    let payload: unknown;
    try {
      payload = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new CliError(
        'RRC_ERR_CONTROLLER_UNREACHABLE',
        `unexpected non-JSON answer from ${this.baseUrl} (HTTP ${res.status}); is it a 3rc controller?`,
      );
    }
    if (!res.ok) {
      const err = payload as { error?: unknown; message?: unknown } | undefined;
      if (err && typeof err.error === 'string' && typeof err.message === 'string') throw new CliError(err.error, err.message);
      throw new CliError('RRC_ERR_CONTROLLER_UNREACHABLE', `HTTP ${res.status} from ${this.baseUrl}${path}`);
    }
    return payload as T;
  }

  private transportError(e: unknown): CliError {
    const err = e as Error & { cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } };
    if (err.name === 'TimeoutError' || err.name === 'AbortError') {
      return new CliError(
        'RRC_ERR_CONTROLLER_UNREACHABLE',
        `controller at ${this.baseUrl} did not answer within ${Math.round(this.timeoutMs / 1000)}s`,
      );
    }
    // undici puts the socket error in `cause`; with several addresses (localhost) in cause.errors.
    const code = err.cause?.code ?? err.cause?.errors?.find((x) => x.code)?.code;
    const hint = '(is `3rc controller` running?)';
    if (code === 'ECONNREFUSED') {
      return new CliError('RRC_ERR_CONTROLLER_UNREACHABLE', `controller not reachable at ${this.baseUrl} ${hint}`);
    }
    return new CliError('RRC_ERR_CONTROLLER_UNREACHABLE', `controller not reachable at ${this.baseUrl}: ${code ?? err.cause?.message ?? err.message} ${hint}`);
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
