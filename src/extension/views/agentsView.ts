import * as vscode from 'vscode';
import type { Agent } from '../../services/agents/agentRuntime';
import type { KnownStatus } from '../../services/workspaces/worktreeMonitor';
import type { EditorRepositories } from '../git/editorGit';
import type { Services } from '../services';
import { AgentNode, type AgentsViewNode, ArchivedNode, buildWorktreeNodes, CliMissingNode, HAS_REPOSITORIES_CONTEXT, InboxNode, RepositoryNode, WorktreeNode } from './agentsTreeNodes';
import { ChangesNode, type WorktreeChangeInfo } from './changesTreeNodes';
import type { SetupRun } from '../../services/workspaces/setupRuns';

// The rows (nodes) are drawn by their own classes; the commands and views import them from here too.
export * from './agentsTreeNodes';
export * from './changesTreeNodes';

/**
 * The `claudeManager.agents` tree: repositories → worktrees (→ agents, with the agent runtime).
 * A thin view over the services; each node kind knows how to draw itself. Bursts of changes (the
 * status of fifty worktrees arriving) redraw once.
 */
export class AgentsTreeProvider implements vscode.TreeDataProvider<AgentsViewNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<AgentsViewNode | AgentsViewNode[] | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Worktree rows whose status changed, redrawn alone at the next tick of `timer`. */
  private readonly changedRows = new Set<WorktreeNode>();
  /** Whether the next tick redraws the whole tree. */
  private whole = false;
  /** The worktree rows last drawn, by worktree id, and the sort mode of their repository. */
  private readonly drawnRows = new Map<string, { node: WorktreeNode; sortMode: string }>();
  /** Status reads wait until a repository's rows have been handed to the tree once: git's processes do not compete with the first draw. */
  private rowsHanded = false;
  private trackWhenDrawn: (() => void) | undefined;

  constructor(
    private readonly editorRepositories: EditorRepositories,
    private readonly services: () => Promise<Services>,
    /** The services if they are made already; the tree does not wait for the store to draw its first rows. */
    private readonly servicesIfReady: () => Services | undefined,
    /** Saves the editor's repositories as workspaces (first call) and resolves when done. */
    private readonly discovered: () => Promise<void>,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Redraws on every change the services announce (call once they exist). */
  attach(services: Services): void {
    const offs = [
      services.workspaces.onDidChangeWorkspaces(() => this.refresh()),
      services.workspaces.onDidChangeWorktrees(() => this.refresh()),
      services.monitor.onDidChangeStatus((worktreeId) => this.statusChanged(worktreeId, services.monitor.status(worktreeId))),
      services.runtime.onDidChangeAgent(() => this.refresh()),
      services.changes.onDidChangeChanges((worktreeId) => this.changesChanged(services, worktreeId)),
      services.setupRuns.onDidChange((run) => this.setupChanged(run)),
      services.changes.onDidChangeCollisions(({ worktreeIds }) => worktreeIds.forEach((id) => this.changesChanged(services, id))),
    ];
    this.subscriptions.push({ dispose: () => offs.forEach((off) => off()) });
  }

  /** Redraws the whole tree soon (a burst of changes is one redraw). */
  refresh(): void {
    this.whole = true;
    this.schedule();
  }

  /**
   * A worktree's status changed: its row alone is redrawn (its description and icon; its agents'
   * rows are the same ones), unless its repository sorts by status, where the order may change.
   */
  private statusChanged(worktreeId: string, known: KnownStatus | undefined): void {
    const drawn = this.drawnRows.get(worktreeId);
    if (!drawn || drawn.sortMode === 'status') return this.refresh();
    drawn.node.setKnown(known);
    this.changedRows.add(drawn.node);
    this.schedule();
  }

  /** A worktree's setup began or ended: its row alone is redrawn. */
  private setupChanged(run: SetupRun): void {
    const drawn = this.drawnRows.get(run.worktreeId);
    if (!drawn) return;
    drawn.node.setSetup(run);
    this.changedRows.add(drawn.node);
    this.schedule();
  }

  /** What a worktree row shows of its changes, from what the changes service knows. */
  private changeInfo(services: Services, worktreeId: string, workspaceId: string): WorktreeChangeInfo {
    return {
      known: services.changes.knownChanges(worktreeId),
      collisions: services.changes.collisionsOf(worktreeId, workspaceId),
      nameOf: (id) => {
        const w = this.drawnRows.get(id)?.node.worktree;
        return w ? (w.branch ?? w.name) : 'another worktree';
      },
    };
  }

  /**
   * A worktree's changes (or its collisions) changed: its row is redrawn alone, unless it gains
   * or loses its "Changes" row (its id changes with that: the whole tree is redrawn).
   */
  private changesChanged(services: Services, worktreeId: string): void {
    const drawn = this.drawnRows.get(worktreeId);
    if (!drawn) return;
    const had = drawn.node.hasChanges;
    drawn.node.setChanges(this.changeInfo(services, worktreeId, drawn.node.worktree.workspaceId));
    if (had !== drawn.node.hasChanges) return this.refresh();
    this.changedRows.add(drawn.node);
    this.schedule();
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const rows = [...this.changedRows];
      this.changedRows.clear();
      if (this.whole) {
        this.whole = false;
        this.emitter.fire(undefined);
      } else if (rows.length) {
        this.emitter.fire(rows);
      }
    }, 50);
  }

  getTreeItem(node: AgentsViewNode): vscode.TreeItem {
    return node.toTreeItem();
  }

  /** Fills in a row's tooltip when it is hovered. */
  resolveTreeItem(item: vscode.TreeItem, node: AgentsViewNode): vscode.TreeItem {
    if (item.tooltip === undefined && (node instanceof AgentNode || node instanceof WorktreeNode)) item.tooltip = node.tooltip();
    return item;
  }

  /** Why the CLI cannot be run (not found), or undefined when it can. */
  private cliProblem: string | undefined;

  setCliProblem(problem: string | undefined): void {
    if (problem === this.cliProblem) return;
    this.cliProblem = problem;
    this.refresh();
  }

  /** The "Needs you" node as last drawn, if shown. */
  inbox: InboxNode | undefined;
  /** Worktrees drawn open because one of their agents was active in this window. */
  private readonly opened = new Set<string>();
  /** Repositories whose first draw was timed. */
  private readonly timed = new Set<string>();
  /** Whether the top level's first read was logged. */
  private topTimed = false;
  /** The agents as listed for the last redraw of the top level. */
  private agents: Agent[] | undefined;

  /** Only the top-level nodes are revealed (the inbox, from its keybinding). */
  getParent(): AgentsViewNode | undefined {
    return undefined;
  }

  async getChildren(node?: AgentsViewNode): Promise<AgentsViewNode[]> {
    try {
      const ready = this.servicesIfReady();
      if (!node && !ready) {
        await this.editorRepositories.ready;
        // Then the store opens in its worker (not before: on two cores it would slow the editor's
        // own discovery of the repositories); the rows become stored workspaces when it has.
        setImmediate(() => {
          void this.services().then(
            // Drawn at once: nothing else is waiting to be drawn with it.
            () => this.discovered().then(() => this.emitter.fire(undefined)),
            () => undefined,
          );
        });
        const repositories = this.editorRepositories.repositories;
        // They become workspaces once the store is open: the repository commands apply already.
        if (repositories.length) void vscode.commands.executeCommand('setContext', HAS_REPOSITORIES_CONTEXT, true);
        return repositories.map((r) => new RepositoryNode(r.rootUri.fsPath, r.name));
      }
      // A row drawn before the store opened: the editor's tree waits for the children of an
      // expanded row before it draws the row, so answer at once; the refresh after the store
      // opens fills them in.
      if (!ready && node instanceof RepositoryNode && !node.workspace) return [];
      const services = ready ?? (await this.services());
      if (!node) {
        // Every agent, listed once per redraw: the inbox and each repository's worktrees draw from it.
        const started = performance.now();
        const [workspaces, agents] = await Promise.all([services.workspaces.listWorkspaces(), services.runtime.list({ includeDeleted: true })]);
        if (!this.topTimed) {
          this.topTimed = true;
          this.log.info(`First draw of the top level: ${workspaces.length} repositories, ${agents.length} agents read in ${(performance.now() - started).toFixed(1)} ms`);
        }
        this.agents = agents;
        this.drawnRows.clear();
        void vscode.commands.executeCommand('setContext', HAS_REPOSITORIES_CONTEXT, workspaces.length > 0);
        // Git's status of every worktree is read once the rows have been handed to the tree.
        const ids = workspaces.map((w) => w.id);
        const track = () => void services.monitor.track(ids);
        if (this.rowsHanded || !ids.length) track();
        else {
          this.trackWhenDrawn = track;
          // Should no repository's rows be asked for (all closed), not for ever.
          setTimeout(() => {
            if (this.trackWhenDrawn !== track) return;
            this.trackWhenDrawn = undefined;
            track();
          }, 2000).unref?.();
        }
        this.inbox = InboxNode.of(agents.filter((a) => !a.deletedAt));
        // With no repository the welcome view says it instead (a tree with rows hides it).
        const cli = this.cliProblem && workspaces.length ? [new CliMissingNode(this.cliProblem)] : [];
        return [...cli, ...(this.inbox ? [this.inbox] : []), ...workspaces.map((w) => RepositoryNode.of(w))];
      }
      if (node instanceof InboxNode) return node.agents.map((a) => new AgentNode(a, true));
      if (node instanceof RepositoryNode) {
        const statusOf = (id: string) => services.monitor.status(id)?.status;
        try {
          let workspace = node.workspace;
          if (!workspace) {
            await this.discovered();
            workspace = (await services.workspaces.listWorkspaces()).find((w) => w.path === node.path);
            if (!workspace) return [];
          }
          const started = performance.now();
          // The stored rows at once: what git says of them (HEAD, missing, locked) follows as a change.
          const [worktrees, agents, sortMode] = await Promise.all([
            services.workspaces.listWorktrees(workspace.id, statusOf, { waitForGit: false }),
            this.agents ?? services.runtime.list({ includeDeleted: true }),
            services.workspaces.worktreeSortMode(workspace.id),
          ]);
          const read = performance.now();
          const nodes = buildWorktreeNodes(worktrees, agents, (id) => services.monitor.status(id), this.opened);
          for (const [id, drawn] of this.drawnRows) if (drawn.node.worktree.workspaceId === workspace.id) this.drawnRows.delete(id);
          for (const node of nodes) this.drawnRows.set(node.worktree.id, { node, sortMode });
          for (const node of nodes) {
            node.setChanges(this.changeInfo(services, node.worktree.id, workspace.id));
            node.setSetup(services.setupRuns.of(node.worktree.id));
          }
          if (!this.timed.has(workspace.id)) {
            // The first draw of each repository in a window is timed, once (the benchmark reads it):
            // the rows and their items the tree takes now are made now, and are the ones it takes:
            // the worktree rows, and the agent rows of those drawn open. A closed row's agents are
            // sorted and made when it is opened.
            this.timed.add(workspace.id);
            let made = 0;
            for (const n of nodes) {
              n.toTreeItem();
              made++;
              if (!n.opened) continue;
              for (const row of n.children) row.toTreeItem();
              made += n.children.length;
            }
            const built = performance.now();
            this.log.info(
              `First draw of ${workspace.name}: ${worktrees.length} worktrees, ${agents.length} agents; data read in ${(read - started).toFixed(1)} ms, tree model built in ${(built - read).toFixed(1)} ms (${made} rows made)`,
            );
          }
          if (!this.rowsHanded) {
            this.rowsHanded = true;
            const track = this.trackWhenDrawn;
            this.trackWhenDrawn = undefined;
            if (track) setImmediate(track);
          }
          return nodes;
        } catch (error) {
          // One repository that cannot be read (its folder moved) must not take the tree down.
          this.log.warn(`The worktrees of ${node.path} could not be read: ${(error as Error).message}`);
          return [];
        }
      }
      if (node instanceof WorktreeNode) return node.children;
      if (node instanceof ArchivedNode) return node.agents.map((a) => new AgentNode(a));
      if (node instanceof ChangesNode) return node.children;
      return [];
    } catch (error) {
      this.log.error(`The Claude Manager tree could not be read: ${(error as Error).message}`);
      void vscode.window.showErrorMessage(`Claude Manager: ${(error as Error).message}`);
      return [];
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    vscode.Disposable.from(...this.subscriptions.splice(0)).dispose();
    this.emitter.dispose();
  }
}
