/**
 * Parsers of git's machine-readable output. Every command is run with `-z` where git offers it,
 * so paths holding spaces, quotes or newlines come through as they are.
 */

/** One entry of `git worktree list --porcelain -z`. */
export interface GitWorktree {
  path: string;
  /** The commit checked out; empty in a repository without commits. */
  head: string;
  /** Short branch name; null when HEAD is detached (or the entry is the bare repository). */
  branch: string | null;
  detached: boolean;
  bare: boolean;
  /** Why it is locked (may be empty), or undefined when it is not. */
  locked: string | undefined;
  /** Why git considers it prunable (its folder is gone), or undefined. */
  prunable: string | undefined;
  /** The first entry: the main worktree. */
  isMain: boolean;
}

const HEADS = 'refs/heads/';

/** Parses `git worktree list --porcelain -z`: attributes end with NUL, entries with an empty one. */
export function parseWorktreeList(output: string): GitWorktree[] {
  const worktrees: GitWorktree[] = [];
  let current: GitWorktree | undefined;
  for (const field of output.split('\0')) {
    if (field === '') {
      current = undefined;
      continue;
    }
    const space = field.indexOf(' ');
    const key = space < 0 ? field : field.slice(0, space);
    const value = space < 0 ? '' : field.slice(space + 1);
    if (key === 'worktree') {
      current = { path: value, head: '', branch: null, detached: false, bare: false, locked: undefined, prunable: undefined, isMain: worktrees.length === 0 };
      worktrees.push(current);
      continue;
    }
    if (!current) continue;
    switch (key) {
      case 'HEAD':
        // An unborn branch (no commit yet) shows as all zeros.
        current.head = /^0+$/.test(value) ? '' : value;
        break;
      case 'branch':
        current.branch = value.startsWith(HEADS) ? value.slice(HEADS.length) : value;
        break;
      case 'detached':
        current.detached = true;
        break;
      case 'bare':
        current.bare = true;
        break;
      case 'locked':
        current.locked = value;
        break;
      case 'prunable':
        current.prunable = value;
        break;
      // Attributes of newer gits are ignored.
    }
  }
  return worktrees;
}

/** What `git status` says of one worktree (the API's GitStatus). */
export interface GitStatus {
  /** The branch checked out, or null when HEAD is detached. */
  branch: string | null;
  /** The commit checked out; empty before the first commit. */
  head: string;
  upstream?: string;
  ahead: number;
  behind: number;
  staged: string[];
  modified: string[];
  untracked: string[];
  conflicted: string[];
  isClean: boolean;
}

/** Splits off the first `count` space-separated fields of `entry`; the rest is the path. */
function fieldsAndPath(entry: string, count: number): { fields: string[]; path: string } {
  const fields: string[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const space = entry.indexOf(' ', at);
    if (space < 0) return { fields, path: '' };
    fields.push(entry.slice(at, space));
    at = space + 1;
  }
  return { fields, path: entry.slice(at) };
}

/** Parses `git status --porcelain=v2 --branch -z`. */
export function parseStatus(output: string): GitStatus {
  const status: GitStatus = { branch: null, head: '', ahead: 0, behind: 0, staged: [], modified: [], untracked: [], conflicted: [], isClean: true };
  const entries = output.split('\0');
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (entry === '') continue;
    switch (entry[0]) {
      case '#': {
        const [, key, ...rest] = entry.split(' ');
        const value = rest.join(' ');
        if (key === 'branch.oid') status.head = value === '(initial)' ? '' : value;
        else if (key === 'branch.head') status.branch = value === '(detached)' ? null : value;
        else if (key === 'branch.upstream') status.upstream = value;
        else if (key === 'branch.ab') {
          const m = /^\+(\d+) -(\d+)$/.exec(value);
          if (m) {
            status.ahead = Number(m[1]);
            status.behind = Number(m[2]);
          }
        }
        break;
      }
      case '1':
      case '2': {
        // "1 XY sub mH mI mW hH hI path"; "2 … Xscore path", then the original path as the next entry.
        const { fields, path } = fieldsAndPath(entry, entry[0] === '1' ? 8 : 9);
        const xy = fields[1] ?? '..';
        if (xy[0] !== '.') status.staged.push(path);
        if (xy[1] !== '.') status.modified.push(path);
        if (entry[0] === '2') i++;
        break;
      }
      case 'u':
        status.conflicted.push(fieldsAndPath(entry, 10).path);
        break;
      case '?':
        status.untracked.push(entry.slice(2));
        break;
      // '!' (ignored) is not asked for.
    }
  }
  status.isClean = status.staged.length + status.modified.length + status.untracked.length + status.conflicted.length === 0;
  return status;
}

/** The API's Branches. */
export interface GitBranches {
  current: string | null;
  local: string[];
  /** As "remote/name"; the remotes' symbolic HEADs left out. */
  remote: string[];
}

/** Parses `git for-each-ref --format=%(refname) refs/heads refs/remotes` (one per line). */
export function parseBranches(output: string, current: string | null): GitBranches {
  const local: string[] = [];
  const remote: string[] = [];
  for (const ref of output.split('\n')) {
    if (ref.startsWith(HEADS)) local.push(ref.slice(HEADS.length));
    else if (ref.startsWith('refs/remotes/') && !ref.endsWith('/HEAD')) remote.push(ref.slice('refs/remotes/'.length));
  }
  return { current, local, remote };
}
