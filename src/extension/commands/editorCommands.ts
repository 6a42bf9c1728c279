import { sep } from 'node:path';
import * as vscode from 'vscode';
import type { Agent } from '../../services/agents/agentRuntime';
import { ClaudeManagerError } from '../../services/errors';
import { type CodeReference, composeCodeMessage } from '../../services/agents/codeReference';
import type { Worktree } from '../../services/workspaces/workspaceService';
import type { Services } from '../services';
import { registerCommand } from './registerCommand';

/** Run with an argument (scripts, tests): the agent and the request are not asked. */
interface EditorCommandArgs {
  agentId?: string;
  request?: string;
}

/**
 * The agent to send code to: agents of this window that can take a message, the ones working in
 * the file's own worktree first. None: the user is offered to make one.
 */
async function pickAgentFor(services: Services, file: string, title: string): Promise<{ agent: Agent; worktree: Worktree } | undefined> {
  const agents = (await services.runtime.list()).filter((a) => a.ownedByThisWindow && !services.runtime.inTerminal(a.id));
  const worktrees = new Map<string, Worktree>();
  for (const a of agents) if (!worktrees.has(a.worktreeId)) worktrees.set(a.worktreeId, await services.workspaces.getWorktree(a.worktreeId));
  const inside = (a: Agent) => file.startsWith(worktrees.get(a.worktreeId)!.path + sep);
  if (agents.length === 0) {
    const create = await vscode.window.showInformationMessage('No agent to send it to yet.', 'New Agent…');
    if (create) await vscode.commands.executeCommand('claudeManager.newAgent');
    return undefined;
  }
  const sorted = [...agents].sort((x, y) => Number(inside(y)) - Number(inside(x)));
  const picked = await vscode.window.showQuickPick(
    sorted.map((a) => {
      const wt = worktrees.get(a.worktreeId)!;
      return {
        label: a.name,
        description: `${wt.branch ?? wt.name}${inside(a) ? ' · this file\'s worktree' : ''}`,
        detail: `${a.status}: ${a.statusReason}`,
        agent: a,
      };
    }),
    { title, placeHolder: 'Choose the agent', matchOnDescription: true },
  );
  return picked ? { agent: picked.agent, worktree: worktrees.get(picked.agent.worktreeId)! } : undefined;
}

async function send(
  services: Services,
  ref: Omit<CodeReference, 'worktreePath'>,
  title: string,
  prompt: string,
  args: EditorCommandArgs | undefined,
  /** A question is needed: a file name alone asks nothing. */
  requestRequired = false,
): Promise<{ agentId: string; text: string } | undefined> {
  let target: { agent: Agent; worktree: Worktree } | undefined;
  if (args?.agentId) {
    const agent = await services.runtime.get(args.agentId);
    target = { agent, worktree: await services.workspaces.getWorktree(agent.worktreeId) };
  } else {
    target = await pickAgentFor(services, ref.file, title);
  }
  if (!target) return undefined;
  const request = args?.request ?? (await vscode.window.showInputBox({
      title: `${title}: ${target.agent.name}`,
      prompt,
      placeHolder: 'Explain this, fix it, write tests for it…',
      validateInput: (v) => (requestRequired && !v.trim() ? 'Ask something about the file.' : undefined),
    }));
  if (request === undefined) return undefined;
  if (requestRequired && !request.trim()) throw new ClaudeManagerError('INVALID_INPUT', 'Ask something about the file: the request is empty.');
  const text = composeCodeMessage({ ...ref, worktreePath: target.worktree.path }, request);
  await services.runtime.sendMessage(target.agent.id, text);
  return { agentId: target.agent.id, text };
}

/**
 * "Send Selection to Agent" and "Ask Agent About File": code from the editor goes to an agent as a
 * message naming its file (relative to the agent's worktree) and lines.
 */
export function registerEditorCommands(log: vscode.LogOutputChannel, services: () => Promise<Services>): vscode.Disposable[] {
  return [
    registerCommand('claudeManager.sendSelectionToAgent', log, async (args?: EditorCommandArgs) => {
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.document.uri.scheme !== 'file') {
        void vscode.window.showInformationMessage('Select code in a file editor first: its selection is what is sent.');
        return undefined;
      }
      const selection = editor.selection;
      const whole = selection.isEmpty;
      // An empty selection sends the line the cursor is on.
      const range = whole ? editor.document.lineAt(selection.active.line).range : selection;
      // A selection ending at the start of a line does not include that line.
      const endLine = !whole && selection.end.character === 0 && selection.end.line > selection.start.line ? selection.end.line : range.end.line + 1;
      const s = await services();
      return send(
        s,
        { file: editor.document.uri.fsPath, startLine: range.start.line + 1, endLine, code: editor.document.getText(range), languageId: editor.document.languageId },
        'Send Selection to Agent',
        'What should it do with this code? (optional)',
        args && typeof args === 'object' && !(args instanceof vscode.Uri) ? args : undefined,
      );
    }),
    registerCommand('claudeManager.askAgentAboutFile', log, async (arg?: vscode.Uri | EditorCommandArgs, more?: EditorCommandArgs) => {
      const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
      if (!uri || uri.scheme !== 'file') {
        void vscode.window.showInformationMessage('Open a file first: Ask Agent About File asks about the active file.');
        return undefined;
      }
      const s = await services();
      // From the explorer, the second argument is the list of selected files.
      const args = arg instanceof vscode.Uri ? (Array.isArray(more) ? undefined : more) : arg;
      return send(s, { file: uri.fsPath }, 'Ask Agent About File', 'Your question about the file', args, true);
    }),
  ];
}
