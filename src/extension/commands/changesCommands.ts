import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import type { ChangedFile, WorktreeChanges } from '../../services/git/changes';
import { ClaudeManagerError } from '../../services/errors';
import type { Worktree } from '../../services/workspaces/workspaceService';
import type { Services } from '../services';
import { ChangedFileNode, ChangesNode, WorktreeNode } from '../views/agentsView';
import { registerCommand } from './registerCommand';
import { pickWorktree } from './worktreeCommands';

/**
 * Read-only documents of a file at a commit of a worktree's repository (the old side of its
 * changes), or empty (the missing side of an added or deleted file):
 * `claude-manager-base:/<worktreeId>/<commit | "empty">/<path>`; the path gives the language.
 */
export const BASE_SCHEME = 'claude-manager-base';

function baseUri(worktreeId: string, rev: string | 'empty', path: string): vscode.Uri {
  return vscode.Uri.from({ scheme: BASE_SCHEME, path: `/${worktreeId}/${rev}/${path}` });
}

function parseBaseUri(uri: vscode.Uri): { worktreeId: string; rev: string; path: string } {
  const match = /^\/(wt_[0-9a-z]+)\/([0-9a-f]{40,64}|empty)\/(.+)$/.exec(uri.path);
  if (!match) throw new ClaudeManagerError('INVALID_INPUT', `${uri.toString()} is not a file version this extension made.`);
  return { worktreeId: match[1]!, rev: match[2]!, path: match[3]! };
}

/** What these commands are run on: a tree row, or an object naming the worktree (and the file). */
type Arg = WorktreeNode | ChangesNode | ChangedFileNode | { worktreeId?: unknown; path?: unknown; otherWorktreeId?: unknown; branch?: unknown } | undefined;

function worktreeIdOf(arg: Arg, command: string): string {
  if (arg instanceof WorktreeNode) return arg.worktree.id;
  if (arg instanceof ChangesNode || arg instanceof ChangedFileNode) return arg.worktreeId;
  if (arg && typeof arg === 'object' && 'worktreeId' in arg && typeof arg.worktreeId === 'string') return arg.worktreeId;
  throw new ClaudeManagerError('INVALID_INPUT', `${command} needs a worktree: use it from a worktree's row in the Claude Manager view, or pass { worktreeId }.`);
}

/** The two sides of a changed file: merge-base ↔ working file (an empty side for an added or deleted file). */
function sides(wt: Worktree, changes: WorktreeChanges, file: ChangedFile): { left: vscode.Uri; right: vscode.Uri } {
  const left = file.status === 'A' ? baseUri(wt.id, 'empty', file.path) : baseUri(wt.id, changes.mergeBase, file.oldPath ?? file.path);
  const right = file.status === 'D' ? baseUri(wt.id, 'empty', file.path) : vscode.Uri.file(join(wt.path, file.path));
  return { left, right };
}

function diffTitle(changes: WorktreeChanges, file: ChangedFile): string {
  const name = basename(file.path);
  if (file.status === 'A') return `${name} (added since ${changes.baseBranch})`;
  if (file.status === 'D') return `${name} (deleted since ${changes.baseBranch})`;
  return `${name} (${changes.baseBranch} ↔ working tree)`;
}

/**
 * The worktree's changes for a command: those the tree shows when they are known (what the user
 * clicked is what opens), else read now.
 */
async function changesOf(services: Services, worktreeId: string): Promise<WorktreeChanges> {
  return services.changes.knownChanges(worktreeId)?.changes ?? services.changes.changes(worktreeId);
}

/**
 * Review of a worktree's changes: each file's diff against the merge-base with its base branch,
 * one at a time or all in VS Code's multi-file diff editor; "Set Base Branch…"; and the diff
 * between two worktrees' versions of a file both changed.
 */
export function registerChangesCommands(log: vscode.LogOutputChannel, services: () => Promise<Services>, testMode: boolean): vscode.Disposable[] {
  const provider: vscode.TextDocumentContentProvider = {
    async provideTextDocumentContent(uri) {
      const { worktreeId, rev, path } = parseBaseUri(uri);
      if (rev === 'empty') return '';
      return (await services()).changes.fileAt(worktreeId, rev, path);
    },
  };
  return [
    vscode.workspace.registerTextDocumentContentProvider(BASE_SCHEME, provider),
    registerCommand('claudeManager.openWorktreeChange', log, async (arg?: Arg) => {
      const worktreeId = worktreeIdOf(arg, 'Open Changes');
      const path = arg instanceof ChangedFileNode ? arg.file.path : arg && typeof arg === 'object' && 'path' in arg && typeof arg.path === 'string' ? arg.path : undefined;
      if (!path) throw new ClaudeManagerError('INVALID_INPUT', 'Open Changes needs a file: use it from a file under "Changes" in the Claude Manager view, or pass { worktreeId, path }.');
      const s = await services();
      const wt = await s.workspaces.getWorktree(worktreeId);
      let changes = await changesOf(s, worktreeId);
      let file = changes.files.find((f) => f.path === path);
      if (!file) {
        changes = await s.changes.changes(worktreeId);
        file = changes.files.find((f) => f.path === path);
      }
      if (!file) throw new ClaudeManagerError('NOT_FOUND', `${path} has no changes in ${wt.branch ?? wt.name} since ${changes.baseBranch} any more.`);
      const { left, right } = sides(wt, changes, file);
      const title = diffTitle(changes, file);
      await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: true });
      return testMode ? { left: left.toString(), right: right.toString(), title } : undefined;
    }),
    registerCommand('claudeManager.reviewWorktreeChanges', log, async (arg?: Arg) => {
      const s = await services();
      const worktreeId = arg ? worktreeIdOf(arg, 'Review All Changes') : (await pickWorktree(s, undefined, 'Review All Changes', (w) => !w.isMain && !w.missing))?.id;
      if (!worktreeId) return undefined;
      const wt = await s.workspaces.getWorktree(worktreeId);
      // Fresh: the review is of what is there now.
      const changes = await s.changes.changes(worktreeId);
      const label = wt.branch ?? wt.name;
      if (!changes.files.length) {
        void vscode.window.showInformationMessage(`${label} has no changes since ${changes.baseBranch}.`);
        return testMode ? { files: 0 } : undefined;
      }
      const resources = changes.files.map((f) => {
        const { left, right } = sides(wt, changes, f);
        return [vscode.Uri.file(join(wt.path, f.path)), f.status === 'A' ? undefined : left, f.status === 'D' ? undefined : right] as const;
      });
      const title = `${label}: changes since ${changes.baseBranch}`;
      await vscode.commands.executeCommand('vscode.changes', title, resources);
      return testMode ? { files: resources.length, title, resources: resources.map((r) => r.map((u) => u?.toString())) } : undefined;
    }),
    registerCommand('claudeManager.setBaseBranch', log, async (arg?: Arg) => {
      const s = await services();
      const worktreeId = arg ? worktreeIdOf(arg, 'Set Base Branch') : (await pickWorktree(s, undefined, 'Set Base Branch', (w) => !w.isMain))?.id;
      if (!worktreeId) return undefined;
      const wt = await s.workspaces.getWorktree(worktreeId);
      let branch = arg && typeof arg === 'object' && 'branch' in arg && (typeof arg.branch === 'string' || arg.branch === null) ? arg.branch : undefined;
      if (branch === undefined) {
        const [current, branches] = await Promise.all([s.changes.baseBranch(worktreeId), s.workspaces.listBranches(worktreeId)]);
        const item = (b: string, icon: string) => ({ label: `$(${icon}) ${b}`, description: b === current?.branch ? 'current base' : undefined, branch: b as string | null });
        const picked = await vscode.window.showQuickPick(
          [
            ...(wt.baseBranch ? [{ label: '$(discard) Use the repository\'s default', description: undefined, branch: null }] : []),
            { label: 'Local branches', kind: vscode.QuickPickItemKind.Separator, branch: undefined },
            ...branches.local.filter((b) => b !== wt.branch).map((b) => item(b, 'git-branch')),
            { label: 'Remote branches', kind: vscode.QuickPickItemKind.Separator, branch: undefined },
            ...branches.remote.map((b) => item(b, 'cloud')),
          ] as (vscode.QuickPickItem & { branch: string | null | undefined })[],
          { title: `Base Branch of ${wt.branch ?? wt.name}`, placeHolder: `The branch its work goes back to (now ${current?.branch ?? 'none'})` },
        );
        if (!picked || picked.branch === undefined) return undefined;
        branch = picked.branch;
      }
      const updated = await s.workspaces.setBaseBranch(worktreeId, branch);
      await s.changes.changes(worktreeId).catch(() => undefined);
      return testMode ? { baseBranch: updated.baseBranch ?? null } : undefined;
    }),
    registerCommand('claudeManager.compareWithWorktree', log, async (arg?: Arg) => {
      const worktreeId = worktreeIdOf(arg, 'Compare with Other Worktree');
      const s = await services();
      let otherId = arg && typeof arg === 'object' && 'otherWorktreeId' in arg && typeof arg.otherWorktreeId === 'string' ? arg.otherWorktreeId : undefined;
      let path = arg instanceof ChangedFileNode ? arg.file.path : arg && typeof arg === 'object' && 'path' in arg && typeof arg.path === 'string' ? arg.path : undefined;
      if (arg instanceof ChangedFileNode && !otherId) {
        const others = arg.sharedWith;
        const picked = others.length === 1 ? others[0] : await vscode.window.showQuickPick(others.map((o) => ({ label: o.name, other: o })), { title: `Compare ${basename(arg.file.path)} with…` }).then((p) => p?.other);
        otherId = picked?.worktreeId;
        if (!otherId) return undefined;
      }
      if (!otherId || !path) throw new ClaudeManagerError('INVALID_INPUT', 'Compare with Other Worktree needs { worktreeId, otherWorktreeId, path }: use it from a file another worktree changed too.');
      const [wt, other] = await Promise.all([s.workspaces.getWorktree(worktreeId), s.workspaces.getWorktree(otherId)]);
      if (wt.workspaceId !== other.workspaceId) throw new ClaudeManagerError('INVALID_INPUT', `${wt.name} and ${other.name} are worktrees of different repositories.`);
      path = path.replace(/^\/+/, '');
      const side = async (w: Worktree) => {
        const changes = s.changes.knownChanges(w.id)?.changes;
        const deleted = changes?.files.some((f) => f.path === path && f.status === 'D');
        return deleted || w.missing ? baseUri(w.id, 'empty', path!) : vscode.Uri.file(join(w.path, path!));
      };
      const [left, right] = await Promise.all([side(other), side(wt)]);
      const title = `${basename(path)} (${other.branch ?? other.name} ↔ ${wt.branch ?? wt.name})`;
      await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: true });
      return testMode ? { left: left.toString(), right: right.toString(), title } : undefined;
    }),
  ];
}
