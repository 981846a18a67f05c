/**
 * TFTP server changes made for the PXE benchmark: a repeated RRQ (same bytes, same client
 * address and port) while that request is served does not start a second transfer, and the
 * read-ahead buffer delivers every block of files that end on, before and after its boundary.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeAck, encodeRequest, OP } from '../../../src/drivers/pxe/tftp-codec.js';
import { TftpServer } from '../../../src/drivers/pxe/tftp-server.js';
import { recordingLogger, tempDir, udpPeer, waitFor, wallClock } from '../pxe/support.js';

describe('TFTP duplicate RRQs and read-ahead', () => {
  const dir = tempDir('tftp-dup');
  const sizes = [0, 511, 512, 65_536, 65_536 + 1, 3 * 65_536 - 512, 200_000];
  const files = new Map(sizes.map((n) => [`f${n}.bin`, randomBytes(n)]));
  let server: TftpServer;
  let port = 0;

  before(async () => {
    for (const [name, data] of files) writeFileSync(join(dir.path, name), data);
    server = new TftpServer({ address: '127.0.0.1', port: 0, root: dir.path, maxTransfers: 4, timeoutMs: 300, maxRetries: 2, log: recordingLogger(), clock: wallClock });
    port = await server.start();
  });
  after(async () => {
    await server?.stop();
    dir.remove();
  });

  /** Lock-step client on one socket; returns the bytes received. */
  async function fetch(name: string, blksize?: number): Promise<Buffer> {
    const peer = await udpPeer();
    try {
      peer.sock.send(encodeRequest(OP.RRQ, name, 'octet', blksize ? { blksize: String(blksize) } : {}), port, '127.0.0.1');
      const size = blksize ?? 512;
      const parts: Buffer[] = [];
      let m = await peer.next(2000);
      if (m && m.msg.readUInt16BE(0) === OP.OACK) {
        peer.sock.send(encodeAck(0), m.rinfo.port, '127.0.0.1');
        m = await peer.next(2000);
      }
      for (let block = 1; m; block++) {
        assert.equal(m.msg.readUInt16BE(0), OP.DATA, `${name}: ${m.msg.toString("latin1", 4)}`);
        // A loaded machine can ACK after the server's 300 ms timeout: the retransmitted previous
        // block is ignored, as a real client does.
        while (m && m.msg.readUInt16BE(0) === OP.DATA && m.msg.readUInt16BE(2) === ((block - 1) & 0xffff)) m = await peer.next(2000);
        assert.ok(m, `${name}: block ${block} never came`);
        assert.equal(m.msg.readUInt16BE(2), block & 0xffff);
        const payload = m.msg.subarray(4);
        parts.push(payload);
        const to = m.rinfo.port;
        // Waited for: a socket closed right after send() drops the datagram, and the server would
        // keep the transfer (and its slot) until its retries run out.
        await new Promise((res) => peer.sock.send(encodeAck(block), to, '127.0.0.1', res));
        if (payload.length < size) break;
        m = await peer.next(2000);
      }
      return Buffer.concat(parts);
    } finally {
      await peer.close();
    }
  }

  it('serves files around the read-ahead boundary intact, with 512 and larger blocks', async () => {
    for (const [name, data] of files) {
      assert.ok((await fetch(name)).equals(data), `${name} 512`);
      assert.ok((await fetch(name, 1432)).equals(data), `${name} 1432`);
    }
  });

  it('ignores the same RRQ from the same port while it is served; another port gets its own transfer', async () => {
    assert.ok(await waitFor(() => server.stats().active === 0, 2000));
    const before = server.stats();
    const a = await udpPeer();
    const b = await udpPeer();
    try {
      const rrq = encodeRequest(OP.RRQ, 'f200000.bin', 'octet');
      a.sock.send(rrq, port, '127.0.0.1');
      a.sock.send(rrq, port, '127.0.0.1');
      a.sock.send(rrq, port, '127.0.0.1');
      b.sock.send(rrq, port, '127.0.0.1');
      const first = await a.next(2000);
      assert.equal(first?.msg.readUInt16BE(0), OP.DATA);
      assert.ok(await waitFor(() => server.stats().duplicates - before.duplicates === 2, 2000), JSON.stringify(server.stats()));
      assert.equal(server.stats().started - before.started, 2, 'one transfer per client port');
      // Nobody ACKs: block 1 comes back on the retransmission timer only, from the one transfer.
      const again = await a.next(1000);
      assert.equal(again?.msg.readUInt16BE(2), 1);
      assert.equal(again?.rinfo.port, first!.rinfo.port);
      assert.ok(await waitFor(() => server.stats().active === 0, 5000), 'both transfers time out');
      // Served and ended: the same request from the same port is a new transfer again.
      while (await a.next(100)); // what the timed-out transfer sent last (DATA, then ERROR)
      a.sock.send(rrq, port, '127.0.0.1');
      assert.equal((await a.next(2000))?.msg.readUInt16BE(0), OP.DATA);
      assert.equal(server.stats().started - before.started, 3);
      assert.equal(server.stats().duplicates - before.duplicates, 2);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
