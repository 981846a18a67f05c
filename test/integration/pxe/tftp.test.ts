/**
 * TFTP server against real clients on 127.0.0.1 (non-standard port, no namespace needed):
 * tftp-hpa (`-m binary`, traversal refused), busybox tftp (`-b`: blksize + tsize), and raw UDP
 * for the cases clients do not exercise (WRQ, busy, retransmission, unknown TID, timeout option).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeAck, encodeRequest, OP } from '../../../src/drivers/pxe/tftp-codec.js';
import { TftpServer, type TransferEvent } from '../../../src/drivers/pxe/tftp-server.js';
import { requirePeers, run } from '../../lab/netns/netns.js';
import { recordingLogger, tempDir, udpPeer, waitFor, wallClock } from '../../unit/pxe/support.js';

describe('TFTP server with real clients', () => {
  const dir = tempDir('tftp');
  const root = join(dir.path, 'root');
  const out = join(dir.path, 'out');
  const big = randomBytes(300 * 1024 + 17);
  const exact = randomBytes(512 * 4);
  let server: TftpServer;
  let port = 0;
  const done: TransferEvent[] = [];

  before(async () => {
    await requirePeers([
      { cmd: 'tftp', args: ['-V'], pkg: 'tftp-hpa' },
      { cmd: 'busybox', args: ['tftp', '--help'], pkg: 'busybox' },
    ]);
    mkdirSync(join(root, 'sub'), { recursive: true });
    mkdirSync(out);
    writeFileSync(join(root, 'big.bin'), big);
    writeFileSync(join(root, 'sub', 'exact.bin'), exact);
    writeFileSync(join(root, 'text.txt'), 'line1\nline2\n');
    writeFileSync(join(dir.path, 'secret'), 'secret');
    symlinkSync(join(dir.path, 'secret'), join(root, 'escape'));
    server = new TftpServer({
      address: '127.0.0.1',
      port: 0,
      root,
      files: { 'undionly.kpxe': '/usr/lib/ipxe/undionly.kpxe' },
      maxTransfers: 3,
      timeoutMs: 300,
      maxRetries: 2,
      log: recordingLogger(),
      clock: wallClock,
    });
    server.on('transfer-done', (e: TransferEvent) => done.push(e));
    port = await server.start();
  });
  after(async () => {
    await server?.stop();
    dir.remove();
  });

  it('tftp-hpa fetches a 300 KB file with -m binary', async () => {
    const dest = join(out, 'big.bin');
    const r = await run('tftp', ['-m', 'binary', '127.0.0.1', String(port), '-c', 'get', 'big.bin', dest], 20_000);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readFileSync(dest).equals(big));
    // The client exits right after its last ACK; the server records the end just after.
    assert.ok(await waitFor(() => done.some((e) => e.file === 'big.bin'), 2000));
    const ev = done.find((e) => e.file === 'big.bin');
    assert.ok(ev && ev.bytes === big.length && ev.blksize === 512 && ev.client.startsWith('127.0.0.1:'));
  });

  it('tftp-hpa fetches a trusted binary outside the root (undionly.kpxe)', async () => {
    const dest = join(out, 'undionly.kpxe');
    const r = await run('tftp', ['-m', 'binary', '127.0.0.1', String(port), '-c', 'get', 'undionly.kpxe', dest], 20_000);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readFileSync(dest).equals(readFileSync('/usr/lib/ipxe/undionly.kpxe')));
  });

  it('busybox tftp negotiates blksize (and tsize) and fetches a multiple-of-block file', async () => {
    for (const [name, want, size] of [['big.bin', big, '1432'], ['sub/exact.bin', exact, '512'], ['big.bin', big, '8192']] as const) {
      const dest = join(out, `bb-${size}-${name.replace('/', '_')}`);
      assert.ok(await waitFor(() => server.stats().active === 0, 2000));
      const before = server.stats().completed;
      const r = await run('busybox', ['tftp', '-g', '-b', size, '-r', name, '-l', dest, '127.0.0.1', String(port)], 20_000);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(readFileSync(dest).equals(want), `${name} blksize ${size}`);
      assert.ok(await waitFor(() => server.stats().completed === before + 1, 2000));
    }
    assert.ok(done.some((e) => e.blksize === 1432) && done.some((e) => e.blksize === 8192));
  });

  it('refuses traversal, absolute paths and escaping symlinks with an error packet', async () => {
    for (const name of ['../etc/passwd', '/etc/passwd', 'sub/../../secret', 'escape']) {
      const dest = join(out, 'refused');
      const r = await run('tftp', ['-m', 'binary', '127.0.0.1', String(port), '-c', 'get', name, dest], 10_000);
      assert.match(r.stdout + r.stderr, /Error code 2: access violation/, name);
      assert.ok(!existsSync(dest) || !readFileSync(dest, 'utf8').includes('secret'), name);
    }
    const st = server.stats();
    assert.ok((st.refused['traversal'] ?? 0) >= 2 && (st.refused['absolute'] ?? 0) >= 1 && (st.refused['outside-root'] ?? 0) >= 1, JSON.stringify(st.refused));
  });

  it('answers write requests, bad modes and missing files with error packets', async () => {
    const peer = await udpPeer();
    try {
      const cases: Array<[Buffer, number]> = [
        [encodeRequest(OP.WRQ, 'new.bin'), 2],
        [encodeRequest(OP.RRQ, 'big.bin', 'mail'), 4],
        [encodeRequest(OP.RRQ, 'missing.bin'), 1],
      ];
      for (const [pkt, code] of cases) {
        peer.sock.send(pkt, port, '127.0.0.1');
        const m = await peer.next(2000);
        assert.ok(m, 'an error packet');
        assert.deepEqual([m.msg.readUInt16BE(0), m.msg.readUInt16BE(2)], [OP.ERROR, code]);
      }
    } finally {
      await peer.close();
    }
  });

  it('netascii converts line ends; the timeout option is acknowledged', async () => {
    const peer = await udpPeer();
    try {
      peer.sock.send(encodeRequest(OP.RRQ, 'text.txt', 'netascii', { timeout: '2', tsize: '0' }), port, '127.0.0.1');
      const oack = await peer.next(2000);
      assert.equal(oack?.msg.readUInt16BE(0), OP.OACK);
      assert.equal(oack.msg.toString('latin1', 2), 'tsize\x0014\x00timeout\x002\x00');
      peer.sock.send(encodeAck(0), oack.rinfo.port, '127.0.0.1');
      const data = await peer.next(2000);
      assert.equal(data?.msg.toString('latin1', 4), 'line1\r\nline2\r\n');
      await new Promise((res) => peer.sock.send(encodeAck(1), oack.rinfo.port, '127.0.0.1', res));
      assert.ok(await waitFor(() => server.stats().active === 0, 2000), 'the final ACK ends the transfer');
    } finally {
      await peer.close();
    }
  });

  it('retransmits, bounds retries, checks the TID and bounds concurrent transfers', async () => {
    const peers = await Promise.all([udpPeer(), udpPeer(), udpPeer(), udpPeer()]);
    const stranger = await udpPeer();
    try {
      assert.ok(await waitFor(() => server.stats().active === 0, 2000), 'earlier transfers ended');
      const before = server.stats();
      for (const p of peers) p.sock.send(encodeRequest(OP.RRQ, 'big.bin'), port, '127.0.0.1');
      const firsts = await Promise.all(peers.map((p) => p.next(2000)));
      const data = firsts.filter((m) => m?.msg.readUInt16BE(0) === OP.DATA);
      const busy = firsts.filter((m) => m?.msg.readUInt16BE(0) === OP.ERROR);
      assert.equal(data.length, 3, 'three transfers run');
      assert.equal(busy.length, 1, 'the fourth gets "busy"');
      // A stranger writing to a transfer port gets error 5 and the transfer goes on.
      stranger.sock.send(encodeAck(1), data[0]!.rinfo.port, '127.0.0.1');
      const e5 = await stranger.next(2000);
      assert.deepEqual([e5?.msg.readUInt16BE(0), e5?.msg.readUInt16BE(2)], [OP.ERROR, 5]);
      // Nobody ACKs: each transfer resends block 1 maxRetries times, then gives up with an error.
      const p0 = peers[firsts.indexOf(data[0])]!;
      const seen: number[] = [];
      for (let i = 0; i < 4; i++) {
        const m = await p0.next(1500);
        if (m) seen.push(m.msg.readUInt16BE(0));
      }
      assert.deepEqual(seen, [OP.DATA, OP.DATA, OP.ERROR], JSON.stringify(seen));
      const deadline = Date.now() + 5000;
      while (server.stats().active > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const st = server.stats();
      assert.equal(st.active, 0);
      assert.equal(st.failed - before.failed, 3);
      assert.equal(st.retransmits - before.retransmits, 6);
      assert.equal((st.refused['busy'] ?? 0) - (before.refused['busy'] ?? 0), 1);
      assert.ok((st.dropped['unknown-tid'] ?? 0) >= 1);
    } finally {
      await Promise.all([...peers, stranger].map((p) => p.close()));
    }
  });
});
