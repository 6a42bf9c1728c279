import { readdir, readFile } from 'node:fs/promises';
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
  // Read first: a linked worktree's `.git` is a file (one call); the main worktree's is a folder.
  let text: string;
  try {
    text = await readFile(dotGit, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EISDIR' ? dotGit : undefined;
  }
  const m = /^gitdir:\s*(.+?)\s*$/m.exec(text);
  if (!m?.[1]) return undefined;
  return isAbsolute(m[1]) ? m[1] : resolve(worktreePath, m[1]);
}

const listing = (folder: string): Promise<string[] | undefined> => readdir(folder).catch(() => undefined);

/**
 * The operation under way in the worktree whose git folder is `gitDir`, as git's own files tell:
 * a rebase keeps `rebase-merge/` (or `rebase-apply/`, but not for `git am`), a merge `MERGE_HEAD`,
 * a squash merge only `SQUASH_MSG` (it makes no MERGE_HEAD). These are the files `git status`
 * reads to say "You are currently rebasing" or "All conflicts fixed but you are still merging".
 * One listing of the folder (the monitor asks at every status read of every worktree).
 */
export async function operationIn(gitDir: string | undefined): Promise<GitOperation | undefined> {
  const names = gitDir ? await listing(gitDir) : undefined;
  if (!gitDir || !names) return undefined;
  if (names.includes('rebase-merge')) return 'rebase';
  if (names.includes('rebase-apply') && !(await listing(join(gitDir, 'rebase-apply')))?.includes('applying')) return 'rebase';
  if (names.includes('MERGE_HEAD')) return 'merge';
  if (names.includes('SQUASH_MSG')) return 'squash';
  return undefined;
}

/** The operation under way in the worktree at `worktreePath`, if any (two reads of the file system, no git). */
export async function operationOf(worktreePath: string): Promise<GitOperation | undefined> {
  return operationIn(await gitDirOf(worktreePath));
}

/** Whether a file's text still holds git's conflict markers (a line starting "<<<<<<< " … ">>>>>>> "). */
export function hasConflictMarkers(text: string): boolean {
  return /^<{7}(?: |$)/m.test(text) && /^>{7}(?: |$)/m.test(text);
}
