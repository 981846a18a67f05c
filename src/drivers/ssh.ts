/**
 * RemoteShell over ssh2: key auth, host keys checked against a known_hosts file (never trust
 * on first use), one connection per command, one deadline covering connect + exec.
 */
import { readFile } from 'node:fs/promises';
import ssh2 from 'ssh2';
import type { ClientChannel, ConnectConfig } from 'ssh2';
import type { CallOptions, Logger, RemoteShell, ShellResult } from '../env/env.js';
import { abortError, throwIfAborted } from '../env/abort.js';
import type { SshSpec } from '../core/types.js';
import { RrcError, errorText } from '../errors.js';
import { hostKeyAlgorithms, knownHostsName, readKnownHosts, type KnownHostKey } from './known-hosts.js';
import type { ResolveSecret } from './ipmi.js';

export interface SshShellOptions {
  knownHostsFile: string;
  resolveSecret: ResolveSecret;
  /** Private key file used when the endpoint has no keyRef. */
  defaultKeyFile?: string;
  /** Bytes kept per stream (stdout, stderr). Default 1 MiB. */
  maxOutputBytes?: number;
  log?: Logger;
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET']);

/** Collects a stream up to `max` bytes; the rest is counted and dropped. */
class Bounded {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = 0;
  constructor(private readonly max: number) {}
  push(b: Buffer): void {
    const room = this.max - this.size;
    if (room > 0) {
      const part = b.length > room ? b.subarray(0, room) : b;
      this.chunks.push(part);
      this.size += part.length;
    }
    this.dropped += Math.max(0, b.length - Math.max(0, room));
  }
  text(): string {
    const s = Buffer.concat(this.chunks).toString('utf8');
    return this.dropped > 0 ? `${s}\n[3rc: ${this.dropped} more bytes dropped]` : s;
  }
}

export class SshShell implements RemoteShell {
  private readonly maxOutput: number;

  constructor(private readonly opts: SshShellOptions) {
    this.maxOutput = opts.maxOutputBytes ?? 1024 * 1024;
  }

  async run(endpoint: SshSpec, command: string, opts: { timeoutMs: number } & CallOptions): Promise<ShellResult> {
    const target = `${endpoint.user}@${endpoint.host}:${endpoint.port}`;
    const started = Date.now();
    const remaining = (): number => Math.max(1, opts.timeoutMs - (Date.now() - started));
    throwIfAborted(opts.signal, `ssh ${target}`);
    const [privateKey, keys] = await Promise.all([this.privateKey(endpoint), this.hostKeys(endpoint)]);
    const algorithms = hostKeyAlgorithms(keys);
    const result = await this.exec(endpoint, target, command, privateKey, keys, algorithms, remaining(), opts.signal);
    this.opts.log?.debug({ target, code: result.code, ms: Date.now() - started }, 'ssh command done');
    return result;
  }

  private exec(
    endpoint: SshSpec,
    target: string,
    command: string,
    privateKey: string | Buffer,
    keys: KnownHostKey[],
    algorithms: ReturnType<typeof hostKeyAlgorithms>,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<ShellResult> {
    return new Promise<ShellResult>((resolve, reject) => {
      const conn = new ssh2.Client();
      let settled = false;
      let hostKeyProblem: RrcError | undefined;
      let phase: 'connect' | 'exec' = 'connect';
      const finish = (err: Error | undefined, res?: ShellResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        // destroy, not end: a hung peer would never complete a graceful close. For an aborted
        // call this closes the channel too: the remote command gets SIGHUP with its session.
        conn.destroy();
        if (err) reject(err);
        else resolve(res as ShellResult);
      };
      const timer = setTimeout(() => {
        finish(new RrcError('RRC_ERR_DRIVER_TIMEOUT', `ssh ${target}: no result within ${timeoutMs} ms (during ${phase})`));
      }, timeoutMs);
      const onAbort = (): void => finish(abortError(signal as AbortSignal, `ssh ${target} (during ${phase})`));
      signal?.addEventListener('abort', onAbort, { once: true });

      const config: ConnectConfig = {
        host: endpoint.host,
        port: endpoint.port,
        username: endpoint.user,
        privateKey,
        readyTimeout: timeoutMs,
        keepaliveInterval: 0,
        // Ask for the key types we can check; with none listed, connect anyway and refuse in the
        // verifier, so an unreachable host still reports as unreachable.
        ...(algorithms.length > 0 ? { algorithms: { serverHostKey: algorithms } } : {}),
        hostVerifier: (key: Buffer): boolean => {
          const match = keys.find((k) => k.blob.equals(key));
          if (match && !match.revoked) return true;
          hostKeyProblem = this.hostKeyRefusal(endpoint, keys, match);
          return false;
        },
      };

      conn.on('ready', () => {
        phase = 'exec';
        conn.exec(command, (err: Error | undefined, stream: ClientChannel) => {
          if (err) return finish(new RrcError('RRC_ERR_DRIVER', `ssh ${target}: exec refused: ${err.message}`));
          const out = new Bounded(this.maxOutput);
          const errOut = new Bounded(this.maxOutput);
          stream.on('data', (b: Buffer) => out.push(b));
          stream.stderr.on('data', (b: Buffer) => errOut.push(b));
          stream.on('close', (code: number | null | undefined, signal?: string) => {
            const stderr = errOut.text();
            // A command killed by a signal has no exit code; 255 is what OpenSSH's client reports.
            finish(undefined, {
              code: typeof code === 'number' ? code : 255,
              stdout: out.text(),
              stderr: signal ? `${stderr}${stderr ? '\n' : ''}[3rc: killed by signal ${signal}]` : stderr,
            });
          });
        });
      });
      conn.on('error', (e: Error & { code?: string; level?: string }) => {
        finish(this.mapError(e, target, hostKeyProblem));
      });
      conn.on('close', () => {
        finish(new RrcError('RRC_ERR_UNREACHABLE', `ssh ${target}: connection closed before the command finished`));
      });
      try {
        conn.connect(config);
      } catch (e) {
        // ssh2 throws synchronously on an unparsable private key.
        finish(new RrcError('RRC_ERR_CONFIG_INVALID', `ssh ${target}: ${errorText(e)}`));
      }
    });
  }

  private mapError(e: Error & { code?: string; level?: string }, target: string, hostKeyProblem?: RrcError): RrcError {
    if (hostKeyProblem) return hostKeyProblem;
    if (e.code && UNREACHABLE_CODES.has(e.code)) return new RrcError('RRC_ERR_UNREACHABLE', `ssh ${target}: ${e.message}`);
    if (e.level === 'client-authentication' || /authentication methods failed/i.test(e.message)) {
      return new RrcError('RRC_ERR_AUTH', `ssh ${target}: key refused by the server (${e.message})`);
    }
    if (e.level === 'client-timeout' || /timed out/i.test(e.message)) {
      return new RrcError('RRC_ERR_DRIVER_TIMEOUT', `ssh ${target}: ${e.message}`);
    }
    if (e.level === 'client-socket') return new RrcError('RRC_ERR_UNREACHABLE', `ssh ${target}: ${e.message}`);
    return new RrcError('RRC_ERR_DRIVER', `ssh ${target}: ${e.message}`);
  }

  private async privateKey(endpoint: SshSpec): Promise<string | Buffer> {
    if (endpoint.keyRef) {
      try {
        return await this.opts.resolveSecret(endpoint.keyRef);
      } catch (e) {
        if (e instanceof RrcError) throw e;
        throw new RrcError('RRC_ERR_CONFIG_INVALID', `ssh key secret "${endpoint.keyRef}": ${errorText(e)}`);
      }
    }
    if (this.opts.defaultKeyFile) {
      try {
        return await readFile(this.opts.defaultKeyFile);
      } catch (e) {
        throw new RrcError('RRC_ERR_CONFIG_INVALID', `ssh key file ${this.opts.defaultKeyFile}: ${errorText(e)}`);
      }
    }
    throw new RrcError('RRC_ERR_CONFIG_INVALID', `ssh ${hostPort(endpoint)}: no keyRef and no default key file`);
  }

  private async hostKeys(endpoint: SshSpec): Promise<KnownHostKey[]> {
    try {
      return await readKnownHosts(this.opts.knownHostsFile, endpoint.host, endpoint.port);
    } catch (e) {
      throw new RrcError('RRC_ERR_AUTH', `known_hosts ${this.opts.knownHostsFile} not readable, refusing ${hostPort(endpoint)}: ${errorText(e)}`);
    }
  }

  private hostKeyRefusal(endpoint: SshSpec, keys: KnownHostKey[], match: KnownHostKey | undefined): RrcError {
    const file = this.opts.knownHostsFile;
    if (match?.revoked) return new RrcError('RRC_ERR_AUTH', `host key for ${hostPort(endpoint)} is marked @revoked in ${file}`);
    if (keys.every((k) => k.revoked)) return this.unknownHost(endpoint);
    return new RrcError(
      'RRC_ERR_AUTH',
      `host key for ${hostPort(endpoint)} mismatch with known_hosts ${file} (possible impostor or reinstalled host)`,
    );
  }

  private unknownHost(endpoint: SshSpec): RrcError {
    return new RrcError(
      'RRC_ERR_AUTH',
      `host key for ${hostPort(endpoint)} not in known_hosts ${this.opts.knownHostsFile} (looked up as "${knownHostsName(endpoint.host, endpoint.port)}")`,
    );
  }
}

function hostPort(e: SshSpec): string {
  return `${e.host}:${e.port}`;
}
