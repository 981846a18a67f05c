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
 * Here: one listen socket; each transfer gets its own socket (its TID) and accepts only its
 * client's address and port; errors for refused requests go out of the listen socket; every
 * handler is wrapped so that a bad datagram is dropped and counted, never fatal.
 */
import { definedOnly } from './dhcp-server.js';
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { open, type FileHandle } from 'node:fs/promises';
import type { Clock, Logger } from '../../env/env.js';
import { checkName, JailError, OPEN_READ_NOFOLLOW, realRoot, resolveInRoot } from './path-jail.js';
import {
  encodeData, encodeError, encodeOack, ERR, MAX_BLKSIZE, negotiate, OP, parseRequest, parseTransferPacket,
  TftpDecodeError, type TftpRequest,
} from './tftp-codec.js';
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
}

interface Source {
  read(pos: number, len: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** Octet-mode reads go through a read-ahead buffer of about this size (whole blocks). */
const READ_AHEAD_BYTES = 64 * 1024;

export class TftpServer extends EventEmitter {
  private readonly o: Required<Omit<TftpServerOptions, 'root' | 'files' | 'port'>> & TftpServerOptions;
  private readonly log: Logger;
  private rootReal?: string;
  private sock?: dgram.Socket;
  private boundPort = 0;
  private readonly transfers = new Set<Transfer>();
  private reserved = 0;
  /**
   * `address:port` -> the RRQ being served to that client (opening or running). A client that
   * does not hear back in time sends the same RRQ again from the same port (busybox after 100 ms);
   * serving it twice would run two transfers to one client, both holding a slot of maxTransfers
   * until their retries run out. The running transfer's own retransmission answers instead.
   */
  private readonly serving = new Map<string, Buffer>();
  private readonly counters: TftpStats = {
    received: 0, requests: 0, started: 0, completed: 0, failed: 0, active: 0, retransmits: 0, duplicates: 0,
    refused: {}, dropped: {}, droppedTotal: 0,
  };

  constructor(options: TftpServerOptions) {
    super();
    // 256 transfers: a 200-host PXE storm completes (bench/results/pxe.md); 32 refused half of it.
    this.o = { maxTransfers: 256, timeoutMs: 1000, maxRetries: 5, maxBlksize: MAX_BLKSIZE, maxClientTimeoutS: 5, netasciiMaxBytes: 8 << 20, ...definedOnly(options) };
    this.log = options.log.child({ component: 'pxe-tftp' });
    this.on('error', (e: unknown) => this.log.error({ err: String(e) }, 'tftp server error'));
  }

  get port(): number {
    return this.boundPort;
  }

  stats(): TftpStats {
    return { ...this.counters, active: this.reserved, refused: { ...this.counters.refused }, dropped: { ...this.counters.dropped } };
  }

  async start(): Promise<number> {
    if (this.o.root !== undefined) this.rootReal = await realRoot(this.o.root);
    this.sock = await bindUdp(this.o.address, this.o.port ?? 69);
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
    this.log.info({ address: this.o.address, port: this.boundPort, root: this.rootReal }, 'tftp listening');
    return this.boundPort;
  }

  async stop(): Promise<void> {
    const s = this.sock;
    this.sock = undefined;
    await Promise.all([...this.transfers].map((t) => t.finish('server stopping')));
    if (s) await new Promise<void>((res) => s.close(() => res()));
  }

  drop(reason: string): void {
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + 1;
    this.counters.droppedTotal++;
  }

  /** Refusal of a well-formed request: counted and answered with an error packet. */
  private refuse(rinfo: dgram.RemoteInfo, code: number, message: string, reason: string): void {
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
    if (this.reserved >= this.o.maxTransfers) return this.refuse(rinfo, ERR.UNDEFINED, 'server busy, retry later', 'busy');
    this.reserved++; // held from here so that slow opens cannot exceed the bound
    this.serving.set(client, buf);
    this.openTransfer(req, rinfo, buf).catch((e: unknown) => {
      this.reserved--;
      this.release(client, buf);
      if (e instanceof JailError) {
        this.refuse(rinfo, e.violation ? ERR.ACCESS : ERR.NOT_FOUND, e.violation ? 'access violation' : 'file not found', e.reason);
      } else if (e instanceof RefusedError) {
        this.refuse(rinfo, e.code, e.message, e.reason);
      } else {
        this.log.warn({ err: String(e), file: req.filename }, 'tftp open failed');
        this.refuse(rinfo, ERR.NOT_FOUND, 'file not found', 'io');
      }
    });
  }

  private async openSource(name: string, netascii: boolean): Promise<{ source: Source; size: number }> {
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
      if (!netascii) return { source: readAhead(fh), size: st.size };
      if (st.size > this.o.netasciiMaxBytes) throw new RefusedError(ERR.UNDEFINED, 'file too big for netascii', 'too-big');
      const data = toNetascii(await fh.readFile());
      await fh.close();
      return { source: { read: async (pos, len) => data.subarray(pos, pos + len), close: async () => undefined }, size: data.length };
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw e;
    }
  }

  /** Forgets `client`'s request unless a newer, different one from the same port replaced it. */
  private release(client: string, rrq: Buffer): void {
    if (this.serving.get(client) === rrq) this.serving.delete(client);
  }

  private async openTransfer(req: TftpRequest, rinfo: dgram.RemoteInfo, rrq: Buffer): Promise<void> {
    const { source, size } = await this.openSource(req.filename, req.mode === 'netascii');
    let sock: dgram.Socket;
    try {
      if (!this.sock) throw new RefusedError(ERR.UNDEFINED, 'server stopping', 'stopping');
      sock = await bindUdp(this.o.address, 0);
    } catch (e) {
      await source.close();
      throw e;
    }
    const n = negotiate(req.options, size, this.o.maxBlksize, this.o.maxClientTimeoutS);
    const t = new Transfer(this, this.o, sock, source, rinfo, req.filename, n.blksize, n.timeoutMs ?? this.o.timeoutMs, this.counters, rrq);
    this.transfers.add(t);
    this.counters.started++;
    this.safeEmit('transfer-start', { file: req.filename, client: rinfo.address, bytes: 0, ms: 0, at: this.o.clock.now(), blksize: n.blksize });
    t.begin(Object.keys(n.ack).length > 0 ? n.ack : undefined);
  }

  /** Called once by a transfer when it ends, whatever the outcome. */
  ended(t: Transfer, ev: TransferEvent): void {
    this.transfers.delete(t);
    this.reserved--;
    this.release(ev.client, t.rrq);
    if (ev.error) {
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

/** One read transfer: lock-step DATA/ACK with retransmission on its own socket (TID). */
class Transfer {
  private block = 0;
  private finalBlock = -1;
  private awaiting = -1; // wire block number we wait an ACK for; -1 while reading the next block
  private last?: Buffer;
  private retries = 0;
  private timer: unknown;
  private bytes = 0;
  private done = false;
  private readonly startedAt: number;
  private readonly client: string;

  constructor(
    private readonly server: TftpServer,
    private readonly o: Required<Omit<TftpServerOptions, 'root' | 'files' | 'port'>>,
    private readonly sock: dgram.Socket,
    private readonly source: Source,
    private readonly peer: dgram.RemoteInfo,
    private readonly file: string,
    private readonly blksize: number,
    private readonly timeoutMs: number,
    private readonly counters: TftpStats,
    readonly rrq: Buffer,
  ) {
    this.startedAt = o.clock.now();
    this.client = `${peer.address}:${peer.port}`;
    sock.on('error', () => void this.finish('socket error'));
    sock.on('message', (buf, rinfo) => {
      try {
        this.onMessage(buf, rinfo);
      } catch {
        this.server.drop('internal-error');
      }
    });
  }

  begin(oack: Record<string, string> | undefined): void {
    if (oack) this.send(encodeOack(oack), 0);
    else void this.sendBlock(1);
  }

  private onMessage(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.done) return;
    if (rinfo.address !== this.peer.address || rinfo.port !== this.peer.port) {
      this.server.drop('unknown-tid'); // RFC 1350: answer the stranger, leave the transfer alone
      this.sock.send(encodeError(ERR.UNKNOWN_TID, 'unknown transfer id'), rinfo.port, rinfo.address, () => undefined);
      return;
    }
    let p;
    try {
      p = parseTransferPacket(buf);
    } catch (e) {
      this.server.drop(e instanceof TftpDecodeError ? e.reason : 'malformed');
      return;
    }
    if (p.op === OP.ERROR) return void this.finish(`client error ${p.code}: ${p.message}`, false);
    if (p.op !== OP.ACK) return this.server.drop('unexpected-opcode');
    if (p.block !== this.awaiting) return; // duplicate or early ACK: never resend on it (Sorcerer's Apprentice)
    if (this.block === this.finalBlock) return void this.finish(undefined);
    void this.sendBlock(this.block + 1);
  }

  private async sendBlock(n: number): Promise<void> {
    this.awaiting = -1;
    this.clearTimer();
    let payload: Buffer;
    try {
      payload = await this.source.read((n - 1) * this.blksize, this.blksize);
    } catch (e) {
      return this.finish(`read failed: ${String(e)}`);
    }
    if (this.done) return;
    this.block = n;
    if (payload.length < this.blksize) this.finalBlock = n;
    this.bytes += payload.length;
    this.send(encodeData(n, payload), n & 0xffff);
  }

  private send(packet: Buffer, awaitBlock: number): void {
    this.last = packet;
    this.awaiting = awaitBlock;
    this.retries = 0;
    this.transmit();
  }

  private transmit(): void {
    if (this.done || !this.last) return;
    this.sock.send(this.last, this.peer.port, this.peer.address, () => undefined);
    this.clearTimer();
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.done) return;
      if (this.retries >= this.o.maxRetries) return void this.finish('timed out');
      this.retries++;
      this.counters.retransmits++;
      this.transmit();
    }, this.timeoutMs);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Ends the transfer once; on error tells the client (unless the client itself sent the error). */
  async finish(error: string | undefined, notify = true): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.clearTimer();
    if (error && notify) {
      await new Promise<void>((res) => {
        try {
          this.sock.send(encodeError(ERR.UNDEFINED, error), this.peer.port, this.peer.address, () => res());
        } catch {
          res(); // socket already unusable: nothing to tell the client
        }
      });
    }
    await new Promise<void>((res) => {
      try {
        this.sock.close(() => res());
      } catch {
        res(); // already closed after a socket error
      }
    });
    await this.source.close().catch(() => undefined);
    const now = this.o.clock.now();
    this.server.ended(this, { file: this.file, client: this.client, bytes: this.bytes, ms: now - this.startedAt, at: now, blksize: this.blksize, error });
  }
}

/**
 * Octet-mode source: one file read per READ_AHEAD_BYTES (a whole number of blocks) instead of one
 * per block; the blocks are slices of that buffer (encodeData copies them into the packet).
 * A read at or past the end of the file returns what is there (possibly nothing), as before.
 */
function readAhead(fh: FileHandle): Source {
  let buf: Buffer | undefined;
  let start = 0;
  let length = 0;
  let eof = false;
  return {
    read: async (pos, len) => {
      const have = buf !== undefined && pos >= start && (pos + len <= start + length || (eof && pos <= start + length));
      if (!have) {
        const size = Math.max(len, READ_AHEAD_BYTES - (READ_AHEAD_BYTES % len));
        const b = Buffer.allocUnsafe(size);
        const { bytesRead } = await fh.read(b, 0, size, pos);
        buf = b;
        start = pos;
        length = bytesRead;
        eof = bytesRead < size;
      }
      const from = pos - start;
      return buf!.subarray(from, Math.min(from + len, length));
    },
    close: () => fh.close(),
  };
}

/** RFC 764 netascii: LF -> CR LF, CR -> CR NUL. */
function toNetascii(data: Buffer): Buffer {
  const out: number[] = [];
  for (const c of data) {
    if (c === 0x0a) out.push(0x0d, 0x0a);
    else if (c === 0x0d) out.push(0x0d, 0x00);
    else out.push(c);
  }
  return Buffer.from(out);
}
