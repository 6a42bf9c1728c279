import type { AgentRuntime } from '../services/agents/agentRuntime';
import type { GitService } from '../services/git/gitService';
import type { Logger } from '../services/logger';
import type { Store } from '../services/storage/store';
import { GitWorktreeChanges } from '../services/workspaces/attemptChanges';
import { GitMergeIntoBase } from '../services/workspaces/attemptMerge';
import { BestOfN } from '../services/workspaces/bestOfN';
import type { WorkspaceService } from '../services/workspaces/workspaceService';

/**
 * Best of N with what it needs of changes and merging. Until `WorktreeChanges`
 * (src/services/git/changes.ts) and `MergeService` (src/services/workspaces/merge.ts) are here,
 * their small stand-ins (attemptChanges.ts, attemptMerge.ts) are given: replace them here.
 */
export function makeBestOfN(parts: { store: Store; git: GitService; workspaces: WorkspaceService; runtime: AgentRuntime; logger: Logger }): BestOfN {
  const { store, git } = parts;
  // A worktree with no base recorded goes back to the main worktree's branch.
  const defaultBase = async (worktreeId: string): Promise<string> => {
    const wt = await store.worktrees.get(worktreeId);
    return (await store.worktrees.list(wt.workspaceId)).find((w) => w.isMain)?.branch ?? 'main';
  };
  return new BestOfN({
    store,
    git,
    workspaces: parts.workspaces,
    agents: parts.runtime,
    changes: new GitWorktreeChanges(store, git, defaultBase),
    merge: new GitMergeIntoBase(store, git),
    logger: parts.logger,
  });
}
