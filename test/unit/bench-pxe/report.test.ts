/** Summary and Markdown of the PXE benchmark from synthetic runs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DhcpServerKind, DhcpServerResult } from '../../../bench/pxe/dhcp-bench.js';
import { renderMarkdown, summarize, type BenchReport, type RunResult } from '../../../bench/pxe/report.js';
import type { StormResult } from '../../../bench/pxe/storm.js';
import type { TftpResult } from '../../../bench/pxe/tftp-bench.js';

function dhcp(server: DhcpServerKind, leasesPerSec: number, clients = 256): DhcpServerResult {
  return {
    server, clients, leasesPerSec, maxPassingRate: leasesPerSec, peakAcksPerSec: leasesPerSec,
    latency: { rate: 200, doAvgMs: 0.5, doMaxMs: 3, raAvgMs: 0.4, raMaxMs: 2, lossPct: 0 },
    steps: [
      { rate: 1000, pass: true, discoversSent: 5000, offers: 5000, acks: 5000, acksPerSec: 1000, lossPct: 0, tries: [0] },
      { rate: 2000, pass: true, discoversSent: 10000, offers: 10000, acks: 9990, acksPerSec: 1998, lossPct: 0.1, tries: [2.5, 0.1] },
    ],
    serverCpuSeconds: 1, serverStats: server.startsWith('ours') ? { unknownMac: 0 } : undefined, commands: [],
    recvQueueBytes: server === 'ours' ? 8388608 : 212992, rcvbufErrors: { server: server === 'ours-kernel-queue' ? 120 : 0, client: 0 },
  };
}

function tftp(server: 'ours' | 'tftpd-hpa', seconds: number, failed = 0): TftpResult {
  const bytes = 30 << 20;
  return {
    server, client: 'tftp-hpa (512-byte blocks)', clients: 50, fileBytes: bytes, seconds, mibPerSec: Math.round(((50 - failed) * 30 / seconds) * 10) / 10,
    ok: 50 - failed, failed, failures: [], clientSeconds: { p50: seconds / 2, p95: seconds, max: seconds }, commands: [],
  };
}

function storm(dropped = 0, failed = 0): StormResult {
  return {
    hosts: 200, completed: 200 - dropped - failed, droppedLeases: dropped, failedTransfers: failed, failures: [], seconds: 7,
    hostSeconds: { p50: 6, p95: 6.8, max: 7 }, dhcpRetransmits: 0,
    server: { dhcp: { acks: 400 }, tftp: { completed: 200, refused: {} }, http: { scripts: 200 }, hostsWithAllMilestones: 200 },
    tftpMaxTransfers: 256, serverCpuSeconds: 2,
  };
}

const runs: RunResult[] = [
  { run: 1, order: '3RC first', dhcp: [dhcp('ours', 4000), dhcp('ours-kernel-queue', 3000), dhcp('dnsmasq-range', 5000), dhcp('dnsmasq-static', 2000)], tftp: [tftp('ours', 100), tftp('tftpd-hpa', 50)], storm: storm() },
  { run: 2, order: 'reference first', dhcp: [dhcp('ours', 3000), dhcp('ours-kernel-queue', 3000), dhcp('dnsmasq-range', 6000), dhcp('dnsmasq-static', 1500)], tftp: [tftp('ours', 90), tftp('tftpd-hpa', 60)], storm: storm() },
  { run: 3, order: '3RC first', dhcp: [dhcp('ours', 5000), dhcp('ours-kernel-queue', 2500), dhcp('dnsmasq-range', 5000), dhcp('dnsmasq-static', 2500)], tftp: [tftp('ours', 80), tftp('tftpd-hpa', 40)], storm: storm(1, 0) },
];

describe('PXE benchmark summary', () => {
  it('takes medians of the numbers and of the per-run ratios', () => {
    const s = summarize(runs);
    const d = s.dhcp[0]!;
    assert.equal(d.clients, 256);
    assert.equal(d.leasesPerSec.ours.median, 4000);
    assert.equal(d.leasesPerSec['dnsmasq-range'].median, 5000);
    assert.deepEqual(d.ratioVsRange.runs, [0.8, 0.5, 1]);
    assert.equal(d.ratioVsRange.median, 0.8);
    assert.equal(d.ratioVsStatic.median, 2);
    assert.equal(d.goalMet, false, 'below the faster dnsmasq configuration');
    assert.deepEqual(d.kernelQueue.ratioVsRange.runs, [0.6, 0.5, 0.5]);
    assert.deepEqual(d.kernelQueue.ratioVsStatic.runs, [1.5, 2, 1]);
    assert.equal(d.kernelQueue.goalMet, false);
    assert.equal(d.recvQueueBytes.ours, 8388608);
    assert.equal(d.recvQueueBytes['dnsmasq-range'], 212992);
    assert.equal(s.tftp!.ratio.median, 0.5);
    assert.deepEqual(s.tftp!.ratio.runs, [0.5, 0.67, 0.5]);
    assert.equal(s.tftp!.goalMet, false);
    assert.equal(s.storm!.droppedLeases, 1);
    assert.equal(s.storm!.goalMet, false, 'one dropped lease in one run fails the storm');
    assert.equal(s.storm!.seconds.median, 7);
  });

  it('meets the goals when 3RC is at least as fast everywhere and the storm is clean', () => {
    const good = runs.map((r) => ({
      ...r,
      dhcp: r.dhcp.map((d) => (d.server === 'ours' ? { ...d, leasesPerSec: 7000 } : d)),
      tftp: r.tftp.map((t) => (t.server === 'ours' ? { ...t, mibPerSec: 100 } : t)),
      storm: storm(),
    }));
    const s = summarize(good);
    assert.equal(s.dhcp[0]!.goalMet, true);
    assert.equal(s.tftp!.goalMet, true);
    assert.equal(s.storm!.goalMet, true);
  });

  it('renders both ratios and the storm in the Markdown summary table', () => {
    const report: BenchReport = {
      schema: 'rrc-pxe-bench/1', date: '2026-11-22T00:00:00.000Z', command: 'npx tsx bench/pxe/pxe-bench.ts --runs 3',
      machine: { nproc: 2, cpuModel: 'test cpu', kernel: '6.1', node: 'v20.19.0', tools: { perfdhcp: '2.2.0' }, loadAvgStart: [1, 1, 1] },
      config: {}, runs, summary: summarize(runs), commands: ['perfdhcp -4 ...'], notes: ['a note'],
    };
    const md = renderMarkdown(report);
    assert.match(md, /^# PXE boot services benchmark/);
    assert.match(md, /\| DHCP leases\/s, 256 clients, 3RC 4 MiB queue \(shipped\) \| 4000 \(3000-5000\) \| dnsmasq --dhcp-range \(pool 2x clients\): 5000 \(5000-6000\) \| 0\.8 \(0\.5-1\) \| >= 1 \| \*\*no\*\* \|/);
    assert.match(md, /\| DHCP leases\/s, 256 clients, 3RC kernel's default queue \| 3000 \(2500-3000\) \| dnsmasq static hosts: 2000 \(1500-2500\) \| 1\.5 \(1-2\) \| >= 1 \| yes \|/);
    assert.match(md, /\| ours-kernel-queue \| the same server with recvBufferBytes: null[^|]*\| 212992 \|/, 'each server\'s settings and measured queue');
    assert.match(md, /256 clients: \*\*on the kernel's default queue 3RC is slower than dnsmasq\*\* \(ratios 0\.5 vs range, 1\.5 vs static\); full-queue drops at the server over all runs: 3RC 4 MiB 0, 3RC kernel queue 360/);
    assert.match(md, /\| TFTP 50 clients x 30 MiB, MiB\/s \|/);
    assert.match(md, /\| PXE storm: dropped leases \/ failed transfers \(all runs\) \| 1 \/ 0 \|/);
    assert.match(md, /2 CPUs \(test cpu\), kernel 6\.1, Node v20\.19\.0/);
    assert.match(md, /npx tsx bench\/pxe\/pxe-bench\.ts --runs 3/);
    assert.match(md, /- run 1, 256 clients, ours: 1000->1000 \(0 %\), 2000->1998 \(0\.1 %; tries 2\.5 \/ 0\.1 %\)/, 'a step run again shows every attempt');
  });
});
