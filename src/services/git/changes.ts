import { EventEmitter } from 'node:events';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ClaudeManagerError } from '../errors';
import type { Logger } from '../logger';
import type { KnownStatus } from '../workspaces/worktreeMonitor';
import type { Worktree, WorkspaceService } from '../workspaces/workspaceService';
import { readRepositoryBranches, type RefTips, type RepositoryBranches, resolveBase, worktreeBase } from './baseBranch';
import { type ChangedFile, type Collision, countLines, findCollisions, MAX_COUNTED_BYTES, parseDiffRawNumstat, totals } from './changeList';
import type { GitService, GitStatus } from './gitService';

export type { ChangedFile, ChangeStatus, Collision } from './changeList';

/** What a worktree changed since its base: committed and uncommitted together, as a reviewer sees it. */
export interface WorktreeChanges {
  worktreeId: string;
  /** The branch its work goes back to. */
  baseBranch: string;
  /** Whether `baseBranch` was recorded for the worktree (else it is the repository's default). */
  baseRecorded: boolean;
  /** The commit the diff starts from: the merge-base of the base and HEAD. */
  mergeBase: string;
  head: string;
  /** Sorted by path. */
  files: ChangedFile[];
  insertions: number;
  deletions: number;
}

/** What is known of a worktree's changes: the last list read, or why none could be. */
export interface KnownChanges {
  changes?: WorktreeChanges;
  error?: string;
}

/** The monitor's part: each worktree's status, and when to read again. */
export interface ChangesMonitor {
  status(worktreeId: string): KnownStatus | undefined;
  onDidChangeStatus(listener: (worktreeId: string) => void): () => void;
  onDidRefreshWorkspace(listener: (workspaceId: string) => void): () => void;
}

export interface WorktreeChangesOptions {
  git: GitService;
  workspaces: WorkspaceService;
  logger: Logger;
  /** When given, changes are read again as the monitor sees worktrees change. */
  monitor?: ChangesMonitor;
}

/** Untracked files whose lines are counted, per worktree; those past it are listed without counts. */
const MAX_COUNTED_FILES = 2000;

/** The arguments of the one diff a worktree's tracked changes take. */
export function diffArgs(mergeBase: string): string[] {
  return ['diff', '--raw', '--numstat', '-z', '-M', '--no-abbrev', '--no-ext-diff', '--no-textconv', '--no-color', mergeBase, '--'];
}

/**
 * The files each worktree changed since the merge-base with its base branch, with +/− counts and
 * git's status letter; and the files two worktrees of a repository both changed (collisions).
 *
 * A read is one `git diff --raw --numstat -z -M <merge-base>` in the worktree (its untracked files
 * come from the status the monitor read, and are counted as added); the merge-base is kept per
 * (HEAD, base tip) and the branches' tips are read once per repository per monitor pass. Reads
 * run through GitService (child processes, never on the host's thread) and a worktree's reads
 * never overlap: one asked for during another runs once after it.
 */
export class WorktreeChangesService {
  private readonly events = new EventEmitter();
  private readonly known = new Map<string, KnownChanges>();
  /** worktree id → the (HEAD, base tip) the merge-base was found for, and it. */
  private readonly mergeBases = new Map<string, { key: string; sha: string }>();
  /** workspace id → its branches' tips and its main worktree's branch, until the monitor's next pass. */
  private readonly branches = new Map<string, Promise<RepositoryBranches>>();
  /** worktree folder → its untracked files' counts by path, kept while a file's size and modification time stay. */
  private readonly counted = new Map<string, Map<string, CountedFile>>();
  private readonly reading = new Map<string, Promise<WorktreeChanges>>();
  private readonly again = new Map<string, Promise<WorktreeChanges>>();
  /** workspace id → its collisions as last announced. */
  private readonly collisionsByWorkspace = new Map<string, Collision[]>();
  private readonly collisionTimers = new Map<string, NodeJS.Timeout>();
  private readonly offs: (() => void)[] = [];
  private disposed = false;

  constructor(private readonly options: WorktreeChangesOptions) {
    this.events.setMaxListeners(0);
    const monitor = options.monitor;
    if (monitor) {
      this.offs.push(
        monitor.onDidChangeStatus((id) => this.refreshInBackground(id)),
        monitor.onDidRefreshWorkspace((wsId) => void this.workspacePassed(wsId)),
      );
    }
  }

  /** Called with a worktree id when its changes (or why they cannot be read) changed. */
  onDidChangeChanges(listener: (worktreeId: string) => void): () => void {
    this.events.on('changes', listener);
    return () => this.events.off('changes', listener);
  }

  /** Called when a repository's collisions changed, with the worktrees whose warnings differ. */
  onDidChangeCollisions(listener: (event: { workspaceId: string; worktreeIds: string[] }) => void): () => void {
    this.events.on('collisions', listener);
    return () => this.events.off('collisions', listener);
  }

  /** What is known of a worktree's changes without reading (undefined: not read yet). */
  knownChanges(worktreeId: string): KnownChanges | undefined {
    return this.known.get(worktreeId);
  }

  /** The other worktrees that changed files this one changed too, as last computed. */
  collisionsOf(worktreeId: string, workspaceId: string): { worktreeId: string; files: string[] }[] {
    const out: { worktreeId: string; files: string[] }[] = [];
    for (const c of this.collisionsByWorkspace.get(workspaceId) ?? []) {
      if (c.worktreeIds[0] === worktreeId) out.push({ worktreeId: c.worktreeIds[1], files: c.files });
      else if (c.worktreeIds[1] === worktreeId) out.push({ worktreeId: c.worktreeIds[0], files: c.files });
    }
    return out;
  }

  /**
   * The worktree's base: the branch recorded for it, else the repository's default (`origin/HEAD`,
   * `main`, `master`, the main worktree's branch). Undefined for the main worktree, or when the
   * repository has none of these.
   */
  async baseBranch(worktreeId: string): Promise<{ branch: string; recorded: boolean } | undefined> {
    return this.baseOf(await this.options.workspaces.getWorktree(worktreeId));
  }

  private baseOf(wt: Worktree): Promise<{ branch: string; recorded: boolean } | undefined> {
    return worktreeBase(wt, () => this.repositoryBranches(wt.workspaceId));
  }

  /** The files the worktree changed since its base, read now (a read under way is shared). */
  changes(worktreeId: string): Promise<WorktreeChanges> {
    return this.changesOf(worktreeId);
  }

  /** `changes`, given the worktree when the caller has just read it (a pass over a repository). */
  private changesOf(worktreeId: string, known?: Worktree): Promise<WorktreeChanges> {
    const running = this.reading.get(worktreeId);
    if (running) {
      let next = this.again.get(worktreeId);
      if (!next) {
        next = running.catch(() => undefined).then(() => {
          this.again.delete(worktreeId);
          return this.changesOf(worktreeId);
        });
        this.again.set(worktreeId, next);
      }
      return next;
    }
    const read = this.read(worktreeId, known).finally(() => {
      if (this.reading.get(worktreeId) === read) this.reading.delete(worktreeId);
    });
    this.reading.set(worktreeId, read);
    return read;
  }

  /** Reads the changes again in the background; failures are what is known, not thrown. */
  refreshInBackground(worktreeId: string): void {
    if (this.disposed) return;
    this.changes(worktreeId).catch(() => undefined);
  }

  /**
   * The collisions of a repository's active worktrees (linked, folder present), their changes
   * read now (one git each; the tree's warnings come from the lists the monitor keeps fresh).
   */
  async collisions(workspaceId: string): Promise<Collision[]> {
    const worktrees = (await this.options.workspaces.listWorktrees(workspaceId)).filter((w) => !w.isMain && !w.missing);
    await Promise.all(worktrees.map((w) => this.changes(w.id).catch(() => undefined)));
    return this.computeCollisions(workspaceId);
  }

  /** The content of `path` at commit `rev` in the worktree's repository (`git show rev:path`). */
  async fileAt(worktreeId: string, rev: string, path: string): Promise<string> {
    if (!/^[0-9a-f]{40,64}$/.test(rev)) throw new ClaudeManagerError('INVALID_INPUT', `"${rev}" is not a commit id.`);
    const wt = await this.options.workspaces.getWorktree(worktreeId);
    const cwd = wt.missing ? (await this.options.workspaces.getWorkspace(wt.workspaceId)).path : wt.path;
    return this.options.git.run(cwd, ['show', '--no-textconv', `${rev}:${path}`], `Reading ${path} at ${rev.slice(0, 8)}`);
  }

  private async read(worktreeId: string, known?: Worktree): Promise<WorktreeChanges> {
    let wt: Worktree | undefined;
    try {
      wt = known ?? (await this.options.workspaces.getWorktree(worktreeId));
      const changes = await this.readNow(wt);
      this.remember(wt, { changes });
      return changes;
    } catch (error) {
      // The main worktree has no changes to show (it is read only when asked): nothing to remember.
      if (wt && !wt.isMain) this.remember(wt, { error: (error as Error).message });
      throw error;
    }
  }

  private async readNow(wt: Worktree): Promise<WorktreeChanges> {
    const git = this.options.git;
    git.requireTrust('Reading a worktree\'s changes');
    if (wt.isMain) throw new ClaudeManagerError('INVALID_INPUT', `${wt.name} is the repository's main worktree: it has no base branch to compare with. Changes are listed for linked worktrees.`);
    if (wt.missing) throw new ClaudeManagerError('NOT_FOUND', `The folder of ${wt.name} (${wt.path}) is gone. Prune it, or restore the folder.`);
    const base = await this.baseOf(wt);
    if (!base) {
      throw new ClaudeManagerError('NOT_FOUND', `${wt.name} has no base branch, and the repository has no origin/HEAD, main or master. Use "Set Base Branch…" to choose one.`);
    }
    const monitored = this.options.monitor?.status(wt.id)?.status;
    const status: GitStatus = monitored ?? (await git.status(wt.path));
    if (!status.head) throw new ClaudeManagerError('INVALID_INPUT', `${wt.name} has no commit yet: there is nothing to compare with ${base.branch}.`);
    const mergeBase = await this.mergeBase(wt, status.head, base.branch);
    const [out, untracked] = await Promise.all([git.run(wt.path, diffArgs(mergeBase), `Listing the changes of ${wt.name}`), this.untracked(wt.path, status.untracked)]);
    const files = parseDiffRawNumstat(out);
    const tracked = new Set(files.map((f) => f.path));
    for (const f of untracked) if (!tracked.has(f.path)) files.push(f);
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { worktreeId: wt.id, baseBranch: base.branch, baseRecorded: base.recorded, mergeBase, head: status.head, files, ...totals(files) };
  }

  /** The merge-base of HEAD and the base's tip, kept until either moves. */
  private async mergeBase(wt: Worktree, head: string, baseBranch: string): Promise<string> {
    let tips = await this.refTips(wt.workspaceId);
    let base = resolveBase(tips, baseBranch);
    if (!base) {
      // Made since the tips were read?
      this.branches.delete(wt.workspaceId);
      tips = await this.refTips(wt.workspaceId);
      base = resolveBase(tips, baseBranch);
    }
    if (!base) throw new ClaudeManagerError('NOT_FOUND', `The base branch "${baseBranch}" of ${wt.name} does not exist. Use "Set Base Branch…" to choose another.`);
    const key = `${head}:${base.sha}`;
    const cached = this.mergeBases.get(wt.id);
    if (cached?.key === key) return cached.sha;
    let sha: string;
    try {
      sha = (await this.options.git.run(wt.path, ['merge-base', head, base.sha], `Finding where ${wt.name} left ${baseBranch}`)).trim();
    } catch (error) {
      throw new ClaudeManagerError('GIT_FAILED', `${wt.name} and its base branch "${baseBranch}" have no commit in common. Use "Set Base Branch…" to choose the branch it was made from.`, { cause: error });
    }
    if (!sha) throw new ClaudeManagerError('GIT_FAILED', `${wt.name} and its base branch "${baseBranch}" have no commit in common. Use "Set Base Branch…" to choose the branch it was made from.`);
    this.mergeBases.set(wt.id, { key, sha });
    return sha;
  }

  /** The repository's branches' tips (one git) and its main worktree's branch, read once per pass. */
  private repositoryBranches(workspaceId: string): Promise<RepositoryBranches> {
    let read = this.branches.get(workspaceId);
    if (!read) {
      read = readRepositoryBranches(this.options.git, this.options.workspaces, workspaceId);
      this.branches.set(workspaceId, read);
      read.catch(() => this.branches.get(workspaceId) === read && this.branches.delete(workspaceId));
    }
    return read;
  }

  private async refTips(workspaceId: string): Promise<RefTips> {
    return (await this.repositoryBranches(workspaceId)).tips;
  }

  /**
   * The untracked files as added files with their lines counted. `git status` shows a folder
   * holding only untracked files as the folder ("dir/"): those are listed file by file with
   * `ls-files --others` (only then, so a worktree without new folders runs no second git).
   */
  private async untracked(worktreePath: string, listed: readonly string[]): Promise<ChangedFile[]> {
    if (!listed.length) return [];
    const folders = listed.filter((p) => p.endsWith('/'));
    const paths = listed.filter((p) => !p.endsWith('/'));
    if (folders.length) {
      const out = await this.options.git.run(worktreePath, ['ls-files', '--others', '--exclude-standard', '-z', '--', ...folders.map((f) => `:(literal)${f}`)], 'Listing the new files');
      paths.push(...out.split('\0').filter(Boolean));
    }
    // A folder of thousands of new files (a build output not ignored) is listed, not read. A file
    // counted before is read again only when its size or modification time changed.
    const before = this.counted.get(worktreePath);
    const now = new Map<string, CountedFile>();
    const files = await Promise.all(
      paths.map(async (path, i) => {
        if (i >= MAX_COUNTED_FILES) return { path, status: 'A' as const, untracked: true as const };
        const counted = await countFile(join(worktreePath, path), before?.get(path));
        if (counted) now.set(path, counted);
        return { path, status: 'A' as const, untracked: true as const, ...counted?.counts };
      }),
    );
    if (now.size) this.counted.set(worktreePath, now);
    else this.counted.delete(worktreePath);
    return files;
  }

  private remember(wt: Worktree, known: KnownChanges): void {
    if (this.disposed) return;
    const before = this.known.get(wt.id);
    this.known.set(wt.id, known);
    if (JSON.stringify(before) === JSON.stringify(known)) return;
    this.events.emit('changes', wt.id);
    this.scheduleCollisions(wt.workspaceId);
  }

  /** A burst of reads in one repository recomputes its collisions once. */
  private scheduleCollisions(workspaceId: string): void {
    if (this.collisionTimers.has(workspaceId)) return;
    const timer = setTimeout(() => {
      this.collisionTimers.delete(workspaceId);
      if (!this.disposed) void this.computeCollisions(workspaceId).catch((error: Error) => this.options.logger.warn(`Finding the files worktrees both changed failed: ${error.message}`));
    }, 100);
    timer.unref?.();
    this.collisionTimers.set(workspaceId, timer);
  }

  /** Finds the repository's collisions from the lists known (no git), and says which worktrees' warnings changed. */
  private async computeCollisions(workspaceId: string): Promise<Collision[]> {
    const worktrees = (await this.options.workspaces.knownWorktrees(workspaceId)).filter((w) => !w.isMain && !w.missing);
    const lists = worktrees.flatMap((w) => {
      const files = this.known.get(w.id)?.changes?.files;
      return files ? [{ worktreeId: w.id, files }] : [];
    });
    const found = findCollisions(lists);
    const before = this.collisionsByWorkspace.get(workspaceId) ?? [];
    this.collisionsByWorkspace.set(workspaceId, found);
    const describe = (list: Collision[]) => {
      const by = new Map<string, string[]>();
      for (const c of list) {
        for (const [a, b] of [c.worktreeIds, [c.worktreeIds[1], c.worktreeIds[0]]]) by.set(a!, [...(by.get(a!) ?? []), `${b}:${c.files.join('\0')}`]);
      }
      return by;
    };
    const was = describe(before);
    const now = describe(found);
    const changed = [...new Set([...was.keys(), ...now.keys()])].filter((id) => JSON.stringify(was.get(id)?.sort()) !== JSON.stringify(now.get(id)?.sort()));
    if (changed.length && !this.disposed) this.events.emit('collisions', { workspaceId, worktreeIds: changed });
    return found;
  }

  /**
   * After the monitor's pass over a repository: the tips are read again, and each worktree read
   * before is read again when its base moved or it has uncommitted files (whose content may have
   * changed without its status changing).
   */
  private async workspacePassed(workspaceId: string): Promise<void> {
    if (this.disposed) return;
    await this.refreshWorkspace(workspaceId, { onlyMoved: true }).catch((error: Error) => this.options.logger.warn(`Reading the changes of repository ${workspaceId} failed: ${error.message}`));
  }

  /**
   * Reads again the changes of the repository's worktrees read before (the branches' tips once for
   * all); with `onlyMoved`, only those whose HEAD or base moved, or that have uncommitted files.
   * Resolves when every read has ended (a failed one is what is known of that worktree).
   */
  async refreshWorkspace(workspaceId: string, options: { onlyMoved?: boolean } = {}): Promise<void> {
    this.branches.delete(workspaceId);
    if (!this.known.size) return;
    const worktrees = (await this.options.workspaces.knownWorktrees(workspaceId)).filter((w) => this.known.has(w.id));
    if (!worktrees.length) return;
    const tips = await this.refTips(workspaceId);
    const reads: Promise<unknown>[] = [];
    for (const wt of worktrees) {
      const status = this.options.monitor?.status(wt.id)?.status;
      const last = this.known.get(wt.id)?.changes;
      const base = last ? resolveBase(tips, last.baseBranch) : undefined;
      const moved = !last || !status || !base || this.mergeBases.get(wt.id)?.key !== `${status.head}:${base.sha}`;
      if (!options.onlyMoved || moved || !status.isClean) reads.push(this.changesOf(wt.id, wt).catch(() => undefined));
    }
    await Promise.all(reads);
  }

  /** Forgets a worktree's base-dependent state (its base branch was changed). */
  forget(worktreeId: string): void {
    this.mergeBases.delete(worktreeId);
  }

  dispose(): void {
    this.disposed = true;
    for (const off of this.offs.splice(0)) off();
    for (const t of this.collisionTimers.values()) clearTimeout(t);
    this.collisionTimers.clear();
  }
}

type Counts = { insertions: number; deletions: number } | { binary: true } | Record<string, never>;

/** An untracked file's counts, and the size and modification time they were counted at. */
interface CountedFile {
  size: number;
  mtimeMs: number;
  counts: Counts;
}

/**
 * Counts an untracked file's lines (binary, or larger than MAX_COUNTED_BYTES: no counts); the
 * counts of `before` when the file's size and modification time are still those. Undefined when
 * the file cannot be read (gone since git listed it, or not a regular file).
 */
async function countFile(path: string, before: CountedFile | undefined): Promise<CountedFile | undefined> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return undefined;
    if (before && before.size === info.size && before.mtimeMs === info.mtimeMs) return before;
    if (info.size > MAX_COUNTED_BYTES) return { size: info.size, mtimeMs: info.mtimeMs, counts: {} };
    const lines = countLines(await readFile(path));
    return { size: info.size, mtimeMs: info.mtimeMs, counts: lines === undefined ? { binary: true } : { insertions: lines, deletions: 0 } };
  } catch {
    return undefined;
  }
}
