/**
 * Network checks for the prober: TCP connect and HTTP GET, each with a hard deadline
 * (a peer that accepts and never answers must not hold a probe).
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { RrcError } from '../errors.js';

/** Resolves with the connect latency in ms; rejects with a typed error. */
export function tcpConnect(host: string, port: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const sock = connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new RrcError('RRC_ERR_DRIVER_TIMEOUT', `tcp ${host}:${port}: no connect within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(Date.now() - started);
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      sock.destroy();
      reject(new RrcError('RRC_ERR_UNREACHABLE', `tcp ${host}:${port}: ${e.code ?? e.message}`));
    });
  });
}

/** GET and return the status code; the body is discarded. */
export function httpGetStatus(host: string, port: number, path: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (err: Error | undefined, status?: number): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      if (err) reject(err);
      else resolve(status as number);
    };
    const req = request({ host, port, path, method: 'GET', agent: false, headers: { connection: 'close' } }, (res) => {
      res.resume();
      finish(undefined, res.statusCode ?? 0);
    });
    const timer = setTimeout(() => {
      finish(new RrcError('RRC_ERR_DRIVER_TIMEOUT', `http ${host}:${port}${path}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => {
      finish(new RrcError('RRC_ERR_UNREACHABLE', `http ${host}:${port}${path}: ${e.code ?? e.message}`));
    });
    req.end();
  });
}

/** Splits `host`, `host:port` or `[v6]:port`; a bare IPv6 address has no port. */
export function splitHostPort(address: string, defaultPort: number): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  if (v6?.[1]) return { host: v6[1], port: v6[2] ? Number(v6[2]) : defaultPort };
  const parts = address.split(':');
  if (parts.length === 2 && parts[0] && /^\d+$/.test(parts[1] ?? '')) return { host: parts[0], port: Number(parts[1]) };
  return { host: address, port: defaultPort };
}
