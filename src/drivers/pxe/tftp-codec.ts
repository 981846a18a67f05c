/**
 * TFTP packets (RFC 1350) with option extension (RFC 2347) and the blksize / tsize / timeout
 * options (RFC 2348, 2349). Bounds-checked: parsers throw TftpDecodeError, never RangeError.
 */

export const OP = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;

export const ERR = {
  UNDEFINED: 0, NOT_FOUND: 1, ACCESS: 2, DISK_FULL: 3, ILLEGAL_OP: 4, UNKNOWN_TID: 5, EXISTS: 6, NO_USER: 7, OPTION: 8,
} as const;

/** RFC 2347: request packets stay within 512 octets. */
export const MAX_REQUEST = 512;
export const MIN_BLKSIZE = 8;
export const MAX_BLKSIZE = 65464;
const MAX_OPTIONS = 16;

export type TftpDropReason =
  | 'too-short' | 'too-long' | 'bad-opcode' | 'unterminated' | 'odd-options' | 'too-many-options' | 'not-text' | 'bad-length';

export class TftpDecodeError extends Error {
  constructor(readonly reason: TftpDropReason) {
    super(reason);
    this.name = 'TftpDecodeError';
  }
}

export interface TftpRequest {
  op: typeof OP.RRQ | typeof OP.WRQ;
  filename: string;
  mode: string;
  /** Lower-case names; the first occurrence wins. */
  options: Record<string, string>;
}

/** Splits NUL-terminated strings; every string must be printable ASCII. */
function strings(buf: Buffer, from: number): string[] {
  const out: string[] = [];
  let i = from;
  while (i < buf.length) {
    const nul = buf.indexOf(0, i);
    if (nul === -1) throw new TftpDecodeError('unterminated');
    for (let k = i; k < nul; k++) {
      const c = buf[k]!;
      if (c < 0x20 || c > 0x7e) throw new TftpDecodeError('not-text');
    }
    out.push(buf.toString('latin1', i, nul));
    i = nul + 1;
  }
  return out;
}

export function parseRequest(buf: Buffer): TftpRequest {
  if (buf.length < 4) throw new TftpDecodeError('too-short');
  if (buf.length > MAX_REQUEST) throw new TftpDecodeError('too-long');
  const op = buf.readUInt16BE(0);
  if (op !== OP.RRQ && op !== OP.WRQ) throw new TftpDecodeError('bad-opcode');
  const parts = strings(buf, 2);
  if (parts.length < 2) throw new TftpDecodeError('unterminated');
  if (parts.length % 2 !== 0) throw new TftpDecodeError('odd-options');
  if ((parts.length - 2) / 2 > MAX_OPTIONS) throw new TftpDecodeError('too-many-options');
  const options: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 2; i < parts.length; i += 2) {
    const name = parts[i]!.toLowerCase();
    if (!(name in options)) options[name] = parts[i + 1]!;
  }
  return { op, filename: parts[0]!, mode: parts[1]!.toLowerCase(), options };
}

export type TransferPacket =
  | { op: typeof OP.ACK; block: number }
  | { op: typeof OP.ERROR; code: number; message: string }
  | { op: typeof OP.DATA | typeof OP.RRQ | typeof OP.WRQ | typeof OP.OACK };

/** Packets a read transfer can receive from its client. */
export function parseTransferPacket(buf: Buffer): TransferPacket {
  if (buf.length < 4) throw new TftpDecodeError('too-short');
  const op = buf.readUInt16BE(0);
  switch (op) {
    case OP.ACK:
      if (buf.length !== 4) throw new TftpDecodeError('bad-length');
      return { op, block: buf.readUInt16BE(2) };
    case OP.ERROR: {
      const end = buf.indexOf(0, 4);
      const message = buf.toString('latin1', 4, end === -1 ? Math.min(buf.length, 4 + 255) : end);
      return { op, code: buf.readUInt16BE(2), message: message.replace(/[^\x20-\x7e]/g, '?') };
    }
    case OP.DATA:
    case OP.RRQ:
    case OP.WRQ:
    case OP.OACK:
      return { op };
    default:
      throw new TftpDecodeError('bad-opcode');
  }
}

export function encodeData(block: number, payload: Buffer): Buffer {
  const b = Buffer.allocUnsafe(4 + payload.length);
  b.writeUInt16BE(OP.DATA, 0);
  b.writeUInt16BE(block & 0xffff, 2);
  payload.copy(b, 4);
  return b;
}

export function encodeAck(block: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(OP.ACK, 0);
  b.writeUInt16BE(block & 0xffff, 2);
  return b;
}

export function encodeError(code: number, message: string): Buffer {
  const text = Buffer.from(message.replace(/[^\x20-\x7e]/g, '?').slice(0, 200), 'latin1');
  const b = Buffer.alloc(5 + text.length);
  b.writeUInt16BE(OP.ERROR, 0);
  b.writeUInt16BE(code, 2);
  text.copy(b, 4);
  return b;
}

export function encodeOack(options: Record<string, string>): Buffer {
  const parts: Buffer[] = [Buffer.from([0, OP.OACK])];
  for (const [k, v] of Object.entries(options)) parts.push(Buffer.from(`${k}\0${v}\0`, 'latin1'));
  return Buffer.concat(parts);
}

/** Client side (tests): RRQ with optional options. */
export function encodeRequest(op: typeof OP.RRQ | typeof OP.WRQ, filename: string, mode = 'octet', options: Record<string, string> = {}): Buffer {
  const parts = [Buffer.from([0, op]), Buffer.from(`${filename}\0${mode}\0`, 'latin1')];
  for (const [k, v] of Object.entries(options)) parts.push(Buffer.from(`${k}\0${v}\0`, 'latin1'));
  return Buffer.concat(parts);
}

export interface Negotiated {
  blksize: number;
  timeoutMs?: number;
  /** What goes into the OACK; empty -> no OACK, start with DATA 1. */
  ack: Record<string, string>;
}

/**
 * RFC 2348/2349 negotiation for a read request. Out-of-range or non-numeric values are ignored
 * (not acknowledged), as the RFCs allow; blksize is lowered to the server's maximum; a timeout
 * above `maxTimeoutS` is declined (the RFC lets the server only accept or ignore it).
 */
export function negotiate(opts: Record<string, string>, size: number, maxBlksize: number, maxTimeoutS = 255): Negotiated {
  const ack: Record<string, string> = {};
  let blksize = 512;
  let timeoutMs: number | undefined;
  const num = (v: string | undefined) => (v !== undefined && /^\d{1,10}$/.test(v) ? Number(v) : undefined);
  const b = num(opts['blksize']);
  if (b !== undefined && b >= MIN_BLKSIZE && b <= MAX_BLKSIZE) {
    blksize = Math.min(b, maxBlksize);
    ack['blksize'] = String(blksize);
  }
  if (num(opts['tsize']) !== undefined) ack['tsize'] = String(size);
  const t = num(opts['timeout']);
  // A client asking for a long timeout would hold a transfer slot for minutes: decline it.
  if (t !== undefined && t >= 1 && t <= Math.min(255, maxTimeoutS)) {
    timeoutMs = t * 1000;
    ack['timeout'] = String(t);
  }
  return { blksize, timeoutMs, ack };
}
