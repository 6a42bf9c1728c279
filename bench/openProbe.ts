// Opens a store in a fresh process and prints how long that took and how much memory it added,
// so that the benchmark compares a 300k-message store with an empty one without leftovers of
// earlier measurements in the same heap.
import { performance } from 'node:perf_hooks';
import { loadSqlJs } from '../src/services/storage/sqlJs';
import { Store } from '../src/services/storage/store';
import { migrationsDir, quiet, wasmPath } from '../test/helpers/storage';

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: openProbe DIR');
  // The engine is loaded first: its cost is the same for any store.
  const sql = await loadSqlJs(wasmPath);
  global.gc?.();
  const before = process.memoryUsage();
  const started = performance.now();
  const store = await Store.open({ dir, wasmPath, sql, migrationsDir, logger: quiet });
  const openMs = performance.now() - started;
  global.gc?.();
  const after = process.memoryUsage();
  await store.close();
  process.stdout.write(`${JSON.stringify({ openMs, rssMb: (after.rss - before.rss) / 1e6, heapMb: (after.heapUsed - before.heapUsed) / 1e6 })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
