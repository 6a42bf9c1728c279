import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { ClaudeManagerError } from '../errors';
import type { GitService } from '../git/gitService';
import type { Store } from '../storage/store';

/**
 * A file that differs between a worktree and its base, as a reviewer sees it (the shape of
 * `ChangedFile` in src/services/git/changeList.ts, so that `WorktreeChanges` fits as it is).
 */
export interface ChangedFile {
  path: string;
  /** git's letter: A added (untracked files too), M modified, D deleted, R renamed, C copied, T type changed. */
  status: string;
  /** Lines added and deleted; absent for a binary file (or an untracked one too large to count). */
  insertions?: number | undefined;
  deletions?: number | undefined;
  /** A rename's old path. */
  oldPath?: string | undefined;
}

/**
 * What the attempts need of a worktree's changes since the merge-base with its base: committed and
 * uncommitted together, untracked files counted as added. `WorktreeChanges`
 * (src/services/git/changes.ts, docs/merge.md) provides it; `GitWorktreeChanges` below is the small
 * stand-in used until it does.
 */
export interface WorktreeChangesSource {
  changes(worktreeId: string): Promise<{ files: ChangedFile[] }>;
}

/** Untracked files larger than this are listed without a count. */
const COUNT_LIMIT_BYTES = 1 << 20;

async function countLines(path: string): Promise<number | undefined> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const { size } = await handle.stat();
    if (size > COUNT_LIMIT_BYTES) return undefined;
    const buffer = Buffer.alloc(size);
    await handle.read(buffer, 0, size, 0);
    if (buffer.includes(0)) return undefined; // binary, as git would say
    if (size === 0) return 0;
    let lines = 0;
    for (const byte of buffer) if (byte === 0x0a) lines++;
    return buffer[size - 1] === 0x0a ? lines : lines + 1;
  } finally {
    await handle.close();
  }
}

/** `git diff --name-status -z` → path → { status, oldPath }. */
function parseNameStatus(out: string): Map<string, { status: string; oldPath?: string }> {
  const parts = out.split('\0');
  const result = new Map<string, { status: string; oldPath?: string }>();
  for (let i = 0; i < parts.length; ) {
    const code = parts[i++] ?? '';
    if (!code) continue;
    const letter = code[0]!;
    if (letter === 'R' || letter === 'C') {
      const oldPath = parts[i++] ?? '';
      const path = parts[i++] ?? '';
      result.set(path, { status: letter, oldPath });
    } else {
      result.set(parts[i++] ?? '', { status: letter });
    }
  }
  return result;
}

/** `git diff --numstat -z` → path → counts ("-" for binary files: none). */
function parseNumstat(out: string): Map<string, { insertions?: number; deletions?: number }> {
  const parts = out.split('\0');
  const result = new Map<string, { insertions?: number; deletions?: number }>();
  for (let i = 0; i < parts.length; ) {
    const entry = parts[i++] ?? '';
    if (!entry) continue;
    const [added = '-', deleted = '-', path = ''] = entry.split('\t');
    // A rename: the path is empty here, and the old and new paths follow.
    const name = path === '' ? (i++, parts[i++] ?? '') : path;
    result.set(name, added === '-' ? {} : { insertions: Number(added), deletions: Number(deleted) });
  }
  return result;
}

/**
 * A worktree's changes since the merge-base of its base and HEAD, read with git through
 * GitService: `git diff --name-status` and `--numstat` against the merge-base (committed and
 * uncommitted), plus the untracked files, counted by reading them. The stand-in for
 * `WorktreeChanges` until that lands; nothing else depends on how it is done.
 */
export class GitWorktreeChanges implements WorktreeChangesSource {
  constructor(
    private readonly store: Store,
    private readonly git: GitService,
    /** The base of a worktree that has none recorded. */
    private readonly defaultBase: (worktreeId: string) => Promise<string>,
  ) {}

  async changes(worktreeId: string): Promise<{ files: ChangedFile[] }> {
    const wt = await this.store.worktrees.get(worktreeId);
    const base = wt.baseBranch ?? (await this.defaultBase(worktreeId));
    const what = `Reading the changes of ${wt.name} since ${base}`;
    const mergeBase = (await this.git.run(wt.path, ['merge-base', base, 'HEAD'], what)).trim();
    if (!mergeBase) throw new ClaudeManagerError('GIT_FAILED', `${what} failed: ${wt.branch ?? 'HEAD'} and ${base} have no commit in common.`);
    const diff = ['diff', '-z', '-M', '--no-ext-diff', '--no-textconv'];
    const [names, counts, untracked] = await Promise.all([
      this.git.run(wt.path, [...diff, '--name-status', mergeBase, '--'], what),
      this.git.run(wt.path, [...diff, '--numstat', mergeBase, '--'], what),
      this.git.run(wt.path, ['ls-files', '--others', '--exclude-standard', '-z'], what),
    ]);
    const numbers = parseNumstat(counts);
    const files: ChangedFile[] = [...parseNameStatus(names)].map(([path, { status, oldPath }]) => ({
      path,
      status,
      ...numbers.get(path),
      ...(oldPath !== undefined ? { oldPath } : {}),
    }));
    for (const path of untracked.split('\0').filter(Boolean)) {
      const lines = await countLines(join(wt.path, path));
      files.push({ path, status: 'A', ...(lines !== undefined ? { insertions: lines, deletions: 0 } : {}) });
    }
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { files };
  }
}
