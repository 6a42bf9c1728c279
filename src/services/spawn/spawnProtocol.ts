/** Messages between `SpawnHost` (spawnHost.ts) and its worker thread (spawnWorker.ts). */

export interface SpawnRequest {
  command: string;
  args: readonly string[];
  cwd: string;
  /** Never changed once passed: the same object passed again is taken to hold the same variables. */
  env: NodeJS.ProcessEnv;
  detached: boolean;
}

/**
 * A start: the environment is sent with its id the first time, and by its id alone while the
 * worker keeps it (the caller passed the same object again: copying an environment of a hundred
 * variables across threads for each git run cost more than the rest of the start). `forget` names
 * environments the worker may drop.
 */
export type SpawnMessage = { type: 'spawn'; id: number } & SpawnEnvironment & Omit<SpawnRequest, 'env'>;

export interface SpawnEnvironment {
  envId: number;
  env?: NodeJS.ProcessEnv;
  forget?: number[];
}

export type ToSpawnWorker =
  | SpawnMessage
  | { type: 'write'; id: number; data: Uint8Array }
  | { type: 'end'; id: number }
  | { type: 'kill'; id: number; signal: NodeJS.Signals };

export type FromSpawnWorker =
  | { type: 'spawn'; id: number; pid: number | undefined }
  | { type: 'error'; id: number; message: string; code?: string }
  | { type: 'stdout' | 'stderr'; id: number; data: Uint8Array }
  | { type: 'stdoutEnd' | 'stderrEnd'; id: number }
  | { type: 'stdinError'; id: number; message: string }
  | { type: 'close'; id: number; code: number | null; signal: NodeJS.Signals | null };
