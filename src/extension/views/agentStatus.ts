import * as vscode from 'vscode';
import type { Agent } from '../../services/agents/agentRuntime';
import { attentionFor } from '../../services/agents/attention';
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
  ) {
    this.item.name = 'Claude Manager';
    this.item.command = 'claudeManager.focusTriage';
    this.offs.push(
      services.runtime.onDidChangeAgent((agent) => {
        this.notify(agent);
        this.updateSoon();
      }),
      services.runtime.onDidChangeUsage(() => this.updateSoon()),
      services.workspaces.onDidChangeWorkspaces(() => this.updateSoon()),
    );
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
    const [workspaces, agents, today] = await Promise.all([this.services.workspaces.listWorkspaces(), this.services.runtime.list(), this.services.store.usage.today()]);
    if (workspaces.length === 0) {
      this.item.hide();
      return;
    }
    const mine = agents.filter((a) => a.ownedByThisWindow);
    const running = mine.filter((a) => a.status === 'running');
    const waiting = mine.filter((a) => a.status === 'waiting');
    this.item.text = `$(hubot) ${running.length}${waiting.length ? ` $(bell-dot) ${waiting.length}` : ''} · ${tokens(today.totalTokens)} · $${today.costUsd.toFixed(2)}`;
    this.item.backgroundColor = waiting.some((a) => a.pendingPermissions.length) ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.accessibilityInformation = {
      label: `Claude Manager: ${running.length} agents running, ${waiting.length} waiting for you; today ${today.totalTokens} tokens, ${today.costUsd.toFixed(2)} dollars`,
    };
    const md = new vscode.MarkdownString('', true);
    md.appendMarkdown(`**Claude Manager**\n\n$(hubot) ${running.length} running · $(bell-dot) ${waiting.length} waiting for you\n\n`);
    for (const a of waiting) md.appendMarkdown('- ').appendText(`${a.name}: ${a.statusReason}`).appendMarkdown('\n');
    md.appendMarkdown(`\n\nToday: ${today.totalTokens.toLocaleString()} tokens, $${today.costUsd.toFixed(2)}, ${today.requestCount} requests`);
    this.item.tooltip = md;
    this.item.show();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.offs.forEach((off) => off());
    this.item.dispose();
  }
}
