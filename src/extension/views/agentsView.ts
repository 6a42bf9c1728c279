import { homedir } from 'node:os';
import { sep } from 'node:path';
import * as vscode from 'vscode';
import type { EditorRepositories, EditorRepository } from '../git/editorGit';
import { ContextValues } from './contextValues';

const home = homedir();

function tildify(path: string): string {
  return home && path.startsWith(home + sep) ? `~${path.slice(home.length)}` : path;
}

/** A repository row: the top level of the tree. */
export class RepositoryNode {
  constructor(readonly repository: EditorRepository) {}

  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.repository.name, vscode.TreeItemCollapsibleState.None);
    item.id = `repository:${this.repository.rootUri.toString()}`;
    item.description = tildify(this.repository.rootUri.fsPath);
    item.tooltip = new vscode.MarkdownString(`**${this.repository.name}**\n\n${this.repository.rootUri.fsPath}`);
    item.iconPath = new vscode.ThemeIcon('repo');
    item.resourceUri = this.repository.rootUri;
    item.contextValue = ContextValues.Repository;
    return item;
  }
}

export type AgentsViewNode = RepositoryNode;

/**
 * The `claudeManager.agents` tree: repositories → worktrees → agents. It is a thin view over the
 * models it is given; each node kind knows how to draw itself.
 */
export class AgentsTreeProvider implements vscode.TreeDataProvider<AgentsViewNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<AgentsViewNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly repositories: EditorRepositories) {
    this.subscription = repositories.onDidChange(() => this.refresh());
  }

  refresh(): void {
    this.emitter.fire(undefined);
  }

  getTreeItem(node: AgentsViewNode): vscode.TreeItem {
    return node.toTreeItem();
  }

  async getChildren(node?: AgentsViewNode): Promise<AgentsViewNode[]> {
    if (node) return [];
    await this.repositories.ready;
    return this.repositories.repositories.map((r) => new RepositoryNode(r));
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
