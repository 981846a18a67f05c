/** Runs one shard of the bench on a worker thread (see shards.ts) and posts its outcome. */
import { parentPort, workerData } from 'node:worker_threads';
import { runBench, type BenchConfig } from './runner.js';
import { outcomeOf } from './shards.js';

const port = parentPort!;
const { config } = workerData as { config: BenchConfig };
try {
  const run = await runBench({ ...config, onProgress: (finalized) => port.postMessage({ type: 'progress', finalized }) });
  port.postMessage({ type: 'done', outcome: outcomeOf(run) });
} catch (e) {
  port.postMessage({ type: 'failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
}
