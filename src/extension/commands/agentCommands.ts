import * as vscode from 'vscode';
import type { Agent } from '../../services/agents/agentRuntime';
import type { Services } from '../services';
import { registerCommand } from './registerCommand';

/** What an agent command is run on: an object naming the agent (scripts, keybindings, the tree), or nothing (a quick pick). */
type Arg = { agentId?: string; id?: string } | undefined;

async function pickAgent(services: Services, arg: Arg, title: string): Promise<Agent | undefined> {
  const id = arg?.agentId ?? arg?.id;
  if (id) return services.runtime.get(id);
  const agents = await services.runtime.list();
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
export function registerAgentCommands(log: vscode.LogOutputChannel, services: () => Promise<Services>): vscode.Disposable[] {
  const terminals = new Map<vscode.Terminal, string>();
  return [
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
