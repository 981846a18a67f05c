/**
 * One TFTP read transfer: lock-step DATA/ACK with retransmission on its own socket (its TID).
 * Runs wherever its socket lives: in a transfer worker thread (tftp-worker.ts, the default) or
 * on the server's own thread (TftpServer with `workers: 0`). It knows nothing of the listen
 * socket, the jail or the counters: the server decided everything before (file, block size,
 * timeout, OACK) and gets the outcome through `TransferHooks`.
 *
 * Per block it allocates nothing: one packet buffer per transfer is refilled in place (safe in
 * lock step: block n+1 is written only after the client acknowledged block n, so block n has
 * left), blocks are copied straight from a read-ahead chunk, and the retransmission timer is
 * armed once and only moved by a deadline (no timer created and cancelled per block).
 */
import type dgram from 'node:dgram';
import { read } from 'node:fs';
import { encodeError, encodeOack, ERR, OP, parseTransferPacket, TftpDecodeError } from './tftp-codec.js';

export interface TransferClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface TransferSpec {
  peer: { address: string; port: number };
  blksize: number;
  timeoutMs: number;
  maxRetries: number;
  /** Options to acknowledge first (RFC 2347); none: start with DATA 1. */
  oack?: Record<string, string>;
}

export interface TransferHooks {
  /** A datagram on the transfer port that was not for it (reason as in TftpStats.dropped). */
  drop(reason: string): void;
  retransmit(): void;
  /** Called once, after the socket is closed. */
  end(outcome: { bytes: number; error?: string }): void;
}

/** The transferred bytes: copies blocks into the caller's packet buffer. */
export interface BlockSource {
  /**
   * Copies up to `len` bytes at `pos` into `dst` at `at` and returns how many (fewer only at the
   * end of the file), or -1 when the bytes are not in memory yet: call `load(pos)` and retry.
   */
  copy(pos: number, len: number, dst: Buffer, at: number): number;
  load(pos: number): Promise<void>;
}

/** Octet-mode reads go through a read-ahead buffer of about this size (whole blocks). */
export const READ_AHEAD_BYTES = 64 * 1024;

/**
 * A file read through one read-ahead chunk (one read per READ_AHEAD_BYTES instead of one per
 * block). `fd` stays open for the whole transfer and belongs to whoever opened it (the server),
 * which closes it after the transfer ended.
 */
export function fdSource(fd: number, blksize: number): BlockSource {
  const size = Math.max(blksize, READ_AHEAD_BYTES - (READ_AHEAD_BYTES % blksize));
  const chunk = Buffer.allocUnsafe(size);
  let start = -1;
  let length = 0;
  return {
    copy(pos, len, dst, at) {
      const from = pos - start;
      if (start < 0 || from < 0) return -1;
      // Inside the chunk, or at/after its end when the chunk is the file's last one.
      if (from + len > length && length === size) return -1;
      const n = Math.max(0, Math.min(len, length - from));
      chunk.copy(dst, at, from, from + n);
      return n;
    },
    load(pos) {
      return new Promise((resolve, reject) => {
        read(fd, chunk, 0, size, pos, (err, bytesRead) => {
          if (err) return reject(err);
          start = pos;
          length = bytesRead;
          resolve();
        });
      });
    },
  };
}

/** Bytes already in memory (netascii conversions). */
export function bytesSource(data: Uint8Array): BlockSource {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return {
    copy(pos, len, dst, at) {
      const n = Math.max(0, Math.min(len, buf.length - pos));
      buf.copy(dst, at, pos, pos + n);
      return n;
    },
    load: async () => undefined,
  };
}

export class Transfer {
  private block = 0;
  private finalBlock = -1;
  private awaiting = -1; // wire block number we wait an ACK for; -1 while reading the next block
  private last?: Buffer;
  private retries = 0;
  private timer: unknown;
  /** Retransmit when the clock passes this; the timer only checks it. */
  private deadline = 0;
  private bytes = 0;
  private done = false;
  private readonly packet: Buffer;

  constructor(
    private readonly sock: dgram.Socket,
    private readonly source: BlockSource,
    private readonly spec: TransferSpec,
    private readonly clock: TransferClock,
    private readonly hooks: TransferHooks,
  ) {
    this.packet = Buffer.allocUnsafe(4 + spec.blksize);
    this.packet.writeUInt16BE(OP.DATA, 0);
    sock.on('error', () => void this.finish('socket error'));
    sock.on('message', (buf, rinfo) => {
      try {
        this.onMessage(buf, rinfo);
      } catch {
        this.hooks.drop('internal-error');
      }
    });
  }

  get finished(): boolean {
    return this.done;
  }

  begin(): void {
    if (this.spec.oack) {
      this.send(encodeOack(this.spec.oack), 0);
    } else void this.sendBlock(1);
  }

  private onMessage(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.done) return;
    const peer = this.spec.peer;
    if (rinfo.port !== peer.port || rinfo.address !== peer.address) {
      this.hooks.drop('unknown-tid'); // RFC 1350: answer the stranger, leave the transfer alone
      this.sock.send(encodeError(ERR.UNKNOWN_TID, 'unknown transfer id'), rinfo.port, rinfo.address);
      return;
    }
    let block: number;
    if (buf.length === 4 && buf[0] === 0 && buf[1] === OP.ACK) {
      block = buf.readUInt16BE(2); // the common case, without building a packet object
    } else {
      let p;
      try {
        p = parseTransferPacket(buf);
      } catch (e) {
        this.hooks.drop(e instanceof TftpDecodeError ? e.reason : 'malformed');
        return;
      }
      if (p.op === OP.ERROR) return void this.finish(`client error ${p.code}: ${p.message}`, false);
      if (p.op !== OP.ACK) return this.hooks.drop('unexpected-opcode');
      block = p.block;
    }
    if (block !== this.awaiting) return; // duplicate or early ACK: never resend on it (Sorcerer's Apprentice)
    if (this.block === this.finalBlock) return void this.finish(undefined);
    void this.sendBlock(this.block + 1);
  }

  private async sendBlock(n: number): Promise<void> {
    this.awaiting = -1;
    const { blksize } = this.spec;
    const pos = (n - 1) * blksize;
    let len = this.source.copy(pos, blksize, this.packet, 4);
    if (len < 0) {
      try {
        await this.source.load(pos);
      } catch (e) {
        return this.finish(`read failed: ${String(e)}`);
      }
      if (this.done) return;
      len = this.source.copy(pos, blksize, this.packet, 4);
      if (len < 0) return this.finish('read failed: no data');
    }
    this.block = n;
    if (len < blksize) this.finalBlock = n;
    this.bytes += len;
    this.packet.writeUInt16BE(n & 0xffff, 2);
    // Full blocks go out as the whole buffer: a view is made for the short last block only.
    this.send(len === blksize ? this.packet : this.packet.subarray(0, 4 + len), n & 0xffff);
  }

  private send(packet: Buffer, awaitBlock: number): void {
    this.last = packet;
    this.awaiting = awaitBlock;
    this.retries = 0;
    this.transmit();
  }

  private transmit(): void {
    if (this.done || !this.last) return;
    this.sock.send(this.last, this.spec.peer.port, this.spec.peer.address);
    this.deadline = this.clock.now() + this.spec.timeoutMs;
    if (this.timer === undefined) this.arm(this.spec.timeoutMs);
  }

  private arm(ms: number): void {
    this.timer = this.clock.setTimeout(() => this.onTimer(), ms);
  }

  private onTimer(): void {
    this.timer = undefined;
    if (this.done) return;
    if (this.awaiting === -1) return this.arm(this.spec.timeoutMs); // reading the next block
    const left = this.deadline - this.clock.now();
    if (left > 0) return this.arm(left); // sent again since the timer was armed
    if (this.retries >= this.spec.maxRetries) return void this.finish('timed out');
    this.retries++;
    this.hooks.retransmit();
    this.transmit();
  }

  /** Ends the transfer once; on error tells the client (unless the client itself sent the error). */
  async finish(error: string | undefined, notify = true): Promise<void> {
    if (this.done) return;
    this.done = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (error && notify) {
      await new Promise<void>((res) => {
        try {
          this.sock.send(encodeError(ERR.UNDEFINED, error), this.spec.peer.port, this.spec.peer.address, () => res());
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
    this.hooks.end({ bytes: this.bytes, error });
  }
}

/** RFC 764 netascii: LF -> CR LF, CR -> CR NUL. */
export function toNetascii(data: Buffer): Buffer {
  let extra = 0;
  for (const c of data) if (c === 0x0a || c === 0x0d) extra++;
  const out = Buffer.allocUnsafe(data.length + extra);
  let j = 0;
  for (const c of data) {
    if (c === 0x0a) {
      out[j++] = 0x0d;
      out[j++] = 0x0a;
    } else if (c === 0x0d) {
      out[j++] = 0x0d;
      out[j++] = 0x00;
    } else out[j++] = c;
  }
  return out;
}
