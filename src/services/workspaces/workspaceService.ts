import { EventEmitter } from 'node:events';
import { realpath } from 'node:fs/promises';
import { basename } from 'node:path';
import { ClaudeManagerError, untrustedGitError } from '../errors';
import { type GitService, type GitStatus, type GitWorktree, type LossReport, LOSS_LIST_MAX, worktreePathFor } from '../git/gitService';
import type { GitBranches } from '../git/porcelain';
import type { Logger } from '../logger';
import type { SortMode, WorkspaceRecord, WorktreeRecord } from '../storage/records';
import { compareNames } from './order';
import type { Store } from '../storage/store';
import { includeIgnoredFiles } from './worktreeInclude';

/** The API's Worktree: the stored row and what git says of it now. */
export interface Worktree extends WorktreeRecord {
  /** The commit checked out ("" before the first commit). */
  head: string;
  locked: boolean;
  /** Why it is locked, when git was told. */
  lockReason?: string;
  /** Its folder is gone from disk (git lists it as prunable, or no longer at all while agents still belong to it). */
  missing: boolean;
}

/** What the service needs to know of agents: the runtime provides it. */
export interface AgentControl {
  /** Agents of the worktree whose processes live. */
  running(worktreeId: string): Promise<{ id: string; name: string }[]>;
  /** Stops them (and waits until their processes are gone). */
  stop(agentIds: readonly string[]): Promise<void>;
  /** Forgets what is kept of agents deleted for good outside the store (the copies of their files). */
  forget(agentIds: readonly string[]): Promise<void>;
}

export interface WorkspaceServiceOptions {
  store: Store;
  git: GitService;
  logger: Logger;
  agents: AgentControl;
  /** `claudeManager.worktreesRoot`, read at each create. */
  worktreesRoot: () => string | undefined;
  /** Called with a worktree just made here (its ports taken); a failure is logged, the worktree stays. */
  created?: (worktree: WorktreeRecord) => Promise<void>;
}

/** Paths of repositories the user removed: discovery from the editor skips them until added by hand. */
const FORGOTTEN_KEY = 'workspaces.forgotten';
const sortKey = (workspaceId: string): string => `worktrees.sortMode.${workspaceId}`;

async function real(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}

function describeLoss(loss: LossReport, path: string, detached: boolean, branchLoss?: { branch: string; count: number; commits: { sha: string; subject: string }[] }): string {
  const parts: string[] = [];
  if (loss.uncommitted.length) {
    const shown = loss.uncommitted.slice(0, LOSS_LIST_MAX);
    parts.push(`${loss.uncommitted.length} uncommitted change${loss.uncommitted.length === 1 ? '' : 's'}: ${shown.join(', ')}${loss.uncommitted.length > shown.length ? ', …' : ''}`);
  }
  const commitList = (commits: { sha: string; subject: string }[], count: number) =>
    `${commits.map((c) => `${c.sha.slice(0, 8)} "${c.subject}"`).join(', ')}${count > commits.length ? `, and ${count - commits.length} more` : ''}`;
  if (loss.commitCount) {
    const where = detached ? ' made on its detached HEAD, on no branch, remote branch or tag' : ' on no other branch, remote branch or tag';
    parts.push(`${loss.commitCount} commit${loss.commitCount === 1 ? '' : 's'}${where}: ${commitList(loss.commits, loss.commitCount)}`);
  }
  if (branchLoss?.count) parts.push(`deleting branch "${branchLoss.branch}" loses ${branchLoss.count} commit${branchLoss.count === 1 ? '' : 's'} no other branch, remote branch or tag holds: ${commitList(branchLoss.commits, branchLoss.count)}`);
  return `Removing ${path} would lose ${parts.join('; ')}.`;
}

/**
 * Repositories (workspaces) and their worktrees: the stored rows kept in step with what git says.
 * All git work goes through GitService; all state through the store. The editor's views, commands
 * and the public API use this one service.
 */
export class WorkspaceService {
  private readonly events = new EventEmitter();
  /** What `git worktree list` said last, per workspace, by path (rows are matched to it by path). */
  private readonly live = new Map<string, Map<string, GitWorktree>>();
  /** One sync at a time per workspace; a sync asked for during one runs once after it. */
  private readonly syncing = new Map<string, Promise<void>>();
  private readonly followUps = new Map<string, Promise<void>>();

  constructor(private readonly options: WorkspaceServiceOptions) {
    this.events.setMaxListeners(0);
  }

  private get store(): Store {
    return this.options.store;
  }

  private get git(): GitService {
    return this.options.git;
  }

  onDidChangeWorkspaces(listener: (workspaces: WorkspaceRecord[]) => void): () => void {
    this.events.on('workspaces', listener);
    return () => this.events.off('workspaces', listener);
  }

  onDidChangeWorktrees(listener: (event: { workspaceId: string }) => void): () => void {
    this.events.on('worktrees', listener);
    return () => this.events.off('worktrees', listener);
  }

  /** A worktree's row is gone (the worktree removed or pruned, or its repository removed): what was kept for it can go too. */
  onDidRemoveWorktree(listener: (worktreeId: string) => void): () => void {
    this.events.on('removed', listener);
    return () => this.events.off('removed', listener);
  }

  private async workspacesChanged(): Promise<void> {
    if (this.events.listenerCount('workspaces') === 0) return;
    this.events.emit('workspaces', await this.store.workspaces.list());
  }

  /** The agents running in a worktree (their processes live). */
  runningAgents(worktreeId: string): Promise<{ id: string; name: string }[]> {
    return this.options.agents.running(worktreeId);
  }

  // ── workspaces ────────────────────────────────────────────────────────────────────────────

  listWorkspaces(): Promise<WorkspaceRecord[]> {
    return this.store.workspaces.list();
  }

  getWorkspace(id: string): Promise<WorkspaceRecord> {
    return this.store.workspaces.get(id);
  }

  /**
   * Adds the repository holding `path` (any folder in it, or in one of its worktrees: the main
   * repository is what is added). A known repository returns the existing workspace.
   * `discovered`: found by the editor, not asked for; skipped if the user removed it before.
   */
  async createWorkspace(input: { path: string; name?: string }, options: { discovered?: boolean } = {}): Promise<WorkspaceRecord | undefined> {
    if (options.discovered) {
      // The editor's repositories at every start: one already stored (as the repository or one of
      // its worktrees) is known without running git.
      const known = await this.storedAt(await real(input.path));
      if (known) return known;
    }
    const info = await this.git.repository(input.path);
    const mainPath = await real(info.mainPath);
    const existing = await this.store.workspaces.findByPath(mainPath);
    if (existing) return existing;
    const forgotten = await this.forgotten();
    if (options.discovered && forgotten.includes(mainPath)) return undefined;
    if (forgotten.includes(mainPath)) await this.store.settings.set(FORGOTTEN_KEY, forgotten.filter((p) => p !== mainPath));
    const workspace = await this.store.workspaces.create({ path: mainPath, ...(input.name ? { name: input.name } : {}) });
    this.options.logger.info(`Added repository ${mainPath}`);
    await this.sync(workspace.id);
    await this.workspacesChanged();
    return this.store.workspaces.get(workspace.id);
  }

  /** The stored repository whose folder, or one of whose worktrees' folders, is `path`. */
  private async storedAt(path: string): Promise<WorkspaceRecord | undefined> {
    const workspace = await this.store.workspaces.findByPath(path);
    if (workspace) return workspace;
    const worktree = await this.store.worktrees.findByPath(path);
    return worktree ? this.store.workspaces.get(worktree.workspaceId) : undefined;
  }

  private async forgotten(): Promise<string[]> {
    const value = await this.store.settings.get(FORGOTTEN_KEY);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  }

  /** Forgets a repository with its worktree rows and agents; touches no file of it. */
  async deleteWorkspace(id: string): Promise<void> {
    const workspace = await this.store.workspaces.get(id);
    for (const wt of await this.store.worktrees.list(id)) {
      const running = await this.options.agents.running(wt.id);
      if (running.length) {
        throw new ClaudeManagerError('AGENTS_RUNNING', `${workspace.name} has running agents (${running.map((a) => a.name).join(', ')}). Stop them first.`);
      }
    }
    const removed = (await this.store.worktrees.list(id)).map((wt) => wt.id);
    const agentIds = await this.store.workspaces.delete(id);
    for (const worktreeId of removed) this.events.emit('removed', worktreeId);
    try {
      await this.options.agents.forget(agentIds);
    } catch (error) {
      this.options.logger.warn(`Removing ${workspace.path}: the copies of files kept for its agents could not all be deleted: ${(error as Error).message}`);
    }
    await this.store.settings.set(FORGOTTEN_KEY, [...new Set([...(await this.forgotten()), workspace.path])]);
    this.live.delete(id);
    this.options.logger.info(`Removed repository ${workspace.path} from Claude Manager (its files are untouched)`);
    await this.workspacesChanged();
  }

  /** Reads the worktrees from git again. */
  async refreshWorkspace(id: string): Promise<WorkspaceRecord> {
    await this.sync(id);
    return this.store.workspaces.get(id);
  }

  // ── worktrees ─────────────────────────────────────────────────────────────────────────────

  /**
   * Brings the stored worktrees in line with `git worktree list`: new ones are added, branches
   * updated; one git no longer lists is dropped, unless agents belong to it (then it stays,
   * marked missing, until they are archived or deleted).
   */
  sync(workspaceId: string): Promise<void> {
    if (!this.git.trusted) return Promise.reject(untrustedGitError('Reading the worktrees'));
    const running = this.syncing.get(workspaceId);
    if (running) {
      // Every ask during a sync shares one sync after it (a burst of file events is one more list, not many).
      let followUp = this.followUps.get(workspaceId);
      if (!followUp) {
        followUp = running.then(() => {
          this.followUps.delete(workspaceId);
          return this.sync(workspaceId);
        });
        this.followUps.set(workspaceId, followUp);
      }
      return followUp;
    }
    const run = this.syncNow(workspaceId).finally(() => {
      if (this.syncing.get(workspaceId) === run) this.syncing.delete(workspaceId);
    });
    this.syncing.set(workspaceId, run);
    return run;
  }

  private async syncNow(workspaceId: string): Promise<void> {
    const workspace = await this.store.workspaces.get(workspaceId);
    const listed = (await this.git.listWorktrees(workspace.path)).filter((w) => !w.bare);
    const entries = await Promise.all(listed.map(async (w) => ({ ...w, path: w.prunable ? w.path : await real(w.path) })));
    const rows = await this.store.worktrees.list(workspaceId);
    const byPath = new Map(rows.map((r) => [r.path, r]));
    let changed = false;
    for (const entry of entries) {
      const row = byPath.get(entry.path);
      if (!row) {
        const other = await this.store.worktrees.findByPath(entry.path);
        if (other) continue; // belongs to another workspace (the same repository added twice by another path)
        await this.store.worktrees.create({ workspaceId, name: entry.isMain ? workspace.name : basename(entry.path), branch: entry.branch, path: entry.path, isMain: entry.isMain });
        changed = true;
      } else if (row.branch !== entry.branch) {
        await this.store.worktrees.update(row.id, { branch: entry.branch });
        changed = true;
      }
    }
    const listedPaths = new Set(entries.map((e) => e.path));
    for (const row of rows) {
      if (listedPaths.has(row.path) || row.isMain) continue;
      const agents = await this.store.agents.list({ worktreeId: row.id });
      if (agents.length === 0) {
        await this.dropRow(row);
        changed = true;
      }
    }
    const before = JSON.stringify([...(this.live.get(workspaceId)?.values() ?? [])]);
    this.live.set(workspaceId, new Map(entries.map((e) => [e.path, e])));
    if (changed || before !== JSON.stringify(entries)) this.events.emit('worktrees', { workspaceId });
  }

  /** Removes a worktree row with its archived agents and their messages. */
  private async dropRow(row: WorktreeRecord): Promise<void> {
    for (const agent of await this.store.agents.list({ worktreeId: row.id, includeDeleted: true })) await this.store.agents.delete(agent.id);
    await this.store.worktrees.delete(row.id);
    this.events.emit('removed', row.id);
  }

  private withLive(row: WorktreeRecord): Worktree {
    const live = this.live.get(row.workspaceId);
    // In a workspace that is not trusted git is not asked, and before git has answered it is not
    // known: the stored row is all there is.
    if (!this.git.trusted || !live) return { ...row, head: '', locked: false, missing: false };
    const entry = live.get(row.path);
    return {
      ...row,
      head: entry?.head ?? '',
      locked: entry?.locked !== undefined,
      ...(entry?.locked ? { lockReason: entry.locked } : {}),
      missing: !entry || entry.prunable !== undefined,
    };
  }

  /** The sort mode of a workspace's worktrees: free (the user's order), status, name. */
  async worktreeSortMode(workspaceId: string): Promise<SortMode> {
    const value = await this.store.settings.get(sortKey(workspaceId));
    return value === 'status' || value === 'name' ? value : 'free';
  }

  async setWorktreeSortMode(workspaceId: string, mode: SortMode): Promise<void> {
    if (!['free', 'status', 'name'].includes(mode)) throw new ClaudeManagerError('INVALID_INPUT', `Unknown sort mode "${String(mode)}": use free, status or name.`);
    await this.store.workspaces.get(workspaceId);
    await this.store.settings.set(sortKey(workspaceId), mode);
    this.events.emit('worktrees', { workspaceId });
  }

  /**
   * A workspace's worktrees, the main one first, then in the workspace's sort mode. The first
   * call for a workspace reads git; later ones use what the last sync saw (watchers keep it fresh).
   * While the workspace is not trusted, the stored rows only: no git runs.
   * `statusOf` gives what is known of each worktree's status, for the status sort.
   * `waitForGit: false`: before git's first answer the stored rows come at once (nothing marked
   * missing, no HEAD yet); git is read meanwhile, and its answer announced as a change.
   */
  /** The workspace's worktrees as stored and as git last listed them, in no order, without asking git. */
  async knownWorktrees(workspaceId: string): Promise<Worktree[]> {
    return (await this.store.worktrees.list(workspaceId)).map((r) => this.withLive(r));
  }

  async listWorktrees(workspaceId: string, statusOf?: (worktreeId: string) => GitStatus | undefined, options: { waitForGit?: boolean } = {}): Promise<Worktree[]> {
    if (!this.live.has(workspaceId) && this.git.trusted) {
      const synced = this.sync(workspaceId);
      if (options.waitForGit === false) synced.catch((error: Error) => this.options.logger.warn(`Reading the worktrees of repository ${workspaceId} failed: ${error.message}`));
      else await synced;
    }
    const rows = (await this.store.worktrees.list(workspaceId)).map((r) => this.withLive(r));
    const mode = await this.worktreeSortMode(workspaceId);
    const byName = (a: Worktree, b: Worktree) => compareNames(a.name, b.name);
    const rank = (w: Worktree): number => {
      if (w.missing) return 3;
      const s = statusOf?.(w.id);
      if (!s) return 2;
      return s.conflicted.length ? 0 : s.isClean ? 2 : 1;
    };
    return rows.sort((a, b) => {
      if (a.isMain !== b.isMain) return a.isMain ? -1 : 1;
      if (mode === 'name') return byName(a, b);
      if (mode === 'status') return rank(a) - rank(b) || byName(a, b);
      return a.displayOrder - b.displayOrder || byName(a, b);
    });
  }

  async getWorktree(id: string): Promise<Worktree> {
    const row = await this.store.worktrees.get(id);
    if (!this.live.has(row.workspaceId) && this.git.trusted) await this.sync(row.workspaceId);
    return this.withLive(row);
  }

  /**
   * Creates a worktree: `newBranch` — a new branch `branch` off `baseRef` (default the main
   * worktree's HEAD); else an existing local branch; else a remote branch "remote/name", checked
   * out as local "name" tracking it. The folder is `path`, or `<worktreesRoot>/<branch>`.
   */
  async createWorktree(input: { workspaceId: string; branch: string; newBranch?: boolean; baseRef?: string; path?: string }): Promise<Worktree> {
    this.git.requireTrust('Creating a worktree');
    const workspace = await this.store.workspaces.get(input.workspaceId);
    const branch = input.branch?.trim() ?? '';
    if (!branch) throw new ClaudeManagerError('INVALID_INPUT', 'A worktree needs a branch: give a new branch name, a local branch or a remote branch ("origin/name").');
    let remoteBranch = false;
    if (!input.newBranch && !(await this.git.hasLocalBranch(workspace.path, branch))) {
      const branches = await this.git.branches(workspace.path);
      remoteBranch = branches.remote.includes(branch);
      if (!remoteBranch) throw new ClaudeManagerError('NOT_FOUND', `There is no local branch "${branch}" and no remote branch of that name. Create it as a new branch, or pick one from the list.`);
    }
    if (input.newBranch && !input.baseRef) {
      const main = (await this.listWorktrees(workspace.id)).find((w) => w.isMain);
      if (main && !main.head) {
        throw new ClaudeManagerError('INVALID_INPUT', `${workspace.name} has no commit yet, so a new branch has nothing to start from. Make a first commit, then create the worktree.`);
      }
    }
    const localName = remoteBranch ? branch.slice(branch.indexOf('/') + 1) : branch;
    const path = input.path?.trim() || worktreePathFor(workspace.path, localName, this.options.worktreesRoot(), basename(workspace.path)).path;
    // The branch its work goes back to, found before the new worktree exists.
    const baseBranch = await this.baseForNew(workspace.id, input.baseRef);
    await this.git.addWorktree(workspace.path, { path, branch, ...(input.newBranch ? { newBranch: true } : {}), ...(input.baseRef ? { baseRef: input.baseRef } : {}), remoteBranch });
    this.options.logger.info(`Created worktree ${path} on ${localName}`);
    await includeIgnoredFiles(this.git, workspace.path, path, this.options.logger);
    await this.sync(input.workspaceId);
    let row = await this.store.worktrees.findByPath(await real(path));
    if (!row) throw new ClaudeManagerError('GIT_FAILED', `git created ${path}, but does not list it as a worktree. Refresh the repository.`);
    if (baseBranch && baseBranch !== localName) row = await this.store.worktrees.update(row.id, { baseBranch });
    if (this.options.created) {
      // (What follows a creation does not undo it.)
      await this.options.created(row).catch((error: Error) => this.options.logger.warn(`Preparing the worktree ${path} failed: ${error.message}`));
      row = await this.store.worktrees.get(row.id);
    }
    return this.withLive(row);
  }

  // ── base branch ───────────────────────────────────────────────────────────────────────────

  /**
   * The base recorded for a new worktree: `baseRef` when it names a local branch, else the main
   * worktree's branch (none when the main worktree is detached).
   */
  private async baseForNew(workspaceId: string, baseRef: string | undefined): Promise<string | undefined> {
    const workspace = await this.store.workspaces.get(workspaceId);
    const ref = baseRef?.trim().replace(/^refs\/heads\//, '');
    if (ref && (await this.git.hasLocalBranch(workspace.path, ref))) return ref;
    const main = (await this.knownWorktrees(workspaceId)).find((w) => w.isMain);
    return main?.branch ?? undefined;
  }

  /**
   * Records the branch a worktree's work goes back to (a local branch, or a remote one as
   * "remote/name"); null forgets it, and the repository's default applies again.
   */
  async setBaseBranch(id: string, baseBranch: string | null): Promise<Worktree> {
    const wt = await this.getWorktree(id);
    if (wt.isMain) throw new ClaudeManagerError('INVALID_INPUT', `${wt.name} is the repository's main worktree: it has no base branch. Set the base of a linked worktree.`);
    let value: string | null = null;
    if (baseBranch !== null) {
      value = baseBranch.trim();
      if (!value) throw new ClaudeManagerError('INVALID_INPUT', 'A base branch cannot be empty: give a branch name, or null to use the repository\'s default.');
      if (value === wt.branch) throw new ClaudeManagerError('INVALID_INPUT', `"${value}" is the branch of ${wt.name} itself. Choose the branch its work goes back to, e.g. main.`);
      this.git.requireTrust('Setting the base branch');
      const workspace = await this.store.workspaces.get(wt.workspaceId);
      if (!(await this.git.hasLocalBranch(workspace.path, value))) {
        const branches = await this.git.branches(workspace.path);
        if (!branches.remote.includes(value)) throw new ClaudeManagerError('NOT_FOUND', `There is no branch "${value}" (local, or remote as "origin/name"). Choose one from the list.`);
      }
    }
    const row = await this.store.worktrees.update(id, { baseBranch: value });
    this.options.logger.info(value ? `The base branch of ${wt.name} is now ${value}` : `${wt.name} uses the repository's default base branch again`);
    this.events.emit('worktrees', { workspaceId: row.workspaceId });
    return this.withLive(row);
  }

  async updateWorktree(id: string, patch: { name?: string; sortMode?: SortMode }): Promise<Worktree> {
    if (patch.name !== undefined && !patch.name.trim()) throw new ClaudeManagerError('INVALID_INPUT', 'A worktree name cannot be empty.');
    const row = await this.store.worktrees.update(id, { ...(patch.name !== undefined ? { name: patch.name.trim() } : {}), ...(patch.sortMode ? { sortMode: patch.sortMode } : {}) });
    this.events.emit('worktrees', { workspaceId: row.workspaceId });
    return this.withLive(row);
  }

  async reorderWorktrees(workspaceId: string, orderedIds: readonly string[]): Promise<Worktree[]> {
    await this.store.worktrees.reorder(workspaceId, orderedIds);
    this.events.emit('worktrees', { workspaceId });
    return this.listWorktrees(workspaceId);
  }

  /**
   * What removing the worktree would lose (uncommitted changes; commits no other branch, remote
   * branch or tag holds), and with `deleteBranch` what deleting its branch would lose.
   */
  async removalLoss(id: string, options: { deleteBranch?: boolean } = {}): Promise<{ loss: LossReport; branchLoss?: { branch: string; count: number; commits: { sha: string; subject: string }[] }; message?: string }> {
    this.git.requireTrust('Checking what removing a worktree would lose');
    const wt = await this.getWorktree(id);
    const workspace = await this.store.workspaces.get(wt.workspaceId);
    // A present worktree's report covers its branch's own commits already; for one whose folder
    // is gone, only deleting its branch can lose anything.
    const loss: LossReport = wt.missing ? { uncommitted: [], commits: [], commitCount: 0 } : await this.git.lossReport(wt.path);
    let branchLoss: { branch: string; count: number; commits: { sha: string; subject: string }[] } | undefined;
    if (options.deleteBranch && wt.branch && wt.missing) {
      const b = await this.git.unmergedCommits(workspace.path, wt.branch, wt.branch);
      branchLoss = { branch: wt.branch, ...b };
    }
    const unsafe = loss.uncommitted.length > 0 || loss.commitCount > 0 || (branchLoss?.count ?? 0) > 0;
    return { loss, ...(branchLoss ? { branchLoss } : {}), ...(unsafe ? { message: describeLoss(loss, wt.path, wt.branch === null, branchLoss) } : {}) };
  }

  /**
   * Removes a worktree. Refuses the main worktree and a locked one (with the reason); a worktree
   * with running agents unless `force` (which stops them first); and, unless `force`, one whose
   * removal would lose work (UNSAFE_DELETE, naming exactly what). `deleteBranch` deletes its
   * branch too, under the same check.
   */
  async deleteWorktree(id: string, options: { force?: boolean; deleteBranch?: boolean } = {}): Promise<void> {
    this.git.requireTrust('Removing a worktree');
    const wt = await this.getWorktree(id);
    const workspace = await this.store.workspaces.get(wt.workspaceId);
    if (wt.isMain) throw new ClaudeManagerError('INVALID_INPUT', `${wt.path} is the repository's main worktree; it cannot be removed. Remove the repository from Claude Manager instead.`);
    if (wt.locked) {
      throw new ClaudeManagerError('LOCKED', `${wt.path} is locked${wt.lockReason ? ` ("${wt.lockReason}")` : ''}. Unlock it with "git worktree unlock" first.`);
    }
    const running = await this.options.agents.running(id);
    if (running.length && !options.force) {
      throw new ClaudeManagerError('AGENTS_RUNNING', `Agents are running in ${wt.name}: ${running.map((a) => a.name).join(', ')}. Stop them first, or remove with force (which stops them).`);
    }
    const { loss, message } = await this.removalLoss(id, options);
    if (message && !options.force) throw new ClaudeManagerError('UNSAFE_DELETE', message);
    if (running.length) await this.options.agents.stop(running.map((a) => a.id));
    if (wt.missing) await this.git.prune(workspace.path);
    else await this.git.removeWorktree(workspace.path, wt.path, { force: loss.uncommitted.length > 0 || !!options.force });
    if (options.deleteBranch && wt.branch) await this.git.deleteBranch(workspace.path, wt.branch);
    this.options.logger.info(`Removed worktree ${wt.path}${options.deleteBranch && wt.branch ? ` and branch ${wt.branch}` : ''}`);
    await this.dropRow(await this.store.worktrees.get(id));
    await this.sync(workspace.id);
    this.events.emit('worktrees', { workspaceId: workspace.id });
  }

  async checkoutBranch(id: string, branch: string, options: { create?: boolean } = {}): Promise<Worktree> {
    this.git.requireTrust('Switching a worktree to another branch');
    const wt = await this.getWorktree(id);
    if (wt.missing) throw new ClaudeManagerError('NOT_FOUND', `The folder of ${wt.name} (${wt.path}) is gone. Prune it, or restore the folder.`);
    await this.git.checkout(wt.path, branch.trim(), options);
    await this.sync(wt.workspaceId);
    return this.getWorktree(id);
  }

  async gitStatus(id: string): Promise<GitStatus> {
    this.git.requireTrust('Reading a worktree\'s status');
    const wt = await this.getWorktree(id);
    if (wt.missing) throw new ClaudeManagerError('NOT_FOUND', `The folder of ${wt.name} (${wt.path}) is gone. Prune it, or restore the folder.`);
    return this.git.status(wt.path);
  }

  async listBranches(id: string): Promise<GitBranches> {
    this.git.requireTrust('Listing the branches');
    const wt = await this.getWorktree(id);
    const workspace = await this.store.workspaces.get(wt.workspaceId);
    return this.git.branches(wt.missing ? workspace.path : wt.path);
  }

  /** Forgets the worktrees whose folders are gone (git's and the stored rows without agents). */
  async prune(workspaceId: string): Promise<{ pruned: string[] }> {
    this.git.requireTrust('Pruning the worktrees');
    const workspace = await this.store.workspaces.get(workspaceId);
    const pruned = await this.git.prune(workspace.path);
    await this.sync(workspaceId);
    return { pruned };
  }
}
