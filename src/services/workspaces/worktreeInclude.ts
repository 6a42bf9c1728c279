import { constants } from 'node:fs';
import { copyFile, lstat, mkdir, readFile, realpath } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import type { GitService } from '../git/gitService';
import type { Logger } from '../logger';

/** The file, at the repository's root, that lists the ignored files a new worktree gets copies of. */
export const WORKTREE_INCLUDE = '.worktreeinclude';

/** What copying the files `.worktreeinclude` lists did. */
export interface IncludeReport {
  /** Copied, relative to the worktree's root. */
  copied: string[];
  /** Listed and ignored, but not copied, with why. */
  skipped: { path: string; reason: string }[];
}

/**
 * Copies into a new worktree the files of `source` (the repository's main worktree) that its
 * `.worktreeinclude` lists (gitignore syntax) and that git ignores, as the Claude Code CLI does for
 * the worktrees it makes: so a worktree made here and one made by `claude --worktree` look alike.
 * A tracked file is never copied (git lists only untracked files here); a symbolic link is not
 * followed, in the source or on the way to the destination; nothing is written outside the new
 * worktree, and no file there is overwritten. Each file not copied is reported with the reason.
 * Without a `.worktreeinclude` it does nothing.
 */
export async function copyWorktreeIncludes(git: GitService, source: string, target: string): Promise<IncludeReport> {
  const report: IncludeReport = { copied: [], skipped: [] };
  const listFile = join(source, WORKTREE_INCLUDE);
  const listed = await lstat(listFile).catch(() => undefined);
  if (!listed) return report;
  if (!listed.isFile()) {
    report.skipped.push({ path: WORKTREE_INCLUDE, reason: 'it is not a regular file (a symbolic link is not followed)' });
    return report;
  }
  // The untracked files its patterns match; and what git itself ignores (an ignored folder as one
  // entry, "dist/"): a file is copied when it is in both.
  const [matching, ignored] = await Promise.all([
    git.run(source, ['ls-files', '-z', '--others', '--ignored', `--exclude-from=${listFile}`], `Reading ${WORKTREE_INCLUDE}`).then(split),
    git.run(source, ['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory'], 'Listing the files git ignores').then(split),
  ]);
  const ignoredFiles = new Set(ignored.filter((p) => !p.endsWith('/')));
  const ignoredFolders = ignored.filter((p) => p.endsWith('/'));
  const isIgnored = (path: string) => ignoredFiles.has(path) || ignoredFolders.some((folder) => path.startsWith(folder));
  // A pattern reaching out of the repository matches nothing there; it is said so.
  for (const line of (await readFile(listFile, 'utf8')).split(/\r?\n/)) {
    const pattern = line.trim();
    if (pattern && !pattern.startsWith('#') && pattern.replace(/^!/, '').split(/[\\/]/).includes('..')) report.skipped.push({ path: pattern, reason: 'a pattern with ".." would reach outside the worktree' });
  }
  const root = await realpath(target);
  for (const path of matching) {
    if (!isIgnored(path)) continue;
    const reason = await copyOne(source, root, path);
    if (reason) report.skipped.push({ path, reason });
    else report.copied.push(path);
  }
  return report;
}

function split(out: string): string[] {
  return out.split('\0').filter(Boolean);
}

/** Copies one listed file; the reason it was not copied, or undefined. */
async function copyOne(source: string, root: string, path: string): Promise<string | undefined> {
  const relative = normalize(path);
  const parts = relative.split(sep);
  if (isAbsolute(relative) || parts.includes('..')) return 'its path leads outside the worktree';
  const from = join(source, relative);
  const info = await lstat(from).catch(() => undefined);
  if (!info) return 'it is gone from the repository';
  if (info.isSymbolicLink()) return 'it is a symbolic link (not followed)';
  if (!info.isFile()) return 'it is not a regular file';
  // The folders on the way: each one there must be a real folder (a link could lead out).
  for (let i = 1; i < parts.length; i++) {
    const folder = join(root, ...parts.slice(0, i));
    const there = await lstat(folder).catch(() => undefined);
    if (!there) {
      await mkdir(folder);
      continue;
    }
    const shown = parts.slice(0, i).join('/');
    if (there.isSymbolicLink()) return `${shown} in the worktree is a symbolic link (not followed)`;
    if (!there.isDirectory()) return `${shown} in the worktree is not a folder`;
  }
  try {
    await copyFile(from, join(root, relative), constants.COPYFILE_EXCL);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'EEXIST' ? 'the worktree has a file there already' : `it could not be copied (${(error as Error).message})`;
  }
  return undefined;
}

/** `copyWorktreeIncludes` for a worktree just made: what it did goes to the log; a failure does not undo the worktree. */
export async function includeIgnoredFiles(git: GitService, source: string, target: string, logger: Logger): Promise<IncludeReport | undefined> {
  try {
    const report = await copyWorktreeIncludes(git, source, target);
    if (report.copied.length) logger.info(`Copied ${report.copied.length} file${report.copied.length === 1 ? '' : 's'} listed in ${WORKTREE_INCLUDE} into ${target}: ${report.copied.join(', ')}`);
    for (const s of report.skipped) logger.warn(`${WORKTREE_INCLUDE}: ${s.path} was not copied into ${target}: ${s.reason}.`);
    return report;
  } catch (error) {
    logger.warn(`${WORKTREE_INCLUDE}: the files it lists were not copied into ${target}: ${(error as Error).message}`);
    return undefined;
  }
}
