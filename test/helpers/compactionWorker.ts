import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CompactJob } from '../../src/services/storage/compactWorker';

const script = join(__dirname, '..', '..', 'src', 'services', 'storage', 'compactWorker.ts');

/** Starts the store's compaction worker from its TypeScript source, as the extension starts the built one. */
export function startCompactionWorker(job: CompactJob): Worker {
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(script)});`, { eval: true, workerData: job });
}
