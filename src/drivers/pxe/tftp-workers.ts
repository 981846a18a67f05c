/**
 * The pool of TFTP transfer worker threads (tftp-worker.ts) of one TftpServer.
 *
 * Why threads: most of a transfer's time is the send and receive system calls (the kernel
 * delivers each block to the client inside the send). On one Node thread every transfer's calls
 * ran on one core, while tftpd-hpa forks a process per transfer and uses every core. The server's
 * thread keeps port 69 (parsing, jail, options, the concurrency bound) and hands each accepted
 * transfer to the least busy worker, which owns the transfer's socket.
 *
 * A worker that dies (crash, out of memory, terminated) fails only its own transfers, each
 * reported once through its `end` handler as an error, and is replaced; the server goes on.
 * A worker that cannot even start (no tsx loader, no threads) is not retried: with no live
 * worker, `dispatch` returns false and the server runs transfers on its own thread.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../env/env.js';
import type { TransferSpec } from './tftp-transfer.js';
import type { WorkerCounters, WorkerEvent, WorkerJob } from './tftp-worker.js';

const BOOT = new URL('./tftp-worker-boot.mjs', import.meta.url);
/** Loading a worker compiles its TypeScript the first time: generous, but bounded. */
const READY_TIMEOUT_MS = 30_000;
const RESPAWN_DELAY_MS = 500;
const STOP_TIMEOUT_MS = 5_000;

/** Called once per job: the transfer ended, could not open its socket (`bindFailed`), or its worker died. */
export type JobEnd = (outcome: { bytes: number; error?: string; bindFailed?: boolean }) => void;

interface Slot {
  worker: Worker;
  ready: boolean;
  jobs: Map<number, JobEnd>;
}

export class TransferWorkers {
  private readonly slots = new Set<Slot>();
  private nextId = 1;
  private stopping = false;
  private died = 0;

  constructor(
    private readonly size: number,
    private readonly log: Logger,
    /** Retransmissions and drops counted in the workers, added to the server's stats. */
    private readonly onCounters: (c: WorkerCounters) => void,
  ) {}

  /** Starts the workers and waits until they are loaded; resolves with how many are. */
  async start(): Promise<number> {
    await Promise.all(Array.from({ length: this.size }, () => this.spawn()));
    return this.live;
  }

  get live(): number {
    let n = 0;
    for (const s of this.slots) if (s.ready) n++;
    return n;
  }

  /** Workers that died while serving (replaced since). */
  get deaths(): number {
    return this.died;
  }

  /** Hands a transfer to the least busy live worker; false when there is none. */
  dispatch(address: string, spec: TransferSpec, file: { fd?: number; data?: Uint8Array }, end: JobEnd): boolean {
    let best: Slot | undefined;
    for (const s of this.slots) if (s.ready && (!best || s.jobs.size < best.jobs.size)) best = s;
    if (!best || this.stopping) return false;
    const id = this.nextId++;
    best.jobs.set(id, end);
    const job: WorkerJob = { type: 'start', id, address, spec, fd: file.fd, data: file.data };
    best.worker.postMessage(job);
    return true;
  }

  /** Ends every transfer ('server stopping' to the clients), then the threads. Bounded. */
  async stop(): Promise<void> {
    this.stopping = true;
    const busy = [...this.slots].filter((s) => s.jobs.size > 0);
    for (const s of busy) s.worker.postMessage({ type: 'stop' });
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (busy.some((s) => s.jobs.size > 0 && this.slots.has(s)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all([...this.slots].map((s) => s.worker.terminate().catch(() => undefined)));
  }

  private spawn(): Promise<void> {
    return new Promise((resolve) => {
      let worker: Worker;
      try {
        // execArgv []: the boot file loads tsx itself; inherited tsx flags would load it twice.
        worker = new Worker(BOOT, { execArgv: [] });
      } catch (e) {
        this.log.warn({ err: String(e) }, 'tftp worker could not be created');
        return resolve();
      }
      worker.unref(); // the pool alone must not keep the process alive (the listen socket does while serving)
      const slot: Slot = { worker, ready: false, jobs: new Map() };
      this.slots.add(slot);
      const timer = setTimeout(() => {
        this.log.warn({}, 'tftp worker did not load in time');
        void worker.terminate();
      }, READY_TIMEOUT_MS);
      timer.unref();
      worker.on('message', (m: WorkerEvent) => {
        if (m.type === 'ready') {
          slot.ready = true;
          clearTimeout(timer);
          return resolve();
        }
        // An exception here would be the server thread's own: never let one escape.
        try {
          this.onCounters(m.counters);
          const end = slot.jobs.get(m.id);
          if (!end) return;
          slot.jobs.delete(m.id);
          end({ bytes: m.bytes, error: m.error, bindFailed: m.bindFailed });
        } catch (e) {
          this.log.error({ err: String(e) }, 'tftp worker event handler failed');
        }
      });
      let lastError = '';
      worker.on('error', (e) => {
        lastError = e instanceof Error ? e.message : String(e);
      });
      worker.on('exit', (code) => {
        clearTimeout(timer);
        this.slots.delete(slot);
        const wasReady = slot.ready;
        slot.ready = false;
        if (this.stopping && slot.jobs.size === 0) return resolve();
        this.log.error({ code, err: lastError, transfers: slot.jobs.size, loaded: wasReady }, 'tftp worker exited');
        const jobs = [...slot.jobs.values()];
        slot.jobs.clear();
        for (const end of jobs) {
          try {
            end({ bytes: 0, error: `transfer worker died${lastError ? `: ${lastError}` : ''}` });
          } catch (e) {
            this.log.error({ err: String(e) }, 'tftp worker event handler failed');
          }
        }
        resolve(); // a worker that never loaded: start() goes on without it
        if (!wasReady || this.stopping) return;
        this.died++;
        setTimeout(() => void (this.stopping ? undefined : this.spawn()), RESPAWN_DELAY_MS).unref();
      });
    });
  }
}
