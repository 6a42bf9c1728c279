import { EventEmitter } from 'node:events';
import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { GitService, GitStatus } from '../git/gitService';
import { type GitOperation, operationOf } from '../git/operation';
import type { Logger } from '../logger';
import type { WorkspaceService } from './workspaceService';

export interface WorktreeMonitorOptions {
  service: WorkspaceService;
  git: GitService;
  logger: Logger;
  /**
   * How often every tracked worktree's status is read again, for what git's metadata does not show
   * (files edited in a terminal). The pause grows with what a pass costs: never more than a fifth
   * of the time goes to polling.
   */
  pollIntervalMs?: number;
  /** Bursts of file events within this long make one refresh. */
  debounceMs?: number;
}

/** A worktree's git files whose change means its status (or the merge under way there) changed. */
const OPERATION_FILES = new Set(['HEAD', 'index', 'MERGE_HEAD', 'SQUASH_MSG', 'rebase-merge', 'rebase-apply']);

/** What the monitor knows of a worktree's status. */
export interface KnownStatus {
  status?: GitStatus;
  /** A merge, squash or rebase under way there (waiting on its conflicts, or to be committed). */
  operation?: GitOperation;
  /** Why the status could not be read. */
  error?: string;
}

interface Watched {
  commonDir: string;
  /** The repository's own: the shared git folder, `refs/`, `worktrees/`. */
  watchers: FSWatcher[];
  /**
   * Linked worktrees' git folders (`<common>/worktrees/<name>`) by the worktree folder they serve,
   * with their watch (none when it could not be made); closed when the worktree goes.
   */
  linked: Map<string, { gitDir: string; watcher: FSWatcher | undefined }>;
}

/**
 * Keeps the status of every tracked repository's worktrees live. It watches git's metadata, not
 * the working trees: the shared git folder (HEAD, index, packed-refs, FETCH_HEAD), `refs/`, and
 * each linked worktree's own git folder (its HEAD and index), a handful of watches per worktree
 * however large it is, so fifty worktrees do not exhaust the system's file watches. Edits that do
 * not touch git's metadata are caught by a poll. Every refresh goes through GitService, whose
 * limiter bounds how many git processes run at once.
 */
export class WorktreeMonitor {
  private readonly events = new EventEmitter();
  private readonly statuses = new Map<string, KnownStatus>();
  private readonly watched = new Map<string, Watched>();
  /** Workspaces whose watches are being made: a second track() waits for these, not makes more. */
  private readonly starting = new Map<string, Promise<void>>();
  /** What the last track() asked for: a watch finished after its workspace was dropped is not kept. */
  private wanted = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private pollTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private disposed = false;
  private readonly pollIntervalMs: number;
  private readonly debounceMs: number;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: WorktreeMonitorOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? 5000;
    this.debounceMs = options.debounceMs ?? 300;
    this.events.setMaxListeners(0);
    // Worktrees added or removed: watch their git folders, drop what is gone.
    this.unsubscribe = options.service.onDidChangeWorktrees(({ workspaceId }) => {
      if (this.watched.has(workspaceId)) void this.rewatchLinked(workspaceId);
    });
  }

  /** Called with a worktree id whenever what is known of its status changed. */
  onDidChangeStatus(listener: (worktreeId: string) => void): () => void {
    this.events.on('status', listener);
    return () => this.events.off('status', listener);
  }

  /**
   * Called with a workspace id after each pass over its worktrees (a poll, or a change of its
   * refs): what depends on more than each worktree's status (the changes since a base branch,
   * whose tip may have moved) is read again then.
   */
  onDidRefreshWorkspace(listener: (workspaceId: string) => void): () => void {
    this.events.on('workspace', listener);
    return () => this.events.off('workspace', listener);
  }

  status(worktreeId: string): KnownStatus | undefined {
    return this.statuses.get(worktreeId);
  }

  /**
   * Watches these workspaces (and stops watching the others). While the workspace is not trusted,
   * none: finding a repository's git folder and reading its status run git.
   */
  async track(workspaceIds: readonly string[]): Promise<void> {
    if (!this.options.git.trusted) return;
    const wanted = (this.wanted = new Set(workspaceIds));
    for (const id of [...this.watched.keys()]) if (!wanted.has(id)) this.unwatch(id);
    await Promise.all(
      [...wanted]
        .filter((id) => !this.watched.has(id))
        .map((id) => {
          let start = this.starting.get(id);
          if (!start) {
            start = this.watchWorkspace(id).finally(() => this.starting.delete(id));
            this.starting.set(id, start);
          }
          return start;
        }),
    );
  }

  /** Starts or stops the poll (the editor stops it while the view is hidden; the watches stay). */
  setPolling(active: boolean): void {
    this.polling = active;
    if (!active && this.pollTimer) {
      clearTimeout(this.pollTimer);
      this.pollTimer = undefined;
    }
    if (active && !this.pollTimer) this.schedulePoll(this.pollIntervalMs);
  }

  private schedulePoll(delay: number): void {
    if (this.disposed || !this.polling) return;
    this.pollTimer = setTimeout(() => void this.poll(), delay);
    this.pollTimer.unref?.();
  }

  private async poll(): Promise<void> {
    const started = Date.now();
    try {
      await this.refreshAll();
    } finally {
      const took = Date.now() - started;
      this.pollTimer = undefined;
      this.schedulePoll(Math.max(this.pollIntervalMs, took * 4));
    }
  }

  /** Reads every tracked workspace's worktrees and their status again. */
  async refreshAll(): Promise<void> {
    if (!this.options.git.trusted) return;
    await Promise.all([...this.watched.keys()].map((id) => this.refreshWorkspace(id)));
  }

  /**
   * Lists the workspace's worktrees again and reads each one's status. The statuses of the
   * worktrees known already are read while git lists them (the list takes a git run of its own,
   * which would otherwise hold up all of them); a worktree the list finds new, moved, or with its
   * folder gone is read once the list is in, after any read of it under way.
   */
  async refreshWorkspace(workspaceId: string): Promise<void> {
    if (!this.options.git.trusted) return;
    try {
      const syncing = this.options.service.sync(workspaceId);
      // Awaited below; until then its failure must not count as unhandled.
      syncing.catch(() => undefined);
      const known = await this.options.service.knownWorktrees(workspaceId);
      const reads = new Map(known.map((w) => [w.id, { path: w.path, missing: w.missing, read: this.refreshWorktree(w.id, w.path, w.missing) }]));
      await syncing;
      const listed = await this.options.service.listWorktrees(workspaceId);
      await Promise.all([
        ...[...reads.values()].map((r) => r.read),
        ...listed.map((w) => {
          const before = reads.get(w.id);
          if (before && before.path === w.path && before.missing === w.missing) return undefined;
          return (before?.read ?? Promise.resolve()).then(() => this.refreshWorktree(w.id, w.path, w.missing));
        }),
      ]);
      if (!this.disposed) this.events.emit('workspace', workspaceId);
    } catch (error) {
      this.options.logger.warn(`Refreshing repository ${workspaceId} failed: ${(error as Error).message}`);
    }
  }

  /** Reads one worktree's status again; says so when it changed. */
  async refreshWorktree(worktreeId: string, path?: string, missing?: boolean): Promise<void> {
    if (!this.options.git.trusted) return;
    let known: KnownStatus;
    try {
      if (path === undefined || missing === undefined) {
        const wt = await this.options.service.getWorktree(worktreeId);
        path = wt.path;
        missing = wt.missing;
      }
      if (missing) known = { error: 'its folder is missing' };
      else {
        // (git's own files tell; no git runs for it)
        const [status, operation] = await Promise.all([this.options.git.status(path), operationOf(path)]);
        known = operation ? { status, operation } : { status };
      }
    } catch (error) {
      known = { error: (error as Error).message };
    }
    if (this.disposed) return;
    const before = this.statuses.get(worktreeId);
    if (JSON.stringify(before) === JSON.stringify(known)) return;
    this.statuses.set(worktreeId, known);
    this.events.emit('status', worktreeId);
  }

  private debounce(key: string, run: () => Promise<void>): void {
    const existing = this.timers.get(key);
    if (existing) clearTimeout(existing);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      if (!this.disposed) void run();
    }, this.debounceMs);
    timer.unref?.();
    this.timers.set(key, timer);
  }

  private watchDir(dir: string, onEvent: (file: string) => void, recursive = false): FSWatcher | undefined {
    try {
      const watcher = watch(dir, { persistent: false, recursive }, (_event, file) => onEvent(file ? String(file) : ''));
      watcher.on('error', () => watcher.close());
      return watcher;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A folder git has not made yet (no remotes, no linked worktrees): the poll covers it.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') this.options.logger.warn(`Cannot watch ${dir}: ${(error as Error).message}; its changes show at the next poll.`);
      return undefined;
    }
  }

  private async watchWorkspace(workspaceId: string): Promise<void> {
    let commonDir: string;
    let mainPath: string;
    try {
      const workspace = await this.options.service.getWorkspace(workspaceId);
      mainPath = workspace.path;
      commonDir = (await this.options.git.repository(workspace.path)).commonDir;
    } catch (error) {
      this.options.logger.warn(`Cannot watch repository ${workspaceId}: ${(error as Error).message}`);
      return;
    }
    // Dropped, or watched by another call, while git answered.
    if (this.disposed || !this.wanted.has(workspaceId) || this.watched.has(workspaceId)) return;
    const target: Watched = { commonDir, watchers: [], linked: new Map() };
    this.watched.set(workspaceId, target);
    const keep = (watcher: FSWatcher | undefined) => watcher && target.watchers.push(watcher);
    const statusOfPath = (path: string) => this.debounce(`path:${path}`, () => this.refreshPath(workspaceId, path));
    const all = () => this.debounce(`ws:${workspaceId}`, () => this.refreshWorkspace(workspaceId));
    keep(this.watchDir(commonDir, (file) => {
      if (file.endsWith('.lock')) return; // git at work; the rename that follows is what counts
      if (OPERATION_FILES.has(file)) statusOfPath(mainPath);
      else if (file === 'packed-refs' || file === 'FETCH_HEAD' || file === 'worktrees' || file === '') all();
    }));
    keep(this.watchDir(join(commonDir, 'refs'), (file) => {
      if (!file.endsWith('.lock')) all();
    }, true));
    // Worktrees added or removed with the git CLI show up here.
    keep(this.watchDir(join(commonDir, 'worktrees'), (file) => {
      if (!file.includes('/') && !file.endsWith('.lock')) this.debounce(`sync:${workspaceId}`, async () => {
        await this.refreshWorkspace(workspaceId);
      });
    }));
    await this.rewatchLinked(workspaceId);
    await this.refreshWorkspace(workspaceId);
  }

  /** Watches the git folder of each linked worktree (its HEAD and index); closes the watches of those gone. */
  private async rewatchLinked(workspaceId: string): Promise<void> {
    const target = this.watched.get(workspaceId);
    if (!target) return;
    const root = join(target.commonDir, 'worktrees');
    let names: string[] = [];
    try {
      names = await readdir(root);
    } catch {
      // no linked worktrees
    }
    // Unwatched meanwhile. (From here on nothing waits: two calls cannot interleave.)
    if (this.watched.get(workspaceId) !== target) return;
    const current = new Map<string, string>();
    for (const name of names) {
      const gitDir = join(root, name);
      try {
        // `<gitdir>/gitdir` names the worktree's `.git` file: its folder is the worktree.
        current.set(resolve(dirname(readFileSync(join(gitDir, 'gitdir'), 'utf8').trim())), gitDir);
      } catch {
        // half-made or being removed
      }
    }
    for (const [path, gitDir] of current) {
      const known = target.linked.get(path);
      if (known?.gitDir === gitDir) continue;
      known?.watcher?.close();
      const watcher = this.watchDir(gitDir, (file) => {
        if (OPERATION_FILES.has(file)) this.debounce(`path:${path}`, () => this.refreshPath(workspaceId, path));
      });
      target.linked.set(path, { gitDir, watcher });
    }
    for (const [path, { watcher }] of [...target.linked]) {
      if (current.has(path)) continue;
      watcher?.close();
      target.linked.delete(path);
    }
  }

  private async refreshPath(workspaceId: string, path: string): Promise<void> {
    const worktrees = await this.options.service.listWorktrees(workspaceId).catch(() => []);
    const wt = worktrees.find((w) => w.path === path);
    if (wt) await this.refreshWorktree(wt.id, wt.path, wt.missing);
  }

  private unwatch(workspaceId: string): void {
    const target = this.watched.get(workspaceId);
    if (!target) return;
    for (const w of target.watchers) w.close();
    for (const { watcher } of target.linked.values()) watcher?.close();
    this.watched.delete(workspaceId);
  }

  /** How many file watches are open (for tests and the benchmark). */
  get watchCount(): number {
    let n = 0;
    for (const w of this.watched.values()) {
      n += w.watchers.length;
      for (const { watcher } of w.linked.values()) if (watcher) n++;
    }
    return n;
  }

  dispose(): void {
    this.disposed = true;
    this.unsubscribe();
    if (this.pollTimer) clearTimeout(this.pollTimer);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const id of [...this.watched.keys()]) this.unwatch(id);
  }
}
