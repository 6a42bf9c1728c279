import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import { createExtensionApi } from './api/api';
import type { ClaudeManagerExtension } from './api/claudeManager';
import { registerCommand } from './commands/registerCommand';
import { EditorRepositories } from './git/editorGit';
import { AgentsTreeProvider } from './views/agentsView';
import { Store } from '../services/storage/store';
import { registerStorageCommands } from './commands/storageCommands';
import { ManagerPanels } from './webviews/managerPanel';

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
  readonly panels: ManagerPanels;
  private storeOpening: Promise<Store> | undefined;

  constructor(readonly context: vscode.ExtensionContext) {
    this.log = this.own(vscode.window.createOutputChannel('Claude Manager', { log: true }));
    this.repositories = this.own(new EditorRepositories(this.log));
    this.agentsTree = this.own(new AgentsTreeProvider(this.repositories));
    this.own(
      vscode.window.createTreeView('claudeManager.agents', {
        treeDataProvider: this.agentsTree,
        showCollapseAll: true,
      }),
    );
    this.panels = this.own(
      new ManagerPanels({ context, log: this.log, sqliteVersion: async () => (await this.store()).sqliteVersion() }),
    );
    this.registerCommands();
    this.api = createExtensionApi();
  }

  private registerCommands(): void {
    this.own(registerCommand('claudeManager.refresh', this.log, () => this.agentsTree.refresh()));
    this.own(
      registerCommand('claudeManager.openPanel', this.log, () => {
        const panel = this.panels.show();
        // Only the extension's own tests get the panel object back; nobody else may reach inside.
        return this.context.extensionMode === vscode.ExtensionMode.Test ? panel : undefined;
      }),
    );
    this.own(registerCommand('claudeManager.showLog', this.log, () => this.log.show()));
    for (const d of registerStorageCommands(this.log, () => this.store())) {
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
        startWorker: (workerData) => new Worker(vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'storeWorker.js').fsPath, { workerData }),
      });
      this.own({ dispose: () => void store.close() });
      // A worker that died is started again on the next use.
      store.onDidStop(() => {
        if (this.storeOpening === opening) this.storeOpening = undefined;
      });
      for (const moved of store.report.movedAside) {
        void vscode.window.showWarningMessage(
          `Claude Manager could not read ${moved.file} (${moved.reason}) and started a fresh one. The old file is kept at ${moved.to}.`,
        );
      }
      this.log.info(`Storage opened at ${store.dir}`);
      return store;
    })();
    this.storeOpening = opening;
    // A failed open is not cached: the next use tries again.
    opening.catch(() => {
      if (this.storeOpening === opening) this.storeOpening = undefined;
    });
    return opening;
  }

  private own<T extends vscode.Disposable>(disposable: T): T {
    this.disposables.push(disposable);
    return disposable;
  }

  dispose(): void {
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
