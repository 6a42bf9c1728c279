import type { AgentRuntime } from '../services/agents/agentRuntime';
import type { WorktreeChangesService } from '../services/git/changes';
import type { GitService } from '../services/git/gitService';
import type { Store } from '../services/storage/store';
import type { BestOfN } from '../services/workspaces/bestOfN';
import type { WorkspaceService } from '../services/workspaces/workspaceService';
import type { WorktreeMonitor } from '../services/workspaces/worktreeMonitor';

/** The services behind the views, the commands and the API, made once the store is open. */
export interface Services {
  store: Store;
  git: GitService;
  workspaces: WorkspaceService;
  monitor: WorktreeMonitor;
  runtime: AgentRuntime;
  /** Each worktree's changes since its base branch, and the files worktrees both changed. */
  changes: WorktreeChangesService;
  /** Agents started from one prompt, compared, one kept. */
  bestOfN: BestOfN;
}
