import type { GitOperation } from '../git/operation';

export type MergeStrategy = 'merge' | 'squash' | 'rebase';

/**
 * A merge's result: conflicts are a result, not an error (the merge stays in progress where it
 * ran: `worktreeId` names that worktree). The part of `MergeResult` (merge.ts) Keep This One reads,
 * so that `MergeService` fits as it is.
 */
export type MergeOutcome =
  | { status: 'merged' | 'up-to-date'; worktreeId: string }
  | { status: 'conflicts'; worktreeId: string; files: string[]; operation: GitOperation; path: string };

/**
 * What Keep This One needs of bringing a worktree's work back: commit all of it, and merge its
 * branch into its base. `MergeService` (src/services/workspaces/merge.ts, docs/merge.md)
 * provides it as it is.
 */
export interface MergeIntoBase {
  /** Stages everything and commits it (hooks run; HOOK_FAILED with their output when one refuses). */
  commit(worktreeId: string, message: string): Promise<unknown>;
  merge(worktreeId: string, options: { strategy: MergeStrategy }): Promise<MergeOutcome>;
}
