/**
 * The setting of a test suite that drives an AgentRuntime with the real CLI against the mock API:
 * a store, the mock, a git repository with its main worktree, a temp HOME, and the runtime,
 * made before the suite's tests and ended after them. Read the parts through the getters (they
 * exist once `before` ran).
 */
import { after, afterEach, before } from 'node:test';
import { AgentRuntime, type AgentRuntimeOptions } from '../../src/services/agents/agentRuntime';
import type { Store } from '../../src/services/storage/store';
import { MockAnthropicApi } from '../mocks/anthropicApi';
import { agentStatuses } from './agentEvents';
import { findClaudeBinary, makeCliEnv, makeTempGitRepo, makeTempHome } from './claudeCli';
import { quiet, suiteTempDir } from './storage';
import { openStore } from './storeWorker';

export function runtimeSuite(name: string, options: Partial<AgentRuntimeOptions> = {}, hooks: { afterEach?: () => void } = {}) {
  const storeDir = suiteTempDir(`cm-${name}-store-`);
  const repo = makeTempGitRepo();
  const home = makeTempHome();
  const parts = {} as { store: Store; api: MockAnthropicApi; runtime: AgentRuntime; worktreeId: string };
  const events = agentStatuses(() => parts.runtime);
  before(async () => {
    parts.store = await openStore(storeDir(), quiet);
    parts.api = await MockAnthropicApi.start();
    const ws = await parts.store.workspaces.create({ path: repo.path });
    parts.worktreeId = (await parts.store.worktrees.create({ workspaceId: ws.id, name: 'repo', branch: 'main', path: repo.path, isMain: true })).id;
    parts.runtime = new AgentRuntime({
      store: parts.store,
      logger: quiet,
      windowId: `window-${name}`,
      locateCli: async () => findClaudeBinary(),
      env: () => makeCliEnv({ home: home.path, baseUrl: parts.api.url }),
      ...options,
    });
    parts.runtime.onDidChangeAgent((a) => events.record(a));
  });
  afterEach(() => {
    parts.api.clearQueue();
    hooks.afterEach?.();
  });
  after(async () => {
    await parts.runtime.stopAll(500);
    await parts.api.close();
    await parts.store.close();
    repo.cleanup();
    home.cleanup();
  });
  return {
    repo,
    home,
    until: events.until,
    get store() {
      return parts.store;
    },
    get api() {
      return parts.api;
    },
    get runtime() {
      return parts.runtime;
    },
    get worktreeId() {
      return parts.worktreeId;
    },
  };
}
