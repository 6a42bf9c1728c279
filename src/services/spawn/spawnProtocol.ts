/** Messages between `SpawnHost` (spawnHost.ts) and its worker thread (spawnWorker.ts). */

export interface SpawnRequest {
  command: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  detached: boolean;
}

export type ToSpawnWorker =
  | ({ type: 'spawn'; id: number } & SpawnRequest)
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
