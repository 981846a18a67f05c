/**
 * One client floods the boot services while another boots, inside two network namespaces this
 * test creates (198.18.x.0/24, no route out):
 *
 *   server ns  veth-srv 198.18.x.1: startBootServices (DHCP 67, TFTP 69, HTTP 8080), a child process
 *   client ns  veth-cli 198.18.x.50 (the booting host; primary address, so its tools use it)
 *                       198.18.x.3  (the flooder: thousands of TFTP RRQs that it never ACKs, and
 *                                    DHCP DISCOVERs with one known MAC and with random MACs)
 *
 * The booting host gets its lease (busybox udhcpc, as a PXE ROM) and its whole boot file (tftp-hpa)
 * without a single refusal, while the flooder is held to its per-source share of TFTP transfers and
 * its MAC to the DHCP rate. Every count is bounded; namespaces and processes go in after().
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { DEBIAN_IPXE } from '../../../src/drivers/pxe/index.js';
import { createNetnsPair, must, requirePeers, type NetnsPair } from '../../lab/netns/netns.js';
import { startRemoteBootServices, type RemoteBootServices } from '../../lab/netns/remote-boot-services.js';
import { tempDir, waitFor } from '../../unit/pxe/support.js';
import type { FloodCounts, FloodSpec } from './fixtures/flood-child.js';

const BOOTER = { name: 'node-1', mac: '52:54:00:f1:00:01' };
const ROGUE = { name: 'rogue', mac: '52:54:00:f1:00:66' };
const PER_SOURCE = 8;
const MAX_TRACKED_MACS = 256;
/** The flood's bound: at most this many rounds of PER_ROUND RRQs and DISCOVERs, ROUND_MS apart. */
const PER_ROUND = 50;
const ROUND_MS = 50;
const MAX_ROUNDS = 400;

describe('boot services under a flood from one client, while another client boots', () => {
  const dir = tempDir('flood');
  const leaseEnv = join(dir.path, 'lease.env');
  const script = join(dir.path, 'udhcpc.sh');
  let ns: NetnsPair | undefined;
  let boot: RemoteBootServices | undefined;
  let flooder: ChildProcess | undefined;
  const floodLines: Array<FloodCounts & { event: string }> = [];
  let booterIp = '';
  let rogueIp = '';
  let flooderIp = '';

  before(async () => {
    await requirePeers([
      { cmd: 'ip', args: ['-V'], pkg: 'iproute2' },
      { cmd: 'busybox', args: ['udhcpc', '--help'], pkg: 'busybox' },
      { cmd: 'tftp', args: ['-V'], pkg: 'tftp-hpa' },
    ]);
    ns = await createNetnsPair();
    const prefix = ns.serverIp.replace(/\.1$/, '');
    booterIp = `${prefix}.50`;
    rogueIp = `${prefix}.51`;
    flooderIp = `${prefix}.3`;
    // The booter's address first: the primary one, which tftp-hpa sends from; the flooder's second.
    await ns.setClientMac(BOOTER.mac);
    await must('ip', ['-n', ns.clientNs, 'addr', 'add', `${booterIp}/24`, 'dev', ns.clientIf]);
    await must('ip', ['-n', ns.clientNs, 'addr', 'add', `${flooderIp}/24`, 'dev', ns.clientIf]);
    writeFileSync(script, `#!/bin/sh\n[ "$1" = bound ] && env | sort > '${leaseEnv}'\nexit 0\n`);
    chmodSync(script, 0o755);
    boot = await startRemoteBootServices(ns, {
      address: ns.serverIp,
      dhcpPort: 67,
      tftpPort: 69,
      httpPort: 8080,
      filesRoot: dir.path,
      hosts: [
        { name: BOOTER.name, macs: [BOOTER.mac], ip: booterIp },
        { name: ROGUE.name, macs: [ROGUE.mac], ip: rogueIp },
      ],
      // Default maxTransfers (256) and per-source cap (8); one worker thread on a small machine.
      tftp: { workers: 1 },
      dhcp: { maxTrackedMacs: MAX_TRACKED_MACS },
    });
  });

  after(async () => {
    flooder?.stdin?.end();
    await boot?.stop();
    await ns?.destroy(); // kills the flooder if it is still running
    dir.remove();
  });

  it('the booting client gets its lease and its whole boot file without a refusal', async () => {
    const spec: FloodSpec = {
      bind: flooderIp, server: ns!.serverIp, tftpPort: 69, dhcpPort: 67, sameMac: ROGUE.mac, file: DEBIAN_IPXE.bios.name,
      perRound: PER_ROUND, roundMs: ROUND_MS, maxRounds: MAX_ROUNDS, sockets: 16,
    };
    flooder = ns!.spawn(ns!.clientNs, process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/flood-child.ts'), JSON.stringify(spec)]);
    let stderr = '';
    flooder.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    createInterface({ input: flooder.stdout! }).on('line', (l) => {
      try {
        floodLines.push(JSON.parse(l) as FloodCounts & { event: string });
      } catch {
        /* not ours */
      }
    });
    const latest = () => floodLines.at(-1);
    // Thousands of hostile requests in before the booter starts, and the flood goes on while it boots.
    assert.ok(await waitFor(() => (latest()?.rrqs ?? 0) >= 2000 || latest()?.event === 'done', 60_000), `flooder: ${stderr}`);
    assert.equal(latest()?.event, 'progress', 'still flooding when the booter starts');

    // The booter: DHCP as a BIOS PXE ROM, then TFTP of its boot file.
    rmSync(leaseEnv, { force: true });
    const dhcp = await ns!.exec(ns!.clientNs, 'busybox', [
      'udhcpc', '-i', ns!.clientIf, '-n', '-q', '-f', '-s', script, '-t', '5', '-T', '2',
      '-V', 'PXEClient:Arch:00000:UNDI:002001', '-x', '0x5d:0000',
    ], 30_000);
    assert.equal(dhcp.code, 0, dhcp.stdout + dhcp.stderr);
    const lease = existsSync(leaseEnv) ? readFileSync(leaseEnv, 'utf8') : '';
    assert.match(lease, new RegExp(`^ip=${booterIp.replace(/\./g, '\\.')}$`, 'm'), lease);
    assert.match(lease, /^bootfile=undionly\.kpxe$/m, lease);

    const dest = join(dir.path, 'got-undionly.kpxe');
    const tftp = await ns!.exec(ns!.clientNs, 'tftp', ['-4', '-v', '-m', 'binary', ns!.serverIp, '-c', 'get', DEBIAN_IPXE.bios.name, dest], 60_000);
    assert.equal(tftp.code, 0, tftp.stdout + tftp.stderr);
    assert.doesNotMatch(tftp.stdout + tftp.stderr, /Error code|busy|too many/i);
    assert.ok(readFileSync(dest).equals(readFileSync(DEBIAN_IPXE.bios.path)), 'the whole file, byte for byte');
    assert.equal(latest()?.event, 'progress', 'the flood lasted the whole boot');

    flooder.stdin!.write('stop\n');
    assert.ok(await waitFor(() => latest()?.event === 'done', 10_000), `flooder did not stop: ${stderr}`);
    const f = latest()!;
    const st = (await boot!.stats()) as {
      tftp: { refused: Record<string, number>; completed: number };
      dhcp: { rateLimited: number; trackedMacs: number; evictedMacs: number; acks: number };
    };

    // TFTP: the flooder was held to its share, refused with a clear message, and nobody got "busy".
    const perSourceText = `too many transfers from ${flooderIp} (limit ${PER_SOURCE}), retry later`;
    assert.ok((st.tftp.refused['per-source-limit'] ?? 0) >= 1000, JSON.stringify(st.tftp));
    assert.equal(st.tftp.refused['busy'], undefined, JSON.stringify(st.tftp));
    assert.ok((f.tftpErrors[perSourceText] ?? 0) >= 1000, JSON.stringify(f.tftpErrors));
    assert.deepEqual(Object.keys(f.tftpErrors), [perSourceText]);
    // Its transfers time out after about 6 s (5 retries of 1 s) and free their slots: at most
    // PER_SOURCE at a time over the flood's bounded lifetime (MAX_ROUNDS x ROUND_MS = 20 s).
    assert.ok(f.tftpAccepted <= PER_SOURCE * 5, `flooder got ${f.tftpAccepted} transfers`);
    assert.ok(st.tftp.completed >= 1);

    // DHCP: the rogue MAC got a handful of offers for its thousands of DISCOVERs; random MACs
    // never grew the state past its bound; the booter was answered.
    assert.ok(f.sameMacDiscovers >= 1000, JSON.stringify(f));
    assert.ok(f.offersSameMac >= 1 && f.offersSameMac <= 4 + (MAX_ROUNDS * ROUND_MS) / 2000 + 1, `rogue MAC got ${f.offersSameMac} offers`);
    assert.equal(f.offersOther, 0, 'unknown MACs get nothing');
    assert.ok(st.dhcp.rateLimited >= 1000, JSON.stringify(st.dhcp));
    assert.ok(st.dhcp.trackedMacs <= MAX_TRACKED_MACS, JSON.stringify(st.dhcp));
    assert.ok(st.dhcp.evictedMacs > 0, JSON.stringify(st.dhcp));
    assert.ok(st.dhcp.acks >= 1);
  });
});
