/**
 * DHCP answered at a bounded rate per client MAC, with bounded per-MAC state, on virtual time:
 * the token bucket itself (rate-limit.ts), then DhcpServer.handle() with a flooding known MAC
 * and a flood of random MACs while another host is still answered.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeDhcp, MSG } from '../../../src/drivers/pxe/dhcp-codec.js';
import { DhcpServer } from '../../../src/drivers/pxe/dhcp-server.js';
import { KeyedRateLimiter } from '../../../src/drivers/pxe/rate-limit.js';
import { clientPacket } from './dhcp-packets.js';
import { ManualClock, recordingLogger } from './support.js';

const H1 = { mac: '52:54:00:00:00:01', ip: '198.18.0.11', hostname: 'node-1' };
const H2 = { mac: '52:54:00:00:00:02', ip: '198.18.0.12', hostname: 'node-2' };
const FROM = { address: '0.0.0.0', port: 68 };
const randomMac = () => ['52', ...[...randomBytes(5)].map((b) => b.toString(16).padStart(2, '0'))].join(':');

describe('KeyedRateLimiter', () => {
  it('a burst, then one per refill interval, never more than the burst saved up', () => {
    const clock = new ManualClock();
    const l = new KeyedRateLimiter(clock, { burst: 4, refillMs: 2000, maxKeys: 10 });
    assert.deepEqual(Array.from({ length: 6 }, () => l.take('a')), [true, true, true, true, false, false]);
    assert.equal(l.take('b'), true, 'another key has its own bucket');
    clock.advance(1999);
    assert.equal(l.take('a'), false);
    clock.advance(1);
    assert.equal(l.take('a'), true);
    assert.equal(l.take('a'), false);
    clock.advance(600_000);
    assert.equal(Array.from({ length: 10 }, () => l.take('a')).filter(Boolean).length, 4);
    assert.deepEqual(l.stats(), { allowed: 4 + 1 + 1 + 4, limited: 2 + 1 + 1 + 6, evicted: 0, tracked: 2 });
  });

  it('keeps at most maxKeys, forgetting the least recently seen', () => {
    const l = new KeyedRateLimiter(new ManualClock(), { burst: 1, refillMs: 1000, maxKeys: 100 });
    l.take('kept');
    for (let i = 0; i < 10_000; i++) {
      l.take(`random-${i}`);
      if (i % 50 === 0) l.take('kept'); // seen often: stays, so its empty bucket is remembered
    }
    const st = l.stats();
    assert.equal(st.tracked, 100);
    assert.equal(st.evicted, 10_001 - 100);
    assert.equal(l.take('kept'), false, 'a key seen recently was not forgotten');
  });

  it('refuses nonsense settings', () => {
    assert.throws(() => new KeyedRateLimiter(new ManualClock(), { burst: 0, refillMs: 1000, maxKeys: 1 }), RangeError);
    assert.throws(() => new KeyedRateLimiter(new ManualClock(), { burst: 1, refillMs: 0, maxKeys: 1 }), RangeError);
  });
});

describe('DhcpServer per-MAC limit', () => {
  const server = (clock: ManualClock, extra: Partial<ConstructorParameters<typeof DhcpServer>[0]> = {}) =>
    new DhcpServer({
      address: '198.18.0.1', netmask: '255.255.255.0', httpBase: 'http://198.18.0.1:8080', hosts: [H1, H2],
      log: recordingLogger(), clock, ...extra,
    });
  const discover = (mac: string) => clientPacket({ type: MSG.DISCOVER, mac, arch: 0 });

  it('default: 4 answers at once, then one per 2 s; another MAC is not affected', () => {
    const clock = new ManualClock();
    const s = server(clock);
    const answers = Array.from({ length: 50 }, () => s.handle(discover(H1.mac), FROM)).filter(Boolean);
    assert.equal(answers.length, 4);
    assert.equal(s.stats().rateLimited, 46);
    assert.equal(s.stats().offers, 4);
    const other = s.handle(discover(H2.mac), FROM);
    assert.equal(decodeDhcp(other!.packet).yiaddr, H2.ip);
    clock.advance(2000);
    assert.ok(s.handle(clientPacket({ type: MSG.REQUEST, mac: H1.mac, requestedIp: H1.ip }), FROM), 'one more after 2 s');
    assert.equal(s.handle(discover(H1.mac), FROM), undefined);
  });

  it('random MACs: the state stays within maxTrackedMacs, what is forgotten is counted, hosts still answered', () => {
    const clock = new ManualClock();
    const s = server(clock, { maxTrackedMacs: 256 });
    for (let i = 0; i < 5000; i++) {
      s.handle(discover(randomMac()), FROM);
      if (i % 1000 === 0) clock.advance(100);
    }
    const st = s.stats();
    assert.equal(st.trackedMacs, 256);
    assert.equal(st.evictedMacs, 5000 - 256);
    assert.equal(st.unknownMac, 5000);
    assert.equal(st.rateLimited, 0);
    assert.ok(s.handle(discover(H2.mac), FROM), 'a known host is answered after the flood');
  });

  it('configurable, and off with null', () => {
    const clock = new ManualClock();
    const strict = server(clock, { perMacLimit: { burst: 1, refillMs: 10_000 } });
    assert.equal([0, 1, 2].map(() => strict.handle(discover(H1.mac), FROM)).filter(Boolean).length, 1);
    const off = server(clock, { perMacLimit: null });
    assert.equal(Array.from({ length: 100 }, () => off.handle(discover(H1.mac), FROM)).filter(Boolean).length, 100);
    assert.equal(off.stats().trackedMacs, 0);
  });
});
