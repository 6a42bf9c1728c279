import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { AgentRuntime } from '../../src/services/agents/agentRuntime';
import { SpawnHost } from '../../src/services/spawn/spawnHost';
import { WorktreeSetup } from '../../src/services/workspaces/worktreeSetup';
import { buildServices } from '../../src/extension/servicesBuilder';
import { startWatchdog } from '../../src/services/agents/watchdog';
import type { Store } from '../../src/services/storage/store';
import { agentStatuses } from '../helpers/agentEvents';
import { findClaudeBinary, makeCliEnv, makeTempGitRepo, makeTempHome } from '../helpers/claudeCli';
import { running, runningInGroup } from '../helpers/processes';
import { quiet, suiteTempDir } from '../helpers/storage';
import { openStore } from '../helpers/storeWorker';
import { spawnHost, startSpawnWorker } from '../helpers/spawnWorker';
import { MockAnthropicApi, textReply } from '../mocks/anthropicApi';
import { recordReliability } from '../helpers/reliability';

describe('no claude process outlives what started it (real CLI, mock API)', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  const storeDir = suiteTempDir('cm-orphans-');
  const repo = makeTempGitRepo();
  const home = makeTempHome();
  let api: MockAnthropicApi;
  let store: Store;
  let worktreeId: string;

  before(async () => {
    api = await MockAnthropicApi.start();
    store = await openStore(storeDir(), quiet);
    const ws = await store.workspaces.create({ path: repo.path });
    worktreeId = (await store.worktrees.create({ workspaceId: ws.id, name: 'repo', branch: 'main', path: repo.path, isMain: true })).id;
  });
  after(async () => {
    await store.close();
    await api.close();
    repo.cleanup();
    home.cleanup();
  });

  it('a spawn worker that dies ends the agents it carried: their process groups are gone, then they are reported ended', async () => {
    const host: SpawnHost = spawnHost(quiet);
    const watched = new Set<number>();
    const runtime = new AgentRuntime({
      store,
      logger: quiet,
      windowId: 'window-crash',
      spawn: host.spawn,
      watchdog: { add: (pid) => watched.add(pid), remove: (pid) => watched.delete(pid), dispose: () => undefined },
      locateCli: async () => findClaudeBinary(),
      env: () => makeCliEnv({ home: home.path, baseUrl: api.url }),
    });
    const events = agentStatuses(() => runtime);
    runtime.onDidChangeAgent((a) => events.record(a));
    const agents = await Promise.all([1, 2].map((n) => store.agents.create({ worktreeId, name: `carried ${n}` })));
    // Each is mid-turn, waiting for an answer that takes 20 s: nothing would end it soon.
    for (const _ of agents) api.enqueue(textReply('late', { initialDelayMs: 20_000 }));
    for (const a of agents) await runtime.start(a.id, { initialPrompt: 'Take your time' });
    const pids = await Promise.all(agents.map(async (a) => (await runtime.get(a.id)).pid!));
    assert.ok(pids.every(running), 'the agents run');
    assert.deepEqual([...watched].sort(), [...pids].sort(), 'the watchdog knows them');
    const ended = agents.map((a) => events.until(a.id, (x) => x.pid === undefined && x.status !== 'running', 'the agent reported ended', 30_000));
    await (host as unknown as { worker: Worker }).worker.terminate();
    await Promise.all(ended);
    // Reported ended only once they were: nothing of their groups runs, at once.
    assert.deepEqual(pids.flatMap(runningInGroup), [], 'no process of the agents\' groups runs');
    assert.deepEqual([...watched], [], 'the watchdog was told only once they had ended');
    recordReliability({ area: 'Processes left behind', what: 'the spawn worker killed while real CLIs were mid-turn, checked by pid', count: pids.length, outcome: '0 processes of their groups left', test: 'test/services/orphans.test.ts' });
    await runtime.stopAll(500);
    await host.dispose();
  });

  it('the services\' shutdown (what deactivate waits on) resolves only once no process of any agent runs', async () => {
    const built = await buildServices({
      store,
      logger: quiet,
      gitPath: undefined,
      startWatchdog: () => startWatchdog(process.execPath, ['--import', 'tsx', require.resolve('../../src/services/agents/watchdogMain.ts')], quiet),
      modules: () => ({ AgentRuntime, SpawnHost, WorktreeSetup }),
      startSpawnWorker,
      runtime: { windowId: 'window-closing', locateCli: async () => findClaudeBinary(), env: () => makeCliEnv({ home: home.path, baseUrl: api.url }) },
      worktreesRoot: () => undefined,
      attach: () => [],
      discover: async () => undefined,
    });
    const { runtime } = built.services;
    const agents = await Promise.all([1, 2].map((n) => store.agents.create({ worktreeId, name: `closing ${n}` })));
    for (const _ of agents) api.enqueue(textReply('late', { initialDelayMs: 20_000 }));
    for (const a of agents) await runtime.start(a.id, { initialPrompt: 'Take your time' });
    const pids = await Promise.all(agents.map(async (a) => (await runtime.get(a.id)).pid!));
    assert.ok(pids.every(running), 'the agents run');
    await built.shutdown(500);
    assert.deepEqual(pids.flatMap(runningInGroup), [], 'no process of the agents\' groups runs once shutdown resolved');
    for (const a of agents) assert.deepEqual(await store.agents.get(a.id).then((r) => [r.status, r.pid]), ['finished', undefined], 'each stop is stored');
    recordReliability({ area: 'Processes left behind', what: 'the services shut down (what deactivate waits on) with real CLIs mid-turn, checked by pid', count: pids.length, outcome: '0 processes of their groups left; each stop stored', test: 'test/services/orphans.test.ts' });
  });
});
