import * as vscode from 'vscode';
import { dropOnto, orderAgents } from '../../services/workspaces/order';
import type { Services } from '../services';
import { AgentNode, type AgentsViewNode, RepositoryNode, WorktreeNode } from './agentsView';

/** What a drag carries inside this tree: the rows' kinds and ids, nothing of their content. */
const MIME = 'application/vnd.code.tree.claudemanager.agents';

interface Dragged {
  kind: 'worktree' | 'agent';
  id: string;
  /** The worktree's workspace, or the agent's worktree: a row moves only among its siblings. */
  parentId: string;
}

/**
 * Drag and drop in the Agents tree: worktrees among the worktrees of their repository, agents
 * among the agents of their worktree. A dropped row takes its target's place; dropped on its
 * parent's row it goes last. A list sorted by status or name switches to the free order, which is
 * stored, so the arrangement survives a reload. The main worktree stays first and does not move.
 */
export class AgentsDragAndDrop implements vscode.TreeDragAndDropController<AgentsViewNode> {
  readonly dragMimeTypes = [MIME];
  readonly dropMimeTypes = [MIME];

  constructor(
    private readonly services: () => Services | undefined,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  handleDrag(source: readonly AgentsViewNode[], dataTransfer: vscode.DataTransfer): void {
    const rows: Dragged[] = [];
    for (const node of source) {
      if (node instanceof WorktreeNode && !node.worktree.isMain) rows.push({ kind: 'worktree', id: node.worktree.id, parentId: node.worktree.workspaceId });
      // An inbox row is a shortcut, an archived agent has no place in the order: neither is dragged.
      else if (node instanceof AgentNode && !node.inInbox && !node.agent.deletedAt) rows.push({ kind: 'agent', id: node.agent.id, parentId: node.agent.worktreeId });
    }
    // Only rows of one kind under one parent move together.
    const first = rows[0];
    if (!first) return;
    const together = rows.filter((r) => r.kind === first.kind && r.parentId === first.parentId);
    dataTransfer.set(MIME, new vscode.DataTransferItem(together));
  }

  async handleDrop(target: AgentsViewNode | undefined, dataTransfer: vscode.DataTransfer): Promise<void> {
    const rows = dataTransfer.get(MIME)?.value as Dragged[] | undefined;
    const services = this.services();
    const first = rows?.[0];
    if (!rows || !first || !services) return;
    try {
      if (first.kind === 'worktree') await this.dropWorktrees(services, first.parentId, rows, target);
      else await this.dropAgents(services, first.parentId, rows, target);
    } catch (error) {
      this.log.error(`The rows were not moved: ${(error as Error).message}`);
      void vscode.window.showErrorMessage(`Claude Manager could not move the rows: ${(error as Error).message}`);
    }
  }

  private async dropWorktrees(services: Services, workspaceId: string, rows: Dragged[], target: AgentsViewNode | undefined): Promise<void> {
    let targetId: string | undefined;
    if (target instanceof WorktreeNode && target.worktree.workspaceId === workspaceId) targetId = target.worktree.id;
    else if (!(target instanceof RepositoryNode && target.workspace?.id === workspaceId)) {
      void vscode.window.showInformationMessage('A worktree moves only among the worktrees of its repository: drop it onto one of them.');
      return;
    }
    const statusOf = (id: string) => services.monitor.status(id)?.status;
    const shown = await services.workspaces.listWorktrees(workspaceId, statusOf);
    const main = shown.filter((w) => w.isMain).map((w) => w.id);
    const others = shown.filter((w) => !w.isMain).map((w) => w.id);
    const moved = rows.map((r) => r.id);
    // Dropped on the main worktree: first after it.
    const order = targetId && main.includes(targetId) ? [...others.filter((id) => moved.includes(id)), ...others.filter((id) => !moved.includes(id))] : dropOnto(others, moved, targetId);
    if ((await services.workspaces.worktreeSortMode(workspaceId)) !== 'free') await services.workspaces.setWorktreeSortMode(workspaceId, 'free');
    await services.workspaces.reorderWorktrees(workspaceId, [...main, ...order]);
  }

  private async dropAgents(services: Services, worktreeId: string, rows: Dragged[], target: AgentsViewNode | undefined): Promise<void> {
    let targetId: string | undefined;
    if (target instanceof AgentNode && !target.inInbox && !target.agent.deletedAt && target.agent.worktreeId === worktreeId) targetId = target.agent.id;
    else if (!(target instanceof WorktreeNode && target.worktree.id === worktreeId)) {
      void vscode.window.showInformationMessage('An agent works in the folder of its worktree and stays there: drop it onto another agent of the same worktree to move it.');
      return;
    }
    const worktree = await services.workspaces.getWorktree(worktreeId);
    const shown = orderAgents(await services.runtime.list({ worktreeId }), worktree.sortMode).map((a) => a.id);
    const order = dropOnto(shown, rows.map((r) => r.id), targetId);
    if (worktree.sortMode !== 'free') await services.workspaces.updateWorktree(worktreeId, { sortMode: 'free' });
    await services.runtime.reorder(worktreeId, order);
  }
}
