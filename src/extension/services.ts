import type { AgentRuntime } from '../services/agents/agentRuntime';
import type { WorktreeChangesService } from '../services/git/changes';
import type { GitService } from '../services/git/gitService';
import type { Store } from '../services/storage/store';
import type { BestOfN } from '../services/workspaces/bestOfN';
import type { WorkspaceService } from '../services/workspaces/workspaceService';
import type { WorktreeMonitor } from '../services/workspaces/worktreeMonitor';
import type { MergeService } from '../services/workspaces/merge';
import type { PublishService } from '../services/workspaces/publish';
import type { SetupRuns } from '../services/workspaces/setupRuns';
import type { WorktreeSetup } from '../services/workspaces/worktreeSetup';

/** The services behind the views, the commands and the API, made once the store is open. */
export interface Services {
  store: Store;
  git: GitService;
  workspaces: WorkspaceService;
  monitor: WorktreeMonitor;
  runtime: AgentRuntime;
  /** Commit, merge back, continue or abort a merge (docs/merge.md). */
  merges: MergeService;
  /** Push and pull requests. */
  publish: PublishService;
  /** Each worktree's changes since its base branch, and the files worktrees both changed. */
  changes: WorktreeChangesService;
  /** Agents started from one prompt, compared, one kept. */
  bestOfN: BestOfN;
  /** Each repository's worktree setup (`.claude-manager.json`): ports, environment. */
  setup: WorktreeSetup;
  /** The setup commands of new worktrees, as they run and how they ended. */
  setupRuns: SetupRuns;
}
