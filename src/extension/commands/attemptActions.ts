import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import type { CompareRequestParams, CompareRequestResult } from '../../webview/compareProtocol';
import type { Services } from '../services';
import { BASE_SCHEME } from './changesCommands';
import { pickMergeStrategy, showConflicts } from './mergeCommands';

/**
 * A base version of a file, as the Changes commands' read-only documents name it
 * (`claude-manager-base:/<worktreeId>/<commit | "empty">/<path>`, served by changesCommands.ts).
 */
function baseUri(worktreeId: string, commit: string | 'empty', path: string): vscode.Uri {
  return vscode.Uri.from({ scheme: BASE_SCHEME, path: `/${worktreeId}/${commit}/${path}` });
}

/**
 * Opens VS Code's diff editor on one file: the base's version (from the group's base commit) or
 * an attempt's (the file in its worktree, as it is now; empty when the attempt deleted it).
 */
export async function openAttemptDiff(s: Services, params: CompareRequestParams<'compareOpenDiff'>): Promise<void> {
  const group = await s.bestOfN.get(params.groupId);
  const workspace = await s.workspaces.getWorkspace(group.workspaceId);
  // The base's blob is read through a worktree of the repository: the main one.
  const main = (await s.workspaces.knownWorktrees(group.workspaceId)).find((w) => w.isMain);
  if (!main) throw new Error(`${workspace.name} has no main worktree recorded: refresh the repository.`);
  const listed = await s.git.run(workspace.path, ['ls-tree', '--name-only', '-z', group.baseCommit, '--', params.path], `Looking for ${params.path} at ${group.baseCommit.slice(0, 8)}`);
  const atBase = listed.split('\0').includes(params.path);
  const sideOf = async (side: CompareRequestParams<'compareOpenDiff'>['left']): Promise<{ uri: vscode.Uri; label: string }> => {
    if ('base' in side) return { uri: baseUri(main.id, atBase ? group.baseCommit : 'empty', params.path), label: group.baseBranch };
    const attempt = group.attempts.find((a) => a.id === side.attemptId);
    if (!attempt?.worktreeId) throw new Error(`That attempt's worktree was removed: its files are gone.`);
    const wt = await s.workspaces.getWorktree(attempt.worktreeId);
    const file = join(wt.path, params.path);
    return { uri: existsSync(file) ? vscode.Uri.file(file) : baseUri(main.id, 'empty', params.path), label: attempt.branch };
  };
  const [left, right] = await Promise.all([sideOf(params.left), sideOf(params.right)]);
  await vscode.commands.executeCommand('vscode.diff', left.uri, right.uri, `${basename(params.path)} (${left.label} ↔ ${right.label})`, { preview: true });
}

/**
 * Keep This One: asks for a commit message when the attempt has uncommitted work, then how to
 * merge (merge commit, squash, or rebase then fast-forward: the pick is the confirmation); merges
 * into the base. Conflicts open as Merge into Base opens them (merge editor, Continue, Abort);
 * after a clean merge, offers to put the other attempts away (remove their worktrees and branches,
 * or only archive their agents).
 */
export async function keepAttempt(s: Services, groupId: string, attemptId: string, log: vscode.LogOutputChannel): Promise<CompareRequestResult<'compareKeep'>> {
  const group = await s.bestOfN.get(groupId);
  const attempt = group.attempts.find((a) => a.id === attemptId);
  if (!attempt?.worktreeId) return { outcome: 'cancelled', message: 'That attempt\'s worktree was removed: there is nothing to keep.' };
  const status = await s.workspaces.gitStatus(attempt.worktreeId);
  let commitMessage: string | undefined;
  if (!status.isClean || status.untracked.length > 0) {
    commitMessage = await vscode.window.showInputBox({
      title: `Keep ${attempt.branch}: commit its changes, then merge into ${group.baseBranch}`,
      prompt: 'Commit message for the attempt\'s uncommitted changes',
      value: `${group.prompt.split('\n')[0]!.slice(0, 72)}`,
      validateInput: (v) => (v.trim() ? undefined : 'A commit needs a message.'),
    });
    if (!commitMessage) return { outcome: 'cancelled' };
  }
  // The pick is the confirmation: merge commit, squash, or rebase then fast-forward, as Merge into Base offers.
  const strategy = await pickMergeStrategy(attempt.branch, group.baseBranch);
  if (!strategy) return { outcome: 'cancelled' };
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Merging ${attempt.branch} into ${group.baseBranch}…` }, () =>
    s.bestOfN.keep(groupId, attemptId, { strategy, ...(commitMessage ? { commitMessage } : {}) }),
  );
  if (result.status === 'conflicts') {
    const message = `Merging ${attempt.branch} into ${group.baseBranch} stopped on conflicts in ${result.files.length} file${result.files.length === 1 ? '' : 's'}: ${result.files.slice(0, 5).join(', ')}. Resolve them, then Continue Merge (or Abort Merge) on the worktree where it waits.`;
    // Opened in the merge editor, with Continue and Abort, as Merge into Base does.
    void showConflicts(s, result, log);
    return { outcome: 'conflicts', message };
  }
  const others = group.attempts.filter((a) => a.id !== attemptId && (a.worktreeId || a.agentId));
  if (others.length > 0) {
    void offerPutAway(s, groupId, attempt.branch, group.baseBranch, others.length);
  }
  return { outcome: 'clean', message: `Kept ${attempt.branch}: merged into ${group.baseBranch}.` };
}

async function offerPutAway(s: Services, groupId: string, branch: string, base: string, count: number): Promise<void> {
  const remove = 'Remove Worktrees';
  const archive = 'Archive Agents Only';
  const choice = await vscode.window.showInformationMessage(
    `Kept ${branch} (merged into ${base}). Remove the other ${count} attempts' worktrees and branches (their agents go with them), or only archive their agents?`,
    remove,
    archive,
  );
  if (!choice) return;
  const result = await s.bestOfN.discardOthers(groupId, { removeWorktrees: choice === remove });
  if (result.failed.length) {
    void vscode.window.showWarningMessage(`Some attempts could not be put away: ${result.failed.map((f) => `${f.branch}: ${f.reason}`).join('; ')}`);
  }
}
