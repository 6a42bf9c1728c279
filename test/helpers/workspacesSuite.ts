/**
 * The setting of a suite that drives a WorkspaceService on real repositories: a store in a temp
 * folder and the service over it (git started on this thread), made before the suite's tests and
 * closed after them. Read the parts through the getters (they exist once `before` ran).
 */
import { after, before } from 'node:test';
import { GitService } from '../../src/services/git/gitService';
import type { Logger } from '../../src/services/logger';
import type { Store } from '../../src/services/storage/store';
import { WorkspaceService } from '../../src/services/workspaces/workspaceService';
import { RecordedAgents } from './recordedAgents';
import { quiet, suiteTempDir } from './storage';
import { openStore } from './storeWorker';

export function workspacesSuite(name: string, options: { logger?: Logger } = {}) {
  const storeDir = suiteTempDir(`cm-${name}-store-`);
  const git = new GitService({ logger: quiet });
  const parts = {} as { store: Store; service: WorkspaceService };
  before(async () => {
    parts.store = await openStore(storeDir(), quiet);
    parts.service = new WorkspaceService({ store: parts.store, git, logger: options.logger ?? quiet, agents: new RecordedAgents(parts.store, 'this-window'), worktreesRoot: () => undefined });
  });
  after(() => parts.store.close());
  return {
    git,
    get store() {
      return parts.store;
    },
    get service() {
      return parts.service;
    },
  };
}
