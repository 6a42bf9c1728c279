/**
 * A file that differs between a worktree and its base, as a reviewer sees it (the shape of
 * `ChangedFile` in src/services/git/changeList.ts, so that `WorktreeChanges` fits as it is).
 */
export interface ChangedFile {
  path: string;
  /** git's letter: A added (untracked files too), M modified, D deleted, R renamed, C copied, T type changed. */
  status: string;
  /** Lines added and deleted; absent for a binary file (or an untracked one too large to count). */
  insertions?: number | undefined;
  deletions?: number | undefined;
  /** A rename's old path. */
  oldPath?: string | undefined;
}

/**
 * What the attempts need of a worktree's changes since the merge-base with its base: committed and
 * uncommitted together, untracked files counted as added. `WorktreeChangesService`
 * (src/services/git/changes.ts, docs/merge.md) provides it as it is.
 */
export interface WorktreeChangesSource {
  changes(worktreeId: string): Promise<{ files: ChangedFile[] }>;
}
