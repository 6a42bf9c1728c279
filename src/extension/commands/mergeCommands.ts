// Bringing a worktree's work back (docs/merge.md): Commit All, Merge into Base, Continue and
// Abort Merge, the conflicts in the merge editor, Push and Open Pull Request.
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Agent } from '../../services/agents/agentRuntime';
import { ClaudeManagerError, isClaudeManagerError, untrustedGitError } from '../../services/errors';
import type { MergeResult, MergeStrategy } from '../../services/workspaces/merge';
import type { Worktree } from '../../services/workspaces/workspaceService';
import { askForCommitMessage } from '../../services/workspaces/commitMessage';
import type { Services } from '../services';
import { AgentNode, WorktreeNode } from '../views/agentsView';
import { registerCommand } from './registerCommand';
import { pickWorktree } from './worktreeCommands';

/** A worktree row, an agent row (its worktree), or `{ worktreeId }` from scripts and keybindings. */
type Arg = WorktreeNode | AgentNode | { worktreeId?: string; strategy?: MergeStrategy; message?: string } | undefined;

function requireGit(what: string): void {
  if (!vscode.workspace.isTrusted) throw untrustedGitError(what);
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** The part of the built-in git extension's API used to make it open a repository it has not found itself. */
interface GitApiOpen {
  openRepository?(root: vscode.Uri): Promise<unknown>;
}

/**
 * Opens each conflicted file in VS Code's merge editor: through the built-in git extension's own
 * `git.openMergeEditor` (the command behind its "Resolve in Merge Editor" button, which takes the
 * file's uri), once that extension has the worktree open as a repository (its API's
 * `openRepository`). A squash (git writes no MERGE_HEAD for it, which the merge editor reads) or
 * an editor without the git extension gets the file itself, with its conflict markers and the
 * editor's inline conflict actions.
 */
async function openConflicts(path: string, files: readonly string[], operation: string, log: vscode.LogOutputChannel): Promise<void> {
  const git = vscode.extensions.getExtension<{ getAPI(v: 1): GitApiOpen }>('vscode.git');
  let viaGit = operation !== 'squash' && !!git;
  if (viaGit) {
    try {
      const api = (git!.isActive ? git!.exports : await git!.activate()).getAPI(1);
      await api.openRepository?.(vscode.Uri.file(path));
    } catch (error) {
      log.warn(`The git extension could not open ${path}: ${(error as Error).message}`);
      viaGit = false;
    }
  }
  for (const file of files) {
    const uri = vscode.Uri.file(join(path, file));
    try {
      if (viaGit) await vscode.commands.executeCommand('git.openMergeEditor', uri);
      else await vscode.commands.executeCommand('vscode.open', uri, { preview: false });
    } catch (error) {
      log.warn(`Opening ${uri.fsPath} in the merge editor failed (${(error as Error).message}); opening the file.`);
      await vscode.commands.executeCommand('vscode.open', uri, { preview: false });
    }
  }
}

/** Says what a merge left waiting, opens its files, and offers Continue and Abort. */
export async function showConflicts(services: Services, result: Pick<Extract<MergeResult, { status: 'conflicts' }>, 'worktreeId' | 'files' | 'path' | 'operation'>, log: vscode.LogOutputChannel): Promise<void> {
  await openConflicts(result.path, result.files, result.operation, log);
  const where = (await services.workspaces.getWorktree(result.worktreeId).catch(() => undefined))?.name ?? result.path;
  const what = result.operation === 'rebase' ? 'The rebase' : 'The merge';
  const choice = await vscode.window.showWarningMessage(
    `${what} stopped on ${plural(result.files.length, 'conflict')} in ${where}: ${result.files.slice(0, 5).join(', ')}${result.files.length > 5 ? ', …' : ''}. Resolve them, then continue.`,
    'Continue Merge',
    'Abort Merge',
  );
  if (choice === 'Continue Merge') await vscode.commands.executeCommand('claudeManager.continueMerge', { worktreeId: result.worktreeId });
  if (choice === 'Abort Merge') await vscode.commands.executeCommand('claudeManager.abortMerge', { worktreeId: result.worktreeId });
}

/** After a clean merge: offers to remove the worktree with its branch, or to archive its agents. */
async function afterMerge(services: Services, result: Extract<MergeResult, { status: 'merged' }>): Promise<void> {
  const wt = await services.workspaces.getWorktree(result.worktreeId).catch(() => undefined);
  if (!wt || wt.isMain) return;
  const agents = (await services.runtime.list({ worktreeId: wt.id })).filter((a) => !a.deletedAt);
  const choice = await vscode.window.showInformationMessage(
    `Merged ${wt.branch ?? wt.name} into ${result.baseBranch} (${result.commit.slice(0, 8)}).`,
    'Remove Worktree and Branch',
    ...(agents.length ? ['Archive Its Agents'] : []),
  );
  if (choice === 'Archive Its Agents') {
    for (const a of agents) await services.runtime.delete(a.id, { archive: true });
    return;
  }
  if (choice !== 'Remove Worktree and Branch') return;
  const running = await services.workspaces.runningAgents(wt.id);
  const { loss, message } = await services.workspaces.removalLoss(wt.id, { deleteBranch: true });
  let force = running.length > 0;
  if (message) {
    // A squash leaves the branch's own commits on no other branch: their changes are in the squash commit.
    const squashedOnly = result.strategy === 'squash' && loss.uncommitted.length === 0;
    const detail = squashedOnly ? `The branch's ${plural(loss.commitCount, 'commit')} were squashed into ${result.commit.slice(0, 8)} on ${result.baseBranch}; removing the branch drops the originals.` : `${message}\n\nThis cannot be undone.`;
    const confirm = await vscode.window.showWarningMessage(squashedOnly ? 'Remove the squashed branch?' : 'This removal loses work.', { modal: true, detail }, 'Remove Anyway');
    if (confirm !== 'Remove Anyway') return;
    force = true;
  } else if (running.length) {
    const confirm = await vscode.window.showWarningMessage(`Stop ${running.map((a) => a.name).join(', ')} and remove the worktree?`, { modal: true }, 'Stop and Remove');
    if (confirm !== 'Stop and Remove') return;
  }
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Removing ${wt.path}…` }, () => services.workspaces.deleteWorktree(wt.id, { force, deleteBranch: true }));
}

/** Shows a merge's outcome and what can follow. */
async function showResult(services: Services, result: MergeResult, log: vscode.LogOutputChannel): Promise<void> {
  if (result.status === 'conflicts') return showConflicts(services, result, log);
  if (result.status === 'up-to-date') {
    void vscode.window.showInformationMessage(`${result.baseBranch} already has every commit of this branch: nothing to merge.`);
    return;
  }
  await afterMerge(services, result);
}

/** A failing hook's output in full, beside its one-line message. */
function showHookFailure(error: ClaudeManagerError): void {
  void vscode.window.showErrorMessage(error.message.split(':')[0] ?? error.message, { modal: true, detail: error.detail ?? '' });
}

/**
 * Asks the worktree's agent for a one-line summary of its changes: sent as a message of its
 * conversation (so it sees what it did), answered by its next reply's first line.
 */
async function askAgentForMessage(services: Services, wt: Worktree, token: { cancelled: boolean }): Promise<string | undefined> {
  const agents = (await services.runtime.list({ worktreeId: wt.id })).filter((a) => !a.deletedAt && a.ownedByThisWindow);
  if (!agents.length) {
    void vscode.window.showInformationMessage(`${wt.name} has no agent to ask. Write the message yourself.`);
    return undefined;
  }
  let agent: Agent | undefined = agents.length === 1 ? agents[0] : undefined;
  if (!agent) {
    const picked = await vscode.window.showQuickPick(agents.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)).map((a) => ({ label: a.name, description: a.statusReason, agent: a })), { title: 'Ask Which Agent for a Message?' });
    agent = picked?.agent;
  }
  if (!agent) return undefined;
  const line = await askForCommitMessage(services.runtime, agent.id);
  if (token.cancelled) return undefined;
  if (!line) void vscode.window.showWarningMessage(`${agent.name} gave no message. Write it yourself.`);
  return line;
}

/** The commit message box, with "Ask the Agent for a Message" as its button. */
function commitMessageBox(services: Services, wt: Worktree, log: vscode.LogOutputChannel): Promise<string | undefined> {
  return new Promise((resolve) => {
    const box = vscode.window.createInputBox();
    const token = { cancelled: false };
    const ask: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('sparkle'), tooltip: 'Ask the Agent for a Message' };
    box.title = `Commit All in ${wt.name}`;
    box.prompt = 'Stages every change (new files too) and commits it. Hooks run as usual.';
    box.placeholder = 'Commit message';
    box.buttons = [ask];
    box.ignoreFocusOut = true;
    box.onDidTriggerButton(async () => {
      box.busy = true;
      box.enabled = false;
      try {
        const line = await askAgentForMessage(services, wt, token);
        if (line) box.value = line;
      } catch (error) {
        log.warn(`Asking the agent for a commit message failed: ${(error as Error).message}`);
        void vscode.window.showWarningMessage(`The agent could not be asked: ${(error as Error).message}`);
      } finally {
        box.busy = false;
        box.enabled = true;
      }
    });
    box.onDidChangeValue(() => (box.validationMessage = undefined));
    box.onDidAccept(() => {
      if (!box.value.trim()) {
        box.validationMessage = 'Write a message first.';
        return;
      }
      const value = box.value;
      resolve(value);
      box.hide();
    });
    box.onDidHide(() => {
      token.cancelled = true;
      resolve(undefined);
      box.dispose();
    });
    box.show();
  });
}

async function commitFlow(services: Services, wt: Worktree, log: vscode.LogOutputChannel, message?: string): Promise<{ commit: string; summary: string } | undefined> {
  const text = message ?? (await commitMessageBox(services, wt, log));
  if (!text) return undefined;
  try {
    const done = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Committing in ${wt.name}…` }, () => services.merges.commit(wt.id, text));
    vscode.window.setStatusBarMessage(`$(check) Committed ${done.commit.slice(0, 8)} in ${wt.name}`, 5000);
    return done;
  } catch (error) {
    if (isClaudeManagerError(error) && error.code === 'HOOK_FAILED') {
      showHookFailure(error);
      return undefined;
    }
    throw error;
  }
}

const STRATEGIES: (vscode.QuickPickItem & { strategy: MergeStrategy })[] = [
  { label: '$(git-merge) Merge commit', description: 'git merge --no-ff', detail: 'Keeps the branch\'s commits and joins them with a merge commit.', strategy: 'merge' },
  { label: '$(fold) Squash', description: 'git merge --squash', detail: 'One commit on the base, its message listing the branch\'s commits.', strategy: 'squash' },
  { label: '$(git-commit) Rebase, then fast-forward', description: 'git rebase, git merge --ff-only', detail: 'Replays the branch on the base in this worktree, then moves the base to it: a straight history.', strategy: 'rebase' },
];

/** How a branch's commits go into its base, as the user picks it (undefined: cancelled). */
export async function pickMergeStrategy(branch: string, base: string | undefined): Promise<MergeStrategy | undefined> {
  const picked = await vscode.window.showQuickPick(STRATEGIES, { title: `Merge ${branch} into ${base ?? 'its base'}`, placeHolder: 'How should its commits go into the base?' });
  return picked?.strategy;
}

async function mergeFlow(services: Services, wt: Worktree, log: vscode.LogOutputChannel, strategy?: MergeStrategy): Promise<MergeResult | undefined> {
  const base = await services.merges.baseBranch(wt.id);
  strategy ??= await pickMergeStrategy(wt.branch ?? wt.name, base);
  if (!strategy) return undefined;
  const chosen = strategy;
  let result: MergeResult;
  try {
    result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Merging ${wt.branch ?? wt.name} into ${base ?? 'its base'}…` }, () => services.merges.merge(wt.id, { strategy: chosen }));
  } catch (error) {
    if (isClaudeManagerError(error) && error.code === 'HOOK_FAILED') {
      showHookFailure(error);
      return undefined;
    }
    // The worktree itself has changes: offer to commit them first, then merge.
    if (isClaudeManagerError(error) && error.code === 'DIRTY_WORKTREE' && error.message.startsWith(wt.name)) {
      const choice = await vscode.window.showWarningMessage(error.message, 'Commit All…');
      if (choice && (await commitFlow(services, wt, log))) return mergeFlow(services, wt, log, chosen);
      return undefined;
    }
    throw error;
  }
  await showResult(services, result, log);
  return result;
}

export function registerMergeCommands(log: vscode.LogOutputChannel, services: () => Promise<Services>): vscode.Disposable[] {
  const target = async (arg: Arg, title: string, filter?: (w: Worktree) => boolean): Promise<Worktree | undefined> => {
    const s = await services();
    return pickWorktree(s, arg instanceof WorktreeNode || arg instanceof AgentNode ? arg : arg?.worktreeId ? { worktreeId: arg.worktreeId } : undefined, title, filter);
  };
  const plain = (arg: Arg) => (arg && !(arg instanceof WorktreeNode) && !(arg instanceof AgentNode) ? arg : undefined);
  return [
    registerCommand('claudeManager.commitAll', log, async (arg?: Arg) => {
      requireGit('Committing');
      const wt = await target(arg, 'Commit All', (w) => !w.missing);
      return wt ? commitFlow(await services(), wt, log, plain(arg)?.message) : undefined;
    }),
    registerCommand('claudeManager.mergeIntoBase', log, async (arg?: Arg) => {
      requireGit('Merging');
      const wt = await target(arg, 'Merge into Base', (w) => !w.isMain && !w.missing && !!w.branch);
      return wt ? mergeFlow(await services(), wt, log, plain(arg)?.strategy) : undefined;
    }),
    registerCommand('claudeManager.continueMerge', log, async (arg?: Arg) => {
      requireGit('Continuing the merge');
      const wt = await target(arg, 'Continue Merge', (w) => !w.missing);
      if (!wt) return undefined;
      const s = await services();
      let result: MergeResult;
      try {
        result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Continuing the merge in ${wt.name}…` }, () => s.merges.continueMerge(wt.id));
      } catch (error) {
        if (isClaudeManagerError(error) && error.code === 'HOOK_FAILED') return showHookFailure(error);
        throw error;
      }
      await showResult(s, result, log);
      return result;
    }),
    registerCommand('claudeManager.abortMerge', log, async (arg?: Arg) => {
      requireGit('Aborting the merge');
      const wt = await target(arg, 'Abort Merge', (w) => !w.missing);
      if (!wt) return false;
      const s = await services();
      const state = await s.merges.state(wt.id);
      const what = state?.operation === 'rebase' ? 'rebase' : 'merge';
      // From a script or test (an object argument) there is nobody to ask.
      if (arg instanceof WorktreeNode || arg instanceof AgentNode || !arg) {
        const confirm = await vscode.window.showWarningMessage(`Abort the ${what} in ${wt.name}?`, { modal: true, detail: `Its files, index and HEAD go back to how they were before the ${what}; resolutions made so far are lost.` }, `Abort ${what === 'rebase' ? 'Rebase' : 'Merge'}`);
        if (!confirm) return false;
      }
      await s.merges.abortMerge(wt.id);
      vscode.window.setStatusBarMessage(`$(discard) Aborted the ${what} in ${wt.name}`, 5000);
      return true;
    }),
    registerCommand('claudeManager.openConflicts', log, async (arg?: Arg) => {
      const wt = await target(arg, 'Open Conflicts', (w) => !w.missing);
      if (!wt) return;
      const state = await (await services()).merges.state(wt.id);
      if (!state) throw new ClaudeManagerError('NO_MERGE_IN_PROGRESS', `No merge or rebase is in progress in ${wt.name}.`);
      if (!state.conflicted.length) {
        void vscode.window.showInformationMessage(`The conflicts in ${wt.name} are resolved: continue the merge.`, 'Continue Merge').then((c) => {
          if (c) void vscode.commands.executeCommand('claudeManager.continueMerge', { worktreeId: wt.id });
        });
        return;
      }
      await openConflicts(wt.path, state.conflicted, state.operation, log);
    }),
    registerCommand('claudeManager.pushAndOpenPullRequest', log, async (arg?: Arg) => {
      requireGit('Pushing');
      const wt = await target(arg, 'Push and Open Pull Request', (w) => !w.isMain && !w.missing && !!w.branch);
      if (!wt) return undefined;
      const s = await services();
      const pushed = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Pushing ${wt.branch}…` }, () => s.publish.push(wt.id));
      const draft = await s.publish.draft(wt.id);
      const title = await vscode.window.showInputBox({ title: `Pull Request: ${draft.head} into ${draft.base} (1/2)`, prompt: 'Title', value: draft.title, ignoreFocusOut: true, validateInput: (v) => (v.trim() ? undefined : 'A pull request needs a title.') });
      if (!title) return { pushed };
      const body = await vscode.window.showInputBox({ title: `Pull Request: ${draft.head} into ${draft.base} (2/2)`, prompt: 'Description (the branch\'s commits; edit or leave as it is)', value: draft.body.replace(/\n/g, ' ¶ '), ignoreFocusOut: true });
      if (body === undefined) return { pushed };
      const outcome = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Opening the pull request…' }, () =>
        s.publish.createPullRequest(wt.id, { ...draft, title: title.trim(), body: body.replace(/ ¶ /g, '\n') }),
      );
      if (outcome.status === 'created') {
        void vscode.window.showInformationMessage(`Opened pull request ${outcome.url}`, 'Open').then((c) => {
          if (c) void vscode.env.openExternal(vscode.Uri.parse(outcome.url));
        });
      } else {
        void vscode.window.showWarningMessage(`Pushed ${pushed.upstream}. ${outcome.reason}`, ...(outcome.compareUrl ? ['Open Compare Page'] : [])).then((c) => {
          if (c && outcome.compareUrl) void vscode.env.openExternal(vscode.Uri.parse(outcome.compareUrl));
        });
      }
      return { pushed, outcome };
    }),
  ];
}
