// Starts the store's worker thread from its TypeScript source, as the extension starts the built
// dist/storeWorker.js. Kept apart from storage.ts so that child processes can use it without
// loading node:test.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../src/services/logger';
import { Store, type StoreOptions } from '../../src/services/storage/store';
import type { StoreWorkerData } from '../../src/services/storage/storeProtocol';

const script = join(__dirname, '..', '..', 'src', 'services', 'storage', 'storeWorker.ts');

export function startStoreWorker(workerData: StoreWorkerData): Worker {
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(script)});`, { eval: true, workerData });
}

/** Opens the worker-backed store in `dir` with the engine and migrations the extension ships. */
export function openStore(dir: string, logger: Logger, options: Partial<StoreOptions> = {}): Promise<Store> {
  return Store.open({
    dir,
    wasmPath: join(dirname(createRequire(__filename).resolve('sql.js')), 'sql-wasm.wasm'),
    migrationsDir: join(__dirname, '..', '..', 'migrations'),
    logger,
    startWorker: startStoreWorker,
    ...options,
  });
}
