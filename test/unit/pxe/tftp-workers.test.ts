/**
 * TFTP transfers in worker threads (tftp-workers.ts): what a worker sends is byte for byte the
 * file, in both modes and around the read-ahead boundary; `workers: 0` serves the same bytes on
 * the server's own thread; a worker that dies fails its own transfers only (counted, reported,
 * descriptors closed), the other transfers finish and the pool replaces the worker; stop() tells
 * the clients of running transfers.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeAck, encodeRequest, OP } from '../../../src/drivers/pxe/tftp-codec.js';
import { TftpServer, type TransferEvent } from '../../../src/drivers/pxe/tftp-server.js';
import { READ_AHEAD_BYTES } from '../../../src/drivers/pxe/tftp-transfer.js';
import { recordingLogger, tempDir, udpPeer, waitFor, wallClock } from './support.js';

type Peer = Awaited<ReturnType<typeof udpPeer>>;

/** Lock-step client: RRQ, optional OACK, ACK every block; returns the bytes received. */
async function fetch(port: number, name: string, opts: { blksize?: number; mode?: string } = {}): Promise<Buffer> {
  const peer = await udpPeer();
  try {
    peer.sock.send(encodeRequest(OP.RRQ, name, opts.mode ?? 'octet', opts.blksize ? { blksize: String(opts.blksize) } : {}), port, '127.0.0.1');
    const size = opts.blksize ?? 512;
    const parts: Buffer[] = [];
    let m = await peer.next(3000);
    if (m && m.msg.readUInt16BE(0) === OP.OACK) {
      peer.sock.send(encodeAck(0), m.rinfo.port, '127.0.0.1');
      m = await peer.next(3000);
    }
    for (let block = 1; m; block++) {
      assert.equal(m.msg.readUInt16BE(0), OP.DATA, `${name}: ${m.msg.toString('latin1', 4)}`);
      assert.equal(m.msg.readUInt16BE(2), block & 0xffff);
      parts.push(m.msg.subarray(4));
      const to = m.rinfo.port;
      await new Promise((res) => peer.sock.send(encodeAck(block), to, '127.0.0.1', res));
      if (m.msg.length - 4 < size) break;
      m = await peer.next(3000);
    }
    return Buffer.concat(parts);
  } finally {
    await peer.close();
  }
}

/** Descriptors of this process open on `path` (the server's files, the workers' included). */
function openOn(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
    } catch {
      /* closed meanwhile */
    }
  }
  return n;
}

describe('TFTP transfer workers', () => {
  const dir = tempDir('tftp-workers');
  const sizes = [0, 511, 512, 1432 * 3, READ_AHEAD_BYTES - 1, READ_AHEAD_BYTES, READ_AHEAD_BYTES + 1, 3 * READ_AHEAD_BYTES + 700];
  const files = new Map(sizes.map((n) => [`f${n}.bin`, randomBytes(n)]));
  const text = 'one\ntwo\r\nthree\n'.repeat(100);

  before(() => {
    for (const [name, data] of files) writeFileSync(join(dir.path, name), data);
    writeFileSync(join(dir.path, 'text.txt'), text);
  });
  after(() => dir.remove());

  for (const workers of [2, 0]) {
    it(`serves every file byte for byte, concurrently (workers: ${workers})`, async () => {
      const server = new TftpServer({ address: '127.0.0.1', port: 0, root: dir.path, workers, timeoutMs: 1000, maxPerSource: 64, log: recordingLogger(), clock: wallClock });
      const port = await server.start();
      try {
        const jobs = [...files].flatMap(([name, data]) => [
          fetch(port, name).then((got) => assert.ok(got.equals(data), `${name} 512`)),
          fetch(port, name, { blksize: 1432 }).then((got) => assert.ok(got.equals(data), `${name} 1432`)),
        ]);
        jobs.push(fetch(port, 'text.txt', { mode: 'netascii' }).then((got) => assert.equal(got.toString('latin1'), text.replace(/\r/g, '\r\0').replace(/\n/g, '\r\n'))));
        await Promise.all(jobs);
        assert.ok(await waitFor(() => server.stats().active === 0, 3000));
        const st = server.stats();
        assert.equal(st.completed, jobs.length);
        assert.equal(st.failed, 0);
        assert.equal(st.workers, workers, 'transfers ran in the workers asked for');
        assert.ok(await waitFor(() => openOn(join(dir.path, 'f0.bin')) === 0, 2000), 'every file closed');
      } finally {
        await server.stop();
      }
    });
  }

  it('a worker that dies fails only its own transfer; the server goes on and replaces it', async () => {
    const server = new TftpServer({ address: '127.0.0.1', port: 0, root: dir.path, workers: 2, timeoutMs: 5000, log: recordingLogger(), clock: wallClock });
    const errors: TransferEvent[] = [];
    server.on('transfer-error', (e: TransferEvent) => errors.push(e));
    const port = await server.start();
    const name = `f${1432 * 3}.bin`;
    const path = join(dir.path, name);
    const peers: Peer[] = [];
    try {
      // Two transfers, one per worker (the pool picks the least busy); nobody ACKs yet.
      const a = await udpPeer();
      const b = await udpPeer();
      peers.push(a, b);
      a.sock.send(encodeRequest(OP.RRQ, name), port, '127.0.0.1');
      const a1 = await a.next(3000);
      b.sock.send(encodeRequest(OP.RRQ, name), port, '127.0.0.1');
      const b1 = await b.next(3000);
      assert.equal(a1?.msg.readUInt16BE(0), OP.DATA);
      assert.equal(b1?.msg.readUInt16BE(0), OP.DATA);
      assert.equal(openOn(path), 2);
      const pool = server['pool']!;
      const slots = [...pool['slots']];
      assert.deepEqual(slots.map((s) => s.jobs.size), [1, 1], 'one transfer in each worker');
      const victim = slots.find((s) => s.jobs.has(1))!; // the first job: a's transfer
      await victim.worker.terminate();

      assert.ok(await waitFor(() => server.stats().failed === 1, 3000), JSON.stringify(server.stats()));
      assert.equal(errors.length, 1);
      assert.equal(errors[0]!.client, `127.0.0.1:${a.port}`);
      assert.match(errors[0]!.error ?? '', /worker died/);
      assert.equal(server.stats().active, 1, "b's transfer still holds its slot");
      assert.ok(await waitFor(() => openOn(path) === 1, 2000), "a's descriptor closed, b's still open");

      // b's transfer is untouched: it goes on to the end, byte for byte.
      const parts = [b1!.msg.subarray(4)];
      let m: Awaited<ReturnType<Peer['next']>> = b1;
      for (let block = 1; m && m.msg.length - 4 === 512; block++) {
        b.sock.send(encodeAck(block), b1!.rinfo.port, '127.0.0.1');
        m = await b.next(3000);
        assert.equal(m?.msg.readUInt16BE(2), block + 1);
        parts.push(m!.msg.subarray(4));
      }
      await new Promise((res) => b.sock.send(encodeAck(parts.length), b1!.rinfo.port, '127.0.0.1', res));
      assert.ok(Buffer.concat(parts).equals(files.get(name)!));
      assert.ok(await waitFor(() => server.stats().completed === 1 && server.stats().active === 0, 3000), JSON.stringify(server.stats()));

      // The pool is whole again and new transfers are served.
      assert.ok(await waitFor(() => pool.live === 2, 10_000), 'the dead worker was replaced');
      assert.equal(server.stats().workerDeaths, 1);
      assert.ok((await fetch(port, name)).equals(files.get(name)!));
      assert.ok(await waitFor(() => openOn(path) === 0, 2000));
    } finally {
      await Promise.all(peers.map((p) => p.close()));
      await server.stop();
    }
  });

  it('stop() ends the transfers running in workers with an error to their clients', async () => {
    const server = new TftpServer({ address: '127.0.0.1', port: 0, root: dir.path, workers: 1, timeoutMs: 5000, log: recordingLogger(), clock: wallClock });
    const port = await server.start();
    const peer = await udpPeer();
    try {
      peer.sock.send(encodeRequest(OP.RRQ, `f${READ_AHEAD_BYTES}.bin`), port, '127.0.0.1');
      assert.equal((await peer.next(3000))?.msg.readUInt16BE(0), OP.DATA);
      await server.stop();
      const m = await peer.next(2000);
      assert.deepEqual([m?.msg.readUInt16BE(0), m?.msg.toString('latin1', 4).replace(/\0$/, '')], [OP.ERROR, 'server stopping']);
      assert.equal(server.stats().failed, 1);
      assert.equal(server.stats().active, 0);
    } finally {
      await peer.close();
      await server.stop();
    }
  });
});
