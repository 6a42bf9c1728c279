import { EventEmitter } from 'node:events';
import type { Worker } from 'node:worker_threads';
import type { SqlJsStatic } from 'sql.js';
import { awaitCompaction, type CompactJob } from './compactWorker';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger';
import { MessageStore } from './messageStore';
import { MetaStore } from './metaStore';
import { readMigrations } from './migrations';
import { AgentSessionsRepository, AgentsRepository, type Clock, SettingsRepository, WorkspacesRepository, WorktreesRepository } from './repositories';
import { loadSqlJs } from './sqlJs';
import { UsageRepository } from './usageRepository';

export interface StoreOptions {
  /** The folder the store owns (under the extension's globalStorage). */
  dir: string;
  /** sql.js's engine file, shipped beside the bundle. */
  wasmPath: string;
  /** An engine already loaded from `wasmPath`, to share it. */
  sql?: SqlJsStatic;
  /** The folder of numbered SQL migrations. */
  migrationsDir: string;
  logger: Logger;
  now?: Clock;
  /** How often to look for what other windows wrote. */
  followIntervalMs?: number;
  /** Starts a worker thread running `compactWorker` with the given job (see there). */
  startCompactionWorker?: (job: CompactJob) => Worker;
  compactAfterBytes?: number;
}

/**
 * Everything the extension keeps: the metadata database and the message logs, with a repository
 * per kind of record. It follows the files on disk so that what another window writes shows up
 * here within `followIntervalMs`, and says so through `onDidChange`.
 */
export class Store {
  readonly workspaces: WorkspacesRepository;
  readonly worktrees: WorktreesRepository;
  readonly agents: AgentsRepository;
  readonly settings: SettingsRepository;
  readonly usage: UsageRepository;
  readonly sessions: AgentSessionsRepository;
  private readonly events = new EventEmitter();
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    readonly meta: MetaStore,
    readonly messages: MessageStore,
    readonly dir: string,
    private readonly logger: Logger,
    now: Clock,
  ) {
    this.workspaces = new WorkspacesRepository(meta, messages, now);
    this.worktrees = new WorktreesRepository(meta, now);
    this.agents = new AgentsRepository(meta, messages, now);
    this.settings = new SettingsRepository(meta, now);
    this.usage = new UsageRepository(meta, () => new Date(now()));
    this.sessions = new AgentSessionsRepository(meta, now);
  }

  static async open(options: StoreOptions): Promise<Store> {
    const [sql, migrations] = await Promise.all([options.sql ?? loadSqlJs(options.wasmPath), readMigrations(options.migrationsDir)]);
    const now = options.now ?? (() => new Date().toISOString());
    const start = options.startCompactionWorker;
    const job: CompactJob = { kind: 'compact', dir: options.dir, wasmPath: options.wasmPath, migrationsDir: options.migrationsDir };
    const meta = await MetaStore.open({
      dir: options.dir,
      sql,
      migrations,
      logger: options.logger,
      now,
      ...(options.compactAfterBytes !== undefined ? { compactAfterBytes: options.compactAfterBytes } : {}),
      ...(start ? { compactElsewhere: () => awaitCompaction(start(job)) } : {}),
    });
    const store = new Store(meta, new MessageStore(join(options.dir, 'messages')), options.dir, options.logger, now);
    store.follow(options.followIntervalMs ?? 1000);
    return store;
  }

  /** Calls `listener` after records read back from the journal were applied: another window's changes (and, once more, this one's own). */
  onDidChange(listener: (count: number) => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  private follow(intervalMs: number): void {
    const tick = async (): Promise<void> => {
      try {
        const applied = await this.meta.follow();
        if (applied > 0) this.events.emit('change', applied);
      } catch (error) {
        this.logger.error(`Storage: reading other windows' changes failed: ${(error as Error).message}`);
      }
      this.timer = setTimeout(() => void tick(), intervalMs);
      this.timer.unref();
    };
    this.timer = setTimeout(() => void tick(), intervalMs);
    this.timer.unref();
  }

  /** Where the store is and how much room it takes. */
  async info(): Promise<{ dir: string; files: number; bytes: number }> {
    let files = 0;
    let bytes = 0;
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.isFile()) {
          files++;
          bytes += (await stat(path)).size;
        }
      }
    };
    await walk(this.dir);
    return { dir: this.dir, files, bytes };
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.messages.close();
    await this.meta.close();
  }
}
