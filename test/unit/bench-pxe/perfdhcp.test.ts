/** The perfdhcp side of the PXE benchmark: MAC sequence, command line, report parser. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ipAdd, parsePerfdhcp, perfdhcpArgs, perfdhcpMac, perfdhcpMacs, PXE_BIOS_OPTIONS } from '../../../bench/pxe/perfdhcp.js';

/** perfdhcp 2.2.0 against dnsmasq, 250 exchanges/s for 4 s (trimmed banner). */
const REPORT = `Running: perfdhcp -4 -r 250 -p 4 -R 4096 -b mac=02:00:00:00:00:00 -l veth-cli 198.19.0.1
Scenario: basic.
Multi-thread mode enabled.
***Rate statistics***
Rate: 203.988 4-way exchanges/second, expected rate: 250

***Malformed Packets***
Malformed packets: 0
***Statistics for: DISCOVER-OFFER***
sent packets: 999
received packets: 987
drops: 12
drops ratio: 1.2012 %
orphans: 0
rejected leases: 0
non unique addresses: 0

min delay: 0.126 ms
avg delay: 2.383 ms
max delay: 48.228 ms
std deviation: 7.992 ms
collected packets: 0

***Statistics for: REQUEST-ACK***
sent packets: 987
received packets: 949
drops: 38
drops ratio: 3.850 %
orphans: 0
rejected leases: 0
non unique addresses: 0

min delay: 0.086 ms
avg delay: 0.909 ms
max delay: 43.675 ms
std deviation: 4.729 ms
collected packets: 0
`;

/** The same perfdhcp with no server answering: "inf", "n/a", "-nan" and a garbled line. */
const SILENT = `***Rate statistics***
Rate: 0 4-way exchanges/second, expected rate: 10

***Malformed Packets***
Malformed packets: 0
***Statistics for: DISCOVER-OFFER***
sent packets: 9
received packets: 0
drops: 9
drops ratio: 100 %
orphans: 0
rejected leases: 0
non unique addresses: 0

min delay: inf ms
avg delay: min delay: n/a
avg delay: n/a
max delay: n/a
std deviation: n/a
collected packets: 0

***Statistics for: REQUEST-ACK***
sent packets: 0
received packets: 0
drops: 0
drops ratio: -nan %
orphans: 0
rejected leases: 0
non unique addresses: 0

min delay: inf ms
avg delay: min delay: n/a
avg delay: n/a
max delay: n/a
std deviation: n/a
collected packets: 0
`;

describe('perfdhcp MAC sequence (kea generateMacAddress: octet-wise, no carry)', () => {
  it('adds the draw to the last octet, then the next bytes to the octets before', () => {
    const base = '02:00:00:00:00:00';
    assert.equal(perfdhcpMac(base, 0), '02:00:00:00:00:00');
    assert.equal(perfdhcpMac(base, 1), '02:00:00:00:00:01');
    assert.equal(perfdhcpMac(base, 255), '02:00:00:00:00:ff');
    assert.equal(perfdhcpMac(base, 256), '02:00:00:00:01:00');
    assert.equal(perfdhcpMac(base, 0x12345), '02:00:00:01:23:45');
  });

  it('wraps each octet on its own (no carry into the next one)', () => {
    assert.equal(perfdhcpMac('02:00:00:00:00:ff', 1), '02:00:00:00:00:00');
    assert.equal(perfdhcpMac('02:00:00:00:10:f0', 0x0120), '02:00:00:00:11:10');
  });

  it('lists every client of -R n, distinct, in draw order', () => {
    const macs = perfdhcpMacs('02:00:00:00:00:00', 4096);
    assert.equal(macs.length, 4096);
    assert.equal(new Set(macs).size, 4096);
    assert.equal(macs[4095], '02:00:00:00:0f:ff');
    assert.deepEqual(perfdhcpMacs('02:AB:00:00:00:07', 1), ['02:ab:00:00:00:07']);
    assert.throws(() => perfdhcpMacs('02:00:00:00:00:00', 0));
    assert.throws(() => perfdhcpMac('02:00:00:00:00', 1));
  });

  it('addresses the pool by offset', () => {
    assert.equal(ipAdd('198.19.16.1', 0), '198.19.16.1');
    assert.equal(ipAdd('198.19.16.1', 255), '198.19.17.0');
    assert.equal(ipAdd('198.19.16.1', 4095), '198.19.32.0');
    assert.throws(() => ipAdd('255.255.255.255', 1));
    assert.throws(() => ipAdd('198.19.300.1', 0));
  });
});

describe('perfdhcp command line', () => {
  it('full DORA at a rate, from a base MAC over n clients, with PXE options', () => {
    const args = perfdhcpArgs({ rate: 2000, seconds: 5, clients: 256, baseMac: '02:00:00:00:00:00', iface: 'br0', server: '198.19.0.1', options: PXE_BIOS_OPTIONS });
    assert.deepEqual(args.slice(0, 10), ['-4', '-r', '2000', '-p', '5', '-R', '256', '-b', 'mac=02:00:00:00:00:00', '-l']);
    assert.ok(!args.includes('-i'), 'no -i: the exchanges are 4-way');
    assert.deepEqual(args.slice(-5), ['-o', '60,505845436c69656e743a417263683a30303030303a554e44493a303032303031', '-o', '93,0000', '198.19.0.1']);
  });
});

describe('perfdhcp report parser', () => {
  it('reads the rate and both exchanges with their delays', () => {
    const r = parsePerfdhcp(REPORT);
    assert.equal(r.rate, 203.988);
    assert.equal(r.expectedRate, 250);
    assert.equal(r.malformed, 0);
    assert.deepEqual(r.do, {
      sent: 999, received: 987, drops: 12, dropsRatio: 1.2012, orphans: 0, rejectedLeases: 0, nonUniqueAddresses: 0,
      minDelayMs: 0.126, avgDelayMs: 2.383, maxDelayMs: 48.228, sdDelayMs: 7.992,
    });
    assert.equal(r.ra?.sent, 987);
    assert.equal(r.ra?.received, 949);
    assert.equal(r.ra?.avgDelayMs, 0.909);
    assert.equal(r.ra?.maxDelayMs, 43.675);
  });

  it('leaves delays undefined when nothing came back, and never reads NaN', () => {
    const r = parsePerfdhcp(SILENT);
    assert.equal(r.rate, 0);
    assert.equal(r.do?.received, 0);
    assert.equal(r.do?.dropsRatio, 100);
    assert.equal(r.do?.minDelayMs, undefined);
    assert.equal(r.do?.avgDelayMs, undefined);
    assert.equal(r.ra?.sent, 0);
    assert.equal(r.ra?.dropsRatio, 0);
    for (const ex of [r.do!, r.ra!]) for (const v of Object.values(ex)) assert.ok(Number.isFinite(v), JSON.stringify(ex));
  });

  it('returns nothing for output that is not a report', () => {
    assert.deepEqual(parsePerfdhcp('perfdhcp: bad argument\n'), {});
    assert.deepEqual(parsePerfdhcp(''), {});
  });
});
