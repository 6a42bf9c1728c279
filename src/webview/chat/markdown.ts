import { Marked, type Tokens } from 'marked';

/**
 * Agent output as Markdown, rendered inert: raw HTML is shown as text, links keep only http(s) and
 * mailto targets (anything else, `javascript:` included, is plain text), images are not loaded
 * (they become a link to their address), and code blocks carry a Copy button. The page's CSP
 * (scripts only with its nonce, no inline handlers, images only from the extension) is the second
 * wall behind this one.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Text of the Markdown: escaped like `escapeHtml`, but an entity the author wrote (`&amp;`) stays one. */
function escapeText(text: string): string {
  return text.replace(/&(?!#?\w+;)/g, '&amp;').replace(/[<>"']/g, (c) => ESCAPES[c]!);
}

/** The link target if it is one a reader may follow, else undefined. */
export function safeHref(href: string): string | undefined {
  try {
    const url = new URL(href.trim());
    return url.protocol === 'https:' || url.protocol === 'http:' || url.protocol === 'mailto:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

const marked = new Marked({
  gfm: true,
  async: false,
  renderer: {
    html(token: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(token.text);
    },
    // After a raw-text tag such as <script>, marked passes the following text through unescaped
    // (it expects the tag itself to be emitted). The tag is text here, so the text is escaped too.
    text(this: { parser: { parseInline(tokens: Tokens.Generic[]): string } }, token: Tokens.Text | Tokens.Escape): string {
      if ('tokens' in token && token.tokens) return this.parser.parseInline(token.tokens);
      return token.type === 'escape' ? token.text : escapeText(token.text);
    },
    link(this: { parser: { parseInline(tokens: Tokens.Generic[]): string } }, token: Tokens.Link): string {
      const text = this.parser.parseInline(token.tokens);
      const href = safeHref(token.href);
      return href ? `<a href="${escapeHtml(href)}" title="${escapeHtml(href)}">${text}</a>` : text;
    },
    image(token: Tokens.Image): string {
      const href = safeHref(token.href);
      const label = `image: ${token.text || token.href}`;
      return href ? `<a href="${escapeHtml(href)}" class="image-link">[${escapeHtml(label)}]</a>` : `[${escapeHtml(label)}]`;
    },
    code(token: Tokens.Code): string {
      const language = /^[\w+-]+$/.test(token.lang ?? '') ? token.lang! : '';
      return (
        `<div class="code-block"><div class="code-bar"><span>${escapeHtml(language)}</span>` +
        `<button type="button" class="copy" data-copy aria-label="Copy code">Copy</button></div>` +
        `<pre><code>${escapeHtml(token.text)}</code></pre></div>`
      );
    },
  },
});

/** Rendered texts, most recently used last: a row drawn again (a scroll, a measure) is not parsed again. */
const rendered = new Map<string, string>();
const RENDERED_MAX = 400;

/** Markdown to HTML that is safe to insert: see above. */
export function renderMarkdown(text: string): string {
  const known = rendered.get(text);
  if (known !== undefined) {
    rendered.delete(text);
    rendered.set(text, known);
    return known;
  }
  const html = marked.parse(text, { async: false }) as string;
  rendered.set(text, html);
  if (rendered.size > RENDERED_MAX) rendered.delete(rendered.keys().next().value!);
  return html;
}
