/**
 * The pure half of a worktree's changes: parsing what `git diff --raw --numstat -z` says, counting
 * the lines of untracked files, and finding the files two worktrees both changed. No git runs here.
 */

/** Git's status letter of a changed file: added, modified, deleted, renamed, copied, type changed. */
export type ChangeStatus = 'A' | 'M' | 'D' | 'R' | 'C' | 'T';

/** One file that differs between a worktree's merge-base with its base and its working folder. */
export interface ChangedFile {
  /** Relative to the worktree, with "/" (for a deleted file: where it was). */
  path: string;
  /** Renamed or copied: where it came from (its content at the merge-base is there). */
  oldPath?: string;
  status: ChangeStatus;
  /** Not known to git yet (counted as added). */
  untracked?: true;
  /** Lines added and removed; absent for a binary file (or an untracked one too large to read). */
  insertions?: number;
  deletions?: number;
  binary?: true;
  /**
   * The blob git has for the file as the worktree has it, when git knows it without reading the
   * working file (committed, or staged and not changed since); absent otherwise. Two worktrees
   * whose file has the same blob made the same change.
   */
  blob?: string;
}

const ZERO_SHA = /^0+$/;

/**
 * Parses `git diff --raw --numstat -z -M --no-abbrev <rev>`: the raw records come first
 * (`:mode mode sha sha X\0path\0`, or with two paths for R and C), then the numstat ones
 * (`added\tdeleted\tpath\0`, or `added\tdeleted\t\0old\0new\0` for R and C; `-\t-` when binary).
 * Paths are as git wrote them: with `-z`, never quoted.
 */
export function parseDiffRawNumstat(output: string): ChangedFile[] {
  const tokens = output.split('\0');
  const files: ChangedFile[] = [];
  const byPath = new Map<string, ChangedFile>();
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i++]!;
    if (token === '') continue;
    if (token.startsWith(':')) {
      const fields = token.slice(1).split(' ');
      const letter = (fields[4] ?? 'M')[0] as ChangeStatus;
      const newSha = fields[3] ?? '';
      let file: ChangedFile;
      if (letter === 'R' || letter === 'C') {
        const oldPath = tokens[i++] ?? '';
        file = { path: tokens[i++] ?? '', oldPath, status: letter };
      } else {
        file = { path: tokens[i++] ?? '', status: normalLetter(letter) };
      }
      if (newSha && !ZERO_SHA.test(newSha)) file.blob = newSha;
      files.push(file);
      byPath.set(file.path, file);
      continue;
    }
    // A numstat record.
    const [added = '', deleted = '', path = ''] = token.split('\t');
    const target = path === '' ? (i++, tokens[i++] ?? '') : path;
    const file = byPath.get(target);
    if (!file) continue;
    if (added === '-' || deleted === '-') file.binary = true;
    else {
      file.insertions = Number(added) || 0;
      file.deletions = Number(deleted) || 0;
    }
  }
  return files;
}

/** Letters git may print that the list shows as one of its own (unmerged and unknown read as modified). */
function normalLetter(letter: string): ChangeStatus {
  return letter === 'A' || letter === 'D' || letter === 'T' || letter === 'M' ? letter : 'M';
}

/** Files larger than this are not read to count their lines (shown without counts). */
export const MAX_COUNTED_BYTES = 4 * 1024 * 1024;

/** Lines of a file's content as git counts them for an added file (a last line without "\n" counts); undefined for binary. */
export function countLines(content: Buffer): number | undefined {
  // Git's rule: a NUL in the first 8000 bytes makes it binary.
  if (content.subarray(0, 8000).includes(0)) return undefined;
  if (content.length === 0) return 0;
  let lines = 0;
  let at = content.indexOf(10);
  while (at >= 0) {
    lines++;
    at = content.indexOf(10, at + 1);
  }
  return content[content.length - 1] === 10 ? lines : lines + 1;
}

/** Totals of a list: lines added and removed (binary files count no lines). */
export function totals(files: readonly ChangedFile[]): { insertions: number; deletions: number } {
  let insertions = 0;
  let deletions = 0;
  for (const f of files) {
    insertions += f.insertions ?? 0;
    deletions += f.deletions ?? 0;
  }
  return { insertions, deletions };
}

/** Two worktrees that changed the same files. */
export interface Collision {
  /** The two worktrees, in the order they were given. */
  worktreeIds: [string, string];
  /** The files both changed (by path; a renamed file also by where it came from), sorted. */
  files: string[];
}

/**
 * The files each pair of worktrees both changed. A file both changed the same way (the same blob,
 * e.g. both hold one commit) is no collision. Linear in the files listed: each path is looked up
 * once per worktree that changed it.
 */
export function findCollisions(lists: readonly { worktreeId: string; files: readonly ChangedFile[] }[]): Collision[] {
  /** Path → the worktrees that changed it, with their blob for it. */
  const touched = new Map<string, { index: number; blob: string | undefined }[]>();
  lists.forEach(({ files }, index) => {
    for (const f of files) {
      for (const p of f.oldPath && f.oldPath !== f.path ? [f.path, f.oldPath] : [f.path]) {
        const list = touched.get(p);
        const entry = { index, blob: f.status === 'D' && p === f.path ? '-' : f.blob };
        if (!list) touched.set(p, [entry]);
        else if (list[list.length - 1]!.index !== index) list.push(entry);
      }
    }
  });
  const pairs = new Map<string, string[]>();
  for (const [path, by] of touched) {
    if (by.length < 2) continue;
    for (let a = 0; a < by.length; a++) {
      for (let b = a + 1; b < by.length; b++) {
        const x = by[a]!;
        const y = by[b]!;
        if (x.blob !== undefined && x.blob === y.blob) continue;
        const key = `${x.index}:${y.index}`;
        const files = pairs.get(key);
        if (files) files.push(path);
        else pairs.set(key, [path]);
      }
    }
  }
  return [...pairs].map(([key, files]) => {
    const [a, b] = key.split(':').map(Number) as [number, number];
    return { worktreeIds: [lists[a]!.worktreeId, lists[b]!.worktreeId], files: files.sort() };
  });
}
