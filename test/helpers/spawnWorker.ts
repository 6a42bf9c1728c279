// Starts the spawn worker from its TypeScript source, as the extension starts the built
// dist/spawnWorker.js.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../src/services/logger';
import { SpawnHost } from '../../src/services/spawn/spawnHost';

const script = join(__dirname, '..', '..', 'src', 'services', 'spawn', 'spawnWorker.ts');

export function startSpawnWorker(): Worker {
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(script)});`, { eval: true });
}

export function spawnHost(logger: Logger): SpawnHost {
  return new SpawnHost(startSpawnWorker, logger);
}
