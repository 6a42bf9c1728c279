// The chat's HTML passes DOMPurify before it reaches the DOM (src/webview/chat/sanitize.ts): the
// renderer's output of the UI journey's script-injection payloads has nothing that runs; the same
// payloads given to the sanitiser as raw HTML (as if the renderer had let them through) lose
// everything that could; and what the renderer writes itself passes whole.
import { testWindow } from './dom';
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { markdownToHtml, renderMarkdown } from '../../src/webview/chat/markdown';
import { sanitizeHtml } from '../../src/webview/chat/sanitize';
import { xssPayloads } from '../ui/xssPayloads';

/** The tags the renderer writes: nothing else may be left. */
const ALLOWED = new Set(['A', 'BLOCKQUOTE', 'BR', 'BUTTON', 'CODE', 'DEL', 'DIV', 'EM', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'HR', 'INPUT', 'LI', 'OL', 'P', 'PRE', 'SPAN', 'STRONG', 'TABLE', 'TBODY', 'TD', 'TH', 'THEAD', 'TR', 'UL']);

function parse(html: string): HTMLTemplateElement {
  const template = testWindow.document.createElement('template');
  template.innerHTML = html;
  return template;
}

/** What in `html` could run or load something: unknown elements, handlers, styles, addresses that are not http(s) or mailto. */
function executable(html: string): string[] {
  const found: string[] = [];
  for (const element of parse(html).content.querySelectorAll('*')) {
    if (!ALLOWED.has(element.tagName)) found.push(`<${element.tagName.toLowerCase()}>`);
    for (const attribute of element.attributes) {
      if (/^on/i.test(attribute.name) || attribute.name === 'style' || attribute.name === 'srcdoc') found.push(`${element.tagName.toLowerCase()}[${attribute.name}]`);
      if (/^(href|src|action|formaction|xlink:href|data)$/i.test(attribute.name) && !/^(https?|mailto):/i.test(attribute.value)) found.push(`${attribute.name}="${attribute.value}"`);
    }
    if (element.tagName === 'INPUT' && (element.getAttribute('type') !== 'checkbox' || !element.hasAttribute('disabled'))) found.push('an input that takes input');
  }
  return found;
}

/** `html` as a tree with its attributes sorted, so that two serialisations of one tree compare equal. */
function tree(node: Node): unknown {
  if (node.nodeType === 3) return node.textContent;
  const element = node as Element;
  return {
    tag: element.tagName,
    attributes: [...(element.attributes ?? [])].map((a) => `${a.name}=${a.value}`).sort(),
    children: [...node.childNodes].map(tree),
  };
}

describe('the chat\'s sanitiser', () => {
  it('leaves nothing that runs in the rendered script-injection payloads, each shown as text', () => {
    assert.equal(xssPayloads.length, 50);
    for (const payload of xssPayloads) {
      const html = renderMarkdown(payload);
      assert.deepEqual(executable(html), [], payload);
      assert.ok(parse(html).content.textContent!.length > 0, `${payload} is shown`);
    }
    // All at once, as the UI journey sends them in one reply.
    const all = renderMarkdown([...xssPayloads, 'END-OF-PAYLOADS'].join('\n\n'));
    assert.deepEqual(executable(all), []);
    assert.match(parse(all).content.textContent!, /<script>document\.body\.setAttribute\('data-pwned','1'\)<\/script>/);
  });

  it('takes out of raw HTML everything that could run, as if the renderer had let the payloads through', () => {
    let removedSomething = 0;
    for (const payload of xssPayloads) {
      const before = executable(payload.replace(/^`|` in code$/g, ''));
      const after = sanitizeHtml(payload);
      assert.deepEqual(executable(after), [], `${payload} → ${after}`);
      if (before.length) removedSomething++;
    }
    // The check above looks at something: most payloads, as raw HTML, have what it refuses.
    assert.ok(removedSomething >= 40, `${removedSomething} payloads had something to take out`);
    assert.equal(sanitizeHtml('<a href="javascript:alert(1)" onclick="x()">go</a>'), '<a>go</a>');
    assert.equal(sanitizeHtml('<a href="https://example.com/" style="color:red">ok</a>'), '<a href="https://example.com/">ok</a>');
    assert.equal(sanitizeHtml('<input type="text" autofocus onfocus="x()">'), '<input type="checkbox" disabled="">');
  });

  it('keeps whole what the renderer writes: every tag and attribute of its output passes', () => {
    const sample = [
      '# One\n\n## Two\n\n### Three\n\n#### Four\n\n##### Five\n\n###### Six',
      '**bold** *em* ~~gone~~ `code` [link](https://example.com/a?b=1&c=2 "t") <mail@example.com> https://example.org',
      '> quoted\n\n---\n\nline  \nbreak',
      '- [ ] open\n- [x] done\n\n3. three\n4. four',
      '| left | right | centre |\n|:--|--:|:-:|\n| a | b | c |',
      '```ts\nconst a = 1 < 2;\n```\n\n    indented\n\n![image](https://example.com/i.png)',
    ].join('\n\n');
    const raw = markdownToHtml(sample);
    const clean = sanitizeHtml(raw);
    assert.deepEqual(tree(parse(clean).content), tree(parse(raw).content));
    for (const needle of ['<h6>', '<del>', '<blockquote>', '<hr>', '<br>', 'type="checkbox"', 'start="3"', 'align="center"', 'aria-label="Copy code"', 'data-copy', 'class="image-link"']) {
      assert.ok(clean.includes(needle), `${needle} in ${clean}`);
    }
  });
});
