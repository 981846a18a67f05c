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
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

function cString(buf: Buffer): string {
  const nul = buf.indexOf(0);
  return buf.toString('latin1', 0, nul === -1 ? buf.length : nul);
}

// ---- decoding --------------------------------------------------------------------------------

/** Walks one option area; throws on a length byte that runs past the area or a missing END. */
function parseOptionArea(area: Buffer, into: Map<number, Buffer>, needEnd: boolean): void {
  let i = 0;
  while (i < area.length) {
    const code = area[i]!;
    if (code === OPT.PAD) {
      i += 1;
      continue;
    }
    if (code === OPT.END) return;
    if (i + 1 >= area.length) throw new DhcpDecodeError('truncated-option', `option ${code} has no length`);
    const len = area[i + 1]!;
    if (i + 2 + len > area.length) throw new DhcpDecodeError('truncated-option', `option ${code} length ${len}`);
    const value = area.subarray(i + 2, i + 2 + len);
    const prev = into.get(code);
    into.set(code, prev ? Buffer.concat([prev, value]) : Buffer.from(value));
    i += 2 + len;
  }
  if (needEnd) throw new DhcpDecodeError('no-end');
}

/** Structural decode of any BOOTP/DHCP message (request or reply). */
export function decodeDhcp(buf: Buffer): DhcpPacket {
  if (buf.length < OPTIONS_START) throw new DhcpDecodeError('too-short', `${buf.length} bytes`);
  if (buf.length > MAX_PACKET) throw new DhcpDecodeError('too-long', `${buf.length} bytes`);
  const htype = buf[1]!;
  const hlen = buf[2]!;
  if (htype !== 1 || hlen !== 6) throw new DhcpDecodeError('bad-hwaddr', `htype ${htype} hlen ${hlen}`);
  if (buf.readUInt32BE(HEADER_LEN) !== MAGIC_COOKIE) throw new DhcpDecodeError('bad-cookie');
  const options = new Map<number, Buffer>();
  parseOptionArea(buf.subarray(OPTIONS_START), options, true);
  // Option overload (52): the file and/or sname fields carry more options.
  const overload = options.get(OPT.OVERLOAD);
  let sname = cString(buf.subarray(44, 108));
  let file = cString(buf.subarray(108, 236));
  if (overload) {
    if (overload.length !== 1 || overload[0]! < 1 || overload[0]! > 3) {
      throw new DhcpDecodeError('bad-option-length', 'option 52');
    }
    if (overload[0]! & 1) {
      parseOptionArea(buf.subarray(108, 236), options, false);
      file = '';
    }
    if (overload[0]! & 2) {
      parseOptionArea(buf.subarray(44, 108), options, false);
      sname = '';
    }
  }
  return {
    op: buf[0]!,
    htype,
    hlen,
    hops: buf[3]!,
    xid: buf.readUInt32BE(4),
    secs: buf.readUInt16BE(8),
    flags: buf.readUInt16BE(10),
    ciaddr: ipAt(buf, 12),
    yiaddr: ipAt(buf, 16),
    siaddr: ipAt(buf, 20),
    giaddr: ipAt(buf, 24),
    chaddr: buf.toString('hex', 28, 34).match(/../g)!.join(':'),
    sname,
    file,
    options,
  };
}

function fixedLen(opts: Map<number, Buffer>, code: number, len: number): Buffer | undefined {
  const v = opts.get(code);
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

/** Decode and validate a message sent by a client to a server. */
export function decodeRequest(buf: Buffer): DhcpRequest {
  const p = decodeDhcp(buf);
  if (p.op !== 1) throw new DhcpDecodeError('not-bootrequest', `op ${p.op}`);
  if (p.hops > 16) throw new DhcpDecodeError('too-many-hops');
  const t = p.options.get(OPT.MSG_TYPE);
  if (t === undefined) throw new DhcpDecodeError('no-message-type');
  if (t.length !== 1) throw new DhcpDecodeError('bad-option-length', 'option 53');
  const type = t[0]!;
  if (type < 1 || type > 8) throw new DhcpDecodeError('bad-message-type', String(type));
  if (type === MSG.OFFER || type === MSG.ACK || type === MSG.NAK) {
    throw new DhcpDecodeError('unexpected-message-type', String(type));
  }
  const requested = fixedLen(p.options, OPT.REQUESTED_IP, 4);
  const serverId = fixedLen(p.options, OPT.SERVER_ID, 4);
  const arch = p.options.get(OPT.CLIENT_ARCH);
  if (arch !== undefined && (arch.length === 0 || arch.length % 2 !== 0)) {
    throw new DhcpDecodeError('bad-option-length', 'option 93');
  }
  const clientArch: number[] = [];
  for (let i = 0; arch && i + 1 < arch.length; i += 2) clientArch.push(arch.readUInt16BE(i));
  const vendor = p.options.get(OPT.VENDOR_CLASS);
  const hostname = p.options.get(OPT.HOSTNAME);
  return {
    ...p,
    type: type as MessageType,
    requestedIp: requested ? ipAt(requested, 0) : undefined,
    serverId: serverId ? ipAt(serverId, 0) : undefined,
    paramList: [...(p.options.get(OPT.PARAM_LIST) ?? [])],
    vendorClass: vendor && vendor.length > 0 ? vendor.toString('latin1') : undefined,
    userClasses: userClasses(p.options.get(OPT.USER_CLASS)),
    clientArch,
    hostname: hostname && hostname.length > 0 ? cString(hostname) : undefined,
  };
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
