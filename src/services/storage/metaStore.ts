import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type FileHandle, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database, SqlJsStatic, SqlValue, Statement } from 'sql.js';
import { ClaudeManagerError } from '../errors';
import type { Logger } from '../logger';
import { AppendLog, readLog } from './appendLog';
import { applyMigrations, type Migration } from './migrations';
import { Statements } from './statements';

/** A column value as the journal carries it. */
export type Cell = string | number | null;
export type Row = Record<string, Cell>;

/** One change, as it is written to the journal and replayed by every process. */
export type Change =
  | { op: 'put'; table: string; row: Row }
  | { op: 'del'; table: string; key: Cell };

/** A change as journaled: tagged with the store instance that wrote it. */
type JournalRecord = Change & { w?: string };

/** Tables the journal may touch, with their primary key column. */
const TABLES: Record<string, string> = {
  workspaces: 'id',
  worktrees: 'id',
  agents: 'id',
  usage_ledger: 'message_id',
  settings: 'key',
  agent_sessions: 'id',
  agent_tasks: 'agent_id',
  attempt_groups: 'id',
  attempts: 'id',
};

const SNAPSHOT = 'meta.sqlite';
/** Compaction vacuums when free pages are over both of these. */
const VACUUM_MIN_FREE_BYTES = 1 << 20;
const VACUUM_MIN_FREE_SHARE = 0.1;
const journalName = (generation: number): string => `meta-${generation}.log`;
const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

export interface MetaStoreOptions {
  dir: string;
  /** The engine, or its loading under way: the snapshot is read while the engine compiles. */
  sql: SqlJsStatic | Promise<SqlJsStatic>;
  /** The migrations, or their reading under way: the snapshot is read meanwhile. */
  migrations: readonly Migration[] | Promise<readonly Migration[]>;
  logger: Logger;
  /** Compact once the journal holds this many bytes. */
  compactAfterBytes?: number;
  now?: () => string;
}

/** What opening found and did; the extension tells the user about anything moved aside. */
export interface OpenReport {
  movedAside: { file: string; to: string; reason: string }[];
  replayed: number;
  /**
   * Where opening spent its time, in ms: waiting for the engine, reading and loading the snapshot,
   * migrations, the journal's replay; from a worker, also starting it (thread and bundle) and the
   * whole open in it (`evaluatedAt` is the wall clock the worker's bundle was evaluated at).
   */
  timings?: { engineMs: number; snapshotMs: number; migrationsMs: number; journalMs: number; workerStartMs?: number; evaluatedAt?: number; openMs?: number };
}

/**
 * A whole file, read with one read call on the thread pool (the thread goes on meanwhile);
 * undefined when there is no such file. The buffer is the file's own, never a slice of a shared
 * pool: sql.js keeps it as the database file's contents and writes into it.
 */
async function readWhole(path: string): Promise<Buffer | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.allocUnsafeSlow(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(buffer, filled, size - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === size ? buffer : buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

function timestampForFile(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

/**
 * The metadata database: sql.js in memory, every change journaled as a row-level record in an
 * append-only log, folded into a snapshot file from time to time (docs/storage.md). Every process
 * applies the journal in file order, its own records included, so windows sharing the folder
 * converge on the same state and see each other's changes by following the journal.
 */
export class MetaStore {
  private db!: Database;
  private generation = 0;
  private journal: AppendLog | undefined;
  /** How far this process has applied the current generation's journal. */
  private applied = 0;
  private following: Promise<number> = Promise.resolve(0);
  /** The catch-up queued behind `following` and not begun yet, if any. */
  private nextFollow: Promise<number> | undefined;
  private readonly compactAfterBytes: number;
  /** Tags this instance's journal records, so that following can skip what it applied already. */
  private readonly writer = randomBytes(6).toString('hex');
  /** This instance's records applied here but not yet read back from the journal. */
  private ownInFlight = 0;
  /**
   * Set when another writer's record was applied while some of this instance's records were in
   * flight: those may come after it in the file, so they are applied again as they are read back.
   */
  private reapplyOwn = false;
  /** The prepared statements of `db`, kept. */
  private statements!: Statements;
  /**
   * How many journal records this process has applied as it read them back, whoever asked for the
   * catch-up (a write catches up too): what a follower compares to see that something changed.
   */
  appliedRecords = 0;
  /** Appends under way (see `appending`). */
  private appends = 0;
  /** Called when the last append under way ends, while a change of journals waits for it. */
  private appendsDone: (() => void) | undefined;
  /** A change of journals under way (see `switchingJournals`). */
  private switching: Promise<void> | undefined;
  /** The compaction under way, if any. */
  private compacting: Promise<unknown> | undefined;
  /** Set by `close`: no compaction starts after it. */
  private closing = false;
  private readonly now: () => string;
  readonly report: OpenReport = { movedAside: [], replayed: 0 };
  /** Told of each change applied here (`undefined`: changes were undone, forget what you derived). */
  private readonly applyListeners = new Set<(change: Change | undefined) => void>();

  private constructor(private readonly options: MetaStoreOptions) {
    this.compactAfterBytes = options.compactAfterBytes ?? 4 * 1024 * 1024;
    this.now = options.now ?? (() => new Date().toISOString());
  }

  /** Opens (or creates) the store in `dir`: snapshot, then the journal written since. */
  static async open(options: MetaStoreOptions): Promise<MetaStore> {
    const store = new MetaStore(options);
    await store.load();
    return store;
  }

  private async moveAside(file: string, reason: string): Promise<void> {
    const to = `${file}.corrupt-${timestampForFile()}`;
    await rename(join(this.options.dir, file), join(this.options.dir, to));
    this.report.movedAside.push({ file: join(this.options.dir, file), to: join(this.options.dir, to), reason });
    this.options.logger.error(`Storage: ${file} could not be read (${reason}); moved it to ${to} and started afresh.`);
  }

  private async load(): Promise<void> {
    const { dir } = this.options;
    const started = performance.now();
    // Read in one call (a chunked read of a large snapshot took several times longer), on the
    // thread pool: the folder is made, and the migrations and the engine are read, meanwhile.
    const snapshot = readWhole(join(dir, SNAPSHOT));
    const made = mkdir(dir, { recursive: true });
    await Promise.allSettled([snapshot, made]);
    await made;
    const bytes = await snapshot;
    // Before anything is moved aside: a store whose migrations cannot be read is left as it is.
    const migrations = await this.options.migrations;
    const read = performance.now();
    const sql = await this.options.sql;
    const engineReady = performance.now();
    let db: Database | undefined;
    let offset = 0;
    if (bytes) {
      try {
        db = new sql.Database(bytes);
        const state = db.exec('SELECT generation, journal_offset FROM store_state')[0]?.values[0];
        if (!state) throw new Error('it has no store_state row');
        this.generation = Number(state[0]);
        offset = Number(state[1]);
      } catch (error) {
        db?.close();
        db = undefined;
        this.generation = 0;
        offset = 0;
        await this.moveAside(SNAPSHOT, (error as Error).message);
      }
    }
    if (!db) {
      // No snapshot: the journals that exist hold everything; start from the oldest.
      db = new sql.Database();
      const generations = await this.journalGenerations();
      this.generation = generations.length ? Math.min(...generations) : 0;
    }
    const loaded = performance.now();
    db.run('PRAGMA foreign_keys = ON');
    // The database lives in memory (durability is the journal's): no rollback journal file in sql.js's in-memory file system.
    db.run('PRAGMA journal_mode = MEMORY');
    // One connection ever opens this file: keeping its lock spares every statement the lock and
    // hot-journal checks through sql.js's file system (a select by id cost 2.5-9x as much).
    db.run('PRAGMA locking_mode = EXCLUSIVE');
    const migrated = applyMigrations(db, migrations, this.now);
    db.run('CREATE TABLE IF NOT EXISTS store_state (id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER NOT NULL, journal_offset INTEGER NOT NULL)');
    this.db = db;
    this.statements = new Statements(db);
    this.applied = offset;
    const migratedAt = performance.now();
    this.report.replayed = await this.catchUp();
    const round = (ms: number) => Math.round(ms * 10) / 10;
    this.report.timings = {
      engineMs: round(engineReady - read),
      snapshotMs: round(read - started + (loaded - engineReady)),
      migrationsMs: round(migratedAt - loaded),
      journalMs: round(performance.now() - migratedAt),
    };
    this.journal = new AppendLog(join(dir, journalName(this.generation)));
    // A journal left long (a burst of writes outran the last compaction) slows every open, and
    // migrations applied here would be applied again at every open until a snapshot holds them:
    // fold either into a snapshot now.
    this.compactIfLong(migrated.length > 0);
  }

  /**
   * Starts a compaction, unless one is under way or the store is closing, when the current
   * journal is over the threshold (or when `always`). The size check counts as under way, so
   * that `close` waits for it too.
   */
  private compactIfLong(always = false): void {
    const journal = this.journal;
    if (this.compacting || !journal || this.closing) return;
    this.compacting = (async () => {
      if (!always) {
        const size = await stat(journal.path).then((st) => st.size, () => 0); // no journal yet: 0
        if (size <= this.compactAfterBytes || this.closing) return;
      }
      await this.compact();
    })()
      .catch((error: unknown) => this.options.logger.warn(`Storage: compaction failed, will try again later: ${(error as Error).message}`))
      .finally(() => (this.compacting = undefined));
  }

  private async journalGenerations(): Promise<number[]> {
    const names = await readdir(this.options.dir);
    return names.map((n) => /^meta-(\d+)\.log$/.exec(n)?.[1]).filter((g): g is string => g !== undefined).map(Number);
  }

  /** Applies what the journals hold beyond what this process has applied, across generations. */
  private async catchUp(): Promise<number> {
    const count = await this.readJournals();
    this.appliedRecords += count;
    return count;
  }

  private async readJournals(): Promise<number> {
    let count = 0;
    let endRead = false;
    for (;;) {
      const read = await readLog<JournalRecord>(join(this.options.dir, journalName(this.generation)), this.applied);
      // This instance applied its own records when it wrote them. Applying them again is needed
      // only after another writer's record that came before them in the file, or that this
      // instance applied after them, so that the result is the file's order; else they are skipped.
      let foreignSeen = this.reapplyOwn;
      this.db.run('BEGIN');
      try {
        for (const entry of read.entries) {
          const record = entry.record;
          if (record.w !== this.writer) {
            foreignSeen = true;
            if (this.ownInFlight > 0) this.reapplyOwn = true;
          } else {
            this.ownInFlight = Math.max(0, this.ownInFlight - 1);
            if (this.ownInFlight === 0) this.reapplyOwn = false;
            if (!foreignSeen) continue;
          }
          this.db.run('SAVEPOINT one');
          try {
            this.apply(record);
            this.db.run('RELEASE one');
          } catch (error) {
            this.db.run('ROLLBACK TO one');
            this.db.run('RELEASE one');
            // Two windows raced (say, one deleted a workspace while the other added a worktree to
            // it): every process skips the same record, so all still agree.
            this.options.logger.warn(`Storage: skipped a journal record that no longer applies: ${(error as Error).message}`);
          }
          count++;
        }
        this.db.run('COMMIT');
      } catch (error) {
        this.db.run('ROLLBACK');
        this.told(undefined);
        throw error;
      }
      this.applied = read.next;
      // A newer generation means a compaction happened: its journal continues where this one ends.
      const newer = (await this.journalGenerations()).filter((g) => g > this.generation);
      if (newer.length === 0) return count;
      // Read this one to its end once more first: a record appended after the read above but
      // before the next journal began is here, and its writer will not append it again.
      if (!endRead) {
        endRead = true;
        continue;
      }
      endRead = false;
      this.generation = Math.min(...newer);
      this.applied = 0;
      if (this.journal) {
        await this.journal.close();
        this.journal = new AppendLog(join(this.options.dir, journalName(this.generation)));
      }
    }
  }

  /** Reads and applies what other processes (and this one) appended since the last look. */
  follow(): Promise<number> {
    // A catch-up that has not begun yet will see everything there is now: callers share it
    // (a burst of writes would otherwise read the journal and its folder once each).
    if (this.nextFollow) return this.nextFollow;
    const next = this.following.then(() => {
      this.nextFollow = undefined;
      return this.catchUp();
    });
    this.nextFollow = next;
    this.following = next;
    return next;
  }

  /**
   * Runs an append: appends run side by side (the journal groups them into one write and one
   * fsync), but not while this process's compaction changes journals.
   */
  private async appending<T>(task: () => Promise<T>): Promise<T> {
    while (this.switching) await this.switching;
    this.appends++;
    try {
      return await task();
    } finally {
      if (--this.appends === 0) this.appendsDone?.();
    }
  }

  /** Runs `task` (a compaction's change of journal) once no append runs, and holds new ones until it ends. */
  private async switchingJournals<T>(task: () => Promise<T>): Promise<T> {
    while (this.switching) await this.switching;
    let release!: () => void;
    this.switching = new Promise<void>((resolve) => (release = resolve));
    try {
      if (this.appends > 0) await new Promise<void>((resolve) => (this.appendsDone = resolve));
      this.appendsDone = undefined;
      return await task();
    } finally {
      this.switching = undefined;
      release();
    }
  }

  private statement(sql: string): Statement {
    return this.statements.write(sql);
  }

  /**
   * Calls `listener` with each change applied to this process's copy, its own writes and those
   * read back from the journal alike, once applied; with `undefined` when applied changes were
   * rolled back. What a cache derives from a table follows it from here.
   */
  onDidApply(listener: (change: Change | undefined) => void): () => void {
    this.applyListeners.add(listener);
    return () => this.applyListeners.delete(listener);
  }

  private told(change: Change | undefined): void {
    for (const listener of this.applyListeners) listener(change);
  }

  private apply(change: Change): void {
    const key = TABLES[change.table];
    if (!key) return; // a table of a newer version: not ours to apply
    if (change.op === 'del') {
      this.statement(`DELETE FROM ${change.table} WHERE ${key} = ?`).run([change.key]);
      this.told(change);
      return;
    }
    const columns = Object.keys(change.row);
    const updates = columns.filter((c) => c !== key).map((c) => `${c} = excluded.${c}`);
    this.statement(
      `INSERT INTO ${change.table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ` +
        `ON CONFLICT(${key}) DO ${updates.length ? `UPDATE SET ${updates.join(', ')}` : 'NOTHING'}`,
    ).run(columns.map((c) => change.row[c] ?? null));
    this.told(change);
  }

  /**
   * Applies changes here at once, as one transaction (so a failing check changes nothing), and
   * journals them; resolves when they are durable. Applied before anything is awaited: a read made
   * after the call sees the change, durable or not. What other windows wrote meanwhile is put in
   * the file's order when the journal is read back (`catchUp`, with `reapplyOwn`).
   */
  async write(changes: readonly Change[]): Promise<void> {
    for (const change of changes) {
      if (!TABLES[change.table]) throw new ClaudeManagerError('INVALID_INPUT', `Unknown table ${change.table}.`);
    }
    // One statement is atomic by itself; several go in a savepoint.
    const several = changes.length > 1;
    if (several) this.statement('SAVEPOINT write').run();
    try {
      for (const change of changes) this.apply(change);
      if (several) this.statement('RELEASE write').run();
    } catch (error) {
      if (several) {
        this.statement('ROLLBACK TO write').run();
        this.statement('RELEASE write').run();
      }
      this.told(undefined);
      throw new ClaudeManagerError('INVALID_INPUT', `The change was refused by the database: ${(error as Error).message}`, { cause: error });
    }
    this.ownInFlight += changes.length;
    try {
      const records = changes.map((c) => ({ ...c, w: this.writer }));
      // Caught up before appending, so that the record goes to the newest generation's journal
      // (another window may have compacted), where every window will read it.
      await this.follow();
      for (;;) {
        // Not while this process's own compaction moves to a new journal (no record goes twice
        // for that); another process's compaction is caught below.
        const retired = await this.appending(async () => {
          await this.journal!.appendMany(records);
          return exists(join(this.options.dir, journalName(this.generation + 1)));
        });
        // Another window may have compacted between the catch-up and the append: a window that
        // had read the retired journal to its end and moved on would never see the records. So
        // they go again into the newest journal, which every window reads whole; applied twice,
        // they leave the same state, in the same order for all. (A window reads a journal once
        // more after it saw the next one begin: what was appended before that is not missed.)
        if (!retired) break;
        this.ownInFlight += changes.length;
        await this.follow();
      }
    } catch (error) {
      // Never read back: nothing to wait for. (The change stays applied here; the log says so.)
      this.ownInFlight = Math.max(0, this.ownInFlight - changes.length);
      throw error;
    }
    // Not awaited: the write is durable already; compaction only tidies up.
    this.compactIfLong();
  }

  put(table: string, row: Row): Promise<void> {
    return this.write([{ op: 'put', table, row }]);
  }

  delete(table: string, key: Cell): Promise<void> {
    return this.write([{ op: 'del', table, key }]);
  }

  /** Runs a read-only query on this process's copy. */
  query(sql: string, params: SqlValue[] = []): Row[] {
    return this.statements.query(sql, params);
  }

  /**
   * Folds the journal into a new snapshot, written to a temp file, fsynced and renamed over the
   * old one. One process at a time: a lock folder, taken over when it is older than a minute.
   * Records appended by others after this process's last read stay in the journal, past the
   * offset the snapshot records, and are replayed on open.
   */
  async compact(): Promise<boolean> {
    const { dir } = this.options;
    const lock = join(dir, 'compact.lock');
    try {
      await mkdir(lock);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age < 60_000) return false;
      await rm(lock, { recursive: true, force: true });
      return this.compact();
    }
    try {
      await this.journal!.settle();
      await this.follow();
      const previous = this.generation;
      const next = previous + 1;
      // The snapshot covers this generation's journal up to here; whatever others append after
      // this point is replayed from the journal on open, then the next generation's.
      this.db.run(
        'INSERT INTO store_state (id, generation, journal_offset) VALUES (1, ?, ?) ' +
          'ON CONFLICT(id) DO UPDATE SET generation = excluded.generation, journal_offset = excluded.journal_offset',
        [previous, this.applied],
      );
      this.vacuumIfSparse();
      const bytes = this.db.export();
      const tmp = join(dir, `${SNAPSHOT}.${randomBytes(4).toString('hex')}.tmp`);
      const handle = await open(tmp, 'w', 0o600);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.switchingJournals(async () => {
        // Create the next journal before the snapshot names it, so that it always exists.
        await (await open(join(dir, journalName(next)), 'a')).close();
        await rename(tmp, join(dir, SNAPSHOT));
        const folder = await open(dir, 'r');
        await folder.sync().finally(() => folder.close());
        // This process goes on in the next generation once it has applied the rest of this one.
        await this.follow();
      });
      // Journals two generations back are covered by every snapshot a process could load now.
      for (const g of await this.journalGenerations()) if (g < previous) await rm(join(dir, journalName(g)), { force: true });
      return true;
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }

  /**
   * Rebuilds the database without its free pages when they are a good part of it (after a
   * migration dropped an index, or many archived agents were deleted): the snapshot is read whole
   * at every open, free pages included.
   */
  private vacuumIfSparse(): void {
    const pages = Number(this.db.exec('PRAGMA page_count')[0]?.values[0]?.[0] ?? 0);
    const free = Number(this.db.exec('PRAGMA freelist_count')[0]?.values[0]?.[0] ?? 0);
    const pageSize = Number(this.db.exec('PRAGMA page_size')[0]?.values[0]?.[0] ?? 4096);
    if (free * pageSize < VACUUM_MIN_FREE_BYTES || free < pages * VACUUM_MIN_FREE_SHARE) return;
    const started = performance.now();
    this.db.run('VACUUM');
    this.options.logger.info(`Storage: dropped ${free} free pages of ${pages} from the snapshot in ${Math.round(performance.now() - started)} ms.`);
  }

  /**
   * Closes the store. A journal holding more than `compactOnCloseBytes` is folded into the
   * snapshot first, so that the next open replays little.
   */
  async close(options: { compactOnCloseBytes?: number } = {}): Promise<void> {
    this.closing = true;
    await this.compacting;
    const threshold = options.compactOnCloseBytes;
    if (threshold !== undefined && this.journal) {
      const size = await stat(this.journal.path).then((s) => s.size, () => 0);
      // The current journal is what the next open replays (the snapshot covers the ones before).
      if (size > threshold) {
        await this.compact().catch((error: unknown) => this.options.logger.warn(`Storage: compaction at close failed; the next open replays the journal: ${(error as Error).message}`));
      }
    }
    await this.journal?.close();
    this.statements.free();
    this.db.close();
  }
}
