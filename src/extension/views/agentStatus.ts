import * as vscode from 'vscode';
import type { Agent } from '../../services/agents/agentRuntime';
import { attentionFor } from '../../services/agents/attention';
import { type BudgetCrossing, type BudgetUse, type BudgetWatch, describeUse } from '../../services/usage/budgets';
import { limitLine } from '../../services/usage/limitsText';
import type { Services } from '../services';

function tokens(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n);
}

/**
 * The status bar item (running and waiting agents of this window, today's tokens and cost; a
 * click shows the Agents view; hidden while no repository is configured) and the notifications
 * when an agent needs the user, finishes or fails (`claudeManager.notifications`).
 */
export class AgentStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('claudeManager.status', vscode.StatusBarAlignment.Left, 50);
  private readonly known = new Map<string, Agent>();
  private readonly offs: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly services: Services,
    private readonly log: vscode.LogOutputChannel,
    private readonly notificationsOn: () => boolean,
    /** Whether the agent's chat is what the user is looking at: it says all a notification would. */
    private readonly chatFocused: (agentId: string) => boolean = () => false,
    /** The user's budgets (claudeManager.dailyBudget, monthlyBudget), told at 80% and 100%. */
    private readonly budgets?: { watch: BudgetWatch; stopsAgents: () => boolean },
  ) {
    this.item.name = 'Claude Manager';
    this.item.command = { command: 'claudeManager.openOverview', title: 'Open Overview' };
    this.offs.push(
      services.runtime.onDidChangeAgent((agent) => {
        this.notify(agent);
        this.updateSoon();
      }),
      services.runtime.onDidChangeUsage(() => this.updateSoon()),
      services.workspaces.onDidChangeWorkspaces(() => this.updateSoon()),
    );
    const configuring = vscode.workspace.onDidChangeConfiguration((e) => {
      if (['dailyBudget', 'monthlyBudget', 'budgetUnit'].some((k) => e.affectsConfiguration(`claudeManager.${k}`))) this.updateSoon();
    });
    this.offs.push(() => configuring.dispose());
    this.updateSoon();
  }

  private notify(agent: Agent): void {
    const attention = attentionFor(this.known.get(agent.id), agent);
    this.known.set(agent.id, agent);
    if (!attention || !this.notificationsOn() || this.chatFocused(agent.id)) return;
    const run = (command: string) => () => void vscode.commands.executeCommand(command, { agentId: agent.id });
    const actions: [string, () => void][] =
      attention.kind === 'permission'
        ? agent.pendingPermissions[0]?.questions
          ? [['Answer…', run('claudeManager.answerQuestion')], ['Open Chat', run('claudeManager.openChat')]]
          : [['Allow', run('claudeManager.allowPermission')], ['Deny…', run('claudeManager.denyPermission')], ['Open Chat', run('claudeManager.openChat')]]
        : [['Open Chat', run('claudeManager.openChat')]];
    const show = attention.kind === 'failed' ? vscode.window.showErrorMessage : vscode.window.showInformationMessage;
    void show(attention.message, ...actions.map(([label]) => label)).then((choice) => actions.find(([label]) => label === choice)?.[1]());
  }

  private updateSoon(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.update().catch((error: unknown) => this.log.warn(`The status bar could not be updated: ${(error as Error).message}`));
    }, 250);
  }

  private async update(): Promise<void> {
    const [workspaces, agents, today, budgets, limits] = await Promise.all([
      this.services.workspaces.listWorkspaces(),
      this.services.runtime.list(),
      this.services.store.usage.today(),
      this.budgets?.watch.check().catch((error: unknown) => {
        this.log.warn(`The budgets could not be checked: ${(error as Error).message}`);
        return undefined;
      }),
      this.services.runtime.limits().catch(() => undefined),
    ]);
    const uses = budgets?.uses ?? [];
    for (const c of budgets?.crossed ?? []) void this.tellBudget(c).catch((error: unknown) => this.log.warn(`The budget could not be told: ${(error as Error).message}`));
    if (workspaces.length === 0) {
      this.item.hide();
      return;
    }
    const mine = agents.filter((a) => a.ownedByThisWindow);
    const running = mine.filter((a) => a.status === 'running');
    const waiting = mine.filter((a) => a.status === 'waiting');
    // The budget nearest its end, as a share.
    const fullest = uses.reduce<BudgetUse | undefined>((a, u) => (!a || u.share > a.share ? u : a), undefined);
    const budget = fullest ? ` · ${Math.round(fullest.share * 100)}% of ${fullest.period === 'day' ? "today's" : "this month's"} budget` : '';
    this.item.text = `$(hubot) ${running.length}${waiting.length ? ` $(bell-dot) ${waiting.length}` : ''} · ${tokens(today.totalTokens)} · $${today.costUsd.toFixed(2)}${budget}`;
    this.item.backgroundColor = waiting.some((a) => a.pendingPermissions.length) ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.accessibilityInformation = {
      label: `Claude Manager: ${running.length} agents running, ${waiting.length} waiting for you; today ${today.totalTokens} tokens, ${today.costUsd.toFixed(2)} dollars${budget.replace(' · ', '; ')}`,
    };
    const md = new vscode.MarkdownString('', true);
    md.isTrusted = { enabledCommands: ['claudeManager.openOverview', 'claudeManager.focusTriage'] };
    md.appendMarkdown(`**Claude Manager**\n\n$(hubot) ${running.length} running · $(bell-dot) ${waiting.length} waiting for you\n\n`);
    for (const a of waiting) md.appendMarkdown('- ').appendText(`${a.name}: ${a.statusReason}`).appendMarkdown('\n');
    md.appendMarkdown(`\n\nToday: ${today.totalTokens.toLocaleString()} tokens, $${today.costUsd.toFixed(2)}, ${today.requestCount} requests`);
    // A terminal's transcript gives tokens, not cost: its requests are counted, and said to be unpriced.
    if (today.unpricedRequestCount > 0) md.appendMarkdown(` (${today.unpricedRequestCount} of them in a terminal, where the CLI reports no cost)`);
    for (const u of uses) md.appendMarkdown(`\n\n${u.period === 'day' ? 'Daily' : 'Monthly'} budget: ${Math.round(u.share * 100)}% used (`).appendText(describeUse(u)).appendMarkdown(')');
    // The plan's limits as the CLI last reported them, or plainly that there are none to show.
    if (limits?.available) {
      md.appendMarkdown('\n\nPlan limits:');
      for (const l of limits.limits) md.appendMarkdown('\n- ').appendText(limitLine(l));
    } else md.appendMarkdown('\n\nPlan limits: none reported (the Claude Code CLI reports them for a Claude subscription login, while an agent runs; an API key has none).');
    md.appendMarkdown('\n\n[Open Overview](command:claudeManager.openOverview)' + (waiting.length ? ' · [Needs You](command:claudeManager.focusTriage)' : ''));
    this.item.tooltip = md;
    this.item.show();
  }

  /** Tells a budget threshold newly passed (once per period); at 100%, stops this window's agents when the user asked for that. */
  private async tellBudget(c: BudgetCrossing): Promise<void> {
    const which = c.period === 'day' ? "today's" : "this month's";
    let stopped = '';
    if (c.threshold === 100 && this.budgets!.stopsAgents()) {
      const mine = (await this.services.runtime.list()).filter((a) => a.ownedByThisWindow && (a.status === 'running' || a.status === 'waiting'));
      for (const a of mine) await this.services.runtime.stop(a.id).catch((error: Error) => this.log.warn(`${a.name} could not be stopped for the budget: ${error.message}`));
      stopped = ` ${mine.length} agent${mine.length === 1 ? '' : 's'} of this window ${mine.length === 1 ? 'was' : 'were'} stopped (claudeManager.budgetStopsAgents); Start resumes them.`;
    }
    // (The notification names its source, Claude Manager.)
    const message = c.threshold === 100 ? `${which.charAt(0).toUpperCase()}${which.slice(1)} budget is used up: ${describeUse(c)}.${stopped}` : `${Math.round(c.share * 100)}% of ${which} budget is used: ${describeUse(c)}.`;
    this.log.info(`Budget: ${message}`);
    // Not awaited: the next threshold is told without waiting for the user to close this one.
    void vscode.window.showWarningMessage(message, 'Change Budget').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'claudeManager budget');
    });
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.offs.forEach((off) => off());
    this.item.dispose();
  }
}
