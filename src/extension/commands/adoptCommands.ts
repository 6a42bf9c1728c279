import * as vscode from 'vscode';
import type { CliSessionSummary } from '../../services/agents/transcripts';
import type { Services } from '../services';
import type { WorktreeNode } from '../views/agentsView';
import { tildify } from '../views/agentsView';
import { registerCommand } from './registerCommand';
import { pickWorktree } from './worktreeCommands';

/** "5 minutes ago", "3 days ago": how the pick says when a session was last used. */
function ago(iso: string, now = Date.now()): string {
  const minutes = Math.max(0, Math.round((now - Date.parse(iso)) / 60_000));
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} hour${hours === 1 ? '' : 's'} ago`;
  const days = Math.round(hours / 24);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

/** A session as a row of the pick: what the user typed first, when, how long. */
export function sessionItem(s: CliSessionSummary, now = Date.now()): vscode.QuickPickItem & { session: CliSessionSummary } {
  const prompt = s.firstPrompt.replace(/\s+/g, ' ');
  return {
    label: prompt ? (prompt.length > 80 ? `${prompt.slice(0, 79)}…` : prompt) : '(no prompt)',
    description: `${ago(s.updatedAt, now)} · ${s.messages} message${s.messages === 1 ? '' : 's'}`,
    detail: [s.gitBranch ? `$(git-branch) ${s.gitBranch}` : undefined, `session ${s.sessionId}`, s.skippedLines ? `$(warning) ${s.skippedLines} unreadable lines` : undefined].filter(Boolean).join('  ·  '),
    session: s,
  };
}

/**
 * "Adopt CLI Session…": the CLI's sessions of a worktree's folder that no agent holds (started in a
 * terminal, by `claude --worktree`…), picked by their first prompt; the one chosen becomes an agent
 * with its history, whose chat opens. `{ worktreeId, sessionId, name? }` adopts without asking.
 */
export function registerAdoptCommand(log: vscode.LogOutputChannel, services: () => Promise<Services>, openChat: (agentId: string) => Promise<unknown>): vscode.Disposable {
  return registerCommand('claudeManager.adoptSession', log, async (arg?: WorktreeNode | { worktreeId?: string; sessionId?: string; name?: string }) => {
    const s = await services();
    const worktree = await pickWorktree(s, arg, 'Adopt CLI Session', (w) => !w.missing);
    if (!worktree) return undefined;
    const given = arg && 'sessionId' in arg && arg.sessionId ? arg : undefined;
    let sessionId = given?.sessionId;
    if (!sessionId) {
      const sessions = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Reading the CLI\'s sessions…' }, () => s.runtime.adoptableSessions(worktree.id));
      if (sessions.length === 0) {
        void vscode.window.showInformationMessage(`No session of the Claude Code CLI to adopt in ${worktree.branch ?? worktree.name}: none recorded for ${tildify(worktree.path)} that no agent holds.`);
        return undefined;
      }
      const picked = await vscode.window.showQuickPick(sessions.map((session) => sessionItem(session)), {
        title: `Adopt CLI Session in ${worktree.branch ?? worktree.name}`,
        placeHolder: 'Choose a session started in a terminal or by the CLI (close it there first)',
        matchOnDescription: true,
        matchOnDetail: true,
      });
      if (!picked) return undefined;
      sessionId = picked.session.sessionId;
    }
    const agent = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Adopting the session…' }, () =>
      s.runtime.adoptSession(worktree.id, sessionId, given?.name ? { name: given.name } : {}),
    );
    await openChat(agent.id);
    return agent;
  });
}
