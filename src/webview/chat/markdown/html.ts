/** The HTML the renderer writes itself: escaped text, links it lets a reader follow, code blocks. */
import { highlightCode } from '../highlight/loader';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Text of the Markdown: escaped like `escapeHtml`, but an entity the author wrote (`&amp;`) stays one. */
export function escapeText(text: string): string {
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

export function link(href: string, html: string): string {
  const safe = safeHref(href);
  return safe ? `<a href="${escapeHtml(safe)}" title="${escapeHtml(safe)}">${html}</a>` : html;
}

/** A code block: plain, or highlighted when its language's highlighter has loaded (highlight/loader.ts). */
export function codeBlock(text: string, info: string): string {
  const language = /^[\w+-]+$/.test(info) ? info : '';
  const highlighted = language ? highlightCode(text, language) : undefined;
  return (
    `<div class="code-block"><div class="code-bar"><span>${escapeHtml(language)}</span>` +
    `<button type="button" class="copy" data-copy aria-label="Copy code">Copy</button></div>` +
    `<pre><code${highlighted === undefined ? '' : ' class="hljs"'}>${highlighted ?? escapeHtml(text)}</code></pre></div>`
  );
}
