import { EventEmitter } from 'node:events';
import type { SqlJsStatic } from 'sql.js';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger';
import { AttemptGroupsRepository } from './attemptGroups';
import { importDatabase, type ImportReport } from './importer';
import { IMAGES_FOLDER } from './imageFiles';
import { MessageStore } from './messageStore';
import { MetaStore } from './metaStore';
import { readMigrations } from './migrations';
import { AgentSessionsRepository, AgentsRepository, type Clock, SettingsRepository, WorkspacesRepository, WorktreesRepository } from './repositories';
import { loadSqlJs } from './sqlJs';
import { UsageRepository } from './usageRepository';

export interface LocalStoreOptions {
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
  compactAfterBytes?: number;
}

/**
 * Everything the extension keeps: the metadata database and the message logs, with a repository
 * per kind of record. It follows the files on disk so that what another window writes shows up
 * here within `followIntervalMs`, and says so through `onDidChange`.
 */
export class LocalStore {
  readonly workspaces: WorkspacesRepository;
  readonly worktrees: WorktreesRepository;
  readonly agents: AgentsRepository;
  readonly settings: SettingsRepository;
  readonly usage: UsageRepository;
  readonly sessions: AgentSessionsRepository;
  /** Best of N: worktrees and agents started from one prompt. */
  readonly attemptGroups: AttemptGroupsRepository;
  private readonly events = new EventEmitter();
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly sql: SqlJsStatic,
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
    this.attemptGroups = new AttemptGroupsRepository(meta, now);
  }

  static async open(options: LocalStoreOptions): Promise<LocalStore> {
    // The engine compiles, and the migrations are read, while the snapshot is read.
    const engine = options.sql ? Promise.resolve(options.sql) : loadSqlJs(options.wasmPath);
    const migrations = readMigrations(options.migrationsDir);
    // Awaited by the open; marked handled here so that a failure of one while the open fails on
    // the other is not also reported as unhandled.
    engine.catch(() => undefined);
    migrations.catch(() => undefined);
    const now = options.now ?? (() => new Date().toISOString());
    const meta = await MetaStore.open({
      dir: options.dir,
      sql: engine,
      migrations,
      logger: options.logger,
      now,
      ...(options.compactAfterBytes !== undefined ? { compactAfterBytes: options.compactAfterBytes } : {}),
    });
    const store = new LocalStore(await engine, meta, new MessageStore(join(options.dir, 'messages'), join(options.dir, IMAGES_FOLDER)), options.dir, options.logger, now);
    store.follow(options.followIntervalMs ?? 1000);
    return store;
  }

  /** Calls `listener` after records read back from the journal were applied: another window's changes (and, once more, this one's own). */
  onDidChange(listener: (count: number) => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  private follow(intervalMs: number): void {
    // Counted, not taken from this catch-up's result: a write's own catch-up may have applied
    // another window's records since the last tick.
    let announced = this.meta.appliedRecords;
    const tick = async (): Promise<void> => {
      try {
        await this.meta.follow();
        const applied = this.meta.appliedRecords - announced;
        announced += applied;
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
    // A compaction may replace or remove files while this walks: what is gone by the time it is
    // looked at is not counted.
    const gone = (error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return undefined;
    };
    const walk = async (dir: string): Promise<void> => {
      for (const entry of (await readdir(dir, { withFileTypes: true }).catch(gone)) ?? []) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.isFile()) {
          const size = (await stat(path).catch(gone))?.size;
          if (size === undefined) continue;
          files++;
          bytes += size;
        }
      }
    };
    await walk(this.dir);
    return { dir: this.dir, files, bytes };
  }

  /** The version of SQLite that sql.js embeds. */
  sqliteVersion(): string {
    const db = new this.sql.Database();
    try {
      return String(db.exec('SELECT sqlite_version()')[0]?.values[0]?.[0] ?? 'unknown');
    } finally {
      db.close();
    }
  }

  /** Merges an earlier app's SQLite database into this store (see importer.ts). */
  importDatabase(file: string): Promise<ImportReport> {
    return importDatabase(this, this.sql, file);
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.messages.close();
    await this.meta.close({ compactOnCloseBytes: 64 * 1024 });
  }
}
