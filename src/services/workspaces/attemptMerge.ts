import { realpath } from 'node:fs/promises';
import { ClaudeManagerError } from '../errors';
import type { GitService } from '../git/gitService';
import type { Store } from '../storage/store';

export type MergeStrategy = 'merge' | 'squash' | 'rebase';

/**
 * A merge's result: conflicts are a result, not an error (the merge stays in progress where it
 * ran: `worktreeId` names that worktree). The part of `MergeResult` (merge.ts) Keep This One reads,
 * so that `MergeService` fits as it is.
 */
export type MergeOutcome =
  | { status: 'merged' | 'up-to-date'; worktreeId: string }
  | { status: 'conflicts'; worktreeId: string; files: string[] };

/**
 * What Keep This One needs of merging a worktree's branch into its base. `MergeService`
 * (src/services/workspaces/merge.ts, docs/merge.md) provides it; `GitMergeIntoBase` below is the
 * small stand-in used until it does.
 */
export interface MergeIntoBase {
  merge(worktreeId: string, options: { strategy: MergeStrategy }): Promise<MergeOutcome>;
}

async function real(path: string): Promise<string> {
  return realpath(path).catch(() => path);
}

/**
 * `git merge --no-ff` of the worktree's branch, run in the worktree that has its base checked out
 * (never switching a branch anywhere). Refused when no worktree has the base checked out, or when
 * that worktree has staged, modified or conflicted files. Only the `merge` strategy.
 */
export class GitMergeIntoBase implements MergeIntoBase {
  constructor(
    private readonly store: Store,
    private readonly git: GitService,
  ) {}

  async merge(worktreeId: string, options: { strategy: MergeStrategy }): Promise<MergeOutcome> {
    if (options.strategy !== 'merge') throw new ClaudeManagerError('INVALID_INPUT', `Merging with "${options.strategy}" is not available yet: use "merge" (a merge commit).`);
    const wt = await this.store.worktrees.get(worktreeId);
    if (!wt.branch) throw new ClaudeManagerError('INVALID_INPUT', `${wt.name} is on a detached HEAD: there is no branch to merge. Switch it to a branch first.`);
    if (!wt.baseBranch) throw new ClaudeManagerError('INVALID_INPUT', `${wt.name} has no base branch recorded to merge into.`);
    const workspace = await this.store.workspaces.get(wt.workspaceId);
    const listed = await this.git.listWorktrees(workspace.path);
    const target = listed.find((w) => w.branch === wt.baseBranch && !w.prunable);
    if (!target) {
      throw new ClaudeManagerError('INVALID_INPUT', `No worktree has ${wt.baseBranch} checked out, so there is nowhere to merge ${wt.branch}. Check out ${wt.baseBranch} in a worktree and try again.`);
    }
    const where = await real(target.path);
    const status = await this.git.status(where);
    const busy = [...status.conflicted, ...status.staged, ...status.modified];
    if (busy.length > 0) {
      throw new ClaudeManagerError('INVALID_INPUT', `${where} (${wt.baseBranch}) has uncommitted changes: ${[...new Set(busy)].slice(0, 10).join(', ')}. Commit or stash them there, then keep the attempt again.`);
    }
    const targetRow = await this.store.worktrees.findByPath(where);
    try {
      await this.git.run(where, ['merge', '--no-ff', '--no-edit', '-m', `Merge branch '${wt.branch}' into ${wt.baseBranch}`, wt.branch], `Merging ${wt.branch} into ${wt.baseBranch}`, { long: true });
    } catch (error) {
      const conflicted = (await this.git.status(where)).conflicted;
      if (conflicted.length === 0) throw error;
      return { status: 'conflicts', worktreeId: targetRow?.id ?? worktreeId, files: conflicted };
    }
    return { status: 'merged', worktreeId };
  }
}
