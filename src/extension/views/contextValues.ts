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
  /**
   * Added to a worktree row's value while a merge, squash or rebase waits there (Continue, Abort):
   * `claudeManager:worktree:merging`, `claudeManager:worktree:main:merging`, …
   */
  MergingSuffix = ':merging',
  /** Agents, by status: package.json menus match `^claudeManager:agent:`. */
  AgentRunning = 'claudeManager:agent:running',
  /** Waiting for a permission answer: allow / deny apply. */
  AgentNeedsPermission = 'claudeManager:agent:permission',
  /** Waiting for the answer to its question: answer / decline apply. */
  AgentAsks = 'claudeManager:agent:question',
  AgentWaiting = 'claudeManager:agent:waiting',
  AgentError = 'claudeManager:agent:error',
  AgentFinished = 'claudeManager:agent:finished',
  /** Run by another window: only what needs no process applies. */
  AgentElsewhere = 'claudeManager:agent:elsewhere',
  /** Run by another window and waiting for a permission answer, given from here through that window. */
  AgentElsewhereNeedsPermission = 'claudeManager:agent:elsewhere:permission',
  /** Run by another window and asking a question, answered from here through that window. */
  AgentElsewhereAsks = 'claudeManager:agent:elsewhere:question',
  /** The pinned "Needs you (N)" node: every agent waiting on the user, across repositories. */
  Inbox = 'claudeManager:inbox',
  /** An archived agent: restore or delete. */
  AgentArchived = 'claudeManager:agent:archived',
  /** The warning row shown while the Claude Code CLI cannot be found. */
  CliMissing = 'claudeManager:cliMissing',
  /** The "Archived" node of a worktree. */
  Archived = 'claudeManager:archived',
  /** The "Changes (N)" node of a worktree. */
  Changes = 'claudeManager:changes',
  /** A file a worktree changed since its base. */
  ChangedFile = 'claudeManager:changedFile',
  /** A changed file another worktree changed too: it can be compared with that one's. */
  ChangedFileShared = 'claudeManager:changedFile:shared',
}
