import { homedir } from 'node:os';
import { sep } from 'node:path';
import * as vscode from 'vscode';
import type { Agent } from '../../services/agents/agentRuntime';
import type { WorkspaceRecord } from '../../services/storage/records';
import type { KnownStatus } from '../../services/workspaces/worktreeMonitor';
import type { Worktree } from '../../services/workspaces/workspaceService';
import { orderAgents } from '../../services/workspaces/order';
import type { EditorRepositories } from '../git/editorGit';
import type { Services } from '../services';
import { ContextValues } from './contextValues';

const home = homedir();

/** Context key of the commands that need a repository (package.json `commandPalette` menu). */
export const HAS_REPOSITORIES_CONTEXT = 'claudeManager.hasRepositories';

export function tildify(path: string): string {
  return home && path.startsWith(home + sep) ? `~${path.slice(home.length)}` : path;
}

/**
 * A repository row: the top level of the tree. Until the store is open it stands for a repository
 * the editor has open (no `workspace` yet), so the tree shows at once; its id is the path either
 * way, so the row stays put when the stored workspace replaces it.
 */
export class RepositoryNode {
  readonly kind = 'repository';
  constructor(
    readonly path: string,
    readonly name: string,
    readonly workspace?: WorkspaceRecord,
  ) {}

  static of(workspace: WorkspaceRecord): RepositoryNode {
    return new RepositoryNode(workspace.path, workspace.name, workspace);
  }

  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.name, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `repository:${this.path}`;
    item.description = tildify(this.path);
    item.tooltip = new vscode.MarkdownString().appendMarkdown(`**${escapeMd(this.name)}**\n\n`).appendText(this.path);
    item.iconPath = new vscode.ThemeIcon('repo');
    item.contextValue = ContextValues.Repository;
    return item;
  }
}

let counts: Intl.NumberFormat | undefined;
let times: Intl.DateTimeFormat | undefined;
/** Formatters made once: `toLocaleString` builds a new one per call. */
const formatCount = (n: number) => (counts ??= new Intl.NumberFormat()).format(n);
const formatTime = (iso: string) => (times ??= new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })).format(new Date(iso));

function escapeMd(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

/** "●3 ↑1 ↓2": changes, commits ahead and behind the upstream; "" when clean and in step. */
export function statusSummary(known: KnownStatus | undefined): string {
  const s = known?.status;
  if (!s) return '';
  const parts: string[] = [];
  if (s.conflicted.length) parts.push(`!${s.conflicted.length}`);
  const changes = new Set([...s.staged, ...s.modified, ...s.untracked]).size;
  if (changes) parts.push(`●${changes}`);
  if (s.ahead) parts.push(`↑${s.ahead}`);
  if (s.behind) parts.push(`↓${s.behind}`);
  return parts.join(' ');
}

/** A worktree row: branch, change marker, ahead/behind; the main worktree marked; its agents below. */
export class WorktreeNode {
  readonly kind = 'worktree';
  private item: vscode.TreeItem | undefined;
  private rows: AgentsViewNode[] | undefined;
  private sorted: { agents: readonly Agent[]; archived: readonly Agent[] } | undefined;
  constructor(
    readonly worktree: Worktree,
    /** What is known of its status: updated in place when git answers, and the row redrawn alone. */
    private knownStatus: KnownStatus | undefined,
    /** Its agents and its archived ones (under an "Archived" node), in any order: sorted when its rows are first needed. */
    private readonly unsorted: { agents: readonly Agent[]; archived: readonly Agent[] } = { agents: [], archived: [] },
    /** One of its agents has worked or waited since the window opened: its row stays open. */
    readonly wasActive = false,
  ) {}

  get known(): KnownStatus | undefined {
    return this.knownStatus;
  }

  /** Takes a new status; the row's item is made again when next asked for. */
  setKnown(known: KnownStatus | undefined): void {
    this.knownStatus = known;
    this.item = undefined;
  }

  /** Its agents in its sort mode, and its archived ones by name (sorted on first use). */
  private get lists(): { agents: readonly Agent[]; archived: readonly Agent[] } {
    return (this.sorted ??= { agents: orderAgents(this.unsorted.agents, this.worktree.sortMode), archived: orderAgents(this.unsorted.archived, 'name') });
  }

  get agents(): readonly Agent[] {
    return this.lists.agents;
  }

  get archived(): readonly Agent[] {
    return this.lists.archived;
  }

  /** Whether one of its agents is at work, waiting on the user, or failed. */
  get active(): boolean {
    return this.unsorted.agents.some((a) => a.status === 'running' || a.status === 'waiting' || a.status === 'error');
  }

  /** Whether its row is drawn open (the tree then asks for its rows at once). */
  get opened(): boolean {
    return this.toTreeItem().collapsibleState === vscode.TreeItemCollapsibleState.Expanded;
  }

  /** Its rows: its agents, then the "Archived" node if it has archived ones. Made once, when the tree first asks. */
  get children(): AgentsViewNode[] {
    return (this.rows ??= [...this.agents.map((a) => new AgentNode(a)), ...(this.archived.length ? [new ArchivedNode(this.worktree.id, this.archived)] : [])]);
  }

  /** Its tree item, made once (again after a status change): the first draw's timing and the tree take the same one. */
  toTreeItem(): vscode.TreeItem {
    return (this.item ??= this.makeTreeItem());
  }

  private makeTreeItem(): vscode.TreeItem {
    const wt = this.worktree;
    const label = wt.branch ?? `detached at ${wt.head.slice(0, 7) || '?'}`;
    const parent = this.unsorted.agents.length > 0 || this.unsorted.archived.length > 0;
    // Open once one of its agents works or waits on the user in this window; a worktree of idle
    // agents starts closed, so that a repository of many worktrees is not a wall of rows.
    const opened = this.wasActive || this.active;
    const state = !parent ? vscode.TreeItemCollapsibleState.None : opened ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(label, state);
    // The tree keeps each id's expansion state, so the id changes with what the row should show:
    // a leaf that gains its first agent would otherwise keep it hidden, and a closed worktree
    // whose agent starts working opens. Once open it keeps its id (and what the user chose).
    item.id = !parent ? `worktree:${wt.id}:leaf` : opened ? `worktree:${wt.id}:open` : `worktree:${wt.id}`;
    const summary = statusSummary(this.known);
    const where = wt.isMain ? 'main worktree' : wt.name !== label.replace(/\//g, '-') ? wt.name : '';
    item.description = [wt.missing ? 'missing' : '', wt.locked ? 'locked' : '', summary, where].filter(Boolean).join(' · ');
    item.iconPath = wt.missing
      ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'))
      : wt.locked
        ? new vscode.ThemeIcon('lock')
        : new vscode.ThemeIcon(wt.isMain ? 'home' : wt.branch ? 'git-branch' : 'git-commit', this.known?.status?.conflicted.length ? new vscode.ThemeColor('list.errorForeground') : undefined);
    item.contextValue = wt.isMain ? ContextValues.WorktreeMain : wt.missing ? ContextValues.WorktreeMissing : wt.locked ? ContextValues.WorktreeLocked : ContextValues.Worktree;
    // The tooltip is made when the row is hovered (resolveTreeItem), not for every row drawn.
    return item;
  }

  tooltip(): vscode.MarkdownString {
    const wt = this.worktree;
    const label = wt.branch ?? `detached at ${wt.head.slice(0, 7) || '?'}`;
    const md = new vscode.MarkdownString('', true);
    md.appendMarkdown(`$(${wt.branch ? 'git-branch' : 'git-commit'}) **${escapeMd(label)}**${wt.isMain ? ' — main worktree' : ''}\n\n`);
    md.appendText(wt.path);
    md.appendMarkdown('\n\n');
    if (wt.missing) md.appendMarkdown('$(warning) The folder is gone. Prune it, or restore the folder.\n\n');
    if (wt.locked) md.appendMarkdown(`$(lock) Locked${wt.lockReason ? `: ${escapeMd(wt.lockReason)}` : ''}\n\n`);
    const s = this.known?.status;
    if (s) {
      if (s.upstream) md.appendMarkdown(`Upstream ${escapeMd(s.upstream)}: ${s.ahead} ahead, ${s.behind} behind\n\n`);
      else md.appendMarkdown('No upstream branch\n\n');
      const counts = [
        [s.staged.length, 'staged'],
        [s.modified.length, 'modified'],
        [s.untracked.length, 'untracked'],
        [s.conflicted.length, 'conflicted'],
      ].filter(([n]) => n) as [number, string][];
      md.appendMarkdown(counts.length ? counts.map(([n, what]) => `${n} ${what}`).join(', ') : 'No changes');
    } else if (this.known?.error) {
      md.appendMarkdown(`$(error) Status unavailable: `).appendText(this.known.error);
    }
    if (wt.head) md.appendMarkdown(`\n\nHEAD ${wt.head.slice(0, 12)}`);
    return md;
  }
}

const STATUS_ICON: Record<Agent['status'], [string, string]> = {
  running: ['loading~spin', 'charts.blue'],
  waiting: ['bell-dot', 'charts.yellow'],
  error: ['error', 'list.errorForeground'],
  finished: ['circle-large-outline', 'disabledForeground'],
};

/** An agent row: its status as an icon, the reason and context fill beside its name, the rest in the tooltip. */
export class AgentNode {
  readonly kind = 'agent';
  private item: vscode.TreeItem | undefined;
  constructor(
    readonly agent: Agent,
    /** Drawn in the "Needs you" inbox (the same agent is also under its worktree: another row id). */
    readonly inInbox = false,
  ) {}

  get contextValue(): ContextValues {
    const a = this.agent;
    if (a.deletedAt) return ContextValues.AgentArchived;
    if (!a.ownedByThisWindow) return ContextValues.AgentElsewhere;
    if (a.status === 'waiting') {
      const oldest = a.pendingPermissions[0];
      return oldest ? (oldest.questions ? ContextValues.AgentAsks : ContextValues.AgentNeedsPermission) : ContextValues.AgentWaiting;
    }
    return a.status === 'running' ? ContextValues.AgentRunning : a.status === 'error' ? ContextValues.AgentError : ContextValues.AgentFinished;
  }

  /** Its tree item, made once: the first draw's timing and the tree take the same one. */
  toTreeItem(): vscode.TreeItem {
    return (this.item ??= this.makeTreeItem());
  }

  private makeTreeItem(): vscode.TreeItem {
    const a = this.agent;
    const item = new vscode.TreeItem(a.name, vscode.TreeItemCollapsibleState.None);
    item.id = `${this.inInbox ? 'inbox:' : ''}agent:${a.id}`;
    const needsPermission = a.status === 'waiting' && a.pendingPermissions.length > 0;
    const [icon, color] = needsPermission ? (a.pendingPermissions[0]?.questions ? ['question', 'charts.orange'] : ['shield', 'charts.orange']) : STATUS_ICON[a.status];
    item.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
    item.description = [a.ownedByThisWindow ? '' : 'in another window', a.statusReason, a.contextLevel > 0 ? `${a.contextLevel}%` : ''].filter(Boolean).join(' · ');
    item.contextValue = this.contextValue;
    // A click opens its chat (an archived agent's conversation is read after Restore).
    if (!a.deletedAt) item.command = { command: 'claudeManager.openChat', title: 'Open Chat', arguments: [{ agentId: a.id }] };
    item.accessibilityInformation = { label: `${a.name}, ${a.status}: ${a.statusReason}${a.contextLevel ? `, context ${a.contextLevel}% full` : ''}` };
    // The tooltip is made when the row is hovered (resolveTreeItem), not for every row drawn.
    return item;
  }

  tooltip(): vscode.MarkdownString {
    const a = this.agent;
    const md = new vscode.MarkdownString('', true);
    md.appendMarkdown(`$(${STATUS_ICON[a.status][0].replace('~spin', '')}) **${escapeMd(a.name)}** — ${a.status}: `).appendText(a.statusReason);
    md.appendMarkdown('\n\n');
    const rows: [string, string][] = [['Mode', a.mode], ['Permissions', a.permissions.join(', ') || 'none']];
    if (a.model) rows.push(['Model', a.model]);
    if (a.sessionId) rows.push(['Session', a.sessionId]);
    rows.push(['Context', `${a.contextLevel}% full`]);
    const u = a.usage;
    rows.push(['Tokens', `${formatCount(u.inputTokens + u.cacheReadTokens + u.cacheCreationTokens)} in, ${formatCount(u.outputTokens)} out`]);
    rows.push(['Cost', `$${u.costUsd.toFixed(2)}`]);
    if (a.startedAt) rows.push(['Started', formatTime(a.startedAt)]);
    if (a.stoppedAt) rows.push(['Stopped', formatTime(a.stoppedAt)]);
    if (!a.ownedByThisWindow) rows.push(['Runs in', 'another window']);
    for (const [k, v] of rows) md.appendMarkdown(`${k}: `).appendText(v).appendMarkdown('  \n');
    for (const p of a.pendingPermissions) md.appendMarkdown(p.questions ? '\n$(question) Asks you: ' : '\n$(shield) Asks to run ').appendText(p.summary);
    return md;
  }
}

/** A repository's worktree rows with their agents, each list in its worktree's sort mode. */
export function buildWorktreeNodes(
  worktrees: readonly Worktree[],
  agents: readonly Agent[],
  statusOf: (worktreeId: string) => KnownStatus | undefined,
  /** Worktrees that had an active agent in this window; the ones active now are added. */
  opened: Set<string> = new Set(),
): WorktreeNode[] {
  const active = new Map<string, Agent[]>();
  const archived = new Map<string, Agent[]>();
  for (const a of agents) {
    const into = a.deletedAt ? archived : active;
    const list = into.get(a.worktreeId);
    if (list) list.push(a);
    else into.set(a.worktreeId, [a]);
  }
  return worktrees.map((w) => {
    const node = new WorktreeNode(w, statusOf(w.id), { agents: active.get(w.id) ?? [], archived: archived.get(w.id) ?? [] }, opened.has(w.id));
    if (node.active) opened.add(w.id);
    return node;
  });
}

/** A worktree's archived agents, collapsed under one node. */
export class ArchivedNode {
  readonly kind = 'archived';
  constructor(
    readonly worktreeId: string,
    readonly agents: readonly Agent[],
  ) {}

  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Archived', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `archived:${this.worktreeId}`;
    item.description = String(this.agents.length);
    item.iconPath = new vscode.ThemeIcon('archive');
    item.contextValue = ContextValues.Archived;
    return item;
  }
}

/** When an agent began to wait on the user: its oldest permission request, else its last change. */
function waitingSince(a: Agent): string {
  return a.pendingPermissions[0]?.requestedAt ?? a.updatedAt;
}

/**
 * The pinned top node, "Needs you (N)": every agent of this window waiting on a permission or a
 * reply, across repositories, the longest-waiting first. Shown only when there is one.
 */
export class InboxNode {
  readonly kind = 'inbox';
  constructor(readonly agents: readonly Agent[]) {}

  static of(agents: readonly Agent[]): InboxNode | undefined {
    const waiting = agents.filter((a) => a.ownedByThisWindow && a.status === 'waiting').sort((x, y) => waitingSince(x).localeCompare(waitingSince(y)));
    return waiting.length ? new InboxNode(waiting) : undefined;
  }

  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(`Needs you (${this.agents.length})`, vscode.TreeItemCollapsibleState.Expanded);
    item.id = 'inbox';
    item.iconPath = new vscode.ThemeIcon('bell-dot', new vscode.ThemeColor('charts.yellow'));
    const asking = this.agents.filter((a) => a.pendingPermissions.length && !a.pendingPermissions[0]!.questions).length;
    const questions = this.agents.filter((a) => a.pendingPermissions[0]?.questions).length;
    item.description = [asking ? `${asking} asking for permission` : '', questions ? `${questions} asking you a question` : ''].filter(Boolean).join(', ');
    item.tooltip = 'Agents waiting on a permission or a reply, the longest-waiting first';
    item.contextValue = ContextValues.Inbox;
    return item;
  }
}

/**
 * Pinned at the top while the Claude Code CLI cannot be found: agents cannot start, and the rows
 * below would otherwise give no hint why. Clicking it checks again and says what to do.
 */
export class CliMissingNode {
  readonly kind = 'cliMissing';
  constructor(readonly problem: string) {}

  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Claude Code CLI not found', vscode.TreeItemCollapsibleState.None);
    item.id = 'cliMissing';
    item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
    item.description = 'agents cannot start';
    item.tooltip = new vscode.MarkdownString().appendText(this.problem);
    item.command = { command: 'claudeManager.checkCli', title: 'Check Claude Code CLI' };
    item.contextValue = ContextValues.CliMissing;
    return item;
  }
}

export type AgentsViewNode = CliMissingNode | InboxNode | RepositoryNode | WorktreeNode | AgentNode | ArchivedNode;

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
        if (!this.timed.has('')) {
          this.timed.add('');
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
