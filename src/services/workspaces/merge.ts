import { randomBytes } from 'node:crypto';
import { readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { ClaudeManagerError, isClaudeManagerError } from '../errors';
import { folderForBranch, type GitService, type GitStatus, worktreePathFor } from '../git/gitService';
import { readRepositoryBranches, worktreeBase } from '../git/baseBranch';
import { type GitOperation, gitDirOf, hasConflictMarkers, operationOf } from '../git/operation';
import type { Logger } from '../logger';
import { ProcessError } from '../processRunner';
import type { Store } from '../storage/store';
import type { Worktree, WorkspaceService } from './workspaceService';

export type MergeStrategy = 'merge' | 'squash' | 'rebase';

/** How a merge (or its continuation) ended. Conflicts are a result, not an error. */
export type MergeResult =
  | {
      status: 'merged';
      /** The worktree whose branch was merged. */
      worktreeId: string;
      strategy: MergeStrategy;
      baseBranch: string;
      /** The base branch's commit after the merge. */
      commit: string;
    }
  | { status: 'up-to-date'; worktreeId: string; baseBranch: string }
  | {
      status: 'conflicts';
      /** Where the merge (or rebase) waits: continue or abort it with this worktree's id. */
      worktreeId: string;
      /** The worktree whose branch is being merged (the same one for a rebase), when known. */
      sourceWorktreeId?: string;
      operation: GitOperation;
      /** The conflicted files, relative to that worktree. */
      files: string[];
      /** That worktree's folder. */
      path: string;
      baseBranch?: string;
    };

/** A merge waiting on conflicts, kept so that continuing it knows what it merged and where. */
interface PendingMerge {
  /** The folder where it waits. */
  path: string;
  sourceWorktreeId: string;
  sourceBranch: string;
  baseBranch: string;
  strategy: MergeStrategy;
  /** A worktree made for the merge, removed once it is done or aborted. */
  temporary: boolean;
  /** A squash's commit message. */
  message?: string;
}

const PENDING_KEY = 'merge.pending';
/** Git never opens an editor here: merges take their default message, a rebase its commits' own. */
const NON_INTERACTIVE = { GIT_EDITOR: 'true', GIT_MERGE_AUTOEDIT: 'no' } as const;
/** The hooks `git commit` runs that can refuse it. */
const COMMIT_HOOKS = ['pre-commit', 'prepare-commit-msg', 'commit-msg'];
const MERGE_HOOKS = ['pre-merge-commit', ...COMMIT_HOOKS];
const MAX_HOOK_OUTPUT = 8000;

/** The changed files of a status that block a merge (untracked ones do not: git refuses to overwrite one by itself). */
function blocking(status: GitStatus): string[] {
  return [...new Set([...status.conflicted, ...status.staged, ...status.modified])];
}

function listFiles(files: readonly string[], max = 10): string {
  return `${files.slice(0, max).join(', ')}${files.length > max ? `, and ${files.length - max} more` : ''}`;
}

/**
 * Commits a worktree's changes and brings its branch back into its base branch (docs/merge.md):
 * a merge commit, a squash, or a rebase then a fast-forward; in the worktree where the base is
 * checked out, else in a temporary worktree, never by switching a worktree the user did not name.
 * All git goes through GitService (no git runs in an untrusted workspace: hooks are the
 * repository's code).
 */
export class MergeService {
  constructor(
    private readonly options: {
      store: Store;
      git: GitService;
      workspaces: WorkspaceService;
      logger: Logger;
      /** `claudeManager.worktreesRoot`: where a temporary worktree of the base goes. */
      worktreesRoot: () => string | undefined;
    },
  ) {}

  private get git(): GitService {
    return this.options.git;
  }

  /** The worktree, present on disk, or a clear error. */
  private async present(id: string): Promise<Worktree> {
    const wt = await this.options.workspaces.getWorktree(id);
    if (wt.missing) throw new ClaudeManagerError('NOT_FOUND', `The folder of ${wt.name} (${wt.path}) is gone. Prune it, or restore the folder.`);
    return wt;
  }

  /** The branch the worktree's work goes back to. */
  async baseBranch(id: string): Promise<string | undefined> {
    const wt = await this.options.workspaces.getWorktree(id);
    // The same rule as the changes listing's, with the branches read now.
    const base = await worktreeBase(wt, () => readRepositoryBranches(this.git, this.options.workspaces, wt.workspaceId));
    return base?.branch;
  }

  /** Whether hooks of these names would run in `cwd` (core.hooksPath respected). */
  private async hooksPresent(cwd: string, names: readonly string[]): Promise<string[]> {
    const out = await this.git.run(cwd, ['rev-parse', '--path-format=absolute', ...names.flatMap((n) => ['--git-path', `hooks/${n}`])], 'Looking for git hooks');
    const paths = out.split('\n').filter(Boolean);
    const found: string[] = [];
    for (const [i, path] of paths.entries()) {
      if (await readFile(path).then(() => true, () => false)) found.push(names[i]!);
    }
    return found;
  }

  /** A failure of a command that runs hooks: HOOK_FAILED with the hook's output when a hook refused, else as git said. */
  private async hookOrGitError(error: unknown, cwd: string, hooks: readonly string[], what: string): Promise<unknown> {
    if (!isClaudeManagerError(error) || !(error.cause instanceof ProcessError) || error.cause.reason !== 'exit') return error;
    const output = error.cause.stderr.trim();
    // Git's own refusals start "fatal:"; a hook's output is whatever the hook printed.
    if (/^fatal: /m.test(output)) return error;
    const present = await this.hooksPresent(cwd, hooks).catch(() => []);
    if (!present.length) return error;
    const detail = output.length > MAX_HOOK_OUTPUT ? `${output.slice(0, MAX_HOOK_OUTPUT)}\n…` : output;
    return new ClaudeManagerError('HOOK_FAILED', `${what} was refused by the repository's ${present.join(' or ')} hook${detail ? `: ${detail.split('\n').find((l) => l.trim()) ?? ''}` : ' (it printed nothing)'}. Fix what it reports, then try again.`, { cause: error, detail: detail || '(the hook printed nothing)' });
  }

  // ── commit ────────────────────────────────────────────────────────────────────────────────

  /**
   * Stages everything (`git add -A`) and commits it with `message`. Hooks run as git runs them;
   * one that refuses gives HOOK_FAILED with its output as `detail` (the changes stay staged).
   */
  async commit(id: string, message: string): Promise<{ commit: string; summary: string }> {
    this.git.requireTrust('Committing');
    if (!message.trim()) throw new ClaudeManagerError('INVALID_INPUT', 'A commit needs a message. Write what the changes do.');
    const wt = await this.present(id);
    const operation = await operationOf(wt.path);
    if (operation) throw this.inProgress(wt, operation);
    const status = await this.git.status(wt.path);
    if (status.isClean) throw new ClaudeManagerError('NOTHING_TO_COMMIT', `${wt.name} has no changes to commit.`);
    await this.git.run(wt.path, ['add', '--all'], `Staging the changes of ${wt.name}`);
    try {
      await this.git.run(wt.path, ['commit', '--quiet', '--message', message], `Committing in ${wt.name}`, { env: NON_INTERACTIVE });
    } catch (error) {
      throw await this.hookOrGitError(error, wt.path, COMMIT_HOOKS, `The commit in ${wt.name}`);
    }
    const [sha, summary] = (await this.git.run(wt.path, ['log', '-1', '--format=%H%x00%s'], 'Reading the new commit')).trim().split('\0');
    this.options.logger.info(`Committed ${sha?.slice(0, 8)} in ${wt.path}`);
    return { commit: sha ?? '', summary: summary ?? '' };
  }

  private inProgress(wt: Worktree, operation: GitOperation): ClaudeManagerError {
    const what = operation === 'rebase' ? 'A rebase' : operation === 'squash' ? 'A squash merge' : 'A merge';
    return new ClaudeManagerError('MERGE_IN_PROGRESS', `${what} is in progress in ${wt.name} (${wt.path}). Resolve its conflicts and continue it, or abort it, first.`);
  }

  // ── merge ─────────────────────────────────────────────────────────────────────────────────

  /**
   * Merges the worktree's branch into its base branch with `strategy`. Refused (DIRTY_WORKTREE)
   * while the worktree or the base's worktree has uncommitted changes; conflicts are a result,
   * with the merge left in progress where it ran.
   */
  async merge(id: string, options: { strategy: MergeStrategy }): Promise<MergeResult> {
    const strategy = options.strategy;
    this.git.requireTrust('Merging');
    if (!['merge', 'squash', 'rebase'].includes(strategy)) throw new ClaudeManagerError('INVALID_INPUT', `Unknown merge strategy "${String(strategy)}": use merge, squash or rebase.`);
    const source = await this.present(id);
    if (source.isMain) throw new ClaudeManagerError('INVALID_INPUT', `${source.name} is the main worktree: it has no base branch to merge into. Merge a linked worktree instead.`);
    const branch = source.branch;
    if (!branch) throw new ClaudeManagerError('INVALID_INPUT', `${source.name} is on a detached HEAD: there is no branch to merge. Switch it to a branch first.`);
    const workspace = await this.options.workspaces.getWorkspace(source.workspaceId);
    const base = await this.baseBranch(id);
    if (!base || !(await this.git.hasLocalBranch(workspace.path, base))) {
      throw new ClaudeManagerError('NOT_FOUND', `${source.name} has no base branch to merge into${base ? ` (there is no local branch "${base}")` : ''}. Create or fetch it first.`);
    }
    if (base === branch) throw new ClaudeManagerError('INVALID_INPUT', `${source.name} is on its base branch ${base}: there is nothing to merge.`);
    const sourceOperation = await operationOf(source.path);
    if (sourceOperation) throw this.inProgress(source, sourceOperation);
    const dirty = blocking(await this.git.status(source.path));
    if (dirty.length) {
      throw new ClaudeManagerError('DIRTY_WORKTREE', `${source.name} has uncommitted changes (${listFiles(dirty)}). Commit them first ("Commit All…"), then merge.`);
    }
    const existing = await this.baseWorktree(source.workspaceId, base);
    if (existing) await this.assertReady(existing, base);
    const ahead = Number((await this.git.run(source.path, ['rev-list', '--count', `refs/heads/${base}..refs/heads/${branch}`], 'Counting the commits to merge')).trim());
    if (!ahead) return { status: 'up-to-date', worktreeId: id, baseBranch: base };

    if (strategy === 'rebase') {
      try {
        await this.git.run(source.path, ['rebase', `refs/heads/${base}`], `Rebasing ${branch} onto ${base}`, { long: true, env: NON_INTERACTIVE });
      } catch (error) {
        const conflicts = await this.conflictsAfter(error, source.path, 'rebase');
        if (!conflicts) throw error;
        await this.remember({ path: source.path, sourceWorktreeId: id, sourceBranch: branch, baseBranch: base, strategy, temporary: false });
        return { status: 'conflicts', worktreeId: id, sourceWorktreeId: id, operation: 'rebase', files: conflicts, path: source.path, baseBranch: base };
      }
      return this.fastForward(source, branch, base);
    }

    const target = existing ?? (await this.temporaryWorktree(workspace.path, source.workspaceId, base));
    const pending: PendingMerge = { path: target.path, sourceWorktreeId: id, sourceBranch: branch, baseBranch: base, strategy, temporary: !existing };
    try {
      if (strategy === 'squash') pending.message = await this.squashMessage(source.path, branch, base);
      const merged = await this.mergeIn(target, pending);
      if (merged.status === 'conflicts') {
        await this.remember(pending);
        // The temporary worktree stays while its conflicts wait, listed like any other.
        if (pending.temporary) {
          await this.options.workspaces.sync(source.workspaceId);
          return await this.conflictResult(target.path, pending, merged.files);
        }
      } else if (pending.temporary) {
        await this.removeTemporary(workspace.path, target.path, source.workspaceId);
      }
      return merged;
    } catch (error) {
      if (pending.temporary) await this.removeTemporary(workspace.path, target.path, source.workspaceId).catch((e: Error) => this.options.logger.warn(e.message));
      throw error;
    }
  }

  /** The worktree (present) that has `base` checked out, if any. */
  private async baseWorktree(workspaceId: string, base: string): Promise<Worktree | undefined> {
    await this.options.workspaces.sync(workspaceId);
    return (await this.options.workspaces.knownWorktrees(workspaceId)).find((w) => w.branch === base && !w.missing);
  }

  /** Refuses a base worktree with a merge under way or uncommitted changes. */
  private async assertReady(target: Pick<Worktree, 'name' | 'path'> & Partial<Worktree>, base: string): Promise<void> {
    const operation = await operationOf(target.path);
    if (operation) throw this.inProgress(target as Worktree, operation);
    const dirty = blocking(await this.git.status(target.path));
    if (dirty.length) {
      throw new ClaudeManagerError('DIRTY_WORKTREE', `The worktree of ${base}, ${target.name} (${target.path}), has uncommitted changes (${listFiles(dirty)}). Commit or stash them there, then merge again.`);
    }
  }

  /** A worktree of `base` made for one merge, beside the others, with a row of its own. */
  private async temporaryWorktree(mainPath: string, workspaceId: string, base: string): Promise<Pick<Worktree, 'name' | 'path'> & { id?: string }> {
    const { root } = worktreePathFor(mainPath, base, this.options.worktreesRoot());
    const path = join(root, `merge-into-${folderForBranch(base)}-${randomBytes(3).toString('hex')}`);
    await this.git.addWorktree(mainPath, { path, branch: base });
    this.options.logger.info(`Made the temporary worktree ${path} to merge into ${base}`);
    return { name: `temporary worktree of ${base}`, path };
  }

  private async removeTemporary(mainPath: string, path: string, workspaceId: string): Promise<void> {
    await this.git.removeWorktree(mainPath, path, { force: true });
    this.options.logger.info(`Removed the temporary worktree ${path}`);
    await this.options.workspaces.sync(workspaceId);
  }

  /** "Squash merge branch 'x' into main", then the branch's commits, oldest first. */
  private async squashMessage(cwd: string, branch: string, base: string): Promise<string> {
    const log = await this.git.run(cwd, ['log', '--reverse', '--format=%h %s', `refs/heads/${base}..refs/heads/${branch}`], 'Listing the commits to squash');
    const lines = log.split('\n').filter(Boolean);
    return `Squash merge branch '${branch}' into ${base}\n\n${lines.map((l) => `* ${l}`).join('\n')}\n`;
  }

  /** Runs the merge (or squash) of `pending` where it goes; the conflicted files when it stops on them. */
  private async mergeIn(target: Pick<Worktree, 'name' | 'path'> & { id?: string }, pending: PendingMerge): Promise<MergeResult> {
    const args = pending.strategy === 'squash' ? ['merge', '--squash', `refs/heads/${pending.sourceBranch}`] : ['merge', '--no-ff', '--no-edit', '-m', `Merge branch '${pending.sourceBranch}'`, `refs/heads/${pending.sourceBranch}`];
    try {
      await this.git.run(target.path, args, `Merging ${pending.sourceBranch} into ${pending.baseBranch}`, { long: true, env: NON_INTERACTIVE });
    } catch (error) {
      const conflicts = await this.conflictsAfter(error, target.path, pending.strategy === 'squash' ? 'squash' : 'merge');
      if (conflicts) return this.conflictResult(target.path, pending, conflicts);
      await this.restore(target.path);
      throw await this.hookOrGitError(this.untrackedInTheWay(error, target.path), target.path, MERGE_HOOKS, `The merge of ${pending.sourceBranch} into ${pending.baseBranch}`);
    }
    if (pending.strategy === 'squash') await this.commitSquash(target.path, pending);
    return this.merged(target.path, pending);
  }

  private async commitSquash(path: string, pending: PendingMerge): Promise<void> {
    try {
      await this.git.run(path, ['commit', '--quiet', '--cleanup=strip', '--message', pending.message ?? `Squash merge branch '${pending.sourceBranch}' into ${pending.baseBranch}`], `Committing the squash of ${pending.sourceBranch}`, { env: NON_INTERACTIVE });
    } catch (error) {
      await this.restore(path);
      throw await this.hookOrGitError(error, path, COMMIT_HOOKS, `The squash commit of ${pending.sourceBranch}`);
    }
  }

  private async merged(path: string, pending: PendingMerge): Promise<MergeResult> {
    const commit = (await this.git.run(path, ['rev-parse', 'HEAD'], 'Reading the merged commit')).trim();
    this.options.logger.info(`Merged ${pending.sourceBranch} into ${pending.baseBranch} (${pending.strategy}) at ${commit.slice(0, 8)}`);
    return { status: 'merged', worktreeId: pending.sourceWorktreeId, strategy: pending.strategy, baseBranch: pending.baseBranch, commit };
  }

  private async conflictResult(path: string, pending: Partial<PendingMerge>, files: string[]): Promise<MergeResult> {
    const row = await this.options.store.worktrees.findByPath(await realpath(path).catch(() => path));
    const operation = (await operationOf(path)) ?? (pending.strategy === 'squash' ? 'squash' : pending.strategy === 'rebase' ? 'rebase' : 'merge');
    return {
      status: 'conflicts',
      worktreeId: row?.id ?? '',
      ...(pending.sourceWorktreeId ? { sourceWorktreeId: pending.sourceWorktreeId } : {}),
      operation,
      files,
      path,
      ...(pending.baseBranch ? { baseBranch: pending.baseBranch } : {}),
    };
  }

  /** After a failed merge or rebase: its conflicted files, or undefined when it failed for another reason. */
  private async conflictsAfter(error: unknown, path: string, operation: GitOperation): Promise<string[] | undefined> {
    if (!isClaudeManagerError(error) || error.code !== 'GIT_FAILED') return undefined;
    const status = await this.git.status(path).catch(() => undefined);
    if (status?.conflicted.length && (await operationOf(path)) === operation) return status.conflicted;
    return undefined;
  }

  /** Git's "untracked working tree files would be overwritten by merge", as a message that says what to do. */
  private untrackedInTheWay(error: unknown, path: string): unknown {
    if (!isClaudeManagerError(error) || !(error.cause instanceof ProcessError)) return error;
    const m = /untracked working tree files would be overwritten by (?:merge|checkout):\n((?:\t.+\n?)+)/.exec(error.cause.stderr);
    if (!m?.[1]) return error;
    const files = m[1].split('\n').map((l) => l.trim()).filter(Boolean);
    return new ClaudeManagerError('DIRTY_WORKTREE', `The merge would overwrite untracked files in ${path}: ${listFiles(files)}. Move or delete them there, then merge again.`, { cause: error });
  }

  /** Puts back a merge that did not go through: git's own abort for what it left in progress. */
  private async restore(path: string): Promise<void> {
    const operation = await operationOf(path);
    if (operation) await this.abortOperation(path, operation);
  }

  private async abortOperation(path: string, operation: GitOperation): Promise<void> {
    const args = operation === 'rebase' ? ['rebase', '--abort'] : operation === 'merge' ? ['merge', '--abort'] : ['reset', '--merge'];
    await this.git.run(path, args, `Aborting the ${operation} in ${path}`, { long: true });
  }

  /** After a clean rebase: the base fast-forwarded to the branch, where the base is checked out (or in a temporary worktree). */
  private async fastForward(source: Worktree, branch: string, base: string): Promise<MergeResult> {
    const workspace = await this.options.workspaces.getWorkspace(source.workspaceId);
    const existing = await this.baseWorktree(source.workspaceId, base);
    if (existing) await this.assertReady(existing, base);
    const target = existing ?? (await this.temporaryWorktree(workspace.path, source.workspaceId, base));
    const pending: PendingMerge = { path: target.path, sourceWorktreeId: source.id, sourceBranch: branch, baseBranch: base, strategy: 'rebase', temporary: !existing };
    try {
      await this.git.run(target.path, ['merge', '--ff-only', `refs/heads/${branch}`], `Fast-forwarding ${base} to ${branch}`, { long: true, env: NON_INTERACTIVE });
      return await this.merged(target.path, pending);
    } catch (error) {
      throw this.untrackedInTheWay(error, target.path);
    } finally {
      if (pending.temporary) await this.removeTemporary(workspace.path, target.path, source.workspaceId);
    }
  }

  // ── conflicts: continue or abort ──────────────────────────────────────────────────────────

  private async pendingMerges(): Promise<PendingMerge[]> {
    const value = await this.options.store.settings.get(PENDING_KEY);
    return Array.isArray(value) ? (value as PendingMerge[]).filter((p) => p && typeof p.path === 'string' && typeof p.sourceBranch === 'string') : [];
  }

  private async remember(pending: PendingMerge): Promise<void> {
    await this.options.store.settings.set(PENDING_KEY, [...(await this.pendingMerges()).filter((p) => p.path !== pending.path), pending]);
  }

  private async forget(path: string): Promise<void> {
    const all = await this.pendingMerges();
    if (all.some((p) => p.path === path)) await this.options.store.settings.set(PENDING_KEY, all.filter((p) => p.path !== path));
  }

  /**
   * Where the merge `id` names waits: that worktree when a merge or rebase is under way in it, else
   * the one where a merge of its branch waits.
   */
  private async waiting(id: string): Promise<{ wt: Worktree; operation: GitOperation; pending?: PendingMerge }> {
    const wt = await this.present(id);
    const pendings = await this.pendingMerges();
    const operation = await operationOf(wt.path);
    if (operation) return { wt, operation, ...optional(pendings.find((p) => p.path === wt.path)) };
    const mine = pendings.find((p) => p.sourceWorktreeId === id);
    if (mine) {
      const row = await this.options.store.worktrees.findByPath(mine.path);
      const there = row ? await this.options.workspaces.getWorktree(row.id) : undefined;
      const op = there && !there.missing ? await operationOf(there.path) : undefined;
      if (there && op) return { wt: there, operation: op, pending: mine };
      await this.forget(mine.path);
    }
    throw new ClaudeManagerError('NO_MERGE_IN_PROGRESS', `No merge or rebase is in progress in ${wt.name}.`);
  }

  /** What is under way in a worktree, for the tree: the operation and its conflicted files. */
  async state(id: string): Promise<{ operation: GitOperation; conflicted: string[] } | undefined> {
    const wt = await this.options.workspaces.getWorktree(id);
    const operation = wt.missing ? undefined : await operationOf(wt.path);
    return operation ? { operation, conflicted: (await this.git.status(wt.path)).conflicted } : undefined;
  }

  /**
   * Goes on with a merge stopped on conflicts, once they are resolved: the resolved files (no
   * conflict markers left) are staged, then the merge is committed (or the rebase continued, and
   * the base fast-forwarded). Files still holding markers give the conflicts result again.
   */
  async continueMerge(id: string): Promise<MergeResult> {
    this.git.requireTrust('Continuing the merge');
    const { wt, operation, pending } = await this.waiting(id);
    const status = await this.git.status(wt.path);
    const unresolved: string[] = [];
    for (const file of status.conflicted) {
      const text = await readFile(join(wt.path, file), 'utf8').catch(() => '');
      if (hasConflictMarkers(text)) unresolved.push(file);
    }
    if (unresolved.length) return this.conflictResult(wt.path, pending ?? {}, unresolved);
    if (status.conflicted.length) await this.git.run(wt.path, ['add', '--all', '--', ...status.conflicted], 'Staging the resolved files');
    if (operation === 'rebase') {
      try {
        await this.git.run(wt.path, ['rebase', '--continue'], `Continuing the rebase in ${wt.name}`, { long: true, env: NON_INTERACTIVE });
      } catch (error) {
        const conflicts = await this.conflictsAfter(error, wt.path, 'rebase');
        if (conflicts) return this.conflictResult(wt.path, pending ?? { strategy: 'rebase' }, conflicts);
        throw await this.hookOrGitError(error, wt.path, COMMIT_HOOKS, `Continuing the rebase in ${wt.name}`);
      }
      await this.forget(wt.path);
      const branch = pending?.sourceBranch ?? (await this.git.status(wt.path)).branch;
      const base = pending?.baseBranch ?? (await this.baseBranch(wt.id));
      if (!branch || !base) throw new ClaudeManagerError('NOT_FOUND', `The rebase in ${wt.name} is done, but its base branch is not known: merge it again to fast-forward the base.`);
      return this.fastForward(await this.present(wt.id), branch, base);
    }
    // A squash's message is the one made when it started; one started elsewhere has git's SQUASH_MSG.
    const squashMessage = operation === 'squash' && !pending?.message ? join((await gitDirOf(wt.path)) ?? join(wt.path, '.git'), 'SQUASH_MSG') : undefined;
    const args = ['commit', '--quiet', '--cleanup=strip', ...(operation === 'squash' ? (pending?.message ? ['--message', pending.message] : ['--file', squashMessage!]) : ['--no-edit'])];
    try {
      await this.git.run(wt.path, args, `Committing the merge in ${wt.name}`, { env: NON_INTERACTIVE });
    } catch (error) {
      throw await this.hookOrGitError(error, wt.path, COMMIT_HOOKS, `The merge commit in ${wt.name}`);
    }
    const result: MergeResult = pending
      ? await this.merged(wt.path, pending)
      : { status: 'merged', worktreeId: wt.id, strategy: operation, baseBranch: wt.branch ?? '', commit: (await this.git.run(wt.path, ['rev-parse', 'HEAD'], 'Reading the merged commit')).trim() };
    await this.finish(wt, pending);
    return result;
  }

  /** Aborts a merge stopped on conflicts with git's own abort: HEAD, index and files as they were before it. */
  async abortMerge(id: string): Promise<void> {
    this.git.requireTrust('Aborting the merge');
    const { wt, operation, pending } = await this.waiting(id);
    await this.abortOperation(wt.path, operation);
    this.options.logger.info(`Aborted the ${operation} in ${wt.path}`);
    await this.finish(wt, pending);
  }

  /** A merge is over: its record goes, and its temporary worktree. */
  private async finish(wt: Worktree, pending: PendingMerge | undefined): Promise<void> {
    await this.forget(wt.path);
    if (pending?.temporary) {
      const workspace = await this.options.workspaces.getWorkspace(wt.workspaceId);
      await this.removeTemporary(workspace.path, wt.path, wt.workspaceId);
    }
  }
}

function optional<T>(value: T | undefined): { pending?: T } {
  return value === undefined ? {} : { pending: value };
}
