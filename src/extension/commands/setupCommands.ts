import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { ClaudeManagerError } from '../../services/errors';
import { SETUP_FILE } from '../../services/workspaces/setupFile';
import type { Services } from '../services';
import { WorktreeNode } from '../views/agentsView';
import type { SetupTerminals } from '../worktreeReadiness';
import { registerCommand } from './registerCommand';
import { pickWorkspace, pickWorktree } from './worktreeCommands';

/** A tree row or `{ worktreeId }`. */
type WorktreeArg = WorktreeNode | { worktreeId?: string } | undefined;

function worktreeIdOf(arg: WorktreeArg): string | undefined {
  if (arg instanceof WorktreeNode) return arg.worktree.id;
  return typeof arg?.worktreeId === 'string' ? arg.worktreeId : undefined;
}

/**
 * The terminals of worktrees' `run` commands: one per worktree (Run again shows it), closed when
 * its worktree is removed.
 */
export class RunTerminals implements vscode.Disposable {
  private readonly terminals = new Map<string, vscode.Terminal>();
  private readonly closing = vscode.window.onDidCloseTerminal((closed) => {
    for (const [id, t] of this.terminals) if (t === closed) this.terminals.delete(id);
  });

  of(worktreeId: string): vscode.Terminal | undefined {
    return this.terminals.get(worktreeId);
  }

  open(worktreeId: string, options: vscode.TerminalOptions, command: string): vscode.Terminal {
    const terminal = vscode.window.createTerminal(options);
    this.terminals.set(worktreeId, terminal);
    terminal.sendText(command);
    terminal.show();
    return terminal;
  }

  /** Ends a removed worktree's run. */
  close(worktreeId: string): void {
    this.terminals.get(worktreeId)?.dispose();
    this.terminals.delete(worktreeId);
  }

  dispose(): void {
    this.closing.dispose();
    for (const t of this.terminals.values()) t.dispose();
    this.terminals.clear();
  }
}

/**
 * Commands of worktrees' setup (docs/worktrees.md): Show Setup Output, Run (the repository's `run`
 * command in a terminal of the worktree, with its ports and environment), and Configure Worktree
 * Setup… (the committed file if there is one, else a setup kept by Claude Manager for that
 * repository, edited as a JSON file with the schema's completion and stored when saved).
 */
export function registerSetupCommands(
  log: vscode.LogOutputChannel,
  services: () => Promise<Services>,
  setupTerminals: SetupTerminals,
  runs: RunTerminals,
  /** Where the setups kept by Claude Manager are edited: one folder per repository. */
  storageDir: string,
): vscode.Disposable[] {
  const editing = new Map<string, string>();
  const saving = vscode.workspace.onDidSaveTextDocument(async (document) => {
    const workspaceId = editing.get(document.uri.fsPath);
    if (!workspaceId) return;
    const s = await services();
    const text = document.getText();
    try {
      const config = text.trim() ? (JSON.parse(text) as unknown) : null;
      await s.setup.save(workspaceId, config as Parameters<Services['setup']['save']>[1]);
      const workspace = await s.store.workspaces.get(workspaceId);
      void vscode.window.showInformationMessage(config === null ? `The worktree setup of ${workspace.name} is removed.` : `The worktree setup of ${workspace.name} is stored: new worktrees get it.`);
    } catch (error) {
      // The stored setup stays as it was; the file keeps what was typed, to be corrected.
      void vscode.window.showErrorMessage(`The worktree setup was not stored: ${error instanceof SyntaxError ? `it is not JSON (${error.message})` : (error as Error).message}`);
    }
  });
  return [
    saving,
    registerCommand('claudeManager.showSetupOutput', log, async (arg?: WorktreeArg) => {
      const id = worktreeIdOf(arg);
      if (id) await setupTerminals.show(id);
    }),
    registerCommand('claudeManager.runWorktree', log, async (arg?: WorktreeArg) => {
      if (!vscode.workspace.isTrusted) throw new ClaudeManagerError('UNTRUSTED_WORKSPACE', 'A worktree\'s run command runs only in a trusted workspace: trust it first ("Workspaces: Manage Workspace Trust"), then run it again.');
      const s = await services();
      const id = worktreeIdOf(arg);
      const picked = await pickWorktree(s, id ? { worktreeId: id } : undefined, 'Run', (w) => !w.missing);
      if (!picked) return undefined;
      const open = runs.of(picked.id);
      if (open) {
        open.show();
        return { worktreeId: picked.id, reused: true };
      }
      const record = await s.store.worktrees.get(picked.id);
      const { setup, allowed, env } = await s.setup.applied(record);
      const command = setup?.config.run;
      const workspace = await s.store.workspaces.get(record.workspaceId);
      if (!command) {
        const configure = await vscode.window.showInformationMessage(`${workspace.name} has no run command: add "run" (the worktree's dev command) to its ${SETUP_FILE}, or configure its worktree setup here.`, 'Configure Worktree Setup…');
        if (configure) await vscode.commands.executeCommand('claudeManager.configureWorktreeSetup', { workspaceId: workspace.id });
        return undefined;
      }
      if (!allowed) {
        void vscode.window.showWarningMessage(`${workspace.name}'s ${SETUP_FILE} was not allowed in this window, so its run command does not run. It is asked again when a worktree is made or an agent starts.`);
        return undefined;
      }
      runs.open(picked.id, { name: `Run: ${picked.branch ?? picked.name}`, cwd: picked.path, env, iconPath: new vscode.ThemeIcon('play') }, command);
      return { worktreeId: picked.id, command };
    }),
    registerCommand('claudeManager.configureWorktreeSetup', log, async (arg?: Parameters<typeof pickWorkspace>[1]) => {
      const s = await services();
      const workspace = await pickWorkspace(s, arg, 'Configure Worktree Setup');
      if (!workspace) return undefined;
      const committed = join(workspace.path, SETUP_FILE);
      const hasFile = await readFile(committed, 'utf8').then(() => true, () => false);
      if (hasFile) {
        await vscode.window.showTextDocument(vscode.Uri.file(committed));
        void vscode.window.showInformationMessage(`${workspace.name} keeps its worktree setup in its ${SETUP_FILE}: edit it there (it is asked for again when its commands change).`);
        return { path: committed, stored: false };
      }
      // Kept by Claude Manager: edited as a file of the same name (the schema completes it), stored when saved.
      const path = join(storageDir, 'worktree-setups', workspace.id, SETUP_FILE);
      const stored = (await s.setup.of(workspace.id))?.config;
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, `${JSON.stringify(stored ?? { setup: [], ports: { base: 3000, count: 1 }, env: {} }, null, 2)}\n`);
      editing.set(path, workspace.id);
      await vscode.window.showTextDocument(vscode.Uri.file(path));
      void vscode.window.showInformationMessage(`The worktree setup of ${workspace.name}, kept by Claude Manager (not committed): save the file to store it.`);
      return { path, stored: true };
    }),
  ];
}
