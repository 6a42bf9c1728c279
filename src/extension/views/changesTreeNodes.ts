// The "Changes (N)" rows of a worktree, and the parts of its row that speak of its changes
// (the +/− counts, the base branch, the files another worktree changed too).
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import type { ChangedFile, KnownChanges, WorktreeChanges } from '../../services/git/changes';
import { ContextValues } from './contextValues';

/** What a worktree row shows of its changes: the list last read, and the other worktrees that changed the same files. */
export interface WorktreeChangeInfo {
  known: KnownChanges | undefined;
  collisions: readonly { worktreeId: string; files: readonly string[] }[];
  /** A worktree's name for the warning (looked up when the row is hovered). */
  nameOf: (worktreeId: string) => string;
}

/** "+120 −8", or "" when nothing is counted. */
export function countsText(c: { insertions: number; deletions: number }): string {
  return `+${c.insertions} −${c.deletions}`;
}

/** The part of a worktree row's description about its changes: "+120 −8 · ⚠ 2 files also changed in x". */
export function changesDescription(info: WorktreeChangeInfo | undefined): string {
  const c = info?.known?.changes;
  const parts: string[] = [];
  if (c?.files.length) parts.push(countsText(c));
  if (info?.collisions.length) {
    const files = new Set(info.collisions.flatMap((x) => x.files)).size;
    parts.push(`⚠ ${files} file${files === 1 ? '' : 's'} also changed in ${info.collisions.length === 1 ? info.nameOf(info.collisions[0]!.worktreeId) : `${info.collisions.length} worktrees`}`);
  }
  return parts.join(' · ');
}

const COMPARE = 'claudeManager.compareWithWorktree';
/** The commands a worktree row's tooltip links to (its changes', its setup's): the only ones its links may run. */
export const TOOLTIP_COMMANDS = [COMPARE, 'claudeManager.reviewWorktreeChanges', 'claudeManager.setBaseBranch', 'claudeManager.showSetupOutput'];

export function commandLink(command: string, arg: unknown): string {
  return `command:${command}?${encodeURIComponent(JSON.stringify([arg]))}`;
}

function escapeMd(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

/** The tooltip's part about the worktree's changes: its base, the counts, and each file shared with another worktree, a click from a diff. */
export function appendChangesTooltip(md: vscode.MarkdownString, worktreeId: string, info: WorktreeChangeInfo | undefined): void {
  const known = info?.known;
  if (!known) return;
  const c = known.changes;
  if (c) {
    md.appendMarkdown(`\n\nBase branch ${escapeMd(c.baseBranch)}${c.baseRecorded ? '' : ' (the repository\'s default)'} · [change](${commandLink('claudeManager.setBaseBranch', { worktreeId })})  \n`);
    md.appendMarkdown(c.files.length ? `${c.files.length} file${c.files.length === 1 ? '' : 's'} changed since ${c.mergeBase.slice(0, 8)}: ${countsText(c)} · [review](${commandLink('claudeManager.reviewWorktreeChanges', { worktreeId })})` : `No changes since ${escapeMd(c.baseBranch)}`);
  } else if (known.error) {
    md.appendMarkdown('\n\n$(error) Changes unavailable: ').appendText(known.error);
  }
  for (const other of info.collisions) {
    md.appendMarkdown(`\n\n$(warning) Also changed in **${escapeMd(info.nameOf(other.worktreeId))}**:  \n`);
    for (const path of other.files.slice(0, 20)) {
      md.appendMarkdown(`[${escapeMd(path)}](${commandLink(COMPARE, { worktreeId, otherWorktreeId: other.worktreeId, path })} "Compare the two versions")  \n`);
    }
    if (other.files.length > 20) md.appendMarkdown(`… ${other.files.length - 20} more`);
  }
}

/** "Changes (N)" under a worktree: the files it changed since its base. */
export class ChangesNode {
  readonly kind = 'changes';
  constructor(
    readonly worktreeId: string,
    readonly worktreePath: string,
    readonly changes: WorktreeChanges,
    /** path → the names of the other worktrees that changed it too. */
    readonly shared: ReadonlyMap<string, { worktreeId: string; name: string }[]>,
  ) {}

  toTreeItem(): vscode.TreeItem {
    const c = this.changes;
    const item = new vscode.TreeItem(`Changes (${c.files.length})`, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `changes:${this.worktreeId}`;
    item.description = `${countsText(c)} · since ${c.baseBranch}`;
    item.iconPath = new vscode.ThemeIcon('diff');
    item.tooltip = `${c.files.length} files changed since ${c.baseBranch} (merge-base ${c.mergeBase.slice(0, 8)}), committed and uncommitted: ${countsText(c)}`;
    item.contextValue = ContextValues.Changes;
    return item;
  }

  get children(): ChangedFileNode[] {
    return this.changes.files.map((f) => new ChangedFileNode(this.worktreeId, this.worktreePath, f, this.shared.get(f.path) ?? []));
  }
}

const STATUS_WORD: Record<ChangedFile['status'], string> = { A: 'added', M: 'modified', D: 'deleted', R: 'renamed', C: 'copied', T: 'type changed' };

/** One changed file: a click opens merge-base ↔ working file. */
export class ChangedFileNode {
  readonly kind = 'changedFile';
  constructor(
    readonly worktreeId: string,
    readonly worktreePath: string,
    readonly file: ChangedFile,
    /** The other worktrees that changed it too. */
    readonly sharedWith: readonly { worktreeId: string; name: string }[],
  ) {}

  toTreeItem(): vscode.TreeItem {
    const f = this.file;
    const item = new vscode.TreeItem(basename(f.path), vscode.TreeItemCollapsibleState.None);
    item.id = `changedFile:${this.worktreeId}:${f.path}`;
    // The file's own icon (by its name), from a uri of our own scheme: the editor's git decorates
    // file uris with its own letter, which would stand beside ours (and only once it has opened
    // the worktree).
    item.resourceUri = vscode.Uri.from({ scheme: 'claude-manager-base', path: `/${this.worktreeId}/empty/${f.path}` });
    item.iconPath = vscode.ThemeIcon.File;
    const dir = dirname(f.path);
    const letter = f.untracked ? 'U' : f.status;
    const counts = f.binary ? 'binary' : f.insertions !== undefined ? countsText({ insertions: f.insertions, deletions: f.deletions ?? 0 }) : '';
    item.description = [dir === '.' ? '' : dir, counts, letter, this.sharedWith.length ? '⚠' : ''].filter(Boolean).join('  ');
    const md = new vscode.MarkdownString('', true);
    md.appendText(f.oldPath ? `${f.oldPath} → ${f.path}` : f.path);
    md.appendMarkdown(`\n\n${f.untracked ? 'untracked (added)' : STATUS_WORD[f.status]}${counts ? ` · ${counts}` : ''}`);
    if (this.sharedWith.length) md.appendMarkdown('\n\n$(warning) Also changed in ').appendText(this.sharedWith.map((s) => s.name).join(', '));
    item.tooltip = md;
    item.contextValue = this.sharedWith.length ? ContextValues.ChangedFileShared : ContextValues.ChangedFile;
    item.command = { command: 'claudeManager.openWorktreeChange', title: 'Open Changes', arguments: [{ worktreeId: this.worktreeId, path: f.path }] };
    item.accessibilityInformation = { label: `${f.path}, ${f.untracked ? 'untracked' : STATUS_WORD[f.status]}${counts ? `, ${counts}` : ''}${this.sharedWith.length ? ', also changed in another worktree' : ''}` };
    return item;
  }
}
