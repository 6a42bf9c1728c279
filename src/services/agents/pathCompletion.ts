/**
 * Ranks a worktree's file paths for an `@` completion: what the user typed after the `@`, matched
 * case-insensitively. Best first: the file name starting with it, then the file name holding it,
 * then the path holding it, then its letters in order anywhere in the path (as the Quick Open
 * does); shorter paths first within a rank, then by name. An empty query lists the shallowest paths.
 */
export function rankPaths(paths: readonly string[], query: string, limit = 50): string[] {
  const q = query.trim().toLowerCase();
  const scored: { path: string; rank: number }[] = [];
  for (const path of paths) {
    const lower = path.toLowerCase();
    const name = lower.slice(lower.lastIndexOf('/') + 1);
    let rank: number;
    if (!q) rank = 0;
    else if (name.startsWith(q)) rank = 0;
    else if (name.includes(q)) rank = 1;
    else if (lower.includes(q)) rank = 2;
    else if (inOrder(lower, q)) rank = 3;
    else continue;
    scored.push({ path, rank });
  }
  scored.sort((a, b) => a.rank - b.rank || depth(a.path) - depth(b.path) || a.path.length - b.path.length || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return scored.slice(0, limit).map((s) => s.path);
}

function depth(path: string): number {
  let n = 0;
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) n++;
  return n;
}

function inOrder(text: string, letters: string): boolean {
  let at = 0;
  for (const c of letters) {
    at = text.indexOf(c, at);
    if (at < 0) return false;
    at++;
  }
  return true;
}
