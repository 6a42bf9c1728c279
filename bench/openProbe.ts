// Opens a store in a fresh process and prints how long that took and how much memory it added,
// so that the benchmark compares a 300k-message store with an empty one without leftovers of
// earlier measurements in the same heap.
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../src/services/logger';
import { openStore } from '../test/helpers/storeWorker';

const quiet: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: openProbe DIR');
  global.gc?.();
  const before = process.memoryUsage();
  const started = performance.now();
  // The worker the extension starts: the production bundle (scripts/bench.mjs builds it first).
  const built = join(__dirname, '..', 'dist', 'storeWorker.js');
  // As the extension starts it: without this process's flags (tsx's loader would slow its start).
  const store = await openStore(dir, quiet, { startWorker: (workerData) => new Worker(built, { workerData, execArgv: [] }) });
  const openMs = performance.now() - started;
  const queryStart = performance.now();
  await store.agents.list();
  const firstQueryMs = performance.now() - queryStart;
  global.gc?.();
  const after = process.memoryUsage();
  await store.close();
  process.stdout.write(`${JSON.stringify({ openMs, firstQueryMs, rssMb: (after.rss - before.rss) / 1e6, heapMb: (after.heapUsed - before.heapUsed) / 1e6, timings: store.report.timings })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
