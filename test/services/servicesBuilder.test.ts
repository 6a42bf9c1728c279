import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AgentRuntime } from '../../src/services/agents/agentRuntime';
import { startWatchdog } from '../../src/services/agents/watchdog';
import type { Store } from '../../src/services/storage/store';
import { WorktreeMonitor } from '../../src/services/workspaces/worktreeMonitor';
import { SpawnHost } from '../../src/services/spawn/spawnHost';
import { buildServices, type ServicesParts } from '../../src/extension/servicesBuilder';
import { findClaudeBinary } from '../helpers/claudeCli';
import { quiet } from '../helpers/storage';
import { openStore } from '../helpers/storeWorker';
import { startSpawnWorker } from '../helpers/spawnWorker';
import * as windows from '../../src/services/windows/agentWindows';
import { ClaudeManagerError } from '../../src/services/errors';
import { SETUP_FILE, WorktreeSetup } from '../../src/services/workspaces/worktreeSetup';
import { commit, repository } from '../helpers/git';

describe('building the services', () => {
  // Made and removed here, not by suiteTempDir: the store must be closed before its folder goes
  // (suiteTempDir's hook would run first and race the store's last writes).
  let folder = '';
  const storeDir = () => folder;
  let store: Store;
  /** What the builds made that is not let go of yet. */
  const alive = { statusItems: 0, heartbeats: 0, monitors: new Set<WorktreeMonitor>() };
  const originalHeartbeat = AgentRuntime.prototype.startHeartbeat;
  const originalDispose = WorktreeMonitor.prototype.dispose;

  before(async () => {
    folder = mkdtempSync(join(tmpdir(), 'cm-services-build-'));
    store = await openStore(storeDir(), quiet);
    // Counted as the editor would see them: a heartbeat timer running, a monitor watching.
    AgentRuntime.prototype.startHeartbeat = function (this: AgentRuntime, ...args: Parameters<AgentRuntime['startHeartbeat']>) {
      const stop = originalHeartbeat.apply(this, args);
      alive.heartbeats++;
      let stopped = false;
      return () => {
        if (!stopped) alive.heartbeats--;
        stopped = true;
        stop();
      };
    };
    WorktreeMonitor.prototype.dispose = function (this: WorktreeMonitor) {
      alive.monitors.delete(this);
      originalDispose.call(this);
    };
  });
  after(async () => {
    AgentRuntime.prototype.startHeartbeat = originalHeartbeat;
    WorktreeMonitor.prototype.dispose = originalDispose;
    await store.close();
    rmSync(folder, { recursive: true, force: true });
  });

  function parts(discover: ServicesParts['discover']): ServicesParts {
    return {
      store,
      logger: quiet,
      gitPath: undefined,
      startWatchdog: () => startWatchdog(process.execPath, ['--import', 'tsx', require.resolve('../../src/services/agents/watchdogMain.ts')], quiet),
      modules: () => ({ AgentRuntime, SpawnHost, WorktreeSetup }),
      startSpawnWorker,
      runtime: { windowId: 'window-build', locateCli: async () => findClaudeBinary(), env: () => process.env },
      worktreesRoot: () => undefined,
      // Stands in for the status bar item and the forwarding of events, which need the editor.
      attach: (services) => {
        alive.monitors.add(services.monitor);
        alive.statusItems++;
        let disposed = false;
        return [
          {
            dispose: () => {
              if (!disposed) alive.statusItems--;
              disposed = true;
            },
          },
        ];
      },
      discover,
    };
  }

  it('a build that fails lets go of all it made; a second build makes one status item, one heartbeat, one monitor', async () => {
    let tries = 0;
    const discover = async () => {
      if (++tries === 1) throw new Error('the editor\'s repositories could not be listed');
    };
    await assert.rejects(buildServices(parts(discover)), /could not be listed/);
    assert.deepEqual([alive.statusItems, alive.heartbeats, alive.monitors.size], [0, 0, 0], 'nothing of the failed build is left');
    const built = await buildServices(parts(discover));
    assert.deepEqual([alive.statusItems, alive.heartbeats, alive.monitors.size], [1, 1, 1], 'one of each after the retry');
    await built.shutdown();
    assert.deepEqual([alive.statusItems, alive.heartbeats, alive.monitors.size], [0, 0, 0], 'shutdown lets go of everything');
  });

  it('runs a new worktree\'s setup from a committed .claude-manager.json only once the user allowed it, and gives it its ports', async () => {
    const repo = repository('setup-gate');
    commit(repo, 'setup', { [SETUP_FILE]: JSON.stringify({ setup: ['echo "$PORT" > ran.txt'], ports: { base: 4100, count: 2 } }) });
    const asked: string[] = [];
    let answer = false;
    const built = await buildServices({ ...parts(async () => undefined), runtime: { ...parts(async () => undefined).runtime, trusted: () => true }, askToAllowSetup: async (workspace) => (asked.push(workspace.name), answer) });
    try {
      const { workspaces, setupRuns } = built.services;
      const ws = (await workspaces.createWorkspace({ path: repo }))!;
      const refused = await workspaces.createWorktree({ workspaceId: ws.id, branch: 'refused', newBranch: true });
      assert.deepEqual(asked, ['setup-gate']);
      assert.deepEqual(refused.ports, { base: 4100, count: 2 }, 'ports run nothing: taken anyway');
      assert.equal(setupRuns.of(refused.id), undefined, 'no setup ran');
      assert.equal(existsSync(join(refused.path, 'ran.txt')), false);
      answer = true;
      const done = new Promise<void>((resolve) => setupRuns.onDidChange((run) => run.state !== 'running' && resolve()));
      const allowed = await workspaces.createWorktree({ workspaceId: ws.id, branch: 'allowed', newBranch: true });
      await done;
      assert.equal(setupRuns.of(allowed.id)?.state, 'done');
      assert.equal(readFileSync(join(allowed.path, 'ran.txt'), 'utf8'), '4102\n', 'its own first port');
      assert.deepEqual(asked, ['setup-gate', 'setup-gate']);
      // Allowed once: not asked again while the file stays the same.
      const again = await workspaces.createWorktree({ workspaceId: ws.id, branch: 'again', newBranch: true });
      assert.deepEqual(asked.length, 2);
      assert.ok(setupRuns.of(again.id));
    } finally {
      await built.shutdown();
    }
  });

  it('given the store\'s folder, serves the window\'s agents to the user\'s other windows until it shuts down', async () => {
    const runtimeDir = mkdtempSync(join(tmpdir(), 'cm-services-run-'));
    const saved = process.env.XDG_RUNTIME_DIR;
    process.env.XDG_RUNTIME_DIR = runtimeDir;
    try {
      const windowId = `${hostname()}:${process.pid}:window-served`;
      const built = await buildServices({ ...parts(async () => undefined), modules: () => ({ AgentRuntime, SpawnHost, WorktreeSetup, windows }), storeDir: storeDir(), runtime: { ...parts(async () => undefined).runtime, windowId } });
      const others = new windows.OtherWindows({ folder: await windows.socketFolder(), storeDir: storeDir(), secret: await windows.storeSecret(storeDir()) });
      let answered = false;
      for (let i = 0; i < 100 && !answered; i++) {
        answered = await others.answers(windowId, 1000);
        if (!answered) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok(answered, 'the window answers on its channel');
      await assert.rejects(others.call(windowId, 'sendMessage', { agentId: 'ag_none', content: 'hi' }), (e: unknown) => e instanceof ClaudeManagerError && e.code === 'NOT_RUNNING');
      others.dispose();
      await built.shutdown();
      assert.equal(await others.answers(windowId, 1000), false, 'nobody answers once it shut down');
      others.dispose();
    } finally {
      if (saved === undefined) delete process.env.XDG_RUNTIME_DIR;
      else process.env.XDG_RUNTIME_DIR = saved;
      rmSync(runtimeDir, { recursive: true, force: true });
    }
  });
});
