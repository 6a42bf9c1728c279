// The rows of the Agents tree: each node kind knows how to draw itself (agentsView.ts holds the tree).
import { homedir } from 'node:os';
import { sep } from 'node:path';
import * as vscode from 'vscode';
import type { Agent } from '../../services/agents/agentRuntime';
import { activeText, taskProgress } from '../../services/agents/taskList';
import { isAsleep } from '../../services/agents/sleep';
import type { SetupRun } from '../../services/workspaces/setupRuns';
import type { WorkspaceRecord } from '../../services/storage/records';
import type { KnownStatus } from '../../services/workspaces/worktreeMonitor';
import type { Worktree } from '../../services/workspaces/workspaceService';
import { orderAgents } from '../../services/workspaces/order';
import { ContextValues } from './contextValues';
import { appendChangesTooltip, type ChangedFileNode, ChangesNode, changesDescription, commandLink, TOOLTIP_COMMANDS, type WorktreeChangeInfo } from './changesTreeNodes';

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

/** "merging (2 conflicts)", "rebasing (1 conflict)": what waits in a worktree; "" when nothing does. */
export function mergingText(known: KnownStatus | undefined): string {
  if (!known?.operation) return '';
  const n = known.status?.conflicted.length ?? 0;
  return `${known.operation === 'rebase' ? 'rebasing' : 'merging'} (${n} conflict${n === 1 ? '' : 's'})`;
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

  // ── its setup commands, when they ran in this window ──
  private setupRun: SetupRun | undefined;

  /** Takes how its setup runs or ended; the row's item is made again when next asked for. */
  setSetup(run: SetupRun | undefined): void {
    this.setupRun = run;
    this.item = undefined;
  }

  // ── its changes since its base (changesTreeNodes.ts) ──
  private changeInfo: WorktreeChangeInfo | undefined;

  get changes(): WorktreeChangeInfo | undefined {
    return this.changeInfo;
  }

  /** Takes what is known of its changes; its item and rows are made again when next asked for. */
  setChanges(info: WorktreeChangeInfo | undefined): void {
    this.changeInfo = info;
    this.item = undefined;
    this.rows = undefined;
  }

  /** Whether it has a "Changes (N)" row. */
  get hasChanges(): boolean {
    return !this.worktree.isMain && (this.changeInfo?.known?.changes?.files.length ?? 0) > 0;
  }

  private changesNode(): ChangesNode[] {
    const c = this.hasChanges ? this.changeInfo?.known?.changes : undefined;
    if (!c || !this.changeInfo) return [];
    const shared = new Map<string, { worktreeId: string; name: string }[]>();
    for (const other of this.changeInfo.collisions) {
      for (const path of other.files) shared.set(path, [...(shared.get(path) ?? []), { worktreeId: other.worktreeId, name: this.changeInfo.nameOf(other.worktreeId) }]);
    }
    return [new ChangesNode(this.worktree.id, this.worktree.path, c, shared)];
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
    return (this.rows ??= [...this.changesNode(), ...this.agents.map((a) => new AgentNode(a)), ...(this.archived.length ? [new ArchivedNode(this.worktree.id, this.archived)] : [])]);
  }

  /** Its tree item, made once (again after a status change): the first draw's timing and the tree take the same one. */
  toTreeItem(): vscode.TreeItem {
    return (this.item ??= this.makeTreeItem());
  }

  private makeTreeItem(): vscode.TreeItem {
    const wt = this.worktree;
    const label = wt.branch ?? `detached at ${wt.head.slice(0, 7) || '?'}`;
    const parent = this.unsorted.agents.length > 0 || this.unsorted.archived.length > 0 || this.hasChanges;
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
    const setup = this.setupRun?.state === 'running' ? 'setting up…' : this.setupRun?.state === 'failed' ? 'setup failed' : '';
    item.description = [wt.missing ? 'missing' : '', wt.locked ? 'locked' : '', setup, mergingText(this.known), summary, changesDescription(this.changeInfo), where].filter(Boolean).join(' · ');
    item.iconPath = wt.missing
      ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'))
      : wt.locked
        ? new vscode.ThemeIcon('lock')
        : new vscode.ThemeIcon(wt.isMain ? 'home' : wt.branch ? 'git-branch' : 'git-commit', this.known?.status?.conflicted.length ? new vscode.ThemeColor('list.errorForeground') : undefined);
    item.contextValue = wt.isMain ? ContextValues.WorktreeMain : wt.missing ? ContextValues.WorktreeMissing : wt.locked ? ContextValues.WorktreeLocked : ContextValues.Worktree;
    if (this.known?.operation && !wt.missing) item.contextValue += ContextValues.MergingSuffix;
    // The tooltip is made when the row is hovered (resolveTreeItem), not for every row drawn.
    return item;
  }

  tooltip(): vscode.MarkdownString {
    const wt = this.worktree;
    const label = wt.branch ?? `detached at ${wt.head.slice(0, 7) || '?'}`;
    const md = new vscode.MarkdownString('', true);
    // Its links run only these commands (the changes' and the setup's).
    md.isTrusted = { enabledCommands: TOOLTIP_COMMANDS };
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
    if (this.known?.operation) md.appendMarkdown(`\n\n$(git-merge) ${escapeMd(mergingText(this.known))}: resolve the conflicts, then Continue Merge, or Abort Merge`);
    if (wt.pullRequestUrl) md.appendMarkdown(`\n\n$(git-pull-request) [Pull request](${wt.pullRequestUrl.replace(/[()\s]/g, encodeURIComponent)})`);
    const run = this.setupRun;
    if (run) {
      const link = `[Show Setup Output](${commandLink('claudeManager.showSetupOutput', { worktreeId: wt.id })})`;
      if (run.state === 'running') md.appendMarkdown(`\n\n$(loading~spin) Setting up… ${link}`);
      else if (run.state === 'failed') md.appendMarkdown(`\n\n$(error) The setup failed at `).appendText(run.failure?.command ?? '?').appendMarkdown(`: agents can still start here. ${link}`);
      else md.appendMarkdown(`\n\n$(pass) Set up. ${link}`);
    }
    if (wt.ports) md.appendMarkdown(`\n\n$(plug) Ports ${wt.ports.count === 1 ? wt.ports.base : `${wt.ports.base}–${wt.ports.base + wt.ports.count - 1}`} (PORT=${wt.ports.base})`);
    if (wt.head) md.appendMarkdown(`\n\nHEAD ${wt.head.slice(0, 12)}`);
    appendChangesTooltip(md, wt.id, this.changeInfo);
    return md;
  }
}

/** An agent put to sleep (no process; the next message wakes it). */
const ASLEEP_ICON: [string, string] = ['coffee', 'descriptionForeground'];

const STATUS_ICON: Record<Agent['status'], [string, string]> = {
  running: ['loading~spin', 'charts.blue'],
  waiting: ['bell-dot', 'charts.yellow'],
  error: ['error', 'list.errorForeground'],
  finished: ['circle-large-outline', 'disabledForeground'],
};

/** The icon of a task in a row's tooltip, by its status. */
const TASK_ICON: Record<NonNullable<Agent['tasks']>[number]['status'], string> = { pending: 'circle-large-outline', in_progress: 'arrow-circle-right', completed: 'pass-filled' };
/** The most tasks a row's tooltip lists. */
const MAX_TOOLTIP_TASKS = 12;

/** An agent row: its status as an icon, the reason, its tasks done (when it keeps a list) and context fill beside its name, the rest in the tooltip. */
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
    if (!a.ownedByThisWindow) {
      const asking = a.status === 'waiting' ? a.pendingPermissions[0] : undefined;
      return asking ? (asking.questions ? ContextValues.AgentElsewhereAsks : ContextValues.AgentElsewhereNeedsPermission) : ContextValues.AgentElsewhere;
    }
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
    const [icon, color] = needsPermission ? (a.pendingPermissions[0]?.questions ? ['question', 'charts.orange'] : ['shield', 'charts.orange']) : isAsleep(a) ? ASLEEP_ICON : STATUS_ICON[a.status];
    item.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
    const tasks = taskProgress(a.tasks);
    item.description = [a.ownedByThisWindow ? '' : 'in another window', a.statusReason, tasks ? `${tasks.done}/${tasks.total} tasks` : '', a.contextLevel > 0 ? `${a.contextLevel}%` : ''].filter(Boolean).join(' · ');
    item.contextValue = this.contextValue;
    // A click opens its chat (an archived agent's conversation is read after Restore).
    if (!a.deletedAt) item.command = { command: 'claudeManager.openChat', title: 'Open Chat', arguments: [{ agentId: a.id }] };
    item.accessibilityInformation = { label: `${a.name}, ${a.status}: ${a.statusReason}${tasks ? `, ${tasks.done} of ${tasks.total} tasks done` : ''}${a.contextLevel ? `, context ${a.contextLevel}% full` : ''}` };
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
    const tasks = taskProgress(a.tasks);
    if (tasks && a.tasks) {
      md.appendMarkdown(`\n\n**Tasks: ${tasks.done} of ${tasks.total} done**\n\n`);
      for (const t of a.tasks.slice(0, MAX_TOOLTIP_TASKS)) {
        md.appendMarkdown(`$(${TASK_ICON[t.status]}) `).appendText(t.status === 'in_progress' ? activeText(t) : t.content).appendMarkdown('  \n');
      }
      if (a.tasks.length > MAX_TOOLTIP_TASKS) md.appendMarkdown(`… ${a.tasks.length - MAX_TOOLTIP_TASKS} more`);
    }
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
 * The pinned top node, "Needs you (N)": every agent waiting on a permission or a reply, this
 * window's and the other windows', across repositories, the longest-waiting first. Shown only when
 * there is one.
 */
export class InboxNode {
  readonly kind = 'inbox';
  constructor(readonly agents: readonly Agent[]) {}

  static of(agents: readonly Agent[]): InboxNode | undefined {
    // Every window's: another window's agent is answered from here through that window.
    const waiting = agents.filter((a) => a.status === 'waiting' && (a.ownedByThisWindow || a.pid !== undefined)).sort((x, y) => waitingSince(x).localeCompare(waitingSince(y)));
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

export type AgentsViewNode = CliMissingNode | InboxNode | RepositoryNode | WorktreeNode | AgentNode | ArchivedNode | ChangesNode | ChangedFileNode;
