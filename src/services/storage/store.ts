import { EventEmitter } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { ZodType } from 'zod';
import { ClaudeManagerError } from '../errors';
import type { Logger } from '../logger';
import type { AttemptGroupsRepository } from './attemptGroups';
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

type Target = RepositoryName | 'store';

/** A call not answered yet: kept whole until its answer comes, so that a new worker can be given it. */
interface Pending {
  target: Target;
  method: string;
  args: unknown[];
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  /** The worker it was posted to; undefined while it waits for one. */
  sentTo: Worker | undefined;
  /** Sent again to a new worker after the one it was sent to died. */
  repeated: boolean;
}

/**
 * Calls that are not sent again to a new worker when the one they were sent to died before
 * answering: each makes something new under an id of the worker's choosing, so a repeat could
 * make it twice. Their callers are told it may or may not have been done. Every other call reads,
 * or writes whole rows and records by their own ids (a message, a usage row, an agent's fields),
 * so doing it again, in the same order, leaves what doing it once would.
 */
const NOT_REPEATABLE: ReadonlySet<string> = new Set(['agents.create', 'attemptGroups.create', 'store.importDatabase']);
/** Deletes repeated after a worker died: "not found" then means the first one was done. */
const DELETES: ReadonlySet<string> = new Set(['workspaces.delete', 'worktrees.delete', 'agents.delete']);
/** Workers that die one after another without answering anything: then the calls waiting fail. */
const MAX_DEATHS_IN_A_ROW = 3;

/**
 * Everything the extension keeps, served by a worker thread that holds the database and the
 * message logs (storeWorker.ts), so that no query, journal replay, compaction or growth of sql.js's
 * heap runs on the extension host's thread. The repositories are those of `LocalStore`, each method
 * returning a promise. What another window writes shows up within `followIntervalMs` and is
 * announced through `onDidChange`.
 *
 * A worker that dies (a crash, out of memory, terminated) is replaced: the calls it had not
 * answered and those made since are sent, in the order they were made, to a new worker, started at
 * once when calls are waiting and otherwise on the next call. `onDidLoseWorker` says so.
 */
export class Store {
  readonly workspaces: Remote<WorkspacesRepository>;
  readonly worktrees: Remote<WorktreesRepository>;
  readonly agents: Remote<AgentsRepository>;
  readonly settings: Remote<SettingsRepository>;
  readonly usage: Remote<UsageRepository>;
  readonly sessions: Remote<AgentSessionsRepository>;
  readonly messages: Remote<MessageStore>;
  readonly attemptGroups: Remote<AttemptGroupsRepository>;
  readonly dir: string;
  /** What opening found and did (files moved aside, records replayed). */
  report: OpenReport = { movedAside: [], replayed: 0 };
  private readonly events = new EventEmitter();
  /** In the order the calls were made (ids only grow), which is the order they are sent in. */
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** The worker that has opened the store and takes calls; undefined while none does. */
  private worker: Worker | undefined;
  /** A worker being started and opening the store. */
  private starting: Promise<void> | undefined;
  private deathsInRow = 0;
  /** Set by `close`: why calls are refused from then on. */
  private closedReason: Error | undefined;
  private closing: Promise<void> | undefined;
  private readonly logger: Logger;

  private constructor(private readonly options: StoreOptions) {
    this.dir = options.dir;
    this.logger = options.logger;
    this.workspaces = this.remote('workspaces');
    this.worktrees = this.remote('worktrees');
    this.agents = this.remote('agents');
    this.settings = this.remote('settings');
    this.usage = this.remote('usage');
    this.sessions = this.remote('sessions');
    this.messages = this.remote('messages');
    this.attemptGroups = this.remote('attemptGroups');
  }

  /** Starts the worker and resolves once it has opened the store (or rejects with why it could not). */
  static async open(options: StoreOptions): Promise<Store> {
    const store = new Store(options);
    await store.launch();
    return store;
  }

  /** Starts a worker; resolves once it has opened the store and was given the calls waiting. */
  private launch(): Promise<void> {
    const o = this.options;
    const launchedAt = performance.timeOrigin + performance.now();
    const worker = o.startWorker({
      kind: 'store',
      dir: o.dir,
      wasmPath: o.wasmPath,
      migrationsDir: o.migrationsDir,
      ...(o.followIntervalMs !== undefined ? { followIntervalMs: o.followIntervalMs } : {}),
      ...(o.compactAfterBytes !== undefined ? { compactAfterBytes: o.compactAfterBytes } : {}),
    });
    return new Promise<void>((resolve, reject) => {
      let opened = false;
      let openError: Error | undefined;
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'opened') {
          opened = true;
          this.report = message.report;
          const timings = this.report.timings;
          if (timings?.evaluatedAt !== undefined) {
            timings.workerStartMs = Math.round((timings.evaluatedAt - launchedAt) * 10) / 10;
            delete timings.evaluatedAt;
          }
          this.worker = worker;
          for (const [id, call] of this.pending) if (!call.sentTo) this.send(id, call, worker);
          resolve();
        } else if (message.type === 'openFailed') {
          openError = fromWire(message.error);
          void worker.terminate();
        } else this.receive(worker, message);
      });
      worker.on('error', (error) => this.logger.error(`Storage: the storage worker failed: ${error.message}`));
      worker.on('exit', (code) => {
        if (opened) this.workerExited(worker, code);
        else reject(openError ?? new ClaudeManagerError('STORAGE_FAILED', `The storage worker stopped before it had opened the store (exit code ${code}). The log has details.`));
      });
    });
  }

  /** Starts a new worker unless one runs or is starting; the calls waiting fail if it cannot open the store. */
  private ensureWorker(): void {
    if (this.worker || this.starting) return;
    this.starting = this.launch()
      .catch((error: Error) => {
        this.logger.error(`Storage: the store could not be opened again: ${error.message}`);
        const reason = new ClaudeManagerError('STORAGE_FAILED', `The store could not be opened again: ${error.message} Run the command again; the log has details.`, { cause: error });
        for (const [id, call] of this.pending) {
          if (call.sentTo) continue;
          this.pending.delete(id);
          call.reject(reason);
        }
      })
      .finally(() => {
        this.starting = undefined;
      });
  }

  private workerExited(worker: Worker, code: number): void {
    if (this.worker === worker) this.worker = undefined;
    const reason = new ClaudeManagerError('STORAGE_FAILED', `The storage worker stopped (exit code ${code}).`);
    const closing = this.closedReason !== undefined;
    if (!closing) {
      this.deathsInRow++;
      this.logger.error(`Storage: ${reason.message} A new one is started for the ${[...this.pending.values()].filter((c) => c.sentTo === worker).length} calls it had not answered and the ones to come.`);
    }
    const givingUp = this.deathsInRow > MAX_DEATHS_IN_A_ROW;
    for (const [id, call] of this.pending) {
      if (call.sentTo !== worker) continue;
      const name = `${call.target}.${call.method}`;
      if (!closing && !givingUp && !NOT_REPEATABLE.has(name)) {
        call.sentTo = undefined;
        call.repeated = true;
        continue;
      }
      this.pending.delete(id);
      if (closing) call.reject(this.closedReason!);
      else if (givingUp) call.reject(new ClaudeManagerError('STORAGE_FAILED', `The storage worker stopped ${this.deathsInRow} times in a row (exit code ${code}); ${name} was not done. Run the command again; the log has details.`));
      else call.reject(new ClaudeManagerError('STORAGE_FAILED', `The storage worker stopped (exit code ${code}) while ${name} was under way: it may or may not have been done. Look, and run the command again if it was not; the log has details.`));
    }
    if (closing) return;
    this.events.emit('lost', reason);
    if (givingUp) this.deathsInRow = 0;
    else if (this.pending.size > 0) this.ensureWorker();
  }

  private receive(worker: Worker, message: FromWorker): void {
    switch (message.type) {
      case 'reply': {
        const call = this.pending.get(message.id);
        if (!call || call.sentTo !== worker) break;
        this.pending.delete(message.id);
        this.deathsInRow = 0;
        if (message.ok) call.resolve(message.value);
        else if (call.repeated && DELETES.has(`${call.target}.${call.method}`) && message.error.code === 'NOT_FOUND') call.resolve(undefined);
        else call.reject(fromWire(message.error));
        break;
      }
      case 'change':
        this.events.emit('change', message.count);
        break;
      case 'log':
        this.logger[message.level](message.message);
        break;
      case 'closed':
        this.events.emit('closed', worker);
        break;
      default:
        break;
    }
  }

  private send(id: number, call: Pending, worker: Worker): void {
    try {
      worker.postMessage({ type: 'call', id, target: call.target, method: call.method, args: call.args } satisfies ToWorker);
      call.sentTo = worker;
    } catch (error) {
      this.pending.delete(id);
      call.reject(new ClaudeManagerError('INVALID_INPUT', `Storage call ${call.target}.${call.method} could not be sent: ${(error as Error).message}`, { cause: error }));
    }
  }

  private call(target: Target, method: string, args: unknown[]): Promise<unknown> {
    if (this.closedReason) return Promise.reject(this.closedReason);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // The arguments are kept as given until the answer comes, to be sent again if the worker
      // dies first. A caller that changes one afterwards (a message that grew) only makes the
      // repeat carry the newer value, which a later call carries too.
      const call: Pending = { target, method, args, resolve, reject, sentTo: undefined, repeated: false };
      this.pending.set(id, call);
      if (this.worker) this.send(id, call, this.worker);
      else this.ensureWorker();
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

  /**
   * Calls `listener` when the worker died (not by `close`). The store goes on: a new worker takes
   * the calls left unanswered and the next ones.
   */
  onDidLoseWorker(listener: (reason: Error) => void): () => void {
    this.events.on('lost', listener);
    return () => this.events.off('lost', listener);
  }

  /**
   * Lets the calls under way finish (on a new worker if the last one died with some unanswered),
   * closes the files and stops the worker. Calls made after are refused.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const reason = new ClaudeManagerError('STORAGE_FAILED', 'The store is closed: the window is closing or the extension was turned off.');
      // Calls still waiting for a worker get one first.
      if (this.pending.size > 0) this.ensureWorker();
      while (this.starting) await this.starting;
      this.closedReason = reason;
      const worker = this.worker;
      if (worker) {
        const closed = new Promise<void>((resolve) => {
          const done = (from?: Worker) => {
            if (from !== undefined && from !== worker) return;
            this.events.off('closed', done);
            resolve();
          };
          this.events.on('closed', done);
          worker.once('exit', () => done());
        });
        worker.postMessage({ type: 'close' } satisfies ToWorker);
        const timeout = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
        await Promise.race([closed, timeout]);
        this.worker = undefined;
        await worker.terminate();
      }
      for (const call of this.pending.values()) call.reject(reason);
      this.pending.clear();
    })();
    return this.closing;
  }
}
