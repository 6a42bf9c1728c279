import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import type { CompareRequestParams, CompareRequestResult } from '../../webview/compareProtocol';
import type { Services } from '../services';

/** Read-only documents of a file as a commit has it (empty when it has none): the base side of an attempt's diff. */
export const BASE_FILE_SCHEME = 'claude-manager-base';

/** `claude-manager-base:/<path in the repository>?<repository, commit>`: the path gives the editor the language. */
function baseUri(repo: string, commit: string | null, path: string): vscode.Uri {
  return vscode.Uri.from({ scheme: BASE_FILE_SCHEME, path: `/${path}`, query: JSON.stringify({ repo, commit }) });
}

/**
 * Serves `claude-manager-base:` documents: `git show <commit>:<path>` through GitService (so
 * never in an untrusted window); a file the commit does not have reads as empty.
 */
export function registerBaseFiles(services: () => Promise<Services>): vscode.Disposable {
  return vscode.workspace.registerTextDocumentContentProvider(BASE_FILE_SCHEME, {
    provideTextDocumentContent: async (uri) => {
      const { repo, commit } = JSON.parse(uri.query) as { repo: string; commit: string | null };
      if (!commit) return '';
      const path = uri.path.slice(1);
      const git = (await services()).git;
      const listed = await git.run(repo, ['ls-tree', '--name-only', '-z', commit, '--', path], `Reading ${path} at ${commit.slice(0, 8)}`);
      if (!listed.split('\0').includes(path)) return '';
      return git.run(repo, ['show', `${commit}:${path}`], `Reading ${path} at ${commit.slice(0, 8)}`);
    },
  });
}

/**
 * Opens VS Code's diff editor on one file: the base's version (from the group's base commit) or
 * an attempt's (the file in its worktree, as it is now; empty when the attempt deleted it).
 */
export async function openAttemptDiff(s: Services, params: CompareRequestParams<'compareOpenDiff'>): Promise<void> {
  const group = await s.bestOfN.get(params.groupId);
  const workspace = await s.workspaces.getWorkspace(group.workspaceId);
  const sideOf = async (side: CompareRequestParams<'compareOpenDiff'>['left']): Promise<{ uri: vscode.Uri; label: string }> => {
    if ('base' in side) return { uri: baseUri(workspace.path, group.baseCommit, params.path), label: group.baseBranch };
    const attempt = group.attempts.find((a) => a.id === side.attemptId);
    if (!attempt?.worktreeId) throw new Error(`That attempt's worktree was removed: its files are gone.`);
    const wt = await s.workspaces.getWorktree(attempt.worktreeId);
    const file = join(wt.path, params.path);
    return { uri: existsSync(file) ? vscode.Uri.file(file) : baseUri(workspace.path, null, params.path), label: attempt.branch };
  };
  const [left, right] = await Promise.all([sideOf(params.left), sideOf(params.right)]);
  await vscode.commands.executeCommand('vscode.diff', left.uri, right.uri, `${basename(params.path)} (${left.label} ↔ ${right.label})`, { preview: true });
}

/**
 * Keep This One: asks for a commit message when the attempt has uncommitted work (the box is the
 * confirmation), else confirms the merge; merges into the base; after a clean merge offers to
 * put the other attempts away (remove their worktrees and branches, or only archive their agents).
 */
export async function keepAttempt(s: Services, groupId: string, attemptId: string): Promise<CompareRequestResult<'compareKeep'>> {
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
  } else {
    const go = await vscode.window.showInformationMessage(`Merge ${attempt.branch} into ${group.baseBranch}?`, { modal: true }, 'Merge');
    if (go !== 'Merge') return { outcome: 'cancelled' };
  }
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Merging ${attempt.branch} into ${group.baseBranch}…` }, () =>
    s.bestOfN.keep(groupId, attemptId, { ...(commitMessage ? { commitMessage } : {}) }),
  );
  if (result.status === 'conflicts') {
    const message = `Merging ${attempt.branch} into ${group.baseBranch} stopped on conflicts in ${result.files.length} file${result.files.length === 1 ? '' : 's'}: ${result.files.slice(0, 5).join(', ')}. Resolve them and commit in the base's worktree, or abort the merge there (git merge --abort).`;
    void vscode.window.showWarningMessage(message);
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
