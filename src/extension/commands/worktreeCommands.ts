import * as vscode from 'vscode';
import { ClaudeManagerError, isClaudeManagerError, untrustedGitError } from '../../services/errors';
import type { SortMode, WorkspaceRecord } from '../../services/storage/records';
import type { Worktree } from '../../services/workspaces/workspaceService';
import type { Services } from '../services';
import { AgentNode, RepositoryNode, tildify, WorktreeNode } from '../views/agentsView';
import { registerCommand } from './registerCommand';

/**
 * What a command is run on: a tree row, or (from scripts, keybindings, other extensions) an object
 * naming the repository or worktree; "New Worktree" also takes the branch, to skip its questions.
 */
type Arg = RepositoryNode | WorktreeNode | AgentNode | { workspaceId?: string; worktreeId?: string; branch?: string; newBranch?: boolean; baseRef?: string } | undefined;

/** Refuses at once in Restricted Mode what needs git (GitService refuses too, for every other path). */
function requireGit(what: string): void {
  if (!vscode.workspace.isTrusted) throw untrustedGitError(what);
}

/** The repository a command applies to: its tree row, an `{ workspaceId }` argument, or one the user picks. */
export async function pickWorkspace(services: Services, arg: Arg, title: string): Promise<WorkspaceRecord | undefined> {
  if (arg instanceof RepositoryNode) {
    if (arg.workspace) return arg.workspace;
    // A row drawn before the store opened: the workspace for its folder.
    return (await services.workspaces.listWorkspaces()).find((w) => w.path === arg.path) ?? (await services.workspaces.createWorkspace({ path: arg.path }));
  }
  if (arg instanceof WorktreeNode) return services.workspaces.getWorkspace(arg.worktree.workspaceId);
  if (arg instanceof AgentNode) return services.workspaces.getWorkspace((await services.workspaces.getWorktree(arg.agent.worktreeId)).workspaceId);
  if (arg && 'workspaceId' in arg && arg.workspaceId) return services.workspaces.getWorkspace(arg.workspaceId);
  const workspaces = await services.workspaces.listWorkspaces();
  if (workspaces.length === 0) {
    const add = await vscode.window.showInformationMessage('Claude Manager has no repository yet.', 'Add Repository…');
    if (add) await vscode.commands.executeCommand('claudeManager.addRepository');
    return undefined;
  }
  if (workspaces.length === 1) return workspaces[0];
  const picked = await vscode.window.showQuickPick(
    workspaces.map((w) => ({ label: w.name, description: tildify(w.path), workspace: w })),
    { title, placeHolder: 'Choose a repository' },
  );
  return picked?.workspace;
}

/**
 * The worktree a command applies to: its tree row (or an agent's row: the agent's worktree), a
 * `{ worktreeId }` argument, or one the user picks; with `offerNew`, the pick may also be a new
 * worktree, made there and then with the "New Worktree…" flow.
 */
export async function pickWorktree(
  services: Services,
  arg: Arg,
  title: string,
  filter: (w: Worktree) => boolean = () => true,
  options: { offerNew?: boolean } = {},
): Promise<Worktree | undefined> {
  if (arg instanceof WorktreeNode) return services.workspaces.getWorktree(arg.worktree.id);
  if (arg instanceof AgentNode) return services.workspaces.getWorktree(arg.agent.worktreeId);
  if (arg && 'worktreeId' in arg && arg.worktreeId) return services.workspaces.getWorktree(arg.worktreeId);
  const workspace = await pickWorkspace(services, arg, title);
  if (!workspace) return undefined;
  const worktrees = (await services.workspaces.listWorktrees(workspace.id)).filter(filter);
  if (worktrees.length === 0 && !options.offerNew) {
    void vscode.window.showInformationMessage(`${workspace.name} has no worktree this applies to.`);
    return undefined;
  }
  const items: (vscode.QuickPickItem & { worktree?: Worktree; create?: boolean })[] = worktrees.map((w) => ({
    label: `$(${w.isMain ? 'home' : w.branch ? 'git-branch' : 'git-commit'}) ${w.branch ?? `detached at ${w.head.slice(0, 7)}`}`,
    description: tildify(w.path),
    detail: w.isMain ? 'main worktree' : undefined,
    worktree: w,
  }));
  if (options.offerNew) items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: '$(add) New Worktree…', description: 'on a new, local or remote branch', alwaysShow: true, create: true });
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder: options.offerNew ? 'Choose a worktree, or make a new one' : 'Choose a worktree' });
  if (picked?.create) return createWorktreeFlow(services, workspace);
  return picked?.worktree;
}

interface BranchPick extends vscode.QuickPickItem {
  branch?: string;
  kind2?: 'new' | 'local' | 'remote';
}

/** "New Worktree…": a new branch (validated as it is typed), a local branch, or a remote one. */
async function createWorktreeFlow(services: Services, workspace: WorkspaceRecord): Promise<Worktree | undefined> {
  const worktrees = await services.workspaces.listWorktrees(workspace.id);
  const main = worktrees.find((w) => w.isMain);
  const branches = await services.git.branches(workspace.path);
  const checkedOut = new Set(worktrees.map((w) => w.branch).filter(Boolean));
  const items: BranchPick[] = [
    { label: '$(add) New branch…', kind2: 'new', alwaysShow: true },
    { label: 'Local branches', kind: vscode.QuickPickItemKind.Separator },
    ...branches.local.filter((b) => !checkedOut.has(b)).map((b) => ({ label: `$(git-branch) ${b}`, branch: b, kind2: 'local' as const })),
    { label: 'Remote branches', kind: vscode.QuickPickItemKind.Separator },
    ...branches.remote.filter((b) => !branches.local.includes(b.slice(b.indexOf('/') + 1))).map((b) => ({ label: `$(cloud) ${b}`, branch: b, kind2: 'remote' as const })),
  ];
  const picked = await vscode.window.showQuickPick(items, { title: `New Worktree in ${workspace.name}`, placeHolder: 'A new branch, or a branch that no worktree has checked out' });
  if (!picked?.kind2) return undefined;
  let branch = picked.branch;
  let baseRef: string | undefined;
  if (picked.kind2 === 'new') {
    branch = await vscode.window.showInputBox({
      title: `New Worktree in ${workspace.name}: Branch Name`,
      prompt: `A new branch off ${main?.branch ?? 'HEAD'}, in its own folder`,
      placeHolder: 'feature/my-change',
      validateInput: async (value) => {
        const name = value.trim();
        if (!name) return undefined;
        try {
          await services.git.checkBranchName(workspace.path, name);
        } catch (error) {
          return (error as Error).message;
        }
        if (branches.local.includes(name)) return `A branch named "${name}" already exists: pick it from the list instead.`;
        return undefined;
      },
    });
    if (!branch?.trim()) return undefined;
    branch = branch.trim();
    baseRef = main?.head || undefined;
  }
  const chosen = branch!;
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Creating a worktree for ${chosen}…` }, () =>
    services.workspaces.createWorktree({ workspaceId: workspace.id, branch: chosen, ...(picked.kind2 === 'new' ? { newBranch: true } : {}), ...(baseRef ? { baseRef } : {}) }),
  );
}

/** "Remove Worktree…": stops nothing and loses nothing without saying exactly what first. */
async function removeWorktreeFlow(services: Services, wt: Worktree): Promise<boolean> {
  const label = wt.branch ?? wt.name;
  const running = await services.workspaces.runningAgents(wt.id);
  const choice = await vscode.window.showWarningMessage(
    `Remove the worktree "${label}"?`,
    {
      modal: true,
      detail: `Its folder ${wt.path} is deleted.${running.length ? ` Its running agents (${running.map((a) => a.name).join(', ')}) are stopped first.` : ''} The branch stays unless you delete it too.`,
    },
    'Remove Worktree',
    ...(wt.branch ? ['Remove Worktree and Branch'] : []),
  );
  if (!choice) return false;
  const deleteBranch = choice === 'Remove Worktree and Branch';
  const { message } = await services.workspaces.removalLoss(wt.id, { deleteBranch });
  if (message) {
    const confirm = await vscode.window.showWarningMessage('This removal loses work.', { modal: true, detail: `${message}\n\nThis cannot be undone.` }, 'Remove Anyway');
    if (confirm !== 'Remove Anyway') return false;
  }
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Removing ${wt.path}…` }, () =>
    services.workspaces.deleteWorktree(wt.id, { force: Boolean(message) || running.length > 0, deleteBranch }),
  );
  return true;
}

export function registerWorktreeCommands(log: vscode.LogOutputChannel, services: () => Promise<Services>): vscode.Disposable[] {
  const notAFolderRetry = async (path: string, error: unknown): Promise<WorkspaceRecord | undefined> => {
    if (!isClaudeManagerError(error) || error.code !== 'NOT_A_REPOSITORY') throw error;
    const again = await vscode.window.showErrorMessage(`Claude Manager: ${error.message}`, 'Choose Another Folder…');
    if (again) return (await vscode.commands.executeCommand<WorkspaceRecord | undefined>('claudeManager.addRepository')) ?? undefined;
    log.warn(`Not added: ${path}: ${error.message}`);
    return undefined;
  };
  return [
    registerCommand('claudeManager.addRepository', log, async (uri?: vscode.Uri) => {
      requireGit('Adding a repository');
      let target = uri instanceof vscode.Uri ? uri : undefined;
      if (!target) {
        const picked = await vscode.window.showOpenDialog({ title: 'Add a Repository to Claude Manager', openLabel: 'Add Repository', canSelectFiles: false, canSelectFolders: true, canSelectMany: false });
        target = picked?.[0];
        if (!target) return undefined;
      }
      const s = await services();
      try {
        return await s.workspaces.createWorkspace({ path: target.fsPath });
      } catch (error) {
        return notAFolderRetry(target.fsPath, error);
      }
    }),
    registerCommand('claudeManager.removeRepository', log, async (arg?: Arg) => {
      const s = await services();
      const workspace = await pickWorkspace(s, arg, 'Remove Repository from Claude Manager');
      if (!workspace) return false;
      const confirm = await vscode.window.showWarningMessage(
        `Remove ${workspace.name} from Claude Manager?`,
        { modal: true, detail: `Its worktrees' rows and agents are forgotten here; no file of ${workspace.path} is touched. Add it again at any time.` },
        'Remove',
      );
      if (confirm !== 'Remove') return false;
      await s.workspaces.deleteWorkspace(workspace.id);
      return true;
    }),
    registerCommand('claudeManager.createWorktree', log, async (arg?: Arg) => {
      requireGit('Creating a worktree');
      const s = await services();
      const workspace = await pickWorkspace(s, arg, 'New Worktree');
      if (!workspace) return undefined;
      if (arg && !(arg instanceof RepositoryNode) && !(arg instanceof WorktreeNode) && !(arg instanceof AgentNode) && typeof arg.branch === 'string') {
        const { branch, newBranch, baseRef } = arg;
        return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Creating a worktree for ${branch}…` }, () =>
          s.workspaces.createWorktree({ workspaceId: workspace.id, branch, ...(newBranch ? { newBranch } : {}), ...(baseRef ? { baseRef } : {}) }),
        );
      }
      return createWorktreeFlow(s, workspace);
    }),
    registerCommand('claudeManager.removeWorktree', log, async (arg?: Arg) => {
      requireGit('Removing a worktree');
      const s = await services();
      const wt = await pickWorktree(s, arg, 'Remove Worktree', (w) => !w.isMain);
      return wt ? removeWorktreeFlow(s, wt) : false;
    }),
    registerCommand('claudeManager.checkoutBranch', log, async (arg?: Arg) => {
      requireGit('Switching a worktree to another branch');
      const s = await services();
      const wt = await pickWorktree(s, arg, 'Switch Branch', (w) => !w.missing);
      if (!wt) return undefined;
      const branches = await s.workspaces.listBranches(wt.id);
      const inUse = new Set((await s.workspaces.listWorktrees(wt.workspaceId)).map((w) => w.branch));
      const picked = await vscode.window.showQuickPick<BranchPick>(
        [
          { label: '$(add) New branch…', kind2: 'new', alwaysShow: true },
          ...branches.local.filter((b) => !inUse.has(b)).map((b) => ({ label: `$(git-branch) ${b}`, branch: b, kind2: 'local' as const })),
        ],
        { title: `Switch ${wt.name} to Another Branch`, placeHolder: `Now on ${wt.branch ?? 'a detached HEAD'}` },
      );
      if (!picked?.kind2) return undefined;
      let branch = picked.branch;
      if (picked.kind2 === 'new') {
        branch = (await vscode.window.showInputBox({
          title: 'New Branch Name',
          validateInput: async (value) => {
            if (!value.trim()) return undefined;
            try {
              await s.git.checkBranchName(wt.path, value.trim());
              return undefined;
            } catch (error) {
              return (error as Error).message;
            }
          },
        }))?.trim();
        if (!branch) return undefined;
      }
      return s.workspaces.checkoutBranch(wt.id, branch!, { create: picked.kind2 === 'new' });
    }),
    registerCommand('claudeManager.pruneWorktrees', log, async (arg?: Arg) => {
      requireGit('Pruning the worktrees');
      const s = await services();
      const workspace = await pickWorkspace(s, arg, 'Prune Missing Worktrees');
      if (!workspace) return undefined;
      const result = await s.workspaces.prune(workspace.id);
      void vscode.window.showInformationMessage(result.pruned.length ? `Pruned ${result.pruned.length} worktree${result.pruned.length === 1 ? '' : 's'} whose folders were gone.` : 'Every worktree folder is there: nothing to prune.');
      return result;
    }),
    registerCommand('claudeManager.sortWorktrees', log, async (arg?: Arg) => {
      const s = await services();
      const workspace = await pickWorkspace(s, arg, 'Sort Worktrees');
      if (!workspace) return undefined;
      const current = await s.workspaces.worktreeSortMode(workspace.id);
      const modes: { label: string; description: string; mode: SortMode }[] = [
        { label: 'Free', description: 'in the order you arranged them', mode: 'free' },
        { label: 'Status', description: 'conflicts and changes first', mode: 'status' },
        { label: 'Name', description: 'alphabetically', mode: 'name' },
      ];
      const picked = await vscode.window.showQuickPick(
        modes.map((m) => ({ ...m, label: m.mode === current ? `$(check) ${m.label}` : m.label })),
        { title: `Sort the Worktrees of ${workspace.name}` },
      );
      if (picked) await s.workspaces.setWorktreeSortMode(workspace.id, picked.mode);
      return picked?.mode;
    }),
    registerCommand('claudeManager.sortTree', log, async (arg?: { mode?: SortMode }) => {
      // The whole tree: every repository's worktrees and every worktree's agents.
      const s = await services();
      const workspaces = await s.workspaces.listWorkspaces();
      // A repository that cannot be read now (its folder moved) keeps its worktrees' sort modes.
      const readable = (w: WorkspaceRecord) =>
        s.workspaces.listWorktrees(w.id).catch((error: Error) => {
          log.warn(`The worktrees of ${w.path} were not sorted: ${error.message}`);
          return [];
        });
      const worktrees = (await Promise.all(workspaces.map(readable))).flat();
      const inUse = new Set([...(await Promise.all(workspaces.map((w) => s.workspaces.worktreeSortMode(w.id)))), ...worktrees.map((w) => w.sortMode)]);
      const current = inUse.size === 1 ? [...inUse][0] : undefined;
      let mode = arg?.mode;
      // The modes spelled out: importing `sortModes` would load the store's records (and zod) at activation.
      if (mode !== undefined && !(['free', 'status', 'name'] as const).includes(mode)) throw new ClaudeManagerError('INVALID_INPUT', `"${String(mode)}" is not a sort mode: use free, status or name.`);
      if (!mode) {
        const picked = await vscode.window.showQuickPick(
          [
            { label: 'Free', description: 'as you arranged them (drag and drop)', mode: 'free' as const },
            { label: 'Status', description: 'what needs you first: permission requests, replies, conflicts', mode: 'status' as const },
            { label: 'Name', description: 'alphabetically', mode: 'name' as const },
          ].map((m) => ({ ...m, label: m.mode === current ? `$(check) ${m.label}` : m.label })),
          { title: 'Sort Worktrees and Agents', placeHolder: current ? `Now sorted: ${current}` : 'Now sorted in several ways' },
        );
        mode = picked?.mode;
      }
      if (!mode) return undefined;
      const chosen = mode;
      for (const w of workspaces) await s.workspaces.setWorktreeSortMode(w.id, chosen);
      for (const w of worktrees) if (w.sortMode !== chosen) await s.workspaces.updateWorktree(w.id, { sortMode: chosen });
      return chosen;
    }),
    registerCommand('claudeManager.openWorktreeInNewWindow', log, async (arg?: Arg) => {
      const s = await services();
      const wt = await pickWorktree(s, arg, 'Open Worktree in New Window', (w) => !w.missing);
      if (wt) await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(wt.path), { forceNewWindow: true });
    }),
    registerCommand('claudeManager.addWorktreeToWorkspace', log, async (arg?: Arg) => {
      const s = await services();
      const wt = await pickWorktree(s, arg, 'Add Worktree to Workspace', (w) => !w.missing);
      if (!wt) return false;
      const folders = vscode.workspace.workspaceFolders ?? [];
      if (folders.some((f) => f.uri.fsPath === wt.path)) return true;
      return vscode.workspace.updateWorkspaceFolders(folders.length, 0, { uri: vscode.Uri.file(wt.path), name: `${wt.name} (${wt.branch ?? 'detached'})` });
    }),
    registerCommand('claudeManager.revealWorktree', log, async (arg?: Arg) => {
      const s = await services();
      const wt = await pickWorktree(s, arg, 'Reveal Worktree', (w) => !w.missing);
      if (!wt) return;
      const uri = vscode.Uri.file(wt.path);
      // On a remote host the OS's file manager is the client's, which cannot see the folder.
      if (!vscode.env.remoteName) await vscode.commands.executeCommand('revealFileInOS', uri);
      else if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand('revealInExplorer', uri);
      else {
        const add = await vscode.window.showInformationMessage(`${wt.path} is on the remote host and not in this workspace.`, 'Add to Workspace');
        if (add) await vscode.commands.executeCommand('claudeManager.addWorktreeToWorkspace', { worktreeId: wt.id });
      }
    }),
    registerCommand('claudeManager.openTerminalInWorktree', log, async (arg?: Arg) => {
      const s = await services();
      const wt = await pickWorktree(s, arg, 'Open Terminal in Worktree', (w) => !w.missing);
      if (!wt) return undefined;
      const terminal = vscode.window.createTerminal({ name: wt.branch ?? wt.name, cwd: wt.path, iconPath: new vscode.ThemeIcon('git-branch') });
      terminal.show();
      return undefined;
    }),
    registerCommand('claudeManager.copyWorktreePath', log, async (arg?: Arg) => {
      const s = await services();
      const wt = await pickWorktree(s, arg, 'Copy Worktree Path');
      if (wt) await vscode.env.clipboard.writeText(wt.path);
    }),
  ];
}
