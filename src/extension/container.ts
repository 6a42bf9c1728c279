import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import { createExtensionApi, publishedAgent, publishedQueued } from './api/api';
import type { ClaudeManagerExtension } from './api/claudeManager';
import { registerCommand } from './commands/registerCommand';
import { EditorRepositories } from './git/editorGit';
import { type AgentsViewNode, AgentsTreeProvider } from './views/agentsView';
import { AgentsDragAndDrop } from './views/agentsDragAndDrop';
import { Store } from '../services/storage/store';
import type * as AgentRuntimeModule from '../services/agents/agentRuntime';
import type * as SpawnHostModule from '../services/spawn/spawnHost';
import type * as AgentWindowsModule from '../services/windows/agentWindows';
import type * as WorktreeSetupModule from '../services/workspaces/worktreeSetup';
import { currentWindowId } from '../services/agents/windowId';
import { startWatchdog } from '../services/agents/watchdog';
import { locateClaudeCli, readCliVersion } from '../services/cliLocator';
import type { WorkspaceService } from '../services/workspaces/workspaceService';
import type { Agent, Message, PermissionRequest, QueuedMessage, Workspace } from './api/claudeManager';
import { registerStorageCommands } from './commands/storageCommands';
import { BudgetWatch } from '../services/usage/budgets';
import { registerSetupCommands, RunTerminals } from './commands/setupCommands';
import { registerAdoptCommand } from './commands/adoptCommands';
import { registerAgentCommands } from './commands/agentCommands';
import { registerEditorCommands } from './commands/editorCommands';
import { registerFileChangeCommands } from './commands/fileChangeCommands';
import { registerChangesCommands } from './commands/changesCommands';
import { AgentStatus } from './views/agentStatus';
import { OtherWindowAgents } from './views/otherWindowAgents';
import { askToAllowSetup, LimitResumes, SetupTerminals, sleepWhenIdle } from './worktreeReadiness';
import { registerWorktreeCommands } from './commands/worktreeCommands';
import { registerMergeCommands } from './commands/mergeCommands';
import { getConfig, gitPath } from './config';
import type { Services } from './services';
import { type BuiltServices, buildServices } from './servicesBuilder';
import { OverviewPanels } from './webviews/overviewPanel';
import { ChatPanels } from './webviews/chatPanels';
import { ComparePanels } from './webviews/comparePanels';
import { keepAttempt, openAttemptDiff } from './commands/attemptActions';
import { registerBestOfNCommands } from './commands/bestOfNCommands';

/** Context key of the "CLI not found" welcome view. */
const CLI_MISSING_CONTEXT = 'claudeManager.cliMissing';
/** Where the Claude Code docs say how to install the CLI. */
const CLI_SETUP_URL = 'https://docs.claude.com/en/docs/claude-code/setup';

/**
 * The composition root: builds every service and view in dependency order and owns their
 * disposal. Nothing holds module-level state.
 */
export class Container implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  readonly log: vscode.LogOutputChannel;
  readonly repositories: EditorRepositories;
  readonly agentsTree: AgentsTreeProvider;
  readonly api: ClaudeManagerExtension;
  readonly overview: OverviewPanels;
  readonly chats: ChatPanels;
  /** Where the user watches worktrees' setup commands. */
  private readonly runTerminals = new RunTerminals();
  private readonly limitResumes = new LimitResumes();
  private readonly setupTerminals = new SetupTerminals(async (worktreeId) => {
    const wt = await (await this.services()).workspaces.getWorktree(worktreeId);
    return wt.branch ?? wt.name;
  });
  /** Best of N's Compare panels, one per group of agents started from one prompt. */
  readonly compare: ComparePanels;
  private storeOpening: Promise<Store> | undefined;
  /** A notice that the store's worker died is on screen: another death does not add a second. */
  private storeLossShown = false;
  private servicesMaking: Promise<Services> | undefined;
  private servicesReady: Services | undefined;
  /** The services once built, with how to end them. */
  private built: BuiltServices | undefined;
  private shuttingDown: Promise<void> | undefined;
  private readonly view: vscode.TreeView<AgentsViewNode>;
  /** The first discovery of the editor's repositories, once the services exist. */
  private discovery: Promise<void> | undefined;
  private readonly workspacesChanged = new vscode.EventEmitter<Workspace[]>();
  private readonly worktreesChanged = new vscode.EventEmitter<{ workspaceId: string }>();
  private readonly agentChanged = new vscode.EventEmitter<Agent>();
  private readonly messageReceived = new vscode.EventEmitter<{ agentId: string; message: Message }>();
  private readonly permissionRequested = new vscode.EventEmitter<{ agentId: string; request: PermissionRequest }>();
  private readonly usageChanged = new vscode.EventEmitter<{ agentId: string }>();
  private readonly queueChanged = new vscode.EventEmitter<{ agentId: string; messages: readonly QueuedMessage[] }>();
  /** Identifies this window's agents among those other windows run. */
  readonly windowId = currentWindowId();

  constructor(readonly context: vscode.ExtensionContext) {
    this.log = this.own(vscode.window.createOutputChannel('Claude Manager', { log: true }));
    this.repositories = this.own(new EditorRepositories(this.log));
    for (const emitter of [this.workspacesChanged, this.worktreesChanged, this.agentChanged, this.messageReceived, this.permissionRequested, this.usageChanged, this.queueChanged]) this.own(emitter);
    this.agentsTree = this.own(
      new AgentsTreeProvider(
        this.repositories,
        () => this.services(),
        () => this.servicesReady,
        () => (this.discovery ??= this.discover()),
        this.log,
      ),
    );
    const view = (this.view = this.own(
      vscode.window.createTreeView('claudeManager.agents', {
        treeDataProvider: this.agentsTree,
        showCollapseAll: true,
        canSelectMany: true,
        dragAndDropController: new AgentsDragAndDrop(() => this.servicesReady, this.log),
      }),
    ));
    // Status is polled only while someone can see it; git's metadata is watched all along.
    const poll = () => this.servicesReady?.monitor.setPolling(view.visible);
    this.own(view.onDidChangeVisibility(poll));
    // Repositories the editor opens become workspaces (a worktree folder joins its main repository's).
    this.own(this.repositories.onDidChange(() => void this.discover()));
    // Trusted now: git may run, so the repositories are read, watched and discovered.
    this.own(
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        void this.discover();
        this.agentsTree.refresh();
      }),
    );
    this.chats = this.own(new ChatPanels({ context, log: this.log, services: () => this.services() }));
    this.overview = this.own(new OverviewPanels({ context, log: this.log, services: () => this.services(), openChat: (agentId) => this.chats.open(agentId) }));
    this.compare = this.own(
      new ComparePanels({
        context,
        log: this.log,
        services: () => this.services(),
        openChat: (agentId) => this.chats.open(agentId),
        keep: async (groupId, attemptId) => keepAttempt(await this.services(), groupId, attemptId, this.log),
        openDiff: async (params) => openAttemptDiff(await this.services(), params),
      }),
    );
    this.registerCommands();
    this.api = createExtensionApi(() => this.services(), {
      onDidChangeWorkspaces: this.workspacesChanged.event,
      onDidChangeWorktrees: this.worktreesChanged.event,
      onDidChangeAgent: this.agentChanged.event,
      onDidReceiveMessage: this.messageReceived.event,
      onDidRequestPermission: this.permissionRequested.event,
      onDidChangeUsage: this.usageChanged.event,
      onDidChangeQueuedMessages: this.queueChanged.event,
    }, () => getConfig().firstDayOfWeek);
  }

  private registerCommands(): void {
    this.own(
      registerCommand('claudeManager.refresh', this.log, async () => {
        const s = await this.services();
        s.git.requireTrust('Refreshing the repositories');
        await this.discover();
        await s.monitor.refreshAll();
        this.agentsTree.refresh();
      }),
    );
    for (const d of registerWorktreeCommands(this.log, () => this.services())) this.own(d);
    this.own(this.setupTerminals);
    this.own(this.runTerminals);
    this.own(this.limitResumes);
    this.own(this.limitResumes.command(this.log, () => this.services()));
    for (const d of registerSetupCommands(this.log, () => this.services(), this.setupTerminals, this.runTerminals, this.context.globalStorageUri.fsPath)) this.own(d);
    for (const d of registerMergeCommands(this.log, () => this.services())) this.own(d);
    for (const d of registerAgentCommands(this.log, () => this.services(), (agentId) => this.chats.open(agentId), this.context.extensionMode === vscode.ExtensionMode.Test)) this.own(d);
    this.own(registerAdoptCommand(this.log, () => this.services(), (agentId) => this.chats.open(agentId)));
    for (const d of registerEditorCommands(this.log, () => this.services())) this.own(d);
    for (const d of registerFileChangeCommands(this.log, () => this.services(), this.context.extensionMode === vscode.ExtensionMode.Test)) this.own(d);
    for (const d of registerChangesCommands(this.log, () => this.services(), this.context.extensionMode === vscode.ExtensionMode.Test)) this.own(d);
    for (const d of registerBestOfNCommands(this.log, () => this.services(), this.compare, this.context.extensionMode === vscode.ExtensionMode.Test)) this.own(d);
    this.own(
      registerCommand('claudeManager.openOverview', this.log, () => {
        const panel = this.overview.show();
        // Only the extension's own tests get the panel object back; nobody else may reach inside.
        return this.context.extensionMode === vscode.ExtensionMode.Test ? panel : undefined;
      }),
    );
    this.own(registerCommand('claudeManager.showLog', this.log, () => this.log.show()));
    this.own(
      registerCommand('claudeManager.checkCli', this.log, async () => {
        const problem = await this.checkCli();
        if (!problem) {
          const cli = await locateClaudeCli({ configured: getConfig().claudePath });
          const version = await readCliVersion(cli.path, this.log).catch((error: Error) => `unreadable version (${error.message})`);
          void vscode.window.showInformationMessage(`Claude Code ${version} found at ${cli.path}.`);
          return true;
        }
        const choice = await vscode.window.showErrorMessage(problem, 'Open Settings', 'How to Install');
        if (choice === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'claudeManager.claudePath');
        if (choice === 'How to Install') await vscode.env.openExternal(vscode.Uri.parse(CLI_SETUP_URL));
        return false;
      }),
    );
    this.own(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('claudeManager.claudePath')) void this.checkCli();
      }),
    );
    this.own(
      registerCommand('claudeManager.focusTriage', this.log, async () => {
        await vscode.commands.executeCommand('claudeManager.agents.focus');
        // The tree draws its top level on focus; the inbox is known once it has.
        await this.services();
        if (!this.agentsTree.inbox) await new Promise((resolve) => setTimeout(resolve, 300));
        const inbox = this.agentsTree.inbox;
        if (!inbox) {
          void vscode.window.showInformationMessage('No agent is waiting for you right now.');
          return false;
        }
        await this.view.reveal(inbox, { select: true, focus: true, expand: true });
        return true;
      }),
    );
    // Agents deleted for good take the copies of their files with them (kept by the runtime).
    const forgetAgents = async (ids: readonly string[]) => (await this.services()).runtime.snapshots?.deleteAgents(ids);
    for (const d of registerStorageCommands(this.log, () => this.store(), forgetAgents)) {
      this.own(d);
    }
  }

  /**
   * The store under the extension's globalStorage, opened on first use. What opening had to move
   * aside (an unreadable file) is said to the user, with where the old file is.
   */
  store(): Promise<Store> {
    if (this.storeOpening) return this.storeOpening;
    const opening = (async (): Promise<Store> => {
      // The store runs in a worker thread of its own, started on first use: nothing of it is
      // loaded during activation, and none of its work blocks this thread.
      const store = await Store.open({
        dir: vscode.Uri.joinPath(this.context.globalStorageUri, 'store').fsPath,
        wasmPath: vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'sql-wasm.wasm').fsPath,
        migrationsDir: vscode.Uri.joinPath(this.context.extensionUri, 'migrations').fsPath,
        logger: this.log,
        // No flags of the host's (an inspector, module loaders) are the worker's business;
        // inherited loaders made its start measurably slower.
        startWorker: (workerData) => new Worker(vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'storeWorker.js').fsPath, { workerData, execArgv: [] }),
      });
      // A worker that dies is replaced by the store itself, which gives the new one what the old
      // one had not answered; the user hears of it once for each death, with the way to the log.
      store.onDidLoseWorker((reason) => {
        if (this.storeLossShown) return;
        this.storeLossShown = true;
        void Promise.resolve(
          vscode.window.showWarningMessage(
            `Claude Manager's storage stopped (${reason.message}) and was started again; what it was saving is saved again. The log says why it stopped.`,
            'Show Log',
          ),
        ).then((choice) => {
          this.storeLossShown = false;
          if (choice === 'Show Log') this.log.show();
        });
      });
      for (const moved of store.report.movedAside) {
        void vscode.window.showWarningMessage(
          `Claude Manager could not read ${moved.file} (${moved.reason}) and started a fresh one. The old file is kept at ${moved.to}.`,
        );
      }
      const t = store.report.timings;
      this.log.info(
        `Storage opened at ${store.dir}` +
          (t ? ` (worker started in ${t.workerStartMs ?? '?'} ms, opened in ${t.openMs ?? '?'} ms: engine wait ${t.engineMs}, snapshot ${t.snapshotMs}, migrations ${t.migrationsMs}, journal ${t.journalMs} ms)` : ''),
      );
      return store;
    })();
    this.storeOpening = opening;
    // A failed open is not cached: the next use tries again.
    opening.catch(() => {
      if (this.storeOpening === opening) this.storeOpening = undefined;
    });
    return opening;
  }

  /**
   * The services behind the views, commands and API, made on first use (the store opens in its
   * worker then). A failure is not cached: the next use tries again.
   */
  services(): Promise<Services> {
    if (this.servicesMaking) return this.servicesMaking;
    const making = (async (): Promise<Services> => {
      const opening = this.store();
      // The runtime and the spawn worker's host are loaded here, not with the extension (they are
      // evaluated on first use only, not during activation), while the store's worker opens the
      // store on the other core.
      const modules = {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        AgentRuntime: (require('../services/agents/agentRuntime') as typeof AgentRuntimeModule).AgentRuntime,
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        SpawnHost: (require('../services/spawn/spawnHost') as typeof SpawnHostModule).SpawnHost,
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        windows: require('../services/windows/agentWindows') as typeof AgentWindowsModule,
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        WorktreeSetup: (require('../services/workspaces/worktreeSetup') as typeof WorktreeSetupModule).WorktreeSetup,
      };
      const store = await opening;
      const built = await buildServices(
        {
          store,
          logger: this.log,
          gitPath: gitPath(),
          startWatchdog: () =>
            startWatchdog(process.execPath, [vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'agentWatchdog.js').fsPath], this.log, {
              ...process.env,
              ELECTRON_RUN_AS_NODE: '1',
            }),
          modules: () => modules,
          startSpawnWorker: () => new Worker(vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'spawnWorker.js').fsPath, { execArgv: [] }),
          runtime: {
            trusted: () => vscode.workspace.isTrusted,
            windowId: this.windowId,
            locateCli: async () => (await locateClaudeCli({ configured: getConfig().claudePath })).path,
            env: () => ({ ...process.env, ...getConfig().environment }),
            extraArgs: () => getConfig().extraArgs,
            maxConcurrent: () => getConfig().maxConcurrentAgents,
            contextWarningThreshold: () => getConfig().contextWarningThreshold,
            snapshotsDir: vscode.Uri.joinPath(this.context.globalStorageUri, 'snapshots').fsPath,
          },
          worktreesRoot: () => getConfig().worktreesRoot,
          askToAllowSetup: (workspace, setup) => askToAllowSetup(workspace, setup),
          storeDir: vscode.Uri.joinPath(this.context.globalStorageUri, 'store').fsPath,
          attach: (made) => {
            const { runtime, workspaces } = made;
            const offs = [
              workspaces.onDidChangeWorkspaces((list) => this.workspacesChanged.fire(list)),
              workspaces.onDidChangeWorktrees((e) => this.worktreesChanged.fire(e)),
              // A removed worktree's run ends with it.
              workspaces.onDidRemoveWorktree((id) => this.runTerminals.close(id)),
              runtime.onDidChangeAgent((a) => this.agentChanged.fire(publishedAgent(a))),
              runtime.onDidReceiveMessage((e) => this.messageReceived.fire(e)),
              runtime.onDidRequestPermission((e) => this.permissionRequested.fire(e)),
              runtime.onDidChangeUsage((e) => this.usageChanged.fire(e)),
              runtime.queue.onDidChange((e) => this.queueChanged.fire({ agentId: e.agentId, messages: e.messages.map((m) => publishedQueued(e.agentId, m)) })),
            ];
            return [
              { dispose: () => offs.forEach((off) => off()) },
              new AgentStatus(made, this.log, () => getConfig().notifications, (id) => this.chats.isFocused(id), { watch: new BudgetWatch(made.store, () => getConfig().budgets), stopsAgents: () => getConfig().budgetStopsAgents }),
              new OtherWindowAgents(made, () => this.agentsTree.refresh(), this.log),
              sleepWhenIdle(runtime, this.log),
              this.limitResumes.follow(runtime, this.log),
              this.setupTerminals.follow(made.setupRuns),
            ];
          },
          discover: (workspaces) => this.discoverWith(workspaces),
        },
      );
      this.built = built;
      const { services } = built;
      const { monitor } = services;
      this.agentsTree.attach(services);
      void this.checkCli();
      monitor.setPolling(this.view.visible);
      return services;
    })();
    this.servicesMaking = making;
    making.then(
      (services) => {
        this.servicesReady = services;
        this.discovery ??= Promise.resolve();
      },
      () => {
        if (this.servicesMaking === making) this.servicesMaking = undefined;
      },
    );
    return making;
  }

  /**
   * Looks for the CLI (no process is run): the tree and the welcome view say so while it is
   * missing. Returns the problem, or undefined when it is found.
   */
  async checkCli(): Promise<string | undefined> {
    let problem: string | undefined;
    try {
      await locateClaudeCli({ configured: getConfig().claudePath });
    } catch (error) {
      problem = (error as Error).message;
      this.log.warn(problem);
    }
    void vscode.commands.executeCommand('setContext', CLI_MISSING_CONTEXT, problem !== undefined);
    this.agentsTree.setCliProblem(problem);
    return problem;
  }

  /** Saves the repositories the editor has open as workspaces (skipping ones the user removed). */
  private async discover(): Promise<void> {
    if (!this.servicesMaking) return;
    await this.discoverWith((await this.servicesMaking).workspaces);
  }

  private async discoverWith(workspaces: WorkspaceService): Promise<void> {
    await this.repositories.ready;
    // Adding a repository runs git; the stored ones are listed from the store meanwhile.
    if (!vscode.workspace.isTrusted) return;
    let added = false;
    for (const repository of this.repositories.repositories) {
      try {
        const before = (await workspaces.listWorkspaces()).length;
        await workspaces.createWorkspace({ path: repository.rootUri.fsPath }, { discovered: true });
        added ||= (await workspaces.listWorkspaces()).length !== before;
      } catch (error) {
        this.log.warn(`Repository ${repository.rootUri.fsPath} from the editor was not added: ${(error as Error).message}`);
      }
    }
    if (added) this.agentsTree.refresh();
  }

  private own<T extends vscode.Disposable>(disposable: T): T {
    this.disposables.push(disposable);
    return disposable;
  }

  /**
   * Stops this window's agents (every one signalled at once, what remains killed after 2 s, then
   * the spawn worker and the watchdog), then closes the store, so that their last status is
   * written. What `deactivate` returns, for the editor to wait on; later calls get the same promise.
   */
  shutdown(): Promise<void> {
    this.shuttingDown ??= (async () => {
      const built = this.servicesMaking ? await this.servicesMaking.then(() => this.built, () => undefined) : undefined;
      await built?.shutdown(2000).catch((error: unknown) => this.log.error(`Stopping the agents failed: ${(error as Error).message}`));
      const store = this.storeOpening ? await this.storeOpening.catch(() => undefined) : undefined;
      await store?.close();
    })();
    return this.shuttingDown;
  }

  dispose(): void {
    // The agents and the store are ended first (deactivate waits for it; this is for when the
    // editor disposes without deactivating).
    void this.shutdown();
    // Dispose in reverse order of construction: views before the services they draw.
    for (const d of this.disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch (error) {
        console.error('Claude Manager: dispose failed', error);
      }
    }
  }
}
