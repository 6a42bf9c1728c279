// What a file tool would change, worked out from its input and the file as it is now, before the
// user allows it: the card's diff, or why there is none.
import * as assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MAX_PREVIEW_BYTES, previewOf, type ProposedChange, proposeChange, ProposedChanges } from '../../src/services/agents/proposedChange';
import { suiteTempDir } from '../helpers/storage';

/** The diff as `diff -u` marks it, hunk headers left out. */
const marked = (change: ProposedChange | undefined) => {
  assert.ok(change && !('problem' in change), `a diff, not a problem: ${JSON.stringify(change)}`);
  return change.diff.hunks.flatMap((h) => h.lines.map((l) => `${l.kind}${l.text}`));
};
const problemOf = (change: ProposedChange | undefined) => {
  assert.ok(change && 'problem' in change, `a problem, not a diff: ${JSON.stringify(change)}`);
  return change;
};

describe('proposeChange', () => {
  const root = suiteTempDir('cm-proposed-');
  const worktree = () => join(root(), 'wt');
  const file = (name: string, text: string) => {
    mkdirSync(worktree(), { recursive: true });
    const path = join(worktree(), name);
    writeFileSync(path, text);
    return path;
  };

  it('Write of a new file: the whole content added, the path relative to the worktree', async () => {
    mkdirSync(join(worktree(), 'docs'), { recursive: true });
    const change = await proposeChange('Write', { file_path: join(worktree(), 'docs', 'notes.md'), content: '# Notes\n\nfirst\n' }, worktree());
    assert.deepEqual(marked(change), ['+# Notes', '+', '+first']);
    assert.ok(change && !('problem' in change));
    assert.deepEqual([change.path, change.isNew, change.before, change.after], [join('docs', 'notes.md'), true, '', '# Notes\n\nfirst\n']);
    // A relative path is taken from the worktree, as the CLI takes it from its working folder.
    assert.deepEqual(marked(await proposeChange('Write', { file_path: 'rel.txt', content: 'x\n' }, worktree())), ['+x']);
  });

  it('Write over an existing file: the diff of the file now and the content', async () => {
    const path = file('write.txt', 'one\ntwo\nthree\n');
    const change = await proposeChange('Write', { file_path: path, content: 'one\n2\nthree\n' }, worktree());
    assert.deepEqual(marked(change), [' one', '-two', '+2', ' three']);
    assert.equal(change && !('problem' in change) && change.isNew, false);
  });

  it('Edit: the text replaced once; with replace_all every time; "$&" in the new text kept as it is', async () => {
    const path = file('edit.ts', 'let a = 1;\nlet b = 1;\nlet c = 2;\n');
    assert.deepEqual(marked(await proposeChange('Edit', { file_path: path, old_string: 'let c = 2;', new_string: 'let c = "$&";' }, worktree())), [' let a = 1;', ' let b = 1;', '-let c = 2;', '+let c = "$&";']);
    const all = await proposeChange('Edit', { file_path: path, old_string: '= 1', new_string: '= 10', replace_all: true }, worktree());
    assert.deepEqual(marked(all), ['-let a = 1;', '-let b = 1;', '+let a = 10;', '+let b = 10;', ' let c = 2;']);
    assert.equal(all && !('problem' in all) && all.after, 'let a = 10;\nlet b = 10;\nlet c = 2;\n');
  });

  it('Edit whose text is not in the file, or is there twice without replace_all: the edit will fail, said plainly', async () => {
    const path = file('fail.txt', 'same\nsame\n');
    const missing = problemOf(await proposeChange('Edit', { file_path: path, old_string: 'absent', new_string: 'x' }, worktree()));
    assert.deepEqual([missing.problem, missing.fails, missing.path], ['The edit will fail: the text to replace is not in the file.', true, 'fail.txt']);
    const twice = problemOf(await proposeChange('Edit', { file_path: path, old_string: 'same', new_string: 'other' }, worktree()));
    assert.equal(twice.problem, 'The edit will fail: the text to replace is in the file 2 times, and the edit replaces one only (not replace_all).');
    const noFile = problemOf(await proposeChange('Edit', { file_path: join(worktree(), 'nope.txt'), old_string: 'a', new_string: 'b' }, worktree()));
    assert.equal(noFile.problem, 'The edit will fail: the file does not exist.');
    const bad = problemOf(await proposeChange('Edit', { file_path: path, old_string: 'same' }, worktree()));
    assert.equal(bad.problem, 'The Edit will fail: its input has no old_string and new_string.');
  });

  it('Edit of a file with Windows line ends applies "\\n" text and keeps the file\'s ends', async () => {
    const path = file('crlf.txt', 'a\r\nb\r\nc\r\n');
    const change = await proposeChange('Edit', { file_path: path, old_string: 'a\nb', new_string: 'a\nB' }, worktree());
    assert.equal(change && !('problem' in change) && change.after, 'a\r\nB\r\nc\r\n');
  });

  it('MultiEdit: the edits in order, each on what the one before left; a later edit failing names which', async () => {
    const path = file('multi.txt', 'alpha\nbeta\ngamma\n');
    const change = await proposeChange('MultiEdit', { file_path: path, edits: [{ old_string: 'beta', new_string: 'BETA' }, { old_string: 'BETA\ngamma', new_string: 'BETA\nGAMMA' }] }, worktree());
    assert.deepEqual(marked(change), [' alpha', '-beta', '-gamma', '+BETA', '+GAMMA']);
    const failing = problemOf(await proposeChange('MultiEdit', { file_path: path, edits: [{ old_string: 'beta', new_string: 'BETA' }, { old_string: 'beta', new_string: 'b' }] }, worktree()));
    assert.deepEqual([failing.problem, failing.fails], ['The edit will fail: edit 2 of 2: the text to replace is not in the file (after the edits before it).', true]);
  });

  it('refuses a file outside the worktree, also through a link, without reading it', async () => {
    const outside = join(root(), 'outside');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'secret.txt'), 'the secret\n');
    symlinkSync(outside, join(worktree(), 'link'));
    for (const path of [join(outside, 'secret.txt'), join(worktree(), 'link', 'secret.txt'), join(worktree(), '..', 'outside', 'secret.txt')]) {
      const refused = problemOf(await proposeChange('Edit', { file_path: path, old_string: 'the secret', new_string: 'x' }, worktree()));
      assert.match(refused.problem, /is outside the agent's worktree .*: it is not read, so the change is not shown here\.$/, path);
      assert.equal(refused.fails, false);
      assert.ok(!JSON.stringify(refused).includes('the secret\n'));
    }
  });

  it('a file larger than 1 MB, or binary, or a folder: no diff, and why', async () => {
    const big = file('big.log', 'x'.repeat(MAX_PREVIEW_BYTES + 1));
    assert.equal(problemOf(await proposeChange('Edit', { file_path: big, old_string: 'x', new_string: 'y', replace_all: true }, worktree())).problem, 'big.log: it is larger than 1 MB, so the change is not shown here.');
    assert.equal(problemOf(await proposeChange('Write', { file_path: join(worktree(), 'huge.txt'), content: 'y'.repeat(MAX_PREVIEW_BYTES + 1) }, worktree())).problem, 'huge.txt would be larger than 1 MB, so the change is not shown here.');
    const binary = file('blob.bin', 'a\0b');
    assert.equal(problemOf(await proposeChange('Write', { file_path: binary, content: 'text' }, worktree())).problem, 'blob.bin: it is binary, so the change is not shown here.');
    mkdirSync(join(worktree(), 'folder'), { recursive: true });
    assert.equal(problemOf(await proposeChange('Write', { file_path: join(worktree(), 'folder'), content: 'text' }, worktree())).problem, 'folder: it is not a file, so the change is not shown here.');
  });

  it('other tools have no change to show', async () => {
    assert.equal(await proposeChange('Bash', { command: 'ls' }, worktree()), undefined);
    assert.equal(await proposeChange('NotebookEdit', { notebook_path: 'a.ipynb', new_source: 'x' }, worktree()), undefined);
  });

  it('a card shows the first 200 lines of the diff and counts the rest; long lines cut', async () => {
    const change = await proposeChange('Write', { file_path: join(worktree(), 'long.txt'), content: `${'z'.repeat(5000)}\n${Array.from({ length: 299 }, (_, i) => `l${i}\n`).join('')}` }, worktree());
    const preview = previewOf(change!);
    assert.ok('hunks' in preview);
    assert.equal(preview.hunks.flatMap((h) => h.lines).length, 200);
    assert.equal(preview.more, 100);
    assert.equal(preview.added, 300);
    assert.equal(preview.hunks[0]!.lines[0]!.text, `${'z'.repeat(1000)}…`);
    assert.deepEqual(previewOf(problemOf(await proposeChange('Edit', { file_path: join(worktree(), 'nope'), old_string: 'a', new_string: 'b' }, worktree()))), { path: 'nope', problem: 'The edit will fail: the file does not exist.', fails: true });
  });

  it('kept per request, worked out again once the file changes, and forgotten once the request is answered', async () => {
    const path = file('kept.txt', 'v1\n');
    let reads = 0;
    const changes = new ProposedChanges(async () => (reads++, worktree()));
    const request = { requestId: 'req_1', toolName: 'Edit', input: { file_path: path, old_string: 'v', new_string: 'w' } };
    const first = await changes.get(request);
    assert.equal(await changes.get(request), first, 'the same change while the file is the same');
    writeFileSync(path, 'v2\nmore\n');
    utimesSync(path, new Date(), new Date(Date.now() + 5000));
    const now = await changes.get(request);
    assert.deepEqual(marked(now), ['-v2', '+w2', ' more'], 'the file as it is now');
    const fresh = await changes.get(request, { fresh: true });
    assert.notEqual(fresh, now, 'fresh works it out again');
    assert.equal(await changes.get(request), fresh, 'and keeps that');
    changes.retain([]);
    const again = await changes.get(request);
    assert.notEqual(again, first);
    assert.equal(await changes.get({ requestId: 'req_2', toolName: 'Bash', input: { command: 'ls' } }), undefined);
    assert.ok(reads > 0);
  });
});
