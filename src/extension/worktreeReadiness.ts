// What makes a window's worktrees and agents ready to work in, and keeps idle agents asleep.
import * as vscode from 'vscode';
import type { Logger } from '../services/logger';
import { AgentSleep, type SleepRuntime } from '../services/agents/sleep';
import { LimitResume, type LimitRuntime } from '../services/agents/limitResume';
import { registerCommand } from './commands/registerCommand';
import type { Services } from './services';
import { AgentNode } from './views/agentsView';
import type { WorkspaceRecord } from '../services/storage/records';
import type { SetupRuns } from '../services/workspaces/setupRuns';
import { SETUP_FILE } from '../services/workspaces/setupFile';
import type { RepositorySetup } from '../services/workspaces/worktreeSetup';
import { getConfig } from './config';

/** Puts this window's idle agents to sleep after `claudeManager.sleepAfterMinutes` (see AgentSleep), following the setting as it changes. */
export function sleepWhenIdle(runtime: SleepRuntime, log: Logger): vscode.Disposable {
  const sleep = new AgentSleep(runtime, () => getConfig().sleepAfterMinutes * 60_000, log);
  const watching = vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration('claudeManager.sleepAfterMinutes')) sleep.reschedule();
  });
  return { dispose: () => (watching.dispose(), sleep.dispose()) };
}

/**
 * Agents of this window whose turn ended on the plan's usage limit go on by themselves once it
 * resets (`claudeManager.resumeAfterLimit`, see LimitResume); "Don't Resume After Limit" keeps one
 * from it.
 */
export class LimitResumes implements vscode.Disposable {
  private resume: LimitResume | undefined;

  /** Follows the agents of the services just built. */
  follow(runtime: LimitRuntime, log: Logger): vscode.Disposable {
    this.resume?.dispose();
    const resume = (this.resume = new LimitResume(runtime, () => getConfig().resumeAfterLimit, log));
    return { dispose: () => (resume.dispose(), this.resume === resume && (this.resume = undefined)) };
  }

  command(log: vscode.LogOutputChannel, services: () => Promise<Services>): vscode.Disposable {
    return registerCommand('claudeManager.cancelLimitResume', log, async (arg?: AgentNode | { agentId?: string }) => {
      const s = await services();
      let id = arg instanceof AgentNode ? arg.agent.id : arg?.agentId;
      if (!id) {
        const limited = (await s.runtime.list()).filter((a) => this.resume?.scheduled(a.id));
        if (limited.length === 0) {
          void vscode.window.showInformationMessage('No agent is waiting to go on after a usage limit.');
          return false;
        }
        id = (await vscode.window.showQuickPick(limited.map((a) => ({ label: a.name, description: a.statusReason, id: a.id })), { title: "Don't Resume After Limit" }))?.id;
        if (!id) return false;
      }
      const agent = await s.runtime.get(id);
      if (!(await this.resume?.cancel(id))) {
        void vscode.window.showInformationMessage(`${agent.name} is not waiting to go on after a usage limit.`);
        return false;
      }
      return true;
    });
  }

  dispose(): void {
    this.resume?.dispose();
  }
}

/** The contents of repositories' setup files the user declined in this window: not asked again until they change. */
const declined = new Set<string>();

/**
 * Asks, as the editor asks before a folder's automatic tasks, whether a repository's committed
 * `.claude-manager.json` may put variables in its agents' environment and run its commands.
 * Declined, it is not asked again in this window until the file changes; its ports apply anyway.
 */
export async function askToAllowSetup(workspace: WorkspaceRecord, setup: RepositorySetup): Promise<boolean> {
  if (!vscode.workspace.isTrusted || declined.has(setup.digest)) return false;
  const { env, setup: commands, run } = setup.config;
  const lines = [
    ...(env ? [`Variables for its agents and terminals: ${Object.keys(env).join(', ')}`] : []),
    ...(commands?.length ? [`Setup commands run in each new worktree: ${commands.join(' ; ')}`] : []),
    ...(run ? [`Run command: ${run}`] : []),
  ];
  const choice = await vscode.window.showWarningMessage(
    `${workspace.name}'s ${SETUP_FILE} sets up its worktrees. Allow it?`,
    { modal: true, detail: `${lines.join('\n')}\n\nA repository's file can run any program: allow it only if you trust what it holds. You are asked again when it changes.` },
    'Allow',
  );
  if (choice === 'Allow') return true;
  declined.add(setup.digest);
  return false;
}

/**
 * The terminals in which the user watches worktrees' setup commands: one opens (without taking
 * the focus) when a setup begins and shows what it prints as it prints; "Show Setup Output" shows
 * it again, or a new one with what the setup printed when it was closed.
 */
export class SetupTerminals implements vscode.Disposable {
  private readonly terminals = new Map<string, { terminal: vscode.Terminal; write: vscode.EventEmitter<string> }>();
  private runs: SetupRuns | undefined;
  private readonly offs: (() => void)[] = [];
  private readonly closing: vscode.Disposable;

  constructor(private readonly nameOf: (worktreeId: string) => Promise<string>) {
    this.closing = vscode.window.onDidCloseTerminal((closed) => {
      for (const [id, t] of this.terminals) if (t.terminal === closed) this.terminals.delete(id);
    });
  }

  /** Follows the setups the services run: each one begun opens its terminal. */
  follow(runs: SetupRuns): vscode.Disposable {
    this.runs = runs;
    this.offs.push(
      runs.onDidChange((run) => {
        if (run.state === 'running' && run.output === '') void this.open(run.worktreeId, false);
      }),
      runs.onDidOutput(({ worktreeId, text }) => this.terminals.get(worktreeId)?.write.fire(text)),
    );
    return { dispose: () => this.offs.splice(0).forEach((off) => off()) };
  }

  /** Shows the worktree's setup terminal (made again from what it printed when it was closed). */
  async show(worktreeId: string): Promise<void> {
    if (!this.runs?.of(worktreeId)) {
      void vscode.window.showInformationMessage('No setup ran for this worktree in this window. Its setup runs when the worktree is made here from a repository with setup commands in .claude-manager.json.');
      return;
    }
    await this.open(worktreeId, true);
  }

  private async open(worktreeId: string, focus: boolean): Promise<void> {
    const open = this.terminals.get(worktreeId);
    if (open) return open.terminal.show(!focus);
    const write = new vscode.EventEmitter<string>();
    const pty: vscode.Pseudoterminal = {
      onDidWrite: write.event,
      // What it printed before the terminal was there.
      open: () => {
        const earlier = this.runs?.of(worktreeId)?.output;
        if (earlier) write.fire(earlier);
      },
      close: () => write.dispose(),
    };
    const terminal = vscode.window.createTerminal({ name: `Setup: ${await this.nameOf(worktreeId)}`, pty, iconPath: new vscode.ThemeIcon('tools') });
    this.terminals.set(worktreeId, { terminal, write });
    terminal.show(!focus);
  }

  dispose(): void {
    this.offs.splice(0).forEach((off) => off());
    this.closing.dispose();
    for (const t of this.terminals.values()) t.terminal.dispose();
    this.terminals.clear();
  }
}
