import type { AgentRuntime } from '../services/agents/agentRuntime';
import type { GitService } from '../services/git/gitService';
import type { Logger } from '../services/logger';
import type { Store } from '../services/storage/store';
import type { WorktreeChangesSource } from '../services/workspaces/attemptChanges';
import { GitMergeIntoBase } from '../services/workspaces/attemptMerge';
import { BestOfN } from '../services/workspaces/bestOfN';
import type { WorkspaceService } from '../services/workspaces/workspaceService';

/**
 * Best of N with what it needs of changes and merging: the changes are `WorktreeChangesService`'s
 * (src/services/git/changes.ts). Until `MergeService` (src/services/workspaces/merge.ts) is here,
 * its small stand-in (attemptMerge.ts) merges: replace it here.
 */
export function makeBestOfN(parts: { store: Store; git: GitService; workspaces: WorkspaceService; runtime: AgentRuntime; logger: Logger; changes: WorktreeChangesSource }): BestOfN {
  return new BestOfN({
    store: parts.store,
    git: parts.git,
    workspaces: parts.workspaces,
    agents: parts.runtime,
    changes: parts.changes,
    merge: new GitMergeIntoBase(parts.store, parts.git),
    logger: parts.logger,
  });
}
