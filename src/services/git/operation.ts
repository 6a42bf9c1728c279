import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';

/** What waits in a worktree for its conflicts to be resolved: a merge, a squash merge or a rebase. */
export type GitOperation = 'merge' | 'squash' | 'rebase';

/**
 * A worktree's own git folder: `<worktree>/.git` for the main worktree, the folder its `.git` file
 * names (`<common>/worktrees/<name>`) for a linked one. Read from the files, without running git,
 * so the monitor can ask at every status read. Undefined when neither is there.
 */
export async function gitDirOf(worktreePath: string): Promise<string | undefined> {
  const dotGit = join(worktreePath, '.git');
  try {
    if ((await stat(dotGit)).isDirectory()) return dotGit;
    const m = /^gitdir:\s*(.+?)\s*$/m.exec(await readFile(dotGit, 'utf8'));
    if (!m?.[1]) return undefined;
    return isAbsolute(m[1]) ? m[1] : resolve(worktreePath, m[1]);
  } catch {
    return undefined;
  }
}

const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

/**
 * The operation under way in the worktree whose git folder is `gitDir`, as git's own files tell:
 * a rebase keeps `rebase-merge/` (or `rebase-apply/`, but not for `git am`), a merge `MERGE_HEAD`,
 * a squash merge only `SQUASH_MSG` (it makes no MERGE_HEAD). These are the files `git status`
 * reads to say "You are currently rebasing" or "All conflicts fixed but you are still merging".
 */
export async function operationIn(gitDir: string | undefined): Promise<GitOperation | undefined> {
  if (!gitDir) return undefined;
  const [rebaseMerge, rebaseApply, applying, mergeHead, squash] = await Promise.all([
    exists(join(gitDir, 'rebase-merge')),
    exists(join(gitDir, 'rebase-apply')),
    exists(join(gitDir, 'rebase-apply', 'applying')),
    exists(join(gitDir, 'MERGE_HEAD')),
    exists(join(gitDir, 'SQUASH_MSG')),
  ]);
  if (rebaseMerge || (rebaseApply && !applying)) return 'rebase';
  if (mergeHead) return 'merge';
  if (squash) return 'squash';
  return undefined;
}

/** The operation under way in the worktree at `worktreePath`, if any. */
export async function operationOf(worktreePath: string): Promise<GitOperation | undefined> {
  return operationIn(await gitDirOf(worktreePath));
}

/** Whether a file's text still holds git's conflict markers (a line starting "<<<<<<< " … ">>>>>>> "). */
export function hasConflictMarkers(text: string): boolean {
  return /^<{7}(?: |$)/m.test(text) && /^>{7}(?: |$)/m.test(text);
}
