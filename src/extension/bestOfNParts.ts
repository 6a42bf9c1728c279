import type { AgentRuntime } from '../services/agents/agentRuntime';
import type { GitService } from '../services/git/gitService';
import type { Logger } from '../services/logger';
import type { Store } from '../services/storage/store';
import type { WorktreeChangesSource } from '../services/workspaces/attemptChanges';
import type { MergeIntoBase } from '../services/workspaces/attemptMerge';
import { BestOfN } from '../services/workspaces/bestOfN';
import type { WorkspaceService } from '../services/workspaces/workspaceService';

/**
 * Best of N with what it needs of changes and merging: `WorktreeChangesService`
 * (src/services/git/changes.ts) and `MergeService` (src/services/workspaces/merge.ts), as they are.
 */
export function makeBestOfN(parts: { store: Store; git: GitService; workspaces: WorkspaceService; runtime: AgentRuntime; logger: Logger; changes: WorktreeChangesSource; merges: MergeIntoBase }): BestOfN {
  return new BestOfN({
    store: parts.store,
    git: parts.git,
    workspaces: parts.workspaces,
    agents: parts.runtime,
    changes: parts.changes,
    merge: parts.merges,
    logger: parts.logger,
  });
}
