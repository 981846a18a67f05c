/**
 * Deterministic generators of hostile DHCP and TFTP datagrams for the fuzz test: random bytes
 * and mutations of valid packets aimed at the parsers' edges (truncated options, bad lengths,
 * bad cookie, huge option 55, iPXE's unknown options 175/203, option overload, traversal names).
 */
import { MSG } from '../../../src/drivers/pxe/dhcp-codec.js';
import { encodeAck, encodeRequest, OP } from '../../../src/drivers/pxe/tftp-codec.js';
import { clientPacket, ipxeEfiDiscover, OPTIONS_OFFSET } from '../../unit/pxe/dhcp-packets.js';

/** mulberry32: small, fast, seedable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Fuzz {
  constructor(readonly rnd: () => number) {}
  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
  mac(): string {
    return [0x52, 0x54, ...this.bytes(4)].map((x) => x.toString(16).padStart(2, '0')).join(':');
  }
  /** Flip 1..8 random bytes. */
  flip(b: Buffer): Buffer {
    const out = Buffer.from(b);
    for (let k = 1 + this.int(8); k > 0 && out.length > 0; k--) out[this.int(out.length)] = this.int(256);
    return out;
  }
  truncate(b: Buffer): Buffer {
    return b.subarray(0, this.int(b.length + 1));
  }
}

export function dhcpCase(f: Fuzz, knownMac: string): Buffer {
  const mac = f.int(3) === 0 ? knownMac : f.mac();
  const type = f.pick([MSG.DISCOVER, MSG.REQUEST, MSG.RELEASE, MSG.INFORM, MSG.DECLINE]);
  const valid = () =>
    f.int(4) === 0
      ? ipxeEfiDiscover(mac)
      : clientPacket({ type, mac, requestedIp: f.int(2) ? '127.0.0.1' : undefined, serverId: f.int(3) ? '127.0.0.1' : undefined, arch: f.int(2) ? f.pick([0, 7, 9, 6]) : undefined });
  const head = () => valid().subarray(0, OPTIONS_OFFSET);
  switch (f.int(12)) {
    case 0:
      return f.bytes(f.int(700));
    case 1:
      return f.truncate(valid());
    case 2:
      return f.flip(valid());
    case 3: {
      const b = valid();
      b.writeUInt32BE(f.int(2 ** 32), 236); // bad magic cookie
      return b;
    }
    case 4: // an option whose length runs past the end
      return Buffer.concat([head(), Buffer.from([53, 1, 1, f.int(256), 200 + f.int(56)]), f.bytes(f.int(50))]);
    case 5: { // huge option 55, several instances
      const parts = [head(), Buffer.from([53, 1, 1])];
      for (let k = 1 + f.int(6); k > 0; k--) parts.push(Buffer.from([55, 255]), f.bytes(255));
      parts.push(Buffer.from([255]));
      return Buffer.concat(parts);
    }
    case 6: { // unknown options (iPXE's 175 / 203, 224..254) with random lengths
      const parts = [head(), Buffer.from([53, 1, type])];
      for (let k = 1 + f.int(10); k > 0; k--) {
        const len = f.int(40);
        parts.push(Buffer.from([f.pick([175, 203, 224, 250, 254, 128]), len]), f.bytes(len));
      }
      if (f.int(2)) parts.push(Buffer.from([255]));
      return Buffer.concat(parts);
    }
    case 7: { // bad lengths on the options the server reads
      const code = f.pick([53, 50, 54, 93, 61, 77, 52, 12, 60]);
      const len = f.int(9);
      return Buffer.concat([head(), Buffer.from([53, 1, 1, code, len]), f.bytes(len), Buffer.from([255])]);
    }
    case 8: { // header fields
      const b = valid();
      b[f.pick([0, 1, 2, 3])] = f.int(256);
      return b;
    }
    case 9: { // option overload with garbage in file / sname
      const b = Buffer.concat([head(), Buffer.from([53, 1, 1, 52, 1, 1 + f.int(3), 255])]);
      f.bytes(128).copy(b, 108);
      f.bytes(64).copy(b, 44);
      return b;
    }
    case 10: // PAD runs and missing END
      return Buffer.concat([head(), Buffer.alloc(f.int(300)), Buffer.from([53, 1, 1]), f.int(2) ? Buffer.alloc(0) : Buffer.from([255])]);
    default:
      return Buffer.concat([valid(), f.bytes(f.int(5000))]); // trailing junk, sometimes over the size limit
  }
}

const NAMES = [
  'small.bin', 'sub/a.bin', '../etc/passwd', '/etc/passwd', 'sub/../../etc/passwd', '..', '.', '', 'escape',
  '..\\..\\windows\\win.ini', 'a/../../../../etc/shadow', 'sub//a.bin', 'x'.repeat(400), 'missing', 'undionly.kpxe',
];

export function tftpCase(f: Fuzz): Buffer {
  switch (f.int(8)) {
    case 0:
      return f.bytes(f.int(600));
    case 1: {
      const opts: Record<string, string> = {};
      for (let k = f.int(4); k > 0; k--) {
        opts[f.pick(['blksize', 'tsize', 'timeout', 'windowsize', 'BLKSIZE', 'x'])] = f.pick(['0', '7', '8', '512', '65464', '65465', '-1', '99999999999', 'abc', '']);
      }
      return encodeRequest(f.pick([OP.RRQ, OP.RRQ, OP.WRQ]), f.pick(NAMES), f.pick(['octet', 'netascii', 'mail', 'OCTET', 'bogus']), opts);
    }
    case 2:
      return f.flip(encodeRequest(OP.RRQ, f.pick(NAMES)));
    case 3:
      return f.truncate(encodeRequest(OP.RRQ, f.pick(NAMES), 'octet', { blksize: '1432', tsize: '0' }));
    case 4: { // NUL bytes and non-ASCII inside names
      const name = Buffer.concat([Buffer.from('sub/'), f.bytes(1 + f.int(8)), Buffer.from('a.bin')]);
      return Buffer.concat([Buffer.from([0, 1]), name, Buffer.from('\0octet\0')]);
    }
    case 5: // stray transfer opcodes on the request port
      return f.pick([encodeAck(f.int(65536)), Buffer.from([0, 3, 0, 1, 1, 2]), Buffer.from([0, 5, 0, 1, 0]), Buffer.from([0, 6, 0])]);
    case 6: // options without values, too many options
      return Buffer.concat([encodeRequest(OP.RRQ, 'small.bin'), Buffer.from('blksize\0'.repeat(1 + f.int(30)))]);
    default:
      return Buffer.concat([encodeRequest(OP.RRQ, f.pick(NAMES)), f.bytes(f.int(600))]);
  }
}

/** Datagrams a transfer socket may receive from its own client. */
export function transferCase(f: Fuzz): Buffer {
  switch (f.int(4)) {
    case 0:
      return f.bytes(f.int(8)); // includes 0- and 1-byte datagrams (the `tftp` package crashes on these)
    case 1:
      return encodeAck(f.int(65536));
    case 2:
      return Buffer.concat([Buffer.from([0, f.int(8)]), f.bytes(f.int(20))]);
    default:
      return f.bytes(f.int(600));
  }
}
