// "Review before allowing": the permission card shows what the call would do before the answer: a
// file tool's change as a diff (or why there is none), Bash's whole command with what it is for
// and where it runs, a notebook's cell, another tool's input as readable rows. Rendered under Node.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { h } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { PermissionCard } from '../../src/webview/chat/messages';
import type { ChatAgent } from '../../src/webview/protocol';

type Permission = ChatAgent['pendingPermissions'][number];

const base = { requestId: 'req_1', requestedAt: '2026-11-29T10:00:00Z', cwd: '/work/repo' };
const card = (request: Permission, onOpenDiff?: () => void) => renderToString(h(PermissionCard, { request, onAnswer: async () => undefined, ...(onOpenDiff ? { onOpenDiff } : {}) }));
/** The text of the page, tags taken out and entities read. */
const text = (html: string) => html.replace(/<[^>]+>/g, '').replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
/** Each diff line as its mark and text. */
const diffLines = (html: string) => [...html.matchAll(/<div class="diff-line [^"]*" data-kind="(.)"><span class="diff-mark"[^>]*>.<\/span><span class="diff-text">([^<]*)<\/span>/g)].map((m) => `${m[1]}${m[2]}`);
const buttons = (html: string) => [...html.matchAll(/<button[^>]*>([^<]*)<\/button>/g)].map((m) => m[1]!.trim());

describe('the permission card shows what the call would do', () => {
  const edit: Permission = {
    ...base,
    toolName: 'Edit',
    summary: 'Edit src/notes.md',
    input: { file_path: '/work/repo/src/notes.md', old_string: 'two', new_string: 'TWO' },
    change: {
      path: 'src/notes.md',
      isNew: false,
      added: 1,
      removed: 1,
      hunks: [
        {
          oldStart: 4,
          newStart: 4,
          lines: [
            { kind: ' ', text: 'one' },
            { kind: '-', text: 'two' },
            { kind: '+', text: 'TWO <b>' },
            { kind: ' ', text: 'three', noEol: true },
          ],
        },
      ],
      more: 0,
    },
  };

  it('an Edit: the file, its counts, each line with its mark, Open Diff before the answers', () => {
    const html = card(edit, () => undefined);
    assert.deepEqual(diffLines(html), [' one', '-two', '+TWO &lt;b>', ' three']);
    assert.match(html, /data-kind="-"><span class="diff-mark" aria-label="removed">-<\/span>/);
    assert.match(html, /data-kind="\+"><span class="diff-mark" aria-label="added">\+<\/span>/);
    assert.match(text(html), /src\/notes\.md\+1 −1Open Diff/);
    assert.match(text(html), /line 4/);
    assert.match(text(html), /three\(no newline at end\)/);
    assert.deepEqual(buttons(html), ['Open Diff', 'Allow once', 'Allow every Edit call in this session', 'Deny…']);
    assert.ok(!html.includes('old_string'), 'the input is not shown as well');
  });

  it('without a way to open the diff, no Open Diff', () => {
    assert.deepEqual(buttons(card(edit)), ['Allow once', 'Allow every Edit call in this session', 'Deny…']);
  });

  it('a new file: marked new, every line added; lines past the card counted', () => {
    const html = card({
      ...base,
      toolName: 'Write',
      summary: 'Write notes.md',
      input: { file_path: '/work/repo/notes.md', content: '# Notes\n' },
      change: { path: 'notes.md', isNew: true, added: 250, removed: 0, hunks: [{ oldStart: 0, newStart: 1, lines: [{ kind: '+', text: '# Notes' }] }], more: 249 },
    }, () => undefined);
    assert.match(text(html), /notes\.mdnew file\+250 −0/);
    assert.deepEqual(diffLines(html), ['+# Notes']);
    assert.match(text(html), /… 249 more lines: Open Diff shows them all/);
  });

  it('an edit that will fail: said plainly, as an alert, with no diff and no Open Diff', () => {
    const html = card({ ...edit, change: { path: 'src/notes.md', problem: 'The edit will fail: the text to replace is not in the file.', fails: true } }, () => undefined);
    assert.match(html, /<div class="change-problem fails" role="alert">The edit will fail: the text to replace is not in the file\.<\/div>/);
    assert.deepEqual(diffLines(html), []);
    assert.ok(!buttons(html).includes('Open Diff'));
    const unshown = card({ ...edit, change: { path: 'big.log', problem: 'big.log: it is larger than 1 MB, so the change is not shown here.', fails: false } });
    assert.match(unshown, /<div class="change-problem" role="note">big\.log: it is larger than 1 MB/);
  });

  it('Bash: what it is for, the whole command on all its lines, the folder it runs in', () => {
    const html = card({ ...base, toolName: 'Bash', summary: 'Bash: npm ci', input: { command: 'npm ci &&\n  npm test', description: 'Install and test' } });
    assert.match(html, /<div class="bash-description">Install and test<\/div><pre>npm ci &amp;&amp;\n {2}npm test<\/pre><div class="bash-cwd">in <code>\/work\/repo<\/code><\/div>/);
  });

  it('a notebook edit: the cell, the mode, the new source', () => {
    const html = card({ ...base, toolName: 'NotebookEdit', summary: 'NotebookEdit a.ipynb', input: { notebook_path: '/work/repo/a.ipynb', cell_id: 'c7', edit_mode: 'insert', cell_type: 'code', new_source: 'print(1)\nprint(2)' } });
    assert.match(html, /<div class="notebook-what">Insert a new code cell after cell c7<\/div><pre>print\(1\)\nprint\(2\)<\/pre>/);
    const replace = card({ ...base, toolName: 'NotebookEdit', summary: 'NotebookEdit a.ipynb', input: { notebook_path: '/work/repo/a.ipynb', cell_id: 'c2', new_source: 'x = 1' } });
    assert.match(text(replace), /Replace the source of cell c2x = 1/);
  });

  it('another tool: its input as key: value rows, long values folded behind their first line', () => {
    const long = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n');
    const html = card({ ...base, toolName: 'WebFetch', summary: 'WebFetch https://example.com', input: { url: 'https://example.com', prompt: long, options: { depth: 2 } } });
    assert.match(html, /<dt>url:<\/dt><dd><pre class="input-value">https:\/\/example\.com<\/pre><\/dd>/);
    assert.match(html, /<dt>prompt:<\/dt><dd><details class="input-value folded"><summary>line 0 <span class="input-size">\(40 lines\)<\/span><\/summary><pre>line 0\nline 1/);
    assert.match(html, /<dt>options:<\/dt><dd><pre class="input-value">\{\n {2}&quot;depth&quot;: 2\n\}<\/pre>/);
    assert.ok(!html.includes('{&quot;url&quot;'), 'not one line of JSON');
  });
});
