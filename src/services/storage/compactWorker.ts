import { parentPort, type Worker, workerData } from 'node:worker_threads';
import type { Logger } from '../logger';
import { MetaStore } from './metaStore';
import { readMigrations } from './migrations';
import { loadSqlJs } from './sqlJs';

/** What a compaction needs to know: the same files the store itself was opened with. */
export interface CompactJob {
  kind: 'compact';
  dir: string;
  wasmPath: string;
  migrationsDir: string;
}

export interface CompactResult {
  ok: boolean;
  compacted?: boolean;
  message?: string;
}

const silent: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/**
 * Folds the journal into a new snapshot with a copy of the database of its own: it loads the
 * snapshot, replays the journal to its end, exports and replaces the snapshot. Run in a worker
 * thread, so that the export (a full copy of the database, synchronous) never blocks the thread
 * that serves the editor.
 */
export async function runCompaction(job: CompactJob): Promise<boolean> {
  const [sql, migrations] = await Promise.all([loadSqlJs(job.wasmPath), readMigrations(job.migrationsDir)]);
  const store = await MetaStore.open({ dir: job.dir, sql, migrations, logger: silent, compactAfterBytes: Number.POSITIVE_INFINITY });
  try {
    return await store.compact();
  } finally {
    await store.close();
  }
}

/** Waits for a compaction worker to finish; rejects with what went wrong in it. */
export function awaitCompaction(worker: Worker): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    worker.once('message', (result: CompactResult) => {
      if (result.ok) resolve(result.compacted ?? false);
      else reject(new Error(result.message ?? 'compaction failed'));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the compaction worker exited with code ${code}`));
    });
  });
}

const job = workerData as CompactJob | undefined;
if (parentPort && job?.kind === 'compact') {
  const port = parentPort;
  runCompaction(job).then(
    (compacted) => port.postMessage({ ok: true, compacted } satisfies CompactResult),
    (error: unknown) => port.postMessage({ ok: false, message: (error as Error).message } satisfies CompactResult),
  );
}
