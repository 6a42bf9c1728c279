/**
 * A line diff of two texts (Myers' O((N+M)·D) algorithm over lines), grouped into hunks with
 * lines of context around each change, as `diff -u` shows them. Lines are compared whole; a last
 * line without a newline differs from the same text with one.
 */

/** ' ' a line both texts have, '-' one only the old text has, '+' one only the new text has. */
export type DiffLineKind = ' ' | '+' | '-';

export interface DiffLine {
  kind: DiffLineKind;
  /** The line without its newline. */
  text: string;
  /** The last line of its text, with no newline after it. */
  noEol?: true;
}

/** A run of changes with their context; starts are 1-based line numbers (for an empty side, the line before). */
export interface Hunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: DiffLine[];
}

export interface LineDiff {
  hunks: Hunk[];
  /** Lines only the new text has. */
  added: number;
  /** Lines only the old text has. */
  removed: number;
}

/**
 * Past this many differences the search stops and the rest of the texts (between their common
 * start and end) is shown as removed then added: still a correct diff, only not the shortest.
 * It bounds the memory of the search, which keeps (D+1)² numbers, to about 16 MB.
 */
const MAX_EDIT_DISTANCE = 2000;

/** The lines of a text, and whether its last line ends with a newline ("" has no lines). */
export function splitLines(text: string): { lines: string[]; eol: boolean } {
  if (text === '') return { lines: [], eol: true };
  const lines = text.split('\n');
  const eol = text.endsWith('\n');
  if (eol) lines.pop();
  return { lines, eol };
}

type Op = { kind: DiffLineKind; oldIndex: number; newIndex: number };

/** Numbers for the lines of both texts, equal lines equal numbers; a last line without newline is its own. */
function intern(a: ReturnType<typeof splitLines>, b: ReturnType<typeof splitLines>): [Int32Array, Int32Array] {
  const ids = new Map<string, number>();
  const number = (side: ReturnType<typeof splitLines>) => {
    const out = new Int32Array(side.lines.length);
    side.lines.forEach((line, i) => {
      // A line never holds '\n', so this key cannot be another line's.
      const key = !side.eol && i === side.lines.length - 1 ? `${line}\n` : line;
      let id = ids.get(key);
      if (id === undefined) ids.set(key, (id = ids.size));
      out[i] = id;
    });
    return out;
  };
  return [number(a), number(b)];
}

/**
 * The shortest edit script from `a` to `b` (indices offset by `from`), or undefined when it has
 * more than `maxD` steps. `trace[d]` keeps V[-d..d] as it was before step d, for the walk back.
 */
function myers(a: Int32Array, b: Int32Array, fromA: number, fromB: number, maxD: number): Op[] | undefined {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const v = new Int32Array(2 * max + 3);
  const off = max + 1;
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= Math.min(max, maxD) && found < 0; d++) {
    trace.push(v.slice(off - d, off + d + 1));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return undefined;
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = found; d >= 0; d--) {
    const row = trace[d]!;
    const at = (k: number) => row[k + d]!;
    const k = x - y;
    let prevX = 0;
    let prevY = 0;
    if (d > 0) {
      const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
      prevX = at(prevK);
      prevY = prevX - prevK;
    }
    while (x > prevX && y > prevY) {
      x--;
      y--;
      ops.push({ kind: ' ', oldIndex: fromA + x, newIndex: fromB + y });
    }
    if (d > 0) {
      if (x === prevX) ops.push({ kind: '+', oldIndex: fromA + x, newIndex: fromB + prevY });
      else ops.push({ kind: '-', oldIndex: fromA + prevX, newIndex: fromB + y });
      x = prevX;
      y = prevY;
    }
  }
  return ops.reverse();
}

/** Every line of both texts in order, each marked kept, removed or added. */
function editScript(a: Int32Array, b: Int32Array): Op[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const ops: Op[] = [];
  for (let i = 0; i < start; i++) ops.push({ kind: ' ', oldIndex: i, newIndex: i });
  const middle = myers(a.subarray(start, endA), b.subarray(start, endB), start, start, MAX_EDIT_DISTANCE);
  if (middle) ops.push(...middle);
  else {
    for (let i = start; i < endA; i++) ops.push({ kind: '-', oldIndex: i, newIndex: start });
    for (let j = start; j < endB; j++) ops.push({ kind: '+', oldIndex: endA, newIndex: j });
  }
  for (let i = 0; endA + i < a.length; i++) ops.push({ kind: ' ', oldIndex: endA + i, newIndex: endB + i });
  return ops;
}

/** The diff of `before` and `after`, its changes in hunks with `context` unchanged lines around each (3 by default). */
export function diffLines(before: string, after: string, context = 3): LineDiff {
  const a = splitLines(before);
  const b = splitLines(after);
  const [ia, ib] = intern(a, b);
  const ops = editScript(ia, ib);
  const line = (op: Op): DiffLine => {
    const side = op.kind === '+' ? b : a;
    const index = op.kind === '+' ? op.newIndex : op.oldIndex;
    const text = side.lines[index]!;
    return !side.eol && index === side.lines.length - 1 ? { kind: op.kind, text, noEol: true } : { kind: op.kind, text };
  };
  const hunks: Hunk[] = [];
  let added = 0;
  let removed = 0;
  let i = 0;
  while (i < ops.length) {
    if (ops[i]!.kind === ' ') {
      i++;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` lines after the last change
    // that is at most 2·context unchanged lines from the one before it.
    const first = Math.max(0, i - context);
    let last = i;
    for (let j = i; j < ops.length; j++) {
      if (ops[j]!.kind === ' ') {
        if (j - last > 2 * context) break;
        continue;
      }
      last = j;
    }
    const end = Math.min(ops.length, last + context + 1);
    const span = ops.slice(first, end);
    const oldLines = span.filter((o) => o.kind !== '+').length;
    const newLines = span.filter((o) => o.kind !== '-').length;
    added += span.filter((o) => o.kind === '+').length;
    removed += span.filter((o) => o.kind === '-').length;
    const start = span[0]!;
    hunks.push({
      oldStart: oldLines ? start.oldIndex + 1 : start.oldIndex,
      oldLines,
      newStart: newLines ? start.newIndex + 1 : start.newIndex,
      newLines,
      lines: span.map(line),
    });
    i = end;
  }
  return { hunks, added, removed };
}
