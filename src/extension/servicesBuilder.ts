import type { Worker } from 'node:worker_threads';
import type * as AgentRuntimeModule from '../services/agents/agentRuntime';
import type { AgentRuntimeOptions } from '../services/agents/agentRuntime';
import type { AgentWatchdog } from '../services/agents/watchdog';
import { WorktreeChangesService } from '../services/git/changes';
import { GitService } from '../services/git/gitService';
import type { Logger } from '../services/logger';
import type * as SpawnHostModule from '../services/spawn/spawnHost';
import type * as AgentWindowsModule from '../services/windows/agentWindows';
import type { Store } from '../services/storage/store';
import { WorkspaceService } from '../services/workspaces/workspaceService';
import { WorktreeMonitor } from '../services/workspaces/worktreeMonitor';
import type * as WorktreeSetupModule from '../services/workspaces/worktreeSetup';
import type { RepositorySetup } from '../services/workspaces/worktreeSetup';
import { SetupRuns, settingsBook } from '../services/workspaces/setupRuns';
import type { WorkspaceRecord } from '../services/storage/records';
import { MergeService } from '../services/workspaces/merge';
import { PublishService } from '../services/workspaces/publish';
import { makeBestOfN } from './bestOfNParts';
import type { Services } from './services';
import { ClaudeManagerError } from '../services/errors';
import type { OtherWindowsLink } from '../services/agents/ownership';

/** What can be let go of (a `vscode.Disposable` is one). */
export interface Disposable {
  dispose(): unknown;
}

/**
 * What the services are built from. Everything that needs the editor comes in here, so that the
 * building runs under plain Node too.
 */
export interface ServicesParts {
  store: Store;
  logger: Logger;
  gitPath: string | undefined;
  /** Starts the watchdog process; called with the first agent only. */
  startWatchdog: () => AgentWatchdog;
  /** The agent runtime and the spawn worker's host, loaded on first use. */
  modules: () => { AgentRuntime: typeof AgentRuntimeModule.AgentRuntime; SpawnHost: typeof SpawnHostModule.SpawnHost; WorktreeSetup: typeof WorktreeSetupModule.WorktreeSetup; windows?: typeof AgentWindowsModule };
  /** The store's folder: the user's other windows on it reach this window's agents (and it theirs) when given. */
  storeDir?: string;
  /** Starts the spawn worker thread. */
  startSpawnWorker: () => Worker;
  runtime: Omit<AgentRuntimeOptions, 'store' | 'logger' | 'spawn' | 'watchdog'>;
  worktreesRoot: () => string | undefined;
  /**
   * Asks the user whether a repository's committed `.claude-manager.json` may put variables in
   * its agents' environment and run its commands (its content not allowed yet, or changed).
   */
  askToAllowSetup?: (workspace: WorkspaceRecord, setup: RepositorySetup) => Promise<boolean>;
  /** What goes with the services (the status bar, the forwarding of their events), made once they exist. */
  attach: (services: Services) => Disposable[];
  /** Saves the editor's repositories as workspaces; done before the services are handed out. */
  discover: (workspaces: WorkspaceService) => Promise<void>;
}

/** The services, and how to end them. */
export interface BuiltServices {
  services: Services;
  /**
   * Stops every agent of this window (all signalled at once, what remains killed after `graceMs`),
   * then the spawn worker and the watchdog, and lets go of everything else the build made.
   * Resolves once all of it is done; later calls get the same promise.
   */
  shutdown(graceMs?: number): Promise<void>;
}

/** Builds the services behind the views, commands and API. */
export async function buildServices(parts: ServicesParts): Promise<BuiltServices> {
  const { store, logger } = parts;
  /** What was made, to be let go of in reverse order. */
  const made: Disposable[] = [];
  const own = <T extends Disposable>(d: T): T => {
    made.push(d);
    return d;
  };
  let released = false;
  const release = (): void => {
    released = true;
    for (const d of made.splice(0).reverse()) {
      try {
        d.dispose();
      } catch (error) {
        logger.error(`Letting go of a service failed: ${(error as Error).message}`);
      }
    }
  };
  let stopping: Promise<void> | undefined;
  let shutdown: (graceMs?: number) => Promise<void> = () => (stopping ??= Promise.resolve().then(release));
  try {
    // Ends this window's agents if its extension host dies without stopping them (crash, SIGKILL).
    // Started with the first agent: a window that runs none has no process for it.
    let started: AgentWatchdog | undefined;
    const watchdog: AgentWatchdog = {
      add: (pid) => (started ??= parts.startWatchdog()).add(pid),
      remove: (pid) => started?.remove(pid),
      dispose: () => started?.dispose(),
    };
    const buildStart = performance.now();
    const { AgentRuntime, SpawnHost, WorktreeSetup, windows } = parts.modules();
    const loaded = performance.now();
    // Git's and the agents' processes are started from a worker thread: a start forks this
    // process, which would block the extension host for tens of milliseconds each.
    const spawnHost = new SpawnHost(parts.startSpawnWorker, logger);
    // A repository's own settings make git run programs: none runs in Restricted Mode.
    const git = new GitService({ ...(parts.gitPath !== undefined ? { gitPath: parts.gitPath } : {}), logger, spawn: spawnHost.spawn, ...(parts.runtime.trusted ? { trusted: parts.runtime.trusted } : {}) });
    const link = windows && parts.storeDir !== undefined ? windowLink(windows, parts.storeDir, parts.runtime.windowId, logger) : undefined;
    const setup = new WorktreeSetup(store, parts.askToAllowSetup);
    // Each worktree's last setup is kept in the store's settings: a reload still shows "setup failed".
    const setupRuns = new SetupRuns(logger, spawnHost.spawn, settingsBook(store.settings));
    const runtime = new AgentRuntime({ ...parts.runtime, worktreeEnv: (worktree) => setup.environment(worktree), spawn: spawnHost.spawn, watchdog, store, logger, ...(link ? { otherWindows: link.others } : {}) });
    // (A channel ready only after the services were let go of is closed at once.)
    if (link) link.serve(runtime).then((server) => (released ? void server.close() : own({ dispose: () => void server.close() })), () => undefined);
    const stopHeartbeat = runtime.startHeartbeat();
    // Agents whose window died (a crash, a reload) are not running now; a process of theirs left
    // behind is ended.
    // (Done while the editor's repositories are saved below; both are awaited before any use.)
    let reconciledAt = 0;
    let discoveredAt = 0;
    const reconciled = runtime.reconcileOrphans({ heartbeatStaleBefore: new Date(Date.now() - 90_000).toISOString() }).then((orphans) => {
      reconciledAt = performance.now();
      if (orphans.cleared.length) logger.info(`${orphans.cleared.length} agents whose window had closed are marked finished (${orphans.ended.length} left-over processes ended)`);
    });
    shutdown = (graceMs = 2000): Promise<void> =>
      (stopping ??= (async () => {
        stopHeartbeat();
        // What draws and forwards the agents goes first: the stops below are no news to announce.
        release();
        try {
          await runtime.stopAll(graceMs);
        } finally {
          // The watchdog leaves once every agent is stopped; if this host dies first, it ends them.
          watchdog.dispose();
          await spawnHost.dispose();
        }
      })());
    const workspaces = new WorkspaceService({
      store,
      git,
      logger,
      agents: {
        running: (worktreeId) => runtime.runningIn(worktreeId),
        stop: async (ids) => {
          for (const id of ids) await runtime.stop(id);
        },
        // The copies of the files they changed go with the agents of a removed repository.
        forget: async (ids) => runtime.snapshots?.deleteAgents(ids),
      },
      worktreesRoot: parts.worktreesRoot,
      // A new worktree takes its block of ports at once (its tooltip shows them), and its setup
      // commands start (in a trusted window, once allowed); agents there can start meanwhile.
      created: async (worktree) => {
        const { setup: found, allowed, env } = await setup.applied(worktree);
        const commands = found?.config.setup;
        if (!commands?.length || !allowed || (parts.runtime.trusted && !parts.runtime.trusted())) return;
        void setupRuns.run(worktree.id, worktree.path, commands, { ...parts.runtime.env(), ...env });
      },
    });
    const monitor = own(new WorktreeMonitor({ service: workspaces, git, logger }));
    // Read again as the monitor sees worktrees change (git in child processes, never on this thread).
    const changes = own(new WorktreeChangesService({ git, workspaces, logger, monitor }));
    // Bringing work back: commit, merge, push, pull requests (docs/merge.md).
    const merges = new MergeService({ store, git, workspaces, logger, worktreesRoot: parts.worktreesRoot });
    const publish = new PublishService({ store, git, workspaces, logger, baseBranch: (id) => merges.baseBranch(id), spawn: spawnHost.spawn });
    const services: Services = { store, git, workspaces, monitor, runtime, changes, merges, publish, bestOfN: makeBestOfN({ store, git, workspaces, runtime, logger, changes, merges }), setup, setupRuns };
    for (const d of parts.attach(services)) own(d);
    own({ dispose: workspaces.onDidRemoveWorktree((id) => setupRuns.forget(id)) });
    void setupRuns.restore().catch((error: Error) => logger.warn(`The worktrees' last setups could not be read back: ${error.message}`));
    // The editor's repositories are saved as workspaces before anything uses the services, so
    // that a command run at once finds them.
    // Both are waited for, so that neither is still writing when a failure lets go of the rest.
    const builtAt = performance.now();
    const discovered = parts.discover(workspaces).then(() => (discoveredAt = performance.now()));
    const failed = (await Promise.allSettled([discovered, reconciled])).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const ms = (t: number) => (t - buildStart).toFixed(0);
    logger.info(`Services built in ${ms(performance.now())} ms: modules loaded at ${ms(loaded)}, made at ${ms(builtAt)}, orphans reconciled at ${ms(reconciledAt)}, repositories saved at ${ms(discoveredAt)} ms`);
    return { services, shutdown };
  } catch (error) {
    // Nothing of a failed build outlives it (a retry builds everything again): no second status
    // item, heartbeat, monitor or worker.
    await shutdown(0).catch((e: unknown) => logger.error(`Letting go of a failed build: ${(e as Error).message}`));
    throw error;
  }
}

/**
 * The channel to the user's other windows on the store: this window's agents served to them, and
 * theirs reached from here. Made in the background; until it is ready a call to another window
 * waits for it, and if it cannot be made such calls say so (this window's own agents never wait).
 */
function windowLink(windows: typeof AgentWindowsModule, storeDir: string, windowId: string, logger: Logger) {
  const ready = Promise.all([windows.storeSecret(storeDir), windows.socketFolder()]).then(([secret, folder]) => ({ secret, folder, others: new windows.OtherWindows({ folder, storeDir, secret }) }));
  ready.catch((error: Error) => logger.warn(`Other windows cannot reach this window's agents, nor it theirs: ${error.message}`));
  const unreachable = (error: unknown) => new ClaudeManagerError('OWNED_BY_OTHER_WINDOW', `The agent runs in another window, which this one cannot reach (${(error as Error).message}). Use it there.`);
  const others: OtherWindowsLink = {
    call: async (windowId, method, params, timeoutMs) => (await ready.catch((e: unknown) => Promise.reject(unreachable(e)))).others.call(windowId, method, params, timeoutMs),
    answers: async (windowId, timeoutMs) => (await ready.catch(() => undefined))?.others.answers(windowId, timeoutMs) ?? false,
    watch: async (windowId, agentId, onEvent, onEnd) => (await ready.catch((e: unknown) => Promise.reject(unreachable(e)))).others.watch(windowId, agentId, onEvent, onEnd),
  };
  const serve = async (runtime: AgentRuntimeModule.AgentRuntime) => {
    const { secret, folder, others: client } = await ready;
    const server = await windows.serveAgents({ agents: runtime, folder, storeDir, windowId, secret, logger }).catch((error: Error) => {
      logger.warn(`Other windows cannot reach this window's agents: ${error.message}`);
      throw error;
    });
    return { close: () => Promise.all([server.close(), client.dispose()]) };
  };
  return { others, serve };
}
