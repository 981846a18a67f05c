/**
 * The TFTP per-source bound: one address that floods RRQs holds at most `maxPerSource` slots and
 * is told so with an ERROR packet (counted by reason), another address is served in full, and
 * the flooder's slots come back when its transfers time out on virtual time (workers: 0, so the
 * injected clock drives the retransmissions).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeAck, encodeRequest, OP } from '../../../src/drivers/pxe/tftp-codec.js';
import { TftpServer } from '../../../src/drivers/pxe/tftp-server.js';
import { ManualClock, recordingLogger, tempDir, udpPeer, waitFor } from './support.js';

const FLOODER = '127.0.0.2';
const GOOD = '127.0.0.3';

describe('TFTP transfers per source address', () => {
  const dir = tempDir('tftp-per-source');
  const data = randomBytes(512 * 7 + 100);
  const clock = new ManualClock();
  let server: TftpServer;
  let port = 0;

  before(async () => {
    writeFileSync(join(dir.path, 'undionly.kpxe'), data);
    server = new TftpServer({
      address: '127.0.0.1', port: 0, root: dir.path, workers: 0, maxTransfers: 5, maxPerSource: 3,
      timeoutMs: 1000, maxRetries: 2, log: recordingLogger(), clock,
    });
    port = await server.start();
  });
  after(async () => {
    await server.stop();
    dir.remove();
  });

  it('caps one address, refuses the rest with a clear ERROR, serves another address whole', async () => {
    const flood = await udpPeer(FLOODER);
    try {
      // Ten different requests from one address (distinct options: not the duplicate-RRQ case).
      for (let i = 0; i < 10; i++) {
        flood.sock.send(encodeRequest(OP.RRQ, 'undionly.kpxe', 'octet', { blksize: String(600 + i) }), port, '127.0.0.1');
      }
      const got: Array<{ op: number; text: string; tid: number }> = [];
      while (got.length < 10) {
        const m = await flood.next(5000);
        if (!m) break;
        got.push({ op: m.msg.readUInt16BE(0), text: m.msg.toString('latin1', 4, m.msg.length - 1), tid: m.rinfo.port });
      }
      const errors = got.filter((g) => g.op === OP.ERROR);
      const oacks = got.filter((g) => g.op === OP.OACK);
      assert.equal(oacks.length, 3, JSON.stringify(got));
      assert.equal(new Set(oacks.map((o) => o.tid)).size, 3, 'each accepted transfer has its own TID');
      assert.equal(errors.length, 7, JSON.stringify(got));
      for (const e of errors) assert.equal(e.text, `too many transfers from ${FLOODER} (limit 3), retry later`);
      assert.equal(server.heldBySource(FLOODER), 3);
      assert.deepEqual(server.stats().refused, { 'per-source-limit': 7 });

      // Another address gets the whole file while the flooder holds its three slots.
      assert.deepEqual(await fetchWhole(port, GOOD), data);
      assert.ok(await waitFor(() => server.stats().completed === 1, 3000), 'the last ACK ends the transfer');
      assert.deepEqual(server.stats().refused, { 'per-source-limit': 7 }, 'the good client was never refused');

      // The flooder never ACKs: on virtual time its transfers retry, then time out, slots freed.
      for (let i = 0; i < 6 && server.heldBySource(FLOODER) > 0; i++) {
        clock.advance(1000);
        await waitFor(() => false, 20); // let the retransmissions and closes run
      }
      assert.ok(await waitFor(() => server.heldBySource(FLOODER) === 0, 3000), `held ${server.heldBySource(FLOODER)}`);
      const st = server.stats();
      assert.equal(st.failed, 3);
      assert.equal(st.active, 0);
      assert.ok(st.retransmits >= 3 * 2, JSON.stringify(st));

      // Slots back: the same address is served again.
      flood.sock.send(encodeRequest(OP.RRQ, 'undionly.kpxe', 'octet'), port, '127.0.0.1');
      let m = await flood.next(5000);
      while (m && m.msg.readUInt16BE(0) !== OP.DATA) m = await flood.next(5000);
      assert.equal(m?.msg.readUInt16BE(2), 1, 'first DATA block after the slots came back');
    } finally {
      await flood.close();
    }
  });
});

/** Lock-step RRQ from `address`, ACK every block; the bytes received. */
async function fetchWhole(port: number, address: string): Promise<Buffer> {
  const peer = await udpPeer(address);
  try {
    peer.sock.send(encodeRequest(OP.RRQ, 'undionly.kpxe', 'octet'), port, '127.0.0.1');
    const parts: Buffer[] = [];
    for (let block = 1; block < 100; block++) {
      const m = await peer.next(5000);
      assert.ok(m, `no block ${block}`);
      assert.equal(m.msg.readUInt16BE(0), OP.DATA, m.msg.toString('latin1', 4));
      parts.push(m.msg.subarray(4));
      await new Promise((res) => peer.sock.send(encodeAck(block), m.rinfo.port, '127.0.0.1', res));
      if (m.msg.length - 4 < 512) break;
    }
    return Buffer.concat(parts);
  } finally {
    await peer.close();
  }
}
