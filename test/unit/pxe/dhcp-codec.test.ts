import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import {
  decodeDhcp, decodeRequest, DhcpDecodeError, encodeReply, macForUrl, MSG, normalizeMac, OPT, optIps, optText, optU32, optU8,
  ipToBytes,
} from '../../../src/drivers/pxe/dhcp-codec.js';
import { clientPacket, ipxeEfiDiscover, OPTIONS_OFFSET } from './dhcp-packets.js';

// The `dhcp` package's codec, used only as an independent oracle on well-formed packets.
const oracle = createRequire(import.meta.url)('dhcp/lib/protocol.js') as {
  parse(b: Buffer): { op: number; xid: number; yiaddr: string; siaddr: string; chaddr: string; file: string; options: Record<number, unknown> };
  format(d: object): { _data: Buffer; _w: number };
};

const MAC = '52:54:00:12:34:56';

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DhcpDecodeError, `expected DhcpDecodeError, got ${String(e)}`);
    return e.reason;
  }
  assert.fail('expected a decode error');
}

/** A valid DISCOVER whose option area is replaced by `opts` (raw bytes, END not added). */
function withOptions(opts: number[]): Buffer {
  const base = clientPacket({ type: MSG.DISCOVER, mac: MAC });
  return Buffer.concat([base.subarray(0, OPTIONS_OFFSET), Buffer.from(opts)]);
}

describe('MAC and address helpers', () => {
  it('normalizes the usual MAC spellings', () => {
    assert.equal(normalizeMac('52-54-00-12-34-56'), MAC);
    assert.equal(normalizeMac('52:54:00:12:34:56'.toUpperCase()), MAC);
    assert.equal(normalizeMac('525400123456'), MAC);
    assert.equal(macForUrl(MAC), '52-54-00-12-34-56');
    for (const bad of ['52:54:00:12:34', '52:54-00:12:34:56', 'zz:54:00:12:34:56', '']) assert.throws(() => normalizeMac(bad));
  });
  it('rejects bad IPv4 strings', () => {
    for (const bad of ['1.2.3', '1.2.3.256', '1.2.3.x', '01234.1.1.1']) assert.throws(() => ipToBytes(bad));
  });
});

describe('decodeRequest', () => {
  it('decodes a DISCOVER field by field', () => {
    const r = decodeRequest(clientPacket({ type: MSG.DISCOVER, mac: MAC, xid: 0xdeadbeef, arch: 0, vendorClass: 'PXEClient:Arch:00000:UNDI:002001' }));
    assert.equal(r.type, MSG.DISCOVER);
    assert.equal(r.xid, 0xdeadbeef);
    assert.equal(r.chaddr, MAC);
    assert.equal(r.flags, 0x8000);
    assert.deepEqual(r.clientArch, [0]);
    assert.equal(r.vendorClass, 'PXEClient:Arch:00000:UNDI:002001');
    assert.deepEqual(r.paramList, [1, 3, 6, 12, 15, 43, 60, 66, 67, 128, 129, 175, 203]);
  });

  it("decodes iPXE's EFI DISCOVER, including unknown option 175", () => {
    const r = decodeRequest(ipxeEfiDiscover(MAC));
    assert.deepEqual(r.clientArch, [7]);
    assert.ok(r.userClasses.includes('iPXE'));
    assert.ok(r.options.has(175));
  });

  it('reads RFC 3004 user classes as well as the bare iPXE string', () => {
    const rfc = Buffer.from([4, ...Buffer.from('iPXE'), 3, ...Buffer.from('foo')]);
    const r = decodeRequest(clientPacket({ type: MSG.DISCOVER, mac: MAC, extra: [[OPT.USER_CLASS, rfc]] }));
    assert.ok(r.userClasses.includes('iPXE') && r.userClasses.includes('foo'));
  });

  it('decodes a packet formatted by the dhcp package', () => {
    const sb = oracle.format({
      op: 1, htype: 1, hlen: 6, hops: 0, xid: 42, secs: 0, flags: 0, ciaddr: '0.0.0.0', yiaddr: '0.0.0.0', siaddr: '0.0.0.0',
      giaddr: '0.0.0.0', chaddr: '52-54-00-12-34-56', sname: '', file: '', options: { 53: 3, 50: '198.18.0.10', 54: '198.18.0.1' },
    });
    const r = decodeRequest(sb._data.subarray(0, sb._w));
    assert.equal(r.type, MSG.REQUEST);
    assert.equal(r.requestedIp, '198.18.0.10');
    assert.equal(r.serverId, '198.18.0.1');
    assert.equal(r.chaddr, MAC);
  });

  it('skips PAD bytes one at a time and concatenates repeated options (RFC 3396)', () => {
    const p = withOptions([0, 0, 53, 1, 1, 0, 55, 2, 1, 3, 0, 55, 1, 6, 255]);
    assert.deepEqual(decodeRequest(p).paramList, [1, 3, 6]);
  });

  it('accepts a huge option 55 spread over several instances', () => {
    const big = Array.from({ length: 255 }, (_, i) => i + 1);
    const p = withOptions([53, 1, 1, 55, 255, ...big, 55, 255, ...big, 255]);
    assert.equal(decodeRequest(p).paramList.length, 510);
  });

  it('reads options from the file field when option 52 says so', () => {
    const p = withOptions([53, 1, 1, 52, 1, 1, 255]);
    Buffer.from([50, 4, 198, 18, 0, 10, 255]).copy(p, 108);
    assert.equal(decodeRequest(p).requestedIp, '198.18.0.10');
  });

  const drops: Array<[string, () => Buffer]> = [
    ['too-short', () => Buffer.alloc(100)],
    ['too-short', () => clientPacket({ type: MSG.DISCOVER, mac: MAC }).subarray(0, 239)],
    ['too-long', () => Buffer.alloc(5000)],
    ['bad-cookie', () => { const p = clientPacket({ type: 1, mac: MAC }); p.writeUInt32BE(0x12345678, 236); return p; }],
    ['bad-hwaddr', () => { const p = clientPacket({ type: 1, mac: MAC }); p[1] = 6; return p; }],
    ['bad-hwaddr', () => { const p = clientPacket({ type: 1, mac: MAC }); p[2] = 16; return p; }],
    ['not-bootrequest', () => { const p = clientPacket({ type: 1, mac: MAC }); p[0] = 2; return p; }],
    ['too-many-hops', () => { const p = clientPacket({ type: 1, mac: MAC }); p[3] = 17; return p; }],
    ['truncated-option', () => withOptions([53, 1, 1, 50, 200, 1, 2])],
    ['truncated-option', () => withOptions([53, 1, 1, 60])],
    ['no-end', () => withOptions([53, 1, 1])],
    ['no-message-type', () => withOptions([55, 1, 1, 255])],
    ['bad-option-length', () => withOptions([53, 2, 1, 1, 255])],
    ['bad-message-type', () => withOptions([53, 1, 9, 255])],
    ['bad-message-type', () => withOptions([53, 1, 0, 255])],
    ['unexpected-message-type', () => withOptions([53, 1, MSG.OFFER, 255])],
    ['bad-option-length', () => withOptions([53, 1, 1, 50, 3, 1, 2, 3, 255])],
    ['bad-option-length', () => withOptions([53, 1, 1, 54, 5, 1, 2, 3, 4, 5, 255])],
    ['bad-option-length', () => withOptions([53, 1, 1, 93, 3, 0, 0, 7, 255])],
    ['bad-option-length', () => withOptions([53, 1, 1, 52, 1, 9, 255])],
    ['truncated-option', () => { const p = withOptions([53, 1, 1, 52, 1, 1, 255]); p[108] = 50; p[109] = 200; return p; }],
  ];
  for (const [want, make] of drops) {
    it(`drops a packet: ${want}`, () => assert.equal(reason(() => decodeRequest(make())), want));
  }

  it('decodes unknown options 203 and 255-length values without complaint', () => {
    const r = decodeRequest(withOptions([53, 1, 1, 203, 3, 1, 2, 3, 254, 0, 255]));
    assert.deepEqual([...r.options.get(203)!], [1, 2, 3]);
    assert.equal(r.options.get(254)!.length, 0);
  });
});

describe('encodeReply', () => {
  const reply = () =>
    encodeReply({
      xid: 7,
      flags: 0x8000,
      yiaddr: '198.18.0.10',
      siaddr: '198.18.0.1',
      chaddr: MAC,
      file: 'undionly.kpxe',
      options: [
        [OPT.MSG_TYPE, optU8(MSG.OFFER)],
        [OPT.SERVER_ID, ipToBytes('198.18.0.1')],
        [OPT.LEASE_TIME, optU32(3600)],
        [OPT.SUBNET_MASK, ipToBytes('255.255.255.0')],
        [OPT.ROUTER, optIps(['198.18.0.254'])],
        [OPT.HOSTNAME, optText('node-1')],
        [OPT.TFTP_SERVER, optText('198.18.0.1')],
        [OPT.BOOTFILE, optText('undionly.kpxe')],
      ],
    });

  it('is read back identically by the dhcp package (oracle)', () => {
    const o = oracle.parse(reply());
    assert.equal(o.op, 2);
    assert.equal(o.xid, 7);
    assert.equal(o.yiaddr, '198.18.0.10');
    assert.equal(o.siaddr, '198.18.0.1');
    assert.equal(o.chaddr, '52-54-00-12-34-56');
    assert.equal(o.file, 'undionly.kpxe');
    assert.equal(o.options[53], MSG.OFFER);
    assert.equal(o.options[51], 3600);
    assert.equal(o.options[1], '255.255.255.0');
    assert.deepEqual(o.options[3], ['198.18.0.254']);
    assert.equal(o.options[12], 'node-1');
    assert.equal(o.options[66], '198.18.0.1');
    assert.equal(o.options[67], 'undionly.kpxe');
  });

  it('pads to the 300-byte BOOTP minimum and round-trips through our decoder', () => {
    const b = reply();
    assert.ok(b.length >= 300);
    const d = decodeDhcp(b);
    assert.equal(d.op, 2);
    assert.equal(d.options.get(OPT.BOOTFILE)!.toString(), 'undionly.kpxe');
  });

  it('splits values longer than 255 bytes and leaves an over-long file field empty', () => {
    const url = `http://198.18.0.1:8080/${'x'.repeat(300)}`;
    const b = encodeReply({ xid: 1, flags: 0, chaddr: MAC, file: url, options: [[OPT.MSG_TYPE, optU8(2)], [OPT.BOOTFILE, optText(url)]] });
    const d = decodeDhcp(b);
    assert.equal(d.options.get(OPT.BOOTFILE)!.toString(), url);
    assert.equal(d.file, '');
  });
});

/**
 * decodeRequest reads only the options the server uses (the rest lazily): it must accept and
 * reject exactly what the full structural decode plus the request checks did, with the same
 * reason, and every field it returns must equal the full decode's.
 */
describe('decodeRequest against the full decode', () => {
  /** The request checks as they were on top of decodeDhcp before the lean decoder. */
  function reference(buf: Buffer): { reason: string } | { type: number; requestedIp?: string; serverId?: string; arch: number[]; vendor?: string } {
    try {
      const p = decodeDhcp(buf);
      if (p.op !== 1) throw new DhcpDecodeError('not-bootrequest');
      if (p.hops > 16) throw new DhcpDecodeError('too-many-hops');
      const t = p.options.get(OPT.MSG_TYPE);
      if (t === undefined) throw new DhcpDecodeError('no-message-type');
      if (t.length !== 1) throw new DhcpDecodeError('bad-option-length');
      if (t[0]! < 1 || t[0]! > 8) throw new DhcpDecodeError('bad-message-type');
      if ([MSG.OFFER, MSG.ACK, MSG.NAK].includes(t[0] as 2)) throw new DhcpDecodeError('unexpected-message-type');
      const ip = (code: number) => {
        const v = p.options.get(code);
        if (v !== undefined && v.length !== 4) throw new DhcpDecodeError('bad-option-length');
        return v && [...v].join('.');
      };
      const requestedIp = ip(OPT.REQUESTED_IP);
      const serverId = ip(OPT.SERVER_ID);
      const a = p.options.get(OPT.CLIENT_ARCH);
      if (a !== undefined && (a.length === 0 || a.length % 2 !== 0)) throw new DhcpDecodeError('bad-option-length');
      const arch = a ? Array.from({ length: a.length / 2 }, (_, i) => a.readUInt16BE(2 * i)) : [];
      const v = p.options.get(OPT.VENDOR_CLASS);
      return { type: t[0]!, requestedIp, serverId, arch, vendor: v && v.length > 0 ? v.toString('latin1') : undefined };
    } catch (e) {
      assert.ok(e instanceof DhcpDecodeError, String(e));
      return { reason: e.reason };
    }
  }

  function seeds(): Buffer[] {
    const overload = withOptions([53, 1, 3, 52, 1, 3, 255]);
    Buffer.from([50, 4, 198, 18, 0, 10, 93, 2, 0, 7, 255]).copy(overload, 108);
    Buffer.from([54, 4, 198, 18, 0, 1, 60, 3, 80, 88, 69, 255]).copy(overload, 44);
    return [
      clientPacket({ type: MSG.DISCOVER, mac: MAC, arch: 0, vendorClass: 'PXEClient:Arch:00000:UNDI:002001' }),
      clientPacket({ type: MSG.REQUEST, mac: MAC, requestedIp: '198.18.0.10', serverId: '198.18.0.1', extra: [[OPT.HOSTNAME, Buffer.from('node-1\0')]] }),
      ipxeEfiDiscover(MAC),
      withOptions([0, 53, 1, 1, 93, 2, 0, 0, 93, 2, 0, 7, 60, 3, 80, 88, 69, 60, 2, 67, 108, 255]),
      overload,
    ];
  }

  it('returns the fields of the full decode, lazy ones included', () => {
    for (const p of seeds()) {
      const lean = decodeRequest(p);
      const full = decodeDhcp(p);
      assert.deepEqual([...lean.options], [...full.options]);
      for (const k of ['op', 'xid', 'secs', 'flags', 'ciaddr', 'yiaddr', 'siaddr', 'giaddr', 'chaddr', 'sname', 'file'] as const) {
        assert.equal(lean[k], full[k], k);
      }
      assert.deepEqual(lean.paramList, [...(full.options.get(OPT.PARAM_LIST) ?? [])]);
      const ref = reference(p);
      assert.ok('type' in ref);
      assert.deepEqual([lean.type, lean.requestedIp, lean.serverId, lean.clientArch, lean.vendorClass], [ref.type, ref.requestedIp, ref.serverId, ref.arch, ref.vendor]);
    }
    assert.equal(decodeRequest(seeds()[1]!).hostname, 'node-1');
  });

  it('accepts and rejects 20,000 mutated packets exactly like the full decode, with the same reason', () => {
    let state = 0x2545f491;
    const rnd = (n: number) => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) % n;
    };
    const base = seeds();
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      const p = Buffer.from(base[rnd(base.length)]!);
      let q: Buffer = p;
      for (let k = 1 + rnd(4); k > 0; k--) {
        const r = rnd(10);
        if (r < 5) q[rnd(q.length)] = rnd(256); // a random byte anywhere
        else if (r < 8) q[236 + 4 + rnd(Math.max(1, q.length - 240))] = [0, 255, 52, 53, 93, 50, 54, 60][rnd(8)]!; // option codes
        else q = q.subarray(0, 200 + rnd(q.length - 199)); // truncation
      }
      const want = reference(q);
      let got: typeof want;
      try {
        const r = decodeRequest(q);
        got = { type: r.type, requestedIp: r.requestedIp, serverId: r.serverId, arch: r.clientArch, vendor: r.vendorClass };
      } catch (e) {
        assert.ok(e instanceof DhcpDecodeError, `packet ${i}: ${String(e)}`);
        got = { reason: e.reason };
      }
      assert.deepEqual(got, want, `packet ${i}: ${q.toString('hex')}`);
      const key = 'reason' in want ? want.reason : 'accepted';
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
    // The mutations reach both sides and several reasons (not a vacuous comparison).
    assert.ok((outcomes.get('accepted') ?? 0) > 1000, JSON.stringify([...outcomes]));
    assert.ok(outcomes.size >= 6, JSON.stringify([...outcomes]));
  });
});
