import * as vscode from 'vscode';
import { createExtensionApi } from './api/api';
import type { ClaudeManagerExtension } from './api/claudeManager';
import { registerCommand } from './commands/registerCommand';
import { EditorRepositories } from './git/editorGit';
import { AgentsTreeProvider } from './views/agentsView';
import { ManagerPanel } from './webviews/managerPanel';

/**
 * The composition root: builds every service and view in dependency order and owns their
 * disposal. Nothing else holds module-level state.
 */
export class Container implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  readonly log: vscode.LogOutputChannel;
  readonly repositories: EditorRepositories;
  readonly agentsTree: AgentsTreeProvider;
  readonly api: ClaudeManagerExtension;

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
    this.own(ManagerPanel.registerSerializer(context, this.log));
    this.own({ dispose: () => ManagerPanel.disposeCurrent() });
    this.registerCommands();
    this.api = createExtensionApi();
  }

  private registerCommands(): void {
    this.own(registerCommand('claudeManager.refresh', this.log, () => this.agentsTree.refresh()));
    // Returns the panel so that callers (and the extension-host tests) can reach its message host.
    this.own(registerCommand('claudeManager.openPanel', this.log, () => ManagerPanel.show(this.context, this.log)));
    this.own(registerCommand('claudeManager.showLog', this.log, () => this.log.show()));
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
