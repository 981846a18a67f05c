/**
 * A TFTP transfer worker thread: runs the data/ACK loops of the transfers the server hands it,
 * each on its own socket (its TID), so the transfers of one server use every core while the
 * server's own thread keeps port 69. Loaded through tftp-worker-boot.mjs (see there why).
 *
 * Messages: in WorkerJob ('start') and { type: 'stop' }; out WorkerEvent ('ready', 'end').
 * Counters travel as deltas on 'end', so the server's stats add up without
 * a message per datagram. Files are read through descriptors the server opened (after its jail
 * checks) and closes once the transfer ended: descriptors belong to the process, not a thread.
 */
import { parentPort } from 'node:worker_threads';
import { bytesSource, fdSource, Transfer, type TransferClock, type TransferSpec } from './tftp-transfer.js';
import { bindUdp } from './udp.js';

export interface WorkerJob {
  type: 'start';
  id: number;
  /** Local address for the transfer socket (the server's address). */
  address: string;
  spec: TransferSpec;
  /** Octet mode: an open descriptor; netascii: the converted bytes. */
  fd?: number;
  data?: Uint8Array;
}

export interface WorkerCounters {
  retransmits: number;
  dropped: Record<string, number>;
}

export type WorkerEvent =
  | { type: 'ready' }
  /** `bindFailed`: no transfer socket, nothing was sent to the client. */
  | { type: 'end'; id: number; bytes: number; error?: string; bindFailed?: boolean; counters: WorkerCounters };

const clock: TransferClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

const port = parentPort;
if (!port) throw new Error('tftp-worker.ts runs as a worker thread only');

const transfers = new Map<number, Transfer>();
let stopping = false;
let pending: WorkerCounters = { retransmits: 0, dropped: {} };

/** Counters since the last message, handed over with it. */
function take(): WorkerCounters {
  const c = pending;
  pending = { retransmits: 0, dropped: {} };
  return c;
}

const post = (e: WorkerEvent) => port.postMessage(e);

async function start(job: WorkerJob): Promise<void> {
  if (stopping) {
    post({ type: 'end', id: job.id, bytes: 0, error: 'server stopping', bindFailed: true, counters: take() });
    return;
  }
  let sock;
  try {
    sock = await bindUdp(job.address, 0);
  } catch (e) {
    post({ type: 'end', id: job.id, bytes: 0, error: `bind failed: ${String(e)}`, bindFailed: true, counters: take() });
    return;
  }
  const source = job.data !== undefined ? bytesSource(job.data) : fdSource(job.fd!, job.spec.blksize);
  const t = new Transfer(sock, source, job.spec, clock, {
    drop: (reason) => {
      pending.dropped[reason] = (pending.dropped[reason] ?? 0) + 1;
    },
    retransmit: () => {
      pending.retransmits++;
    },
    end: ({ bytes, error }) => {
      transfers.delete(job.id);
      post({ type: 'end', id: job.id, bytes, error, counters: take() });
    },
  });
  transfers.set(job.id, t);
  t.begin();
}

port.on('message', (m: WorkerJob | { type: 'stop' }) => {
  if (m.type === 'start') void start(m);
  else if (m.type === 'stop') {
    stopping = true;
    for (const t of transfers.values()) void t.finish('server stopping');
  }
});

post({ type: 'ready' });
