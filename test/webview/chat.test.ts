// Component tests of the chat's Preact views, rendered under Node (run with this folder's
// tsconfig: TSX_TSCONFIG_PATH=test/webview/tsconfig.json).
import './dom';
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { h } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { markdownToHtml, renderMarkdown, safeHref } from '../../src/webview/chat/markdown';
import { groupDigits } from '../../src/webview/chat/header';
import { insertMention, mentionAt } from '../../src/webview/chat/mention';
import { newer } from '../../src/webview/chat/merge';
import { MessageView, PermissionCard, ToolCard } from '../../src/webview/chat/messages';
import type { ChatMessage } from '../../src/webview/protocol';

const base: ChatMessage = { id: 'msg_1', role: 'assistant', kind: 'text', content: '', isComplete: true, createdAt: '2026-11-24T08:00:00Z' };
const message = (patch: Partial<ChatMessage>): ChatMessage => ({ ...base, ...patch });
const noop = () => undefined;

describe('the chat\'s Markdown', () => {
  it('renders Markdown, with a Copy button on code blocks', () => {
    const html = renderMarkdown('# Title\n\n**bold** and `code`\n\n```ts\nconst a = 1 < 2;\n```');
    assert.match(html, /<h1>Title<\/h1>/);
    assert.match(html, /<strong>bold<\/strong> and <code>code<\/code>/);
    assert.match(html, /<button type="button" class="copy" data-copy="" aria-label="Copy code">Copy<\/button>/);
    assert.match(html, /<pre><code>const a = 1 &lt; 2;<\/code><\/pre>/);
  });

  it('shows raw HTML as text, and keeps only http(s) and mailto links', () => {
    const html = renderMarkdown('<script>alert(1)</script>\n\n<img src=x onerror=alert(1)> [a](javascript:alert(1)) [b](https://example.com/x) [c](data:text/html,hi)');
    assert.ok(!/<script|<img/i.test(html), html);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(html, /<a href="https:\/\/example\.com\/x"/);
    assert.ok(!/href="(javascript|data):/i.test(html), html);
    assert.equal(safeHref('JAVASCRIPT:alert(1)'), undefined);
    // Text after a raw-text tag is escaped too (marked would pass it through), and nothing is lost.
    assert.equal(renderMarkdown('<scr<script>ipt>x</scr</script>ipt>'), '<p>&lt;scr&lt;script&gt;ipt&gt;x&lt;/scr&lt;/script&gt;ipt&gt;</p>\n');
    assert.equal(renderMarkdown('a &amp; b & c'), '<p>a &amp; b &amp; c</p>\n');
    assert.equal(safeHref('mailto:a@b.c'), 'mailto:a@b.c');
  });

  it('renders lists, tasks, tables, quotes and emphasis as marked did', () => {
    // The renderer's own output, before the sanitiser (which keeps it whole: sanitize.test.ts).
    assert.equal(
      markdownToHtml('- a\n- b\n  - c\n- [ ] task\n- [x] done'),
      '<ul>\n<li>a</li>\n<li>b<ul>\n<li>c</li>\n</ul>\n</li>\n<li><input disabled="" type="checkbox"> task</li>\n<li><input checked="" disabled="" type="checkbox"> done</li>\n</ul>\n',
    );
    assert.equal(markdownToHtml('3) x\n4) y\n\n- a\n\n  more'), '<ol start="3">\n<li>x</li>\n<li>y</li>\n</ol>\n<ul>\n<li><p>a</p>\n<p>more</p>\n</li>\n</ul>\n');
    assert.equal(
      markdownToHtml('| a | b |\n|:--|--:|\n| `1` | 2 |'),
      '<table>\n<thead>\n<tr>\n<th align="left">a</th>\n<th align="right">b</th>\n</tr>\n</thead>\n<tbody><tr>\n<td align="left"><code>1</code></td>\n<td align="right">2</td>\n</tr>\n</tbody></table>\n',
    );
    assert.equal(markdownToHtml('> quote\nlazy\n\nSub\n---\n\n***'), '<blockquote>\n<p>quote\nlazy</p>\n</blockquote>\n<h2>Sub</h2>\n<hr>\n');
    assert.equal(
      markdownToHtml('***a*** _b_ __c__ foo_bar_baz **a *b* c** ~~d~~  \nnext\\*'),
      '<p><em><strong>a</strong></em> <em>b</em> <strong>c</strong> foo_bar_baz <strong>a <em>b</em> c</strong> <del>d</del><br>next*</p>\n',
    );
    assert.equal(
      markdownToHtml('see https://example.com/x. and <a@b.c> and [r][1]\n\n[1]: https://r.s'),
      '<p>see <a href="https://example.com/x" title="https://example.com/x">https://example.com/x</a>. and <a href="mailto:a@b.c" title="mailto:a@b.c">a@b.c</a> and <a href="https://r.s/" title="https://r.s/">r</a></p>\n',
    );
  });

  it('renders any text in time linear in its length', () => {
    for (const text of ['*a'.repeat(20_000), 'x  \n'.repeat(20_000), '['.repeat(20_000), 'a* '.repeat(20_000)]) {
      const started = performance.now();
      markdownToHtml(text);
      assert.ok(performance.now() - started < 2000, `${text.slice(0, 6)}… took ${performance.now() - started} ms`);
    }
  });

  it('loads no image: an image becomes a link to its address', () => {
    const html = renderMarkdown('![chart](https://example.com/c.png)');
    assert.ok(!/<img/i.test(html), html);
    assert.match(html, /<a href="https:\/\/example\.com\/c\.png" class="image-link">\[image: chart\]<\/a>/);
  });
});

describe('the chat\'s views', () => {
  it('shows a user\'s message as plain text, markup and all', () => {
    const html = renderToString(h(MessageView, { message: message({ role: 'user', content: '<b>not bold</b>' }), onCopy: noop }));
    assert.match(html, /data-testid="user-message"/);
    assert.match(html, /&lt;b>not bold&lt;\/b>/);
  });

  it('marks a streaming assistant message, and renders its Markdown', () => {
    const html = renderToString(h(MessageView, { message: message({ content: 'Hello *there*', isComplete: false }), onCopy: noop }));
    assert.match(html, /class="message assistant streaming"/);
    assert.match(html, /<em>there<\/em>/);
  });

  it('folds a tool call to its name and summary, and marks errors', () => {
    const done = renderToString(h(ToolCard, { message: message({ role: 'tool', kind: 'tool', toolName: 'Bash', content: 'npm test', toolInput: { command: 'npm test' }, toolOutput: 'ok' }) }));
    assert.match(done, /class="tool-card done"/);
    assert.match(done, /<span class="tool-name">Bash<\/span><span class="tool-summary">npm test<\/span>/);
    assert.match(done, /aria-expanded="false"/);
    assert.ok(!/Output/.test(done), 'the output is folded');
    const failed = renderToString(h(ToolCard, { message: message({ role: 'tool', kind: 'tool', toolName: 'Write', content: 'Write a.txt', isError: true, toolOutput: 'denied' }) }));
    assert.match(failed, /class="tool-card error"/);
    assert.match(failed, /<span class="badge error">error<\/span>/);
  });

  it('offers Open Diff on a finished file tool call whose file was kept, and nowhere else', () => {
    const edit = { role: 'tool' as const, kind: 'tool' as const, toolName: 'Edit', content: 'Edit a.ts', toolInput: { file_path: 'a.ts' } };
    const diffButton = /<button[^>]*aria-label="Open Diff: Edit a.ts"[^>]*>Open Diff<\/button>/;
    assert.match(renderToString(h(ToolCard, { message: message({ ...edit, fileChange: true }), onOpenDiff: noop })), diffButton);
    for (const other of [message(edit), message({ ...edit, fileChange: true, isError: true }), message({ ...edit, fileChange: true, isComplete: false })]) {
      assert.ok(!/Open Diff/.test(renderToString(h(ToolCard, { message: other, onOpenDiff: noop }))), JSON.stringify(other));
    }
    assert.ok(!/Open Diff/.test(renderToString(h(ToolCard, { message: message({ ...edit, fileChange: true }) }))), 'not without a way to open it');
  });

  it('says the copy of the file is gone instead of offering Open Diff when it was dropped', () => {
    const edit = { role: 'tool' as const, kind: 'tool' as const, toolName: 'Edit', content: 'Edit a.ts', toolInput: { file_path: 'a.ts' } };
    const html = renderToString(h(ToolCard, { message: message({ ...edit, fileChange: 'gone' }), onOpenDiff: noop }));
    assert.ok(!/Open Diff/.test(html), html);
    assert.match(html, /<span class="tool-gone"[^>]*title="[^"]*50 MB[^"]*"[^>]*>copy gone<\/span>/);
  });

  it('finds the @ reference being typed, and puts the chosen path in its place', () => {
    assert.deepEqual(mentionAt('look at @src/ma', 15), { start: 8, query: 'src/ma' });
    assert.deepEqual(mentionAt('@', 1), { start: 0, query: '' });
    assert.equal(mentionAt('mail me@example.com', 19), undefined, 'an @ inside a word is no reference');
    assert.equal(mentionAt('@src/a.ts done', 14), undefined, 'the caret is past it');
    assert.deepEqual(insertMention('look at @src/ma please', 8, 15, 'src/main.ts'), { text: 'look at @src/main.ts  please', caret: 21 });
    assert.deepEqual(insertMention('@do', 0, 3, 'docs/a b.md'), { text: '@"docs/a b.md" ', caret: 15 });
  });

  it('offers Allow once, the whole tool for the session, and Deny on a permission request, with its command', () => {
    const html = renderToString(
      h(PermissionCard, {
        request: { requestId: 'r1', toolName: 'Bash', input: { command: 'rm -rf build' }, summary: 'Bash: rm -rf build', requestedAt: '2026-11-24T08:00:00Z' },
        onAnswer: async () => undefined,
      }),
    );
    assert.match(html, /aria-label="Permission requested: Bash: rm -rf build"/);
    assert.match(html, /<pre>rm -rf build<\/pre>/);
    assert.deepEqual([...html.matchAll(/<button[^>]*>([^<]+)<\/button>/g)].map((m) => m[1]), ['Allow once', 'Allow every Bash call in this session', 'Deny…']);
  });

  it('writes token counts as toLocaleString does in US English', () => {
    for (const n of [0, 7, 999, 1000, 12_345, 1_234_567, 100_000_000, Number.MAX_SAFE_INTEGER, -1234]) assert.equal(groupDigits(n), n.toLocaleString('en-US'));
  });

  it('keeps the further version of a message that arrives twice', () => {
    const partial = message({ content: 'Hel', isComplete: false });
    const longer = message({ content: 'Hello', isComplete: false });
    const complete = message({ content: 'Hello', isComplete: true });
    assert.equal(newer(partial, longer), longer);
    assert.equal(newer(longer, partial), longer);
    assert.equal(newer(complete, longer), complete);
    assert.equal(newer(longer, complete), complete);
  });
});
