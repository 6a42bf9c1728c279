import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffLines, type LineDiff, splitLines } from '../../src/services/diff/lineDiff';

/** The new text, from the old one and the hunks alone: what a reader of the diff would rebuild. */
function apply(before: string, diff: LineDiff): string {
  const old = splitLines(before);
  const out: string[] = [];
  let at = 0;
  let eol = old.eol;
  for (const hunk of diff.hunks) {
    const start = hunk.oldLines ? hunk.oldStart - 1 : hunk.oldStart;
    assert.ok(start >= at, 'hunks in order, not overlapping');
    out.push(...old.lines.slice(at, start));
    at = start;
    for (const line of hunk.lines) {
      if (line.kind !== '+') {
        assert.equal(old.lines[at], line.text, `old line ${at + 1} is what the hunk says`);
        at++;
      }
      if (line.kind !== '-') {
        out.push(line.text);
        eol = !line.noEol;
      }
    }
  }
  out.push(...old.lines.slice(at));
  if (at < old.lines.length) eol = old.eol;
  return out.length ? out.join('\n') + (eol ? '\n' : '') : '';
}

/** `diff -u`'s body: the hunks' headers and marked lines. */
function unified(diff: LineDiff): string[] {
  return diff.hunks.flatMap((h) => [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines.map((l) => `${l.kind}${l.text}${l.noEol ? ' ⏎̸' : ''}`)]);
}

/** The fewest lines removed and added to turn `a` into `b` (from their longest common subsequence). */
function fewestChanges(a: readonly string[], b: readonly string[]): number {
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  return a.length + b.length - 2 * lcs[0]![0]!;
}

/** A text's lines, a last one without newline told apart. */
function keyed(text: string): string[] {
  const { lines, eol } = splitLines(text);
  return lines.map((l, i) => (!eol && i === lines.length - 1 ? `${l} (no newline)` : l));
}

const lines = (n: number, name = 'line') => Array.from({ length: n }, (_, i) => `${name} ${i + 1}\n`).join('');

describe('diffLines', () => {
  it('shows an insertion and a deletion in the middle with three lines of context', () => {
    const before = lines(10);
    const after = before.replace('line 5\n', 'line 5\nnew A\nnew B\n').replace('line 9\n', '');
    const diff = diffLines(before, after);
    assert.deepEqual(unified(diff), ['@@ -3,8 +3,9 @@', ' line 3', ' line 4', ' line 5', '+new A', '+new B', ' line 6', ' line 7', ' line 8', '-line 9', ' line 10']);
    assert.deepEqual([diff.added, diff.removed], [2, 1]);
    assert.equal(apply(before, diff), after);
  });

  it('keeps changes far apart in separate hunks', () => {
    const before = lines(30);
    const after = before.replace('line 3\n', 'LINE 3\n').replace('line 25\n', 'LINE 25\n');
    const diff = diffLines(before, after);
    assert.deepEqual(
      diff.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines]),
      [
        [1, 6, 1, 6],
        [22, 7, 22, 7],
      ],
    );
    assert.deepEqual(unified(diff).slice(0, 8), ['@@ -1,6 +1,6 @@', ' line 1', ' line 2', '-line 3', '+LINE 3', ' line 4', ' line 5', ' line 6']);
    assert.equal(apply(before, diff), after);
  });

  it('joins changes at most six unchanged lines apart into one hunk, as diff -u does', () => {
    const before = lines(20);
    const six = diffLines(before, before.replace('line 5\n', 'LINE 5\n').replace('line 12\n', 'LINE 12\n'));
    assert.deepEqual(six.hunks.map((h) => [h.oldStart, h.oldLines]), [[2, 14]]);
    const seven = diffLines(before, before.replace('line 5\n', 'LINE 5\n').replace('line 13\n', 'LINE 13\n'));
    assert.deepEqual(seven.hunks.map((h) => [h.oldStart, h.oldLines]), [[2, 7], [10, 7]]);
  });

  it('changes at the start and at the end of the file', () => {
    const before = 'a\nb\nc\nd\n';
    const start = diffLines(before, 'A\nb\nc\nd\n');
    assert.deepEqual(unified(start), ['@@ -1,4 +1,4 @@', '-a', '+A', ' b', ' c', ' d']);
    const end = diffLines(before, 'a\nb\nc\nd\ne\n');
    assert.deepEqual(unified(end), ['@@ -2,3 +2,4 @@', ' b', ' c', ' d', '+e']);
    const prepend = diffLines(before, 'z\na\nb\nc\nd\n');
    assert.deepEqual(unified(prepend), ['@@ -1,3 +1,4 @@', '+z', ' a', ' b', ' c']);
  });

  it('an empty file against a whole one: all added, or all removed; two empty files: no hunk', () => {
    const created = diffLines('', 'one\ntwo\n');
    assert.deepEqual(unified(created), ['@@ -0,0 +1,2 @@', '+one', '+two']);
    assert.deepEqual([created.added, created.removed], [2, 0]);
    const emptied = diffLines('one\ntwo\n', '');
    assert.deepEqual(unified(emptied), ['@@ -1,2 +0,0 @@', '-one', '-two']);
    assert.equal(apply('one\ntwo\n', emptied), '');
    assert.deepEqual(diffLines('', ''), { hunks: [], added: 0, removed: 0 });
    assert.deepEqual(diffLines('same\n', 'same\n'), { hunks: [], added: 0, removed: 0 });
  });

  it('a last line without a newline differs from the same line with one, and is marked', () => {
    const added = diffLines('a\nb', 'a\nb\n');
    assert.deepEqual(unified(added), ['@@ -1,2 +1,2 @@', ' a', '-b ⏎̸', '+b']);
    assert.equal(apply('a\nb', added), 'a\nb\n');
    const kept = diffLines('a\nb', 'A\nb');
    assert.deepEqual(unified(kept), ['@@ -1,2 +1,2 @@', '-a', '+A', ' b ⏎̸']);
    assert.equal(apply('a\nb', kept), 'A\nb');
    assert.equal(apply('x\n', diffLines('x\n', 'x\ny')), 'x\ny');
  });

  it('finds the few changes in a 5,000-line file, as hunks of their own', () => {
    const before = lines(5000);
    const after = before
      .replace('line 10\n', 'line ten\n')
      .replace('line 2500\n', '')
      .replace('line 4000\n', 'line 4000\ninserted\n')
      .replace('line 5000\n', 'line 5000\nlast\n');
    const diff = diffLines(before, after);
    assert.deepEqual(
      diff.hunks.map((h) => h.lines.filter((l) => l.kind !== ' ').map((l) => `${l.kind}${l.text}`)),
      [['-line 10', '+line ten'], ['-line 2500'], ['+inserted'], ['+last']],
    );
    assert.deepEqual([diff.added, diff.removed], [3, 2]);
    assert.equal(apply(before, diff), after);
  });

  it('a file rewritten whole (more differences than the search follows) is still a correct diff', () => {
    const before = lines(3000, 'old');
    const after = lines(3000, 'new');
    const diff = diffLines(before, after);
    assert.deepEqual([diff.added, diff.removed], [3000, 3000]);
    assert.equal(apply(before, diff), after);
  });

  it('random edits: the hunks always rebuild the new text, with the fewest changes', () => {
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let round = 0; round < 200; round++) {
      const old = Array.from({ length: random(30) }, () => `l${random(6)}`);
      const next = [...old];
      for (let e = random(6); e > 0; e--) {
        if (random(2) && next.length) next.splice(random(next.length), 1);
        else next.splice(random(next.length + 1), 0, `n${random(6)}`);
      }
      const before = old.map((l) => `${l}\n`).join('');
      const after = next.join('\n') + (random(2) ? '\n' : '');
      const diff = diffLines(before, after, random(4));
      assert.equal(apply(before, diff), after, `round ${round}: ${JSON.stringify([before, after])}`);
      assert.equal(diff.added + diff.removed, fewestChanges(keyed(before), keyed(after)), `round ${round}: the shortest diff`);
    }
  });
});
