/**
 * Read-only TFTP server (RFC 1350, options per RFC 2347/2348/2349) for the iPXE binaries.
 *
 * Our own rather than the `tftp` package's server: that one throws RangeError out of its
 * per-transfer socket handler on any datagram shorter than 2 bytes (process dies), accepts data
 * from any address on a transfer port (no TID check), opens a new socket for every error reply
 * (a flood of bad requests exhausts file descriptors), only checks `..` at the start of a
 * normalized name (no symlink check), has no bound on concurrent transfers and ignores the
 * `timeout` option.
 *
 * Here: one listen socket, on this thread, where every request is parsed, jailed, negotiated and
 * counted against the bound; errors for refused requests go out of it. Each accepted transfer
 * gets its own socket (its TID), accepts only its client's address and port, and runs its
 * data/ACK loop (tftp-transfer.ts) in one of a few worker threads (tftp-workers.ts; `workers: 0`
 * keeps it on this thread). Every handler is wrapped so that a bad datagram is dropped and
 * counted, never fatal; a worker that dies fails only its own transfers.
 */
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { open, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { Clock, Logger } from '../../env/env.js';
import { definedOnly } from './defined-only.js';
import { checkName, JailError, OPEN_READ_NOFOLLOW, realRoot, resolveInRoot } from './path-jail.js';
import { encodeError, ERR, MAX_BLKSIZE, negotiate, OP, parseRequest, TftpDecodeError, type TftpRequest } from './tftp-codec.js';
import { bytesSource, fdSource, toNetascii, Transfer, type TransferSpec } from './tftp-transfer.js';
import { TransferWorkers } from './tftp-workers.js';
import { bindUdp } from './udp.js';

export interface TftpServerOptions {
  address: string;
  /** Default 69; 0 picks a free port (tests). */
  port?: number;
  /** Jailed folder served by name; optional when `files` lists everything. */
  root?: string;
  /** Exact name -> trusted absolute path, for binaries that live outside the root (Debian's ipxe). */
  files?: Record<string, string>;
  maxTransfers?: number;
  /**
   * Transfers one source address may hold at once (default 8). A PXE client runs one transfer
   * at a time; without this bound one address flooding RRQs filled every slot of maxTransfers
   * and other hosts' boots were refused until its transfers timed out.
   */
  maxPerSource?: number;
  /**
   * Worker threads that run the transfers (default: the number of cores). 0 runs them on the
   * server's thread, the only mode in which the injected `clock` also drives retransmissions
   * (workers use the wall clock).
   */
  workers?: number;
  /** Retransmission timeout when the client does not negotiate one. */
  timeoutMs?: number;
  maxRetries?: number;
  maxBlksize?: number;
  /** Longest `timeout` option (seconds) accepted from a client; longer ones are declined. */
  maxClientTimeoutS?: number;
  /** netascii transfers are converted in memory: larger files are refused. */
  netasciiMaxBytes?: number;
  log: Logger;
  clock: Clock;
}

export interface TransferEvent {
  file: string;
  client: string;
  bytes: number;
  ms: number;
  at: number;
  blksize: number;
  error?: string;
}

export interface TftpStats {
  received: number;
  requests: number;
  started: number;
  completed: number;
  failed: number;
  active: number;
  retransmits: number;
  /** Repeated RRQs (same bytes, same client address and port) while that request is served: ignored. */
  duplicates: number;
  refused: Record<string, number>;
  dropped: Record<string, number>;
  droppedTotal: number;
  /** Transfer worker threads running now, and how many died (their transfers count as failed). */
  workers: number;
  workerDeaths: number;
}

/** 256 transfers: a 200-host PXE storm completes (bench/results/pxe.md); 32 refused half of it. */
export const DEFAULT_MAX_TRANSFERS = 256;
/** Per source address: room for a client retrying while its previous transfer still times out. */
export const DEFAULT_MAX_PER_SOURCE = 8;

/** What an accepted request reads: an open file (octet) or converted bytes (netascii). */
interface Opened {
  fh?: FileHandle;
  data?: Buffer;
  size: number;
}

/** A transfer from acceptance to its end, wherever it runs. */
interface Active {
  file: string;
  client: string;
  /** The client's address, whose per-source count this transfer holds. */
  source: string;
  rrq: Buffer;
  blksize: number;
  startedAt: number;
  fh?: FileHandle;
  /** Set when the transfer runs on this thread (no worker). */
  local?: Transfer;
}

export class TftpServer extends EventEmitter {
  private readonly o: Required<Omit<TftpServerOptions, 'root' | 'files' | 'port'>> & TftpServerOptions;
  private readonly log: Logger;
  private rootReal?: string;
  private sock?: dgram.Socket;
  private boundPort = 0;
  private pool?: TransferWorkers;
  /** Transfers started and not yet ended (on this thread or in a worker). */
  private readonly transfers = new Set<Active>();
  private reserved = 0;
  /** Source address -> transfers it holds (opening or running); no entry at zero, so bounded by maxTransfers. */
  private readonly perSource = new Map<string, number>();
  /**
   * `address:port` -> the RRQ being served to that client (opening or running). A client that
   * does not hear back in time sends the same RRQ again from the same port (busybox after 100 ms);
   * serving it twice would run two transfers to one client, both holding a slot of maxTransfers
   * until their retries run out. The running transfer's own retransmission answers instead.
   */
  private readonly serving = new Map<string, Buffer>();
  private readonly counters: TftpStats = {
    received: 0, requests: 0, started: 0, completed: 0, failed: 0, active: 0, retransmits: 0, duplicates: 0,
    refused: {}, dropped: {}, droppedTotal: 0, workers: 0, workerDeaths: 0,
  };

  constructor(options: TftpServerOptions) {
    super();
    this.o = {
      maxTransfers: DEFAULT_MAX_TRANSFERS, maxPerSource: DEFAULT_MAX_PER_SOURCE, workers: availableParallelism(), timeoutMs: 1000, maxRetries: 5, maxBlksize: MAX_BLKSIZE,
      maxClientTimeoutS: 5, netasciiMaxBytes: 8 << 20, ...definedOnly(options),
    };
    this.log = options.log.child({ component: 'pxe-tftp' });
    this.on('error', (e: unknown) => this.log.error({ err: String(e) }, 'tftp server error'));
  }

  get port(): number {
    return this.boundPort;
  }

  stats(): TftpStats {
    return {
      ...this.counters,
      active: this.reserved,
      refused: { ...this.counters.refused },
      dropped: { ...this.counters.dropped },
      workers: this.pool?.live ?? 0,
      workerDeaths: this.pool?.deaths ?? 0,
    };
  }

  async start(): Promise<number> {
    if (this.o.root !== undefined) this.rootReal = await realRoot(this.o.root);
    if (this.o.workers > 0) {
      this.pool = new TransferWorkers(this.o.workers, this.log, (c) => {
        this.counters.retransmits += c.retransmits;
        for (const [reason, n] of Object.entries(c.dropped)) this.drop(reason, n);
      });
      const live = await this.pool.start();
      if (live < this.o.workers) this.log.warn({ wanted: this.o.workers, live }, 'tftp transfer workers missing; transfers run on the server thread when none is left');
    }
    try {
      this.sock = await bindUdp(this.o.address, this.o.port ?? 69);
    } catch (e) {
      await this.pool?.stop();
      throw e;
    }
    this.boundPort = this.sock.address().port;
    this.sock.on('error', (e) => this.log.error({ err: e.message }, 'tftp socket error'));
    this.sock.on('message', (buf, rinfo) => {
      try {
        this.onRequest(buf, rinfo);
      } catch (e) {
        this.drop('internal-error');
        this.log.error({ err: String(e) }, 'tftp request handler failed');
      }
    });
    this.log.info({ address: this.o.address, port: this.boundPort, root: this.rootReal, workers: this.pool?.live ?? 0 }, 'tftp listening');
    return this.boundPort;
  }

  async stop(): Promise<void> {
    const s = this.sock;
    this.sock = undefined;
    await Promise.all([...this.transfers].map((t) => t.local?.finish('server stopping')));
    await this.pool?.stop();
    if (s) await new Promise<void>((res) => s.close(() => res()));
  }

  drop(reason: string, n = 1): void {
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + n;
    this.counters.droppedTotal += n;
  }

  /** Refusal of a well-formed request: counted and answered with an error packet. */
  private refuse(rinfo: { address: string; port: number }, code: number, message: string, reason: string): void {
    this.counters.refused[reason] = (this.counters.refused[reason] ?? 0) + 1;
    this.log.debug({ client: rinfo.address, reason }, 'tftp request refused');
    this.sock?.send(encodeError(code, message), rinfo.port, rinfo.address, () => undefined);
  }

  private onRequest(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    this.counters.received++;
    let req: TftpRequest;
    try {
      req = parseRequest(buf);
    } catch (e) {
      this.drop(e instanceof TftpDecodeError ? e.reason : 'internal-error');
      return;
    }
    const client = `${rinfo.address}:${rinfo.port}`;
    if (this.serving.get(client)?.equals(buf)) {
      this.counters.duplicates++;
      return;
    }
    this.counters.requests++;
    if (req.op === OP.WRQ) return this.refuse(rinfo, ERR.ACCESS, 'write requests are not accepted', 'write');
    if (req.mode !== 'octet' && req.mode !== 'netascii') return this.refuse(rinfo, ERR.ILLEGAL_OP, 'unsupported mode', 'bad-mode');
    // A name that can never be served is refused before it counts against any limit.
    try {
      checkName(req.filename);
    } catch (e) {
      if (e instanceof JailError) return this.refuse(rinfo, e.violation ? ERR.ACCESS : ERR.NOT_FOUND, e.violation ? 'access violation' : 'file not found', e.reason);
      throw e;
    }
    // Per source first: a flooding address is told about its own limit, not that the server is full.
    const held = this.perSource.get(rinfo.address) ?? 0;
    if (held >= this.o.maxPerSource) {
      return this.refuse(rinfo, ERR.UNDEFINED, `too many transfers from ${rinfo.address} (limit ${this.o.maxPerSource}), retry later`, 'per-source-limit');
    }
    if (this.reserved >= this.o.maxTransfers) return this.refuse(rinfo, ERR.UNDEFINED, 'server busy, retry later', 'busy');
    this.reserved++; // held from here so that slow opens cannot exceed the bound
    this.perSource.set(rinfo.address, held + 1);
    this.serving.set(client, buf);
    const peer = { address: rinfo.address, port: rinfo.port };
    this.openTransfer(req, peer, client, buf).catch((e: unknown) => this.notStarted(e, req, peer, client, buf));
  }

  /** A slot of maxTransfers and of its source's share given back. */
  private unreserve(source: string): void {
    this.reserved--;
    const n = (this.perSource.get(source) ?? 1) - 1;
    if (n > 0) this.perSource.set(source, n);
    else this.perSource.delete(source);
  }

  /** Transfers held per source address now (tests, status). */
  heldBySource(address: string): number {
    return this.perSource.get(address) ?? 0;
  }

  /** A request accepted but never started (jail, open, bind): its slot back, the client told why. */
  private notStarted(e: unknown, req: TftpRequest, peer: { address: string; port: number }, client: string, rrq: Buffer): void {
    this.unreserve(peer.address);
    this.release(client, rrq);
    if (e instanceof JailError) {
      this.refuse(peer, e.violation ? ERR.ACCESS : ERR.NOT_FOUND, e.violation ? 'access violation' : 'file not found', e.reason);
    } else if (e instanceof RefusedError) {
      this.refuse(peer, e.code, e.message, e.reason);
    } else {
      this.log.warn({ err: String(e), file: req.filename }, 'tftp open failed');
      this.refuse(peer, ERR.NOT_FOUND, 'file not found', 'io');
    }
  }

  private async openSource(name: string, netascii: boolean): Promise<Opened> {
    const rel = checkName(name);
    const trusted = this.o.files?.[rel];
    let fh: FileHandle;
    if (trusted !== undefined) {
      fh = await open(trusted, 'r').catch(() => Promise.reject(new JailError('not-found', name)));
    } else {
      if (this.rootReal === undefined) throw new JailError('not-found', name);
      const r = await resolveInRoot(this.rootReal, rel);
      fh = await open(r.path, OPEN_READ_NOFOLLOW).catch(() => Promise.reject(new JailError('outside-root', name)));
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new JailError('not-file', name);
      if (!netascii) return { fh, size: st.size };
      if (st.size > this.o.netasciiMaxBytes) throw new RefusedError(ERR.UNDEFINED, 'file too big for netascii', 'too-big');
      const data = toNetascii(await fh.readFile());
      await fh.close();
      return { data, size: data.length };
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw e;
    }
  }

  /** Forgets `client`'s request unless a newer, different one from the same port replaced it. */
  private release(client: string, rrq: Buffer): void {
    if (this.serving.get(client) === rrq) this.serving.delete(client);
  }

  private async openTransfer(req: TftpRequest, peer: { address: string; port: number }, client: string, rrq: Buffer): Promise<void> {
    const src = await this.openSource(req.filename, req.mode === 'netascii');
    const n = negotiate(req.options, src.size, this.o.maxBlksize, this.o.maxClientTimeoutS);
    const spec: TransferSpec = {
      peer,
      blksize: n.blksize,
      timeoutMs: n.timeoutMs ?? this.o.timeoutMs,
      maxRetries: this.o.maxRetries,
      oack: Object.keys(n.ack).length > 0 ? n.ack : undefined,
    };
    const a: Active = { file: req.filename, client, source: peer.address, rrq, blksize: n.blksize, startedAt: this.o.clock.now(), fh: src.fh };
    try {
      if (!this.sock) throw new RefusedError(ERR.UNDEFINED, 'server stopping', 'stopping');
      const handed = this.pool?.dispatch(this.o.address, spec, { fd: src.fh?.fd, data: src.data }, (o) => {
        // The worker could not open the transfer socket: nothing reached the client, tell it.
        if (o.bindFailed) this.sock?.send(encodeError(ERR.UNDEFINED, 'transfer failed'), peer.port, peer.address, () => undefined);
        this.ended(a, o.bytes, o.error);
      });
      if (handed) return this.started(a);
      // No worker (workers: 0, or none left): the transfer runs on this thread.
      const sock = await bindUdp(this.o.address, 0);
      const source = src.data ? bytesSource(src.data) : fdSource(src.fh!.fd, n.blksize);
      a.local = new Transfer(sock, source, spec, this.o.clock, {
        drop: (reason) => this.drop(reason),
        retransmit: () => void this.counters.retransmits++,
        end: (o) => this.ended(a, o.bytes, o.error),
      });
      this.started(a);
      a.local.begin();
    } catch (e) {
      await src.fh?.close().catch(() => undefined);
      throw e;
    }
  }

  private started(a: Active): void {
    this.transfers.add(a);
    this.counters.started++;
    this.safeEmit('transfer-start', { file: a.file, client: a.client.split(':')[0]!, bytes: 0, ms: 0, at: this.o.clock.now(), blksize: a.blksize });
  }

  /** Called once per started transfer when it ends, whatever the outcome. */
  private ended(a: Active, bytes: number, error: string | undefined): void {
    this.transfers.delete(a);
    this.unreserve(a.source);
    this.release(a.client, a.rrq);
    void a.fh?.close().catch(() => undefined); // the transfer is over: nothing reads it any more
    const now = this.o.clock.now();
    const ev: TransferEvent = { file: a.file, client: a.client, bytes, ms: now - a.startedAt, at: now, blksize: a.blksize, error };
    if (error) {
      this.counters.failed++;
      this.log.info({ file: ev.file, client: ev.client, err: ev.error }, 'tftp transfer failed');
      this.safeEmit('transfer-error', ev);
    } else {
      this.counters.completed++;
      this.log.info({ file: ev.file, client: ev.client, bytes: ev.bytes, ms: ev.ms }, 'tftp transfer done');
      this.safeEmit('transfer-done', ev);
    }
  }

  private safeEmit(event: string, ev: TransferEvent): void {
    try {
      this.emit(event, ev);
    } catch (e) {
      this.log.error({ err: String(e), event }, 'tftp event listener threw');
    }
  }
}

class RefusedError extends Error {
  constructor(readonly code: number, message: string, readonly reason: string) {
    super(message);
  }
}
