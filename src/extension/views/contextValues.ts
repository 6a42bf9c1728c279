/** contextValue of each tree node kind; package.json `when` clauses match these. */
export const enum ContextValues {
  Repository = 'claudeManager:repository',
  /** A linked worktree: can be removed, switched, opened. */
  Worktree = 'claudeManager:worktree',
  /** The repository's main worktree: never removed. */
  WorktreeMain = 'claudeManager:worktree:main',
  /** A worktree whose folder is gone: can be pruned or removed. */
  WorktreeMissing = 'claudeManager:worktree:missing',
  /** A locked worktree: not removed until unlocked. */
  WorktreeLocked = 'claudeManager:worktree:locked',
}
