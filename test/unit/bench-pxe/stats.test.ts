/** Statistics and small parsers of the PXE benchmark. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dnsmasqArgs } from '../../../bench/pxe/dhcp-bench.js';
import { parseProcStatCpu } from '../../../bench/pxe/servers.js';
import { median, nextRate, percentile, ratio, round, spread } from '../../../bench/pxe/stats.js';
import { tftpClientArgs } from '../../../bench/pxe/tftp-bench.js';

describe('median, percentile, ratio, spread', () => {
  it('median of odd and even counts, ignoring non-finite values', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([5, Number.NaN, 1, 3]), 3);
    assert.ok(Number.isNaN(median([])));
  });

  it('nearest-rank percentiles are measured values', () => {
    const xs = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    assert.equal(percentile(xs, 50), 50);
    assert.equal(percentile(xs, 95), 100);
    assert.equal(percentile([7], 95), 7);
    assert.ok(Number.isNaN(percentile([], 50)));
  });

  it('ratio is ours / reference, NaN without a reference', () => {
    assert.equal(ratio(150, 100), 1.5);
    assert.equal(ratio(1, 3, 3), 0.333);
    assert.ok(Number.isNaN(ratio(1, 0)));
    assert.equal(round(1.23456, 2), 1.23);
  });

  it('spread keeps every run and the median, min and max', () => {
    assert.deepEqual(spread([3, 1, 2]), { median: 2, min: 1, max: 3, runs: [3, 1, 2] });
  });
});

describe('DHCP rate search', () => {
  const o = { start: 1000, max: 32000, min: 125, refine: 2 };
  /** Runs the search against a server that passes every rate <= limit. */
  function search(limit: number): number[] {
    const steps: Array<{ rate: number; pass: boolean }> = [];
    for (let i = 0; i < 20; i++) {
      const r = nextRate(steps, o);
      if (r === undefined) break;
      steps.push({ rate: r, pass: r <= limit });
    }
    return steps.map((s) => s.rate);
  }

  it('doubles to the first failure, then bisects twice', () => {
    assert.deepEqual(search(5000), [1000, 2000, 4000, 8000, 6000, 5000]);
    assert.deepEqual(search(7000), [1000, 2000, 4000, 8000, 6000, 7000]);
  });

  it('halves when the first rate fails, then bisects', () => {
    assert.deepEqual(search(300), [1000, 500, 250, 375, 313]);
  });

  it('stops at the cap and at the floor', () => {
    assert.deepEqual(search(1e9), [1000, 2000, 4000, 8000, 16000, 32000]);
    assert.deepEqual(search(0), [1000, 500, 250, 125]);
  });
});

describe('peer command lines and /proc parsing', () => {
  it('dnsmasq: DHCP only, quiet, no ping; a dynamic range twice the client count or the static table', () => {
    const range = dnsmasqArgs('dnsmasq-range', { clients: 256, poolStart: '198.19.16.1', dir: '/tmp/x', iface: 'veth-srv' });
    assert.ok(range.includes('--port=0') && range.includes('--no-ping') && range.includes('--quiet-dhcp') && range.includes('--no-daemon'));
    // 512 addresses for 256 clients: a pool exactly the client count NAKed under load (issue 10).
    assert.ok(range.includes('--dhcp-range=198.19.16.1,198.19.18.0,255.255.0.0,1h'), range.join(' '));
    assert.ok(range.includes('--dhcp-lease-max=612'));
    const big = dnsmasqArgs('dnsmasq-range', { clients: 4096, poolStart: '198.19.16.1', dir: '/tmp/x', iface: 'veth-srv' });
    assert.ok(big.includes('--dhcp-range=198.19.16.1,198.19.48.0,255.255.0.0,1h'), big.join(' '));
    assert.ok(big.includes('--dhcp-lease-max=8292'));
    const stat = dnsmasqArgs('dnsmasq-static', { clients: 256, poolStart: '198.19.16.1', dir: '/tmp/x', iface: 'veth-srv' });
    assert.ok(stat.includes('--dhcp-range=198.19.16.1,static,255.255.0.0,1h'));
    assert.ok(stat.includes('--dhcp-hostsfile=/tmp/x/dnsmasq-hosts.txt'));
  });

  it('TFTP clients: tftp-hpa in binary mode, busybox with a blksize', () => {
    assert.deepEqual(tftpClientArgs('tftp-hpa', '198.19.0.1', 'f.bin', '/o/c1', 1432), ['tftp', ['-m', 'binary', '198.19.0.1', '69', '-c', 'get', 'f.bin', '/o/c1']]);
    assert.deepEqual(tftpClientArgs('busybox', '198.19.0.1', 'f.bin', '/o/c1', 1432), ['busybox', ['tftp', '-g', '-b', '1432', '-r', 'f.bin', '-l', '/o/c1', '198.19.0.1', '69']]);
  });

  it('reads utime + stime + cutime + cstime from /proc/<pid>/stat, even with spaces in the name', () => {
    const stat = '1234 (node (tsx) x) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 11 0 1000 0 0';
    assert.equal(parseProcStatCpu(stat), 3.1);
    assert.equal(parseProcStatCpu('garbage'), 0);
  });
});
