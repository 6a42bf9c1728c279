import { EventEmitter } from 'node:events';
import type { Worker } from 'node:worker_threads';
import type { ZodType } from 'zod';
import { ClaudeManagerError } from '../errors';
import type { Logger } from '../logger';
import type { ImportReport } from './importer';
import type { LocalStore } from './localStore';
import type { MessageStore } from './messageStore';
import type { OpenReport } from './metaStore';
import type { AgentSessionsRepository, AgentsRepository, SettingsRepository, WorkspacesRepository, WorktreesRepository } from './repositories';
import { type FromWorker, fromWire, type Remote, type RepositoryName, type StoreMethod, type StoreWorkerData, type ToWorker } from './storeProtocol';
import type { UsageRepository } from './usageRepository';

export interface StoreOptions {
  /** The folder the store owns (under the extension's globalStorage). */
  dir: string;
  /** sql.js's engine file, shipped beside the bundle. */
  wasmPath: string;
  /** The folder of numbered SQL migrations. */
  migrationsDir: string;
  logger: Logger;
  /** Starts the worker thread (storeWorker.ts; dist/storeWorker.js when built) with this `workerData`. */
  startWorker: (data: StoreWorkerData) => Worker;
  /** How often to look for what other windows wrote. */
  followIntervalMs?: number;
  compactAfterBytes?: number;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * Everything the extension keeps, served by a worker thread that holds the database and the
 * message logs (storeWorker.ts), so that no query, journal replay, compaction or growth of sql.js's
 * heap runs on the extension host's thread. The repositories are those of `LocalStore`, each method
 * returning a promise. What another window writes shows up within `followIntervalMs` and is
 * announced through `onDidChange`.
 */
export class Store {
  readonly workspaces: Remote<WorkspacesRepository>;
  readonly worktrees: Remote<WorktreesRepository>;
  readonly agents: Remote<AgentsRepository>;
  readonly settings: Remote<SettingsRepository>;
  readonly usage: Remote<UsageRepository>;
  readonly sessions: Remote<AgentSessionsRepository>;
  readonly messages: Remote<MessageStore>;
  /** What opening found and did (files moved aside, records replayed). */
  report: OpenReport = { movedAside: [], replayed: 0 };
  private readonly events = new EventEmitter();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Set once the worker is gone or going: why calls are refused. */
  private stopped: Error | undefined;
  private readonly opened: Promise<void>;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly dir: string,
    private readonly logger: Logger,
  ) {
    this.workspaces = this.remote('workspaces');
    this.worktrees = this.remote('worktrees');
    this.agents = this.remote('agents');
    this.settings = this.remote('settings');
    this.usage = this.remote('usage');
    this.sessions = this.remote('sessions');
    this.messages = this.remote('messages');
    this.opened = new Promise<void>((resolve, reject) => {
      this.events.once('opened', resolve);
      this.events.once('openFailed', reject);
    });
    worker.on('message', (message: FromWorker) => this.receive(message));
    worker.on('error', (error) => this.logger.error(`Storage: the storage worker failed: ${error.message}`));
    worker.on('exit', (code) => this.stop(new ClaudeManagerError('STORAGE_FAILED', `The storage worker stopped (exit code ${code}). Run the command again to reopen the store; the log has details.`)));
  }

  /** Starts the worker and resolves once it has opened the store (or rejects with why it could not). */
  static async open(options: StoreOptions): Promise<Store> {
    const worker = options.startWorker({
      kind: 'store',
      dir: options.dir,
      wasmPath: options.wasmPath,
      migrationsDir: options.migrationsDir,
      ...(options.followIntervalMs !== undefined ? { followIntervalMs: options.followIntervalMs } : {}),
      ...(options.compactAfterBytes !== undefined ? { compactAfterBytes: options.compactAfterBytes } : {}),
    });
    const store = new Store(worker, options.dir, options.logger);
    try {
      await store.opened;
    } catch (error) {
      await worker.terminate();
      throw error;
    }
    return store;
  }

  private receive(message: FromWorker): void {
    switch (message.type) {
      case 'opened':
        this.report = message.report;
        this.events.emit('opened');
        break;
      case 'openFailed':
        this.events.emit('openFailed', fromWire(message.error));
        break;
      case 'reply': {
        const pending = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.ok) pending?.resolve(message.value);
        else pending?.reject(fromWire(message.error));
        break;
      }
      case 'change':
        this.events.emit('change', message.count);
        break;
      case 'log':
        this.logger[message.level](message.message);
        break;
      case 'closed':
        this.events.emit('closed');
        break;
    }
  }

  private stop(reason: Error): void {
    if (this.stopped) return;
    this.stopped = reason;
    // Before the store opened, the worker's exit is the reason opening failed.
    this.events.emit('openFailed', reason);
    for (const pending of this.pending.values()) pending.reject(reason);
    this.pending.clear();
    if (!this.closing) this.logger.error(`Storage: ${reason.message}`);
    this.events.emit('stopped', reason);
  }

  private call(target: RepositoryName | 'store', method: string, args: unknown[]): Promise<unknown> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.worker.postMessage({ type: 'call', id, target, method, args } satisfies ToWorker);
      } catch (error) {
        this.pending.delete(id);
        reject(new ClaudeManagerError('INVALID_INPUT', `Storage call ${target}.${method} could not be sent: ${(error as Error).message}`, { cause: error }));
      }
    });
  }

  private remote<T>(target: RepositoryName): T {
    const methods = new Map<string, (...args: unknown[]) => Promise<unknown>>();
    return new Proxy({} as object, {
      get: (_, name) => {
        // Not a thenable: awaiting a repository must not look for a `then` method in the worker.
        if (typeof name !== 'string' || name === 'then') return undefined;
        let fn = methods.get(name);
        if (!fn) {
          fn = (...args: unknown[]) => this.call(target, name, args);
          methods.set(name, fn);
        }
        return fn;
      },
    }) as T;
  }

  private callStore<M extends StoreMethod>(method: M, ...args: Parameters<LocalStore[M]>): Promise<Awaited<ReturnType<LocalStore[M]>>> {
    return this.call('store', method, args) as Promise<Awaited<ReturnType<LocalStore[M]>>>;
  }

  /** A value of the extension's own state, when it is set and has the shape `schema` wants. */
  async getSetting<T>(key: string, schema: ZodType<T>): Promise<T | undefined> {
    const parsed = schema.safeParse(await this.settings.get(key));
    return parsed.success ? parsed.data : undefined;
  }

  /** Where the store is and how much room it takes. */
  info(): Promise<{ dir: string; files: number; bytes: number }> {
    return this.callStore('info');
  }

  /** The version of SQLite that sql.js embeds. */
  sqliteVersion(): Promise<string> {
    return this.callStore('sqliteVersion');
  }

  /** Merges an earlier app's SQLite database into this store, in the worker. */
  importDatabase(file: string): Promise<ImportReport> {
    return this.callStore('importDatabase', file);
  }

  /** Calls `listener` after records another window wrote (or this one, read back) were applied. */
  onDidChange(listener: (count: number) => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  /** Calls `listener` when the worker has stopped, by `close` or by failing; the store takes no calls after. */
  onDidStop(listener: (reason: Error) => void): () => void {
    this.events.on('stopped', listener);
    return () => this.events.off('stopped', listener);
  }

  /** Lets the calls under way finish, closes the files and stops the worker. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.stopped) return;
      const closed = new Promise<void>((resolve) => {
        this.events.once('closed', resolve);
        this.events.once('stopped', () => resolve());
      });
      this.worker.postMessage({ type: 'close' } satisfies ToWorker);
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
      await Promise.race([closed, timeout]);
      this.stop(new ClaudeManagerError('STORAGE_FAILED', 'The store is closed: the window is closing or the extension was turned off.'));
      await this.worker.terminate();
    })();
    return this.closing;
  }
}
