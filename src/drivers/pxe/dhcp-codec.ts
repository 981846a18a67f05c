/**
 * Bounds-checked DHCP (RFC 2131 / 2132) packet decoder and encoder.
 *
 * Why not the `dhcp` package's Protocol.parse: it reads past the end of the buffer on truncated
 * options (RangeError), skips two bytes on a PAD option, reads fixed-size types whatever the
 * length byte says, throws on non-Ethernet chaddr, and does not know options 77 and 93, the two
 * options a PXE server must read. Its server also throws inside the socket handler when option 55
 * asks for an option it knows without a config name (60, 61...), so a real iPXE DISCOVER kills
 * the process. The package is used only as an independent oracle in the unit tests.
 *
 * Every function here either returns a value or throws DhcpDecodeError with a drop reason;
 * no read goes past `buf.length`, every loop advances by at least one byte.
 */

export const MSG = { DISCOVER: 1, OFFER: 2, REQUEST: 3, DECLINE: 4, ACK: 5, NAK: 6, RELEASE: 7, INFORM: 8 } as const;
export type MessageType = (typeof MSG)[keyof typeof MSG];

export const OPT = {
  PAD: 0, SUBNET_MASK: 1, ROUTER: 3, DNS: 6, HOSTNAME: 12, DOMAIN: 15, REQUESTED_IP: 50, LEASE_TIME: 51,
  OVERLOAD: 52, MSG_TYPE: 53, SERVER_ID: 54, PARAM_LIST: 55, MESSAGE: 56, MAX_SIZE: 57, T1: 58, T2: 59,
  VENDOR_CLASS: 60, CLIENT_ID: 61, TFTP_SERVER: 66, BOOTFILE: 67, USER_CLASS: 77, CLIENT_ARCH: 93, END: 255,
} as const;

export const MAGIC_COOKIE = 0x63825363;
const HEADER_LEN = 236;
const OPTIONS_START = 240;
/** Larger than any Ethernet DHCP message; anything bigger is not a DHCP client talking. */
export const MAX_PACKET = 4096;
/** BOOTP's minimum message size; some PXE ROMs drop shorter replies. */
const MIN_REPLY = 300;

export type DropReason =
  | 'too-short' | 'too-long' | 'not-bootrequest' | 'bad-hwaddr' | 'too-many-hops' | 'bad-cookie'
  | 'truncated-option' | 'no-end' | 'no-message-type' | 'bad-message-type' | 'unexpected-message-type'
  | 'bad-option-length' | 'bad-request' | 'internal-error';

export class DhcpDecodeError extends Error {
  constructor(readonly reason: DropReason, detail?: string) {
    super(detail ? `${reason}: ${detail}` : reason);
    this.name = 'DhcpDecodeError';
  }
}

export interface DhcpPacket {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** Lower-case `aa:bb:cc:dd:ee:ff` (Ethernet only). */
  chaddr: string;
  sname: string;
  file: string;
  /** Raw option values; repeated instances are concatenated (RFC 3396). */
  options: Map<number, Buffer>;
}

/** A validated client message with the fields the server uses already decoded. */
export interface DhcpRequest extends DhcpPacket {
  type: MessageType;
  requestedIp?: string;
  serverId?: string;
  paramList: number[];
  vendorClass?: string;
  /** Option 77: iPXE sends a bare string, RFC 3004 clients length-prefixed instances; both kept. */
  userClasses: string[];
  /** Option 93 values (RFC 4578), usually one. */
  clientArch: number[];
  hostname?: string;
}

// ---- addresses -------------------------------------------------------------------------------

const MAC_RE = /^[0-9a-f]{2}([:-]?)[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}$/i;

/** `AA-BB-CC-DD-EE-FF`, `aa:bb:...` or `aabbccddeeff` -> `aa:bb:cc:dd:ee:ff`; throws otherwise. */
export function normalizeMac(mac: string): string {
  if (!MAC_RE.test(mac)) throw new Error(`invalid MAC address "${mac}"`);
  const hex = mac.replace(/[:-]/g, '').toLowerCase();
  return hex.match(/../g)!.join(':');
}

export function isMac(mac: string): boolean {
  return MAC_RE.test(mac);
}

/** The form used in URLs: lower-case with dashes (no colon in a path segment). */
export function macForUrl(mac: string): string {
  return normalizeMac(mac).replace(/:/g, '-');
}

export function ipToBytes(ip: string): Buffer {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new Error(`invalid IPv4 address "${ip}"`);
  const out = Buffer.alloc(4);
  parts.forEach((p, i) => {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new Error(`invalid IPv4 address "${ip}"`);
    out[i] = Number(p);
  });
  return out;
}

export function isIpv4(ip: string): boolean {
  try {
    ipToBytes(ip);
    return true;
  } catch {
    return false;
  }
}

function ipAt(buf: Buffer, off: number): string {
  const a = buf[off]!, b = buf[off + 1]!, c = buf[off + 2]!, d = buf[off + 3]!;
  // Most address fields of a request are zero: no string to build.
  if ((a | b | c | d) === 0) return '0.0.0.0';
  return `${a}.${b}.${c}.${d}`;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** chaddr as `aa:bb:cc:dd:ee:ff` (hlen is checked to be 6 before). */
function macAt(buf: Buffer, off: number): string {
  return `${HEX[buf[off]!]}:${HEX[buf[off + 1]!]}:${HEX[buf[off + 2]!]}:${HEX[buf[off + 3]!]}:${HEX[buf[off + 4]!]}:${HEX[buf[off + 5]!]}`;
}

function cString(buf: Buffer): string {
  const nul = buf.indexOf(0);
  return buf.toString('latin1', 0, nul === -1 ? buf.length : nul);
}

// ---- decoding --------------------------------------------------------------------------------

/**
 * Walks the option area buf[from, to): calls `visit(code, start, end)` for each option (PAD and
 * END excluded) and throws on a length byte that runs past the area, or on a missing END when
 * `needEnd`. The only option parser: the full decode and the server's lean decode share it, so
 * they accept and reject exactly the same packets.
 */
function walkOptions(buf: Buffer, from: number, to: number, needEnd: boolean, visit: (code: number, start: number, end: number) => void): void {
  let i = from;
  while (i < to) {
    const code = buf[i]!;
    if (code === OPT.PAD) {
      i += 1;
      continue;
    }
    if (code === OPT.END) return;
    if (i + 1 >= to) throw new DhcpDecodeError('truncated-option', `option ${code} has no length`);
    const len = buf[i + 1]!;
    if (i + 2 + len > to) throw new DhcpDecodeError('truncated-option', `option ${code} length ${len}`);
    visit(code, i + 2, i + 2 + len);
    i += 2 + len;
  }
  if (needEnd) throw new DhcpDecodeError('no-end');
}

/** Repeated instances of an option are one value (RFC 3396); a single instance stays a view. */
function appendValue(prev: Buffer | undefined, value: Buffer): Buffer {
  return prev === undefined ? value : Buffer.concat([prev, value]);
}

const FILE_AREA = [108, 236] as const;
const SNAME_AREA = [44, 108] as const;

/**
 * The checks every message gets before its options are read (size, hardware address, cookie),
 * then the option walk over the main area and, per option 52, the file and sname fields.
 * Returns the overload value (0 when none).
 */
function walkPacket(buf: Buffer, visit: (code: number, start: number, end: number) => void): number {
  if (buf.length < OPTIONS_START) throw new DhcpDecodeError('too-short', `${buf.length} bytes`);
  if (buf.length > MAX_PACKET) throw new DhcpDecodeError('too-long', `${buf.length} bytes`);
  const htype = buf[1]!;
  const hlen = buf[2]!;
  if (htype !== 1 || hlen !== 6) throw new DhcpDecodeError('bad-hwaddr', `htype ${htype} hlen ${hlen}`);
  if (buf.readUInt32BE(HEADER_LEN) !== MAGIC_COOKIE) throw new DhcpDecodeError('bad-cookie');
  let overload: Buffer | undefined;
  walkOptions(buf, OPTIONS_START, buf.length, true, (code, start, end) => {
    if (code === OPT.OVERLOAD) overload = appendValue(overload, buf.subarray(start, end));
    visit(code, start, end);
  });
  if (overload === undefined) return 0;
  if (overload.length !== 1 || overload[0]! < 1 || overload[0]! > 3) throw new DhcpDecodeError('bad-option-length', 'option 52');
  const flag = overload[0]!;
  if (flag & 1) walkOptions(buf, FILE_AREA[0], FILE_AREA[1], false, visit);
  if (flag & 2) walkOptions(buf, SNAME_AREA[0], SNAME_AREA[1], false, visit);
  return flag;
}

/** Structural decode of any BOOTP/DHCP message (request or reply), with every option copied. */
export function decodeDhcp(buf: Buffer): DhcpPacket {
  const options = new Map<number, Buffer>();
  const overload = walkPacket(buf, (code, start, end) => {
    const prev = options.get(code);
    const value = buf.subarray(start, end);
    options.set(code, prev ? Buffer.concat([prev, value]) : Buffer.from(value));
  });
  return {
    op: buf[0]!,
    htype: buf[1]!,
    hlen: buf[2]!,
    hops: buf[3]!,
    xid: buf.readUInt32BE(4),
    secs: buf.readUInt16BE(8),
    flags: buf.readUInt16BE(10),
    ciaddr: ipAt(buf, 12),
    yiaddr: ipAt(buf, 16),
    siaddr: ipAt(buf, 20),
    giaddr: ipAt(buf, 24),
    chaddr: macAt(buf, 28),
    sname: overload & 2 ? '' : cString(buf.subarray(SNAME_AREA[0], SNAME_AREA[1])),
    file: overload & 1 ? '' : cString(buf.subarray(FILE_AREA[0], FILE_AREA[1])),
    options,
  };
}

function fixedLen(v: Buffer | undefined, code: number, len: number): Buffer | undefined {
  if (v !== undefined && v.length !== len) throw new DhcpDecodeError('bad-option-length', `option ${code}`);
  return v;
}

/** RFC 3004 instances if the bytes parse as such, else the whole option as one string (iPXE). */
function userClasses(v: Buffer | undefined): string[] {
  if (!v || v.length === 0) return [];
  const out: string[] = [];
  let i = 0;
  while (i < v.length) {
    const len = v[i]!;
    if (len === 0 || i + 1 + len > v.length) return [v.toString('latin1')];
    out.push(v.toString('latin1', i + 1, i + 1 + len));
    i += 1 + len;
  }
  return [v.toString('latin1'), ...out];
}

/** The options the server reads on every request, as views into the packet. */
interface ReadOptions {
  requested?: Buffer;
  serverId?: Buffer;
  vendor?: Buffer;
  userClass?: Buffer;
  arch?: Buffer;
}

/**
 * A decoded client message. The fields the server reads on every packet are decoded at once;
 * the rest (every option as a Map, sname, file, option 55, hostname) only when first read: on
 * the hot path (thousands of packets a second) building them was most of the decoding time and
 * garbage. They are read from the received buffer, which nothing writes to after it arrived.
 */
class ClientRequest implements DhcpRequest {
  readonly op: number;
  readonly htype = 1;
  readonly hlen = 6;
  readonly hops: number;
  readonly xid: number;
  readonly secs: number;
  readonly flags: number;
  readonly ciaddr: string;
  readonly yiaddr: string;
  readonly siaddr: string;
  readonly giaddr: string;
  readonly chaddr: string;
  readonly type: MessageType;
  readonly requestedIp: string | undefined;
  readonly serverId: string | undefined;
  readonly vendorClass: string | undefined;
  readonly userClasses: string[];
  readonly clientArch: number[];
  private full?: DhcpPacket;

  constructor(
    private readonly buf: Buffer,
    private readonly overload: number,
    type: MessageType,
    f: ReadOptions,
  ) {
    this.op = buf[0]!;
    this.hops = buf[3]!;
    this.xid = buf.readUInt32BE(4);
    this.secs = buf.readUInt16BE(8);
    this.flags = buf.readUInt16BE(10);
    this.ciaddr = ipAt(buf, 12);
    this.yiaddr = ipAt(buf, 16);
    this.siaddr = ipAt(buf, 20);
    this.giaddr = ipAt(buf, 24);
    this.chaddr = macAt(buf, 28);
    this.type = type;
    this.requestedIp = f.requested ? ipAt(f.requested, 0) : undefined;
    this.serverId = f.serverId ? ipAt(f.serverId, 0) : undefined;
    this.vendorClass = f.vendor && f.vendor.length > 0 ? f.vendor.toString('latin1') : undefined;
    this.userClasses = userClasses(f.userClass);
    const arch = f.arch;
    this.clientArch = [];
    for (let i = 0; arch && i + 1 < arch.length; i += 2) this.clientArch.push(arch.readUInt16BE(i));
  }

  get options(): Map<number, Buffer> {
    this.full ??= decodeDhcp(this.buf);
    return this.full.options;
  }
  get sname(): string {
    return this.overload & 2 ? '' : cString(this.buf.subarray(SNAME_AREA[0], SNAME_AREA[1]));
  }
  get file(): string {
    return this.overload & 1 ? '' : cString(this.buf.subarray(FILE_AREA[0], FILE_AREA[1]));
  }
  get paramList(): number[] {
    return [...(this.options.get(OPT.PARAM_LIST) ?? [])];
  }
  get hostname(): string | undefined {
    const h = this.options.get(OPT.HOSTNAME);
    return h && h.length > 0 ? cString(h) : undefined;
  }
}

/** Decode and validate a message sent by a client to a server. */
export function decodeRequest(buf: Buffer): DhcpRequest {
  let type: Buffer | undefined;
  const f: ReadOptions = {};
  const overload = walkPacket(buf, (code, start, end) => {
    switch (code) {
      case OPT.MSG_TYPE: type = appendValue(type, buf.subarray(start, end)); break;
      case OPT.REQUESTED_IP: f.requested = appendValue(f.requested, buf.subarray(start, end)); break;
      case OPT.SERVER_ID: f.serverId = appendValue(f.serverId, buf.subarray(start, end)); break;
      case OPT.VENDOR_CLASS: f.vendor = appendValue(f.vendor, buf.subarray(start, end)); break;
      case OPT.USER_CLASS: f.userClass = appendValue(f.userClass, buf.subarray(start, end)); break;
      case OPT.CLIENT_ARCH: f.arch = appendValue(f.arch, buf.subarray(start, end)); break;
      default: // not read by the server: skipped
    }
  });
  if (buf[0] !== 1) throw new DhcpDecodeError('not-bootrequest', `op ${buf[0]}`);
  if (buf[3]! > 16) throw new DhcpDecodeError('too-many-hops');
  if (type === undefined) throw new DhcpDecodeError('no-message-type');
  if (type.length !== 1) throw new DhcpDecodeError('bad-option-length', 'option 53');
  const t = type[0]!;
  if (t < 1 || t > 8) throw new DhcpDecodeError('bad-message-type', String(t));
  if (t === MSG.OFFER || t === MSG.ACK || t === MSG.NAK) throw new DhcpDecodeError('unexpected-message-type', String(t));
  fixedLen(f.requested, OPT.REQUESTED_IP, 4);
  fixedLen(f.serverId, OPT.SERVER_ID, 4);
  if (f.arch !== undefined && (f.arch.length === 0 || f.arch.length % 2 !== 0)) {
    throw new DhcpDecodeError('bad-option-length', 'option 93');
  }
  return new ClientRequest(buf, overload, t as MessageType, f);
}

// ---- encoding --------------------------------------------------------------------------------

export interface DhcpReply {
  xid: number;
  flags: number;
  ciaddr?: string;
  yiaddr?: string;
  siaddr?: string;
  giaddr?: string;
  chaddr: string;
  sname?: string;
  /** Boot file name for the fixed field; longer than 127 bytes -> left empty (option 67 carries it). */
  file?: string;
  /** In order of output; 53 should come first. Values longer than 255 bytes are split (RFC 3396). */
  options: Array<[number, Buffer]>;
}

export const optU8 = (v: number): Buffer => Buffer.from([v & 0xff]);
export function optU32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}
export const optIps = (ips: readonly string[]): Buffer => Buffer.concat(ips.map(ipToBytes));
export const optText = (s: string): Buffer => Buffer.from(s, 'latin1');

function fixedText(s: string | undefined, size: number): Buffer {
  const out = Buffer.alloc(size);
  const b = Buffer.from(s ?? '', 'latin1');
  if (b.length < size) b.copy(out); // keep a terminating NUL, never truncate silently
  return out;
}

export function encodeReply(r: DhcpReply, op: 1 | 2 = 2): Buffer {
  const head = Buffer.alloc(OPTIONS_START);
  head[0] = op;
  head[1] = 1;
  head[2] = 6;
  head.writeUInt32BE(r.xid >>> 0, 4);
  head.writeUInt16BE(r.flags & 0xffff, 10);
  ipToBytes(r.ciaddr ?? '0.0.0.0').copy(head, 12);
  ipToBytes(r.yiaddr ?? '0.0.0.0').copy(head, 16);
  ipToBytes(r.siaddr ?? '0.0.0.0').copy(head, 20);
  ipToBytes(r.giaddr ?? '0.0.0.0').copy(head, 24);
  Buffer.from(normalizeMac(r.chaddr).replace(/:/g, ''), 'hex').copy(head, 28);
  fixedText(r.sname, 64).copy(head, 44);
  fixedText(r.file, 128).copy(head, 108);
  head.writeUInt32BE(MAGIC_COOKIE, HEADER_LEN);
  const parts: Buffer[] = [head];
  for (const [code, value] of r.options) {
    if (code === OPT.PAD || code === OPT.END) continue;
    for (let off = 0; off < value.length || off === 0; off += 255) {
      const chunk = value.subarray(off, off + 255);
      parts.push(Buffer.from([code, chunk.length]), chunk);
      if (value.length === 0) break;
    }
  }
  parts.push(Buffer.from([OPT.END]));
  const out = Buffer.concat(parts);
  return out.length >= MIN_REPLY ? out : Buffer.concat([out, Buffer.alloc(MIN_REPLY - out.length)]);
}
