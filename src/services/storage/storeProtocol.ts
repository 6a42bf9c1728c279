import { ClaudeManagerError, type ErrorCode, errorCodes } from '../errors';
import type { OpenReport } from './metaStore';

/**
 * The messages between the extension host's `Store` (store.ts) and the worker thread that holds
 * the database (storeWorker.ts). Both ends are this project's code, bundled together; the worker
 * still checks every call against the repositories it serves.
 */

/** The repositories the worker serves, by the name both ends use. */
export const REPOSITORIES = ['workspaces', 'worktrees', 'agents', 'settings', 'usage', 'sessions', 'messages', 'attemptGroups'] as const;
export type RepositoryName = (typeof REPOSITORIES)[number];

/** Methods of the store itself that the worker answers. */
export const STORE_METHODS = ['info', 'sqliteVersion', 'importDatabase'] as const;
export type StoreMethod = (typeof STORE_METHODS)[number];

/** Methods that exist on the objects but are not the callers' to call through the worker. */
export const NOT_CALLABLE: ReadonlySet<string> = new Set(['constructor', 'close']);

/** What the worker is started with (`workerData`). */
export interface StoreWorkerData {
  kind: 'store';
  dir: string;
  wasmPath: string;
  migrationsDir: string;
  followIntervalMs?: number;
  compactAfterBytes?: number;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface WireError {
  message: string;
  code?: ErrorCode;
}

export type ToWorker =
  | { type: 'call'; id: number; target: RepositoryName | 'store'; method: string; args: unknown[] }
  | { type: 'close' };

export type FromWorker =
  | { type: 'opened'; report: OpenReport }
  | { type: 'openFailed'; error: WireError }
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: WireError }
  | { type: 'change'; count: number }
  | { type: 'log'; level: LogLevel; message: string }
  | { type: 'closed' };

/**
 * The same object's methods as seen across the thread boundary: each returns a promise of what the
 * method returns. Arguments and results are structured-cloned, so they are plain data (no callbacks).
 */
export type Remote<T> = {
  readonly [K in keyof T as K extends 'close' ? never : T[K] extends (...args: never[]) => unknown ? K : never]: T[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};

export function toWire(error: unknown): WireError {
  if (error instanceof ClaudeManagerError) return { message: error.message, code: error.code };
  return { message: error instanceof Error ? error.message : String(error) };
}

export function fromWire(error: WireError): Error {
  const code = error.code && (errorCodes as readonly string[]).includes(error.code) ? error.code : undefined;
  return code ? new ClaudeManagerError(code, error.message) : new ClaudeManagerError('STORAGE_FAILED', error.message);
}
