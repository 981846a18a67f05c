/**
 * The fair DHCP comparison (issue 10): 3RC's server can run on the kernel's default receive queue
 * (recvBufferBytes: null), and the bench reads each server's queue and full-queue drops from the
 * kernel (`ss -m`, /proc/net/snmp).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseSkmemRb, parseUdpRcvbufErrors } from '../../../bench/pxe/servers.js';
import { DhcpServer } from '../../../src/drivers/pxe/dhcp-server.js';
import { recordingLogger, wallClock } from '../pxe/support.js';

async function queueOf(recvBufferBytes: number | null | undefined): Promise<number> {
  const s = new DhcpServer({
    address: '127.0.0.1', bindAddress: '127.0.0.1', port: 0, netmask: '255.0.0.0', httpBase: 'http://127.0.0.1:8080',
    hosts: [], recvBufferBytes, log: recordingLogger(), clock: wallClock,
  });
  await s.start();
  try {
    return s['listenSock']!.getRecvBufferSize();
  } finally {
    await s.stop();
  }
}

describe('DHCP receive queue settings of the PXE bench', () => {
  it("null leaves the kernel's default queue; unset asks for 4 MiB (capped by rmem_max, doubled by Linux)", async () => {
    const rmemDefault = Number(readFileSync('/proc/sys/net/core/rmem_default', 'utf8'));
    const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
    assert.equal(await queueOf(null), rmemDefault);
    assert.equal(await queueOf(undefined), 2 * Math.min(4 << 20, rmemMax));
  });

  it('reads the receive queue from ss -m and RcvbufErrors from /proc/net/snmp', () => {
    const ss = 'UNCONN 0 0 0.0.0.0:67 0.0.0.0:*\n\t skmem:(r0,rb212992,t0,tb212992,f0,w0,o0,bl0,d0)\nUNCONN 0 0 198.19.0.1:67 0.0.0.0:*\n\t skmem:(r0,rb8388608,t0,tb212992,f0,w0,o0,bl0,d12)\n';
    assert.equal(parseSkmemRb(ss), 8388608);
    assert.equal(parseSkmemRb(''), undefined);
    const snmp = [
      'Ip: Forwarding DefaultTTL', 'Ip: 2 64',
      'Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors',
      'Udp: 1000 3 41 990 41 0 0 0 0',
      'UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors',
      'UdpLite: 0 0 0 0 0 0 0 0 0',
    ].join('\n');
    assert.equal(parseUdpRcvbufErrors(snmp), 41);
    assert.equal(parseUdpRcvbufErrors('Ip: a\nIp: 1\n'), undefined);
  });
});
