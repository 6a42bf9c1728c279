import { constants } from 'node:fs';
import { lstat, open, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ClaudeManagerError } from '../errors';

/**
 * Files of an agent's worktree, read safely: only inside the worktree (symbolic links resolved,
 * a link swapped in while reading refused), never a pipe, never more than a cap. Kept free of
 * heavier modules: the chat's host reads proposed changes through it at once.
 */

/** Files larger than this are not kept (the diff names why). */
export const MAX_SNAPSHOT_BYTES = 2 * 1024 * 1024;

/** One side of a file change: its text, or that there was no file, or why it was not kept. */
export type SnapshotSide =
  | { state: 'file'; content: string; at: string }
  | { state: 'absent'; at: string }
  | { state: 'unavailable'; reason: string; at: string };

/** The file a file tool works on, from its input (`file_path`, or a notebook's `notebook_path`). */
export function toolFilePath(input: Record<string, unknown> | undefined, cwd: string): string | undefined {
  const path = input?.file_path ?? input?.notebook_path;
  if (typeof path !== 'string' || !path.trim()) return undefined;
  return isAbsolute(path) ? path : resolve(cwd, path);
}

/** Whether `path` is `root` or below it (both real paths). */
function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * The real path of `path` (symbolic links resolved), refused unless it lies inside `root`. A file
 * that does not exist yet (a Write that creates it) is placed by its nearest existing folder.
 * `outcome` ends the refusals' messages: what the caller does not do with the file.
 */
export async function realPathWithin(root: string, path: string, outcome = 'no copy of it is kept'): Promise<string> {
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch (error) {
    throw new ClaudeManagerError('NOT_FOUND', `The agent's worktree ${root} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): ${path} is not read, ${outcome}.`);
  }
  let real: string | undefined;
  const missing: string[] = [];
  for (let at = path; real === undefined; at = dirname(at)) {
    try {
      real = join(await realpath(at), ...missing);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(at) === at) {
        throw new ClaudeManagerError('INVALID_INPUT', `${path} cannot be resolved (${code ?? (error as Error).message}): ${outcome}.`);
      }
      const name = basename(at);
      // Below a folder that does not exist, ".." would be resolved by name, not by the file system.
      if (name === '..' || name === '.') throw new ClaudeManagerError('INVALID_INPUT', `${path} cannot be resolved: ${outcome}.`);
      missing.unshift(name);
    }
  }
  if (!within(realRoot, real)) {
    throw new ClaudeManagerError('INVALID_INPUT', `${path} is outside the agent's worktree ${realRoot}${real !== resolve(path) ? ` (it leads to ${real})` : ''}: ${outcome}.`);
  }
  return real;
}

/**
 * The file at `path` as it is now: its text, "absent", or "unavailable" with why (not a file,
 * larger than `maxBytes`, binary). Refused (INVALID_INPUT, ending with `outcome`) when it is not
 * inside `root`, symbolic links resolved, also when a link is swapped in while it is opened.
 */
export async function readSide(root: string, path: string, options: { maxBytes?: number; outcome?: string } = {}): Promise<SnapshotSide> {
  const maxBytes = options.maxBytes ?? MAX_SNAPSHOT_BYTES;
  const at = new Date().toISOString();
  const real = await realPathWithin(root, path, options.outcome);
  // Looked at before it is opened: opening a named pipe would wait for a writer, and the CLI
  // waits for this read.
  try {
    if (!(await lstat(real)).isFile()) return { state: 'unavailable', reason: 'it is not a file', at };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: 'absent', at };
    return { state: 'unavailable', reason: `it could not be read (${code ?? (error as Error).message})`, at };
  }
  let handle;
  try {
    handle = await open(real, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: 'absent', at };
    return { state: 'unavailable', reason: `it could not be read (${code ?? (error as Error).message})`, at };
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) return { state: 'unavailable', reason: 'it is not a file', at };
    // A folder of the path swapped for a link between the check and the open would have opened
    // another file: what was opened must still be what the path, resolved again, names.
    const again = await realPathWithin(root, path, options.outcome);
    const named = await stat(again).catch(() => undefined);
    if (!named || named.ino !== opened.ino || named.dev !== opened.dev) {
      throw new ClaudeManagerError('INVALID_INPUT', `${path} changed while it was read (a link was swapped?): ${options.outcome ?? 'no copy of it is kept'}.`);
    }
    if (opened.size > maxBytes) return { state: 'unavailable', reason: `it is larger than ${+(maxBytes / 1024 / 1024).toFixed(2)} MB`, at };
    const bytes = await handle.readFile();
    if (bytes.includes(0)) return { state: 'unavailable', reason: 'it is binary', at };
    return { state: 'file', content: bytes.toString('utf8'), at };
  } finally {
    await handle.close();
  }
}
