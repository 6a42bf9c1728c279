import * as vscode from 'vscode';
import type { Agent } from '../../services/agents/agentRuntime';
import { chatToMarkdown } from '../../services/agents/chatExport';
import { untrustedWorkspaceError } from '../../services/errors';
import type { Services } from '../services';
import { getConfig } from '../config';
import { AgentNode, RepositoryNode, WorktreeNode } from '../views/agentsView';
import { registerCommand } from './registerCommand';
import { type Answers, pickAnswers } from './questionPicker';
import { pickWorktree } from './worktreeCommands';

/** What an agent command is run on: its tree row, an object naming the agent (scripts, keybindings), or nothing (a quick pick). */
type Arg = AgentNode | { agentId?: string; id?: string } | undefined;
type AgentMode = Agent['mode'];
/** "New Agent…" run with an argument (scripts, keybindings): what it names is not asked. */
interface NewAgentArgs {
  workspaceId?: string;
  worktreeId?: string;
  name?: string;
  mode?: AgentMode;
  /** Its first message, sent as it starts; without one (or "") it starts waiting for one, typed in its chat. */
  prompt?: string;
}

/** Refuses at once in an untrusted workspace (the runtime refuses too, for every other path). */
function requireTrust(): void {
  if (!vscode.workspace.isTrusted) throw untrustedWorkspaceError();
}

/** The modes, the current one first and marked. */
export async function pickMode(title: string, current: AgentMode): Promise<AgentMode | undefined> {
  const modes = [
    { label: 'Regular', description: 'asks before each tool that is not allowed already', mode: 'regular' as const },
    { label: 'Plan', description: 'plans first, changes nothing until the plan is approved', mode: 'plan' as const },
    { label: 'Auto', description: 'edits files without asking; asks before commands', mode: 'auto' as const },
  ].sort((a, b) => Number(b.mode === current) - Number(a.mode === current));
  const picked = await vscode.window.showQuickPick(
    modes.map((m) => ({ ...m, label: m.mode === current ? `$(check) ${m.label}` : m.label })),
    { title, placeHolder: 'How much it may do without asking' },
  );
  return picked?.mode;
}

async function pickAgent(services: Services, arg: Arg, title: string, filter: (a: Agent) => boolean = () => true): Promise<Agent | undefined> {
  if (arg instanceof AgentNode) return services.runtime.get(arg.agent.id);
  const id = arg?.agentId ?? arg?.id;
  if (id) return services.runtime.get(id);
  const agents = (await services.runtime.list()).filter(filter);
  if (agents.length === 0) {
    void vscode.window.showInformationMessage('Claude Manager has no agent yet.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    agents.map((a) => ({ label: a.name, description: `${a.status}: ${a.statusReason}`, agent: a })),
    { title, placeHolder: 'Choose an agent' },
  );
  return picked?.agent;
}

/**
 * Agent commands that need the editor's terminals. "Open in Terminal" hands the agent's session to
 * the CLI's own interactive UI in an integrated terminal in its worktree (VS Code owns the pty);
 * the runtime follows it through the CLI's hooks until the terminal closes.
 */
export function registerAgentCommands(
  log: vscode.LogOutputChannel,
  services: () => Promise<Services>,
  /** Opens (or reveals) the agent's chat panel. */
  openChat: (agentId: string) => Promise<unknown>,
  testMode = false,
): vscode.Disposable[] {
  const terminals = new Map<vscode.Terminal, string>();
  /** Answers the agent's oldest pending permission request. */
  const answer = async (arg: Arg, behavior: 'allow' | 'deny') => {
    const s = await services();
    const agent = await pickAgent(s, arg, behavior === 'allow' ? 'Allow' : 'Deny', (a) => a.pendingPermissions.length > 0);
    const request = agent?.pendingPermissions[0];
    if (!agent || !request) {
      if (agent) void vscode.window.showInformationMessage(`${agent.name} is not waiting for a permission.`);
      return undefined;
    }
    // A question is answered, not allowed: "Allow" on one asks it.
    if (behavior === 'allow' && request.questions) return answerQuestion({ agentId: agent.id });
    let message: string | undefined;
    if (behavior === 'deny') {
      const question = request.questions !== undefined;
      message = await vscode.window.showInputBox({
        title: question ? `Decline to answer: ${request.summary}` : `Deny: ${request.summary}`,
        prompt: 'Why, for the agent (optional)',
        placeHolder: question ? 'The user chose not to answer.' : 'The user denied this.',
      });
      if (message === undefined) return undefined;
    }
    await s.runtime.respondToPermission(agent.id, request.requestId, { behavior, ...(message ? { message } : {}) });
    return s.runtime.get(agent.id);
  };
  /**
   * Answers the agent's oldest pending question: each asked in a quick pick, or `{ agentId,
   * answers }` (question text → answer) without asking.
   */
  const answerQuestion = async (arg?: Arg & { answers?: Answers }) => {
    const s = await services();
    const agent = await pickAgent(s, arg, 'Answer', (a) => a.pendingPermissions.some((p) => p.questions));
    const request = agent?.pendingPermissions.find((p) => p.questions);
    if (!agent || !request) {
      if (agent) void vscode.window.showInformationMessage(`${agent.name} is not asking anything.`);
      return undefined;
    }
    const given = arg && !(arg instanceof AgentNode) ? arg.answers : undefined;
    const answers = given ?? (await pickAnswers(agent.name, request));
    if (!answers) return undefined;
    await s.runtime.respondToPermission(agent.id, request.requestId, { behavior: 'allow', answers });
    return s.runtime.get(agent.id);
  };
  /**
   * Allows the agent's oldest pending request and keeps allowing what the user picks: one of the
   * CLI's own "don't ask again" rules (for Bash, a command prefix), or, as a separate choice, the
   * whole tool for the rest of the session. `{ agentId, suggestion }` or `{ agentId, always: true }`
   * answers without asking.
   */
  const allowWithRule = async (arg?: Arg & { suggestion?: number; always?: boolean }) => {
    const s = await services();
    const agent = await pickAgent(s, arg, 'Allow and Don\'t Ask Again', (a) => a.pendingPermissions.length > 0);
    const request = agent?.pendingPermissions[0];
    if (!agent || !request) {
      if (agent) void vscode.window.showInformationMessage(`${agent.name} is not waiting for a permission.`);
      return undefined;
    }
    let choice: { suggestion: number } | { always: true } | undefined =
      arg && !(arg instanceof AgentNode) && typeof arg.suggestion === 'number' ? { suggestion: arg.suggestion } : arg && !(arg instanceof AgentNode) && arg.always === true ? { always: true } : undefined;
    if (!choice) {
      const items: (vscode.QuickPickItem & { choice: { suggestion: number } | { always: true } })[] = [
        ...(request.suggestions ?? []).map((s, i) => ({ label: s.label, choice: { suggestion: i } })),
        { label: `Yes, and allow every ${request.toolName} call for this session`, detail: request.toolName === 'Bash' ? 'Any command, not only this one.' : `Every ${request.toolName} call, on any file.`, choice: { always: true as const } },
      ];
      const picked = await vscode.window.showQuickPick(items, { title: `Allow: ${request.summary}`, placeHolder: request.suggestions?.length ? 'The rules Claude Code offers for this call, or the whole tool' : 'Claude Code offers no narrower rule for this call' });
      if (!picked) return undefined;
      choice = picked.choice;
    }
    await s.runtime.respondToPermission(agent.id, request.requestId, { behavior: 'allow', ...choice });
    return s.runtime.get(agent.id);
  };
  return [
    registerCommand('claudeManager.newAgent', log, async (arg?: WorktreeNode | RepositoryNode | NewAgentArgs) => {
      // Said before any question: the agent could not start at the end of them.
      requireTrust();
      const s = await services();
      const plain = arg && !(arg instanceof WorktreeNode) && !(arg instanceof RepositoryNode) ? arg : undefined;
      // Repository → an existing worktree or a new one (its branch picker) → mode; the first
      // message is typed in the agent's chat (or given as `prompt`).
      const worktree = await pickWorktree(s, arg, 'New Agent', (w) => !w.missing, { offerNew: true });
      if (!worktree) return undefined;
      const mode = plain?.mode ?? (await pickMode('New Agent: Mode', getConfig().defaultMode));
      if (!mode) return undefined;
      const prompt = plain?.prompt?.trim() ? plain.prompt : undefined;
      const agent = await s.runtime.create({ worktreeId: worktree.id, mode, ...(plain?.name ? { name: plain.name } : {}) });
      // It starts at once (see docs/chat.md, "A new agent"), while its chat opens with the cursor in
      // the composer: a message typed meanwhile is sent once it has started (and stays in the
      // composer, with the reason, if it could not start).
      const started = Promise.resolve(
        vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Starting ${agent.name}…` }, () => s.runtime.start(agent.id, prompt ? { initialPrompt: prompt } : {})),
      );
      // (Its failure is the command's, below; the chat shows it too, with Retry.)
      started.catch(() => undefined);
      await openChat(agent.id);
      return await started;
    }),
    registerCommand('claudeManager.openChat', log, async (arg?: Arg) => {
      const s = await services();
      const agent = await pickAgent(s, arg, 'Open Chat', (a) => !a.deletedAt);
      if (!agent) return undefined;
      const chat = await openChat(agent.id);
      // Only the extension's own tests get the panel back; nobody else may reach inside.
      return testMode ? chat : true;
    }),
    registerCommand('claudeManager.exportChat', log, async (arg?: Arg & { path?: string }) => {
      const s = await services();
      const agent = await pickAgent(s, arg, 'Export Chat as Markdown');
      if (!agent) return undefined;
      const worktree = await s.workspaces.getWorktree(agent.worktreeId);
      const given = arg && !(arg instanceof AgentNode) ? arg.path : undefined;
      const target = given
        ? vscode.Uri.file(given)
        : await vscode.window.showSaveDialog({
            title: `Export the Chat of ${agent.name}`,
            defaultUri: vscode.Uri.joinPath(vscode.Uri.file(worktree.path), `${agent.name.replace(/[^\w.-]+/g, '-')}.md`),
            filters: { Markdown: ['md'] },
          });
      if (!target) return undefined;
      // Every page, oldest last: the whole conversation, however long.
      const messages = [];
      let before: string | undefined;
      do {
        const page = await s.runtime.getMessages(agent.id, { limit: 500, ...(before ? { before } : {}) });
        messages.push(...page.messages);
        before = page.hasMore ? page.nextCursor : undefined;
      } while (before);
      const text = chatToMarkdown({ name: agent.name, where: `${worktree.branch ?? worktree.name} (${worktree.path})`, exportedAt: new Date(), messages });
      await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
      if (!given) {
        void vscode.window.showInformationMessage(`Exported ${messages.length} messages of ${agent.name} to ${target.fsPath}.`, 'Open').then((open) => {
          if (open) void vscode.window.showTextDocument(target);
        });
      }
      return { path: target.fsPath, messages: messages.length };
    }),
    registerCommand('claudeManager.startAgent', log, async (arg?: Arg) => {
      const s = await services();
      const agent = await pickAgent(s, arg, 'Start Agent', (a) => a.status === 'finished' || a.status === 'error');
      return agent ? s.runtime.start(agent.id) : undefined;
    }),
    registerCommand('claudeManager.stopAgent', log, async (arg?: Arg) => {
      const s = await services();
      // Another window's agent is stopped by that window, asked from here.
      const agent = await pickAgent(s, arg, 'Stop Agent', (a) => (a.ownedByThisWindow || a.pid !== undefined) && (a.status === 'running' || a.status === 'waiting'));
      return agent ? s.runtime.stop(agent.id) : undefined;
    }),
    registerCommand('claudeManager.takeOverAgent', log, async (arg?: Arg & { confirmed?: boolean }) => {
      requireTrust();
      const s = await services();
      const agent = await pickAgent(s, arg, 'Take Over Agent', (a) => !a.ownedByThisWindow && !a.deletedAt);
      if (!agent) return undefined;
      if (agent.ownedByThisWindow) {
        void vscode.window.showInformationMessage(`${agent.name} is this window's already.`);
        return agent;
      }
      const confirmed =
        (arg && !(arg instanceof AgentNode) && arg.confirmed === true) ||
        (await vscode.window.showWarningMessage(
          `Take over ${agent.name} in this window?`,
          {
            modal: true,
            detail: `It was started by another window, which is closed or does not answer. If its process still runs it is ended: a turn under way stops there, and what it said so far is kept. ${agent.name} then continues its conversation (the same session) in this window.`,
          },
          'Take Over',
        )) === 'Take Over';
      if (!confirmed) return undefined;
      const taken = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Taking over ${agent.name}…` }, () => s.runtime.takeOver(agent.id));
      await openChat(taken.id);
      return taken;
    }),
    registerCommand('claudeManager.renameAgent', log, async (arg?: Arg & { name?: string }) => {
      const s = await services();
      const agent = await pickAgent(s, arg, 'Rename Agent');
      if (!agent) return undefined;
      const name = (arg && !(arg instanceof AgentNode) ? arg.name : undefined) ??
        (await vscode.window.showInputBox({ title: `Rename ${agent.name}`, value: agent.name, validateInput: (v) => (v.trim() ? undefined : 'A name cannot be empty.') }));
      return name === undefined ? undefined : s.runtime.update(agent.id, { name });
    }),
    registerCommand('claudeManager.changeAgentMode', log, async (arg?: Arg & { mode?: 'auto' | 'plan' | 'regular' }) => {
      const s = await services();
      const agent = await pickAgent(s, arg, 'Change Mode');
      if (!agent) return undefined;
      const mode = (arg && !(arg instanceof AgentNode) ? arg.mode : undefined) ?? (await pickMode(`Mode of ${agent.name} (now ${agent.mode})`, agent.mode));
      return mode ? s.runtime.setMode(agent.id, mode) : undefined;
    }),
    registerCommand('claudeManager.forkAgent', log, async (arg?: Arg) => {
      const s = await services();
      const agent = await pickAgent(s, arg, 'Fork Agent', (a) => Boolean(a.sessionId));
      return agent ? s.runtime.fork(agent.id) : undefined;
    }),
    registerCommand('claudeManager.archiveAgent', log, async (arg?: Arg) => {
      const s = await services();
      const agent = await pickAgent(s, arg, 'Archive Agent', (a) => !a.deletedAt);
      if (!agent) return undefined;
      await s.runtime.delete(agent.id, { archive: true });
      return s.runtime.get(agent.id);
    }),
    registerCommand('claudeManager.restoreAgent', log, async (arg?: Arg) => {
      const s = await services();
      const agent = arg ? await pickAgent(s, arg, 'Restore Agent') : undefined;
      return agent ? s.runtime.restore(agent.id) : undefined;
    }),
    registerCommand('claudeManager.deleteAgent', log, async (arg?: Arg & { confirmed?: boolean }) => {
      const s = await services();
      const agent = await pickAgent(s, arg, 'Delete Agent');
      if (!agent) return false;
      const confirmed =
        (arg && !(arg instanceof AgentNode) && arg.confirmed === true) ||
        !getConfig().confirmBeforeDelete ||
        (await vscode.window.showWarningMessage(`Delete ${agent.name} and its whole conversation?`, { modal: true, detail: 'This cannot be undone. Archive it instead to keep the conversation.' }, 'Delete')) === 'Delete';
      if (!confirmed) return false;
      await s.runtime.delete(agent.id, { archive: false });
      return true;
    }),
    registerCommand('claudeManager.allowPermission', log, (arg?: Arg) => answer(arg, 'allow')),
    registerCommand('claudeManager.denyPermission', log, (arg?: Arg) => answer(arg, 'deny')),
    registerCommand('claudeManager.allowPermissionRule', log, allowWithRule),
    registerCommand('claudeManager.answerQuestion', log, answerQuestion),
    registerCommand('claudeManager.openAgentInTerminal', log, async (arg?: Arg) => {
      const s = await services();
      const agent = await pickAgent(s, arg, 'Open Agent in Terminal');
      if (!agent) return undefined;
      const open = [...terminals].find(([, id]) => id === agent.id)?.[0];
      if (open && s.runtime.inTerminal(agent.id)) {
        open.show();
        return undefined;
      }
      if (agent.status === 'running' && agent.ownedByThisWindow && !s.runtime.inTerminal(agent.id)) {
        const go = await vscode.window.showWarningMessage(
          `${agent.name} is in the middle of a turn. Opening it in a terminal stops its process first (the session continues there).`,
          { modal: true },
          'Stop and Open in Terminal',
        );
        if (!go) return undefined;
      }
      const launch = await s.runtime.openInTerminal(agent.id);
      const env: Record<string, string | null> = {};
      for (const [key, value] of Object.entries(launch.env)) if (value !== undefined) env[key] = value;
      const terminal = vscode.window.createTerminal({
        name: launch.name,
        shellPath: launch.binary,
        shellArgs: launch.args,
        cwd: launch.cwd,
        env,
        strictEnv: true,
        iconPath: new vscode.ThemeIcon('sparkle'),
        // Not revived after a reload: the session would have two writers, or none the runtime knows.
        isTransient: true,
      });
      terminals.set(terminal, agent.id);
      terminal.show();
      const pid = await terminal.processId;
      if (pid !== undefined) await s.runtime.terminalStarted(agent.id, pid);
      return terminal;
    }),
    registerCommand('claudeManager.bypassAgentPermissions', log, async (arg?: Arg) => {
      const s = await services();
      const agent = await pickAgent(s, arg, 'Bypass Permissions');
      if (!agent) return undefined;
      if (await s.runtime.bypassing(agent.id)) {
        const off = await vscode.window.showInformationMessage(`${agent.name} runs every tool without asking. Ask for permissions again?`, 'Ask Again');
        return off ? s.runtime.setBypassPermissions(agent.id, false) : undefined;
      }
      const worktree = await s.workspaces.getWorktree(agent.worktreeId);
      const go = await vscode.window.showWarningMessage(
        `Let ${agent.name} run every tool without asking?`,
        {
          modal: true,
          detail:
            `It could then run any command, change or delete any file it can reach (not only in ${worktree.path}), ` +
            'and send data over the network, with no prompt to stop it. Use this only where nothing can be lost: ' +
            'a container or a virtual machine without credentials. It applies from the agent\'s next start; choosing a mode ends it.',
        },
        'Bypass Permissions',
      );
      return go === 'Bypass Permissions' ? s.runtime.setBypassPermissions(agent.id, true, { confirmed: true }) : undefined;
    }),
    vscode.window.onDidCloseTerminal(async (terminal) => {
      const id = terminals.get(terminal);
      if (!id) return;
      terminals.delete(terminal);
      try {
        await (await services()).runtime.terminalClosed(id, terminal.exitStatus?.code);
      } catch (error) {
        log.error(`Agent ${id}: the end of its terminal session was not recorded: ${(error as Error).message}`);
      }
    }),
  ];
}
