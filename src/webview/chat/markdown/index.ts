/**
 * Agent output as Markdown (GitHub's flavour, the parts agents write), rendered inert: every
 * character of the source is escaped, so raw HTML is shown as text; links keep only http(s) and
 * mailto targets (anything else, `javascript:` included, is plain text); images are not loaded
 * (they become a link to their address); code blocks carry a Copy button, and are highlighted
 * once their language's highlighter has loaded (../highlight). The only tags in the output are
 * the ones written in this folder (html.ts, inline.ts, blocks.ts) and the highlighter's spans.
 * Two walls stand behind this one: DOMPurify, with an allow-list of exactly those tags and
 * attributes (../sanitize.ts), over every rendered text; then the page's CSP (scripts only with
 * its nonce, no inline handlers, images only from the extension).
 *
 * The output is shaped as marked's (the library the chat used before): the same tags, the same
 * line breaks between blocks, tight and loose lists, task items, table alignment.
 *
 * This file is the entry: it reads the text's link definitions, then renders its blocks
 * (blocks.ts), whose text goes through the inline rules (inline.ts).
 */
import { takeMissed } from '../highlight/loader';
import { sanitizeHtml } from '../sanitize';
import { BLANK, blocks, FENCE } from './blocks';
import { DEFINITION, label, useDefinitions } from './inline';

export { escapeHtml, safeHref } from './html';

/**
 * Rendered (and sanitised) texts, most recently used last: a row drawn again (a scroll, a
 * measure) is not parsed again. A text with a code block whose highlighter is still loading is
 * not kept: it is drawn again, highlighted, when the highlighter has loaded.
 */
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
  takeMissed();
  const html = sanitizeHtml(markdownToHtml(text));
  if (takeMissed()) return html;
  rendered.set(text, html);
  if (rendered.size > RENDERED_MAX) rendered.delete(rendered.keys().next().value!);
  return html;
}

/** The renderer alone: Markdown to HTML, neither kept nor sanitised. */
export function markdownToHtml(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const definitions = new Map<string, string>();
  let fenced = false;
  // (A definition starts a paragraph, or follows one: it does not go on a paragraph's text.)
  let after = true;
  for (const line of lines) {
    if (FENCE.test(line)) fenced = !fenced;
    const definition: RegExpExecArray | null | undefined = fenced || !after ? undefined : DEFINITION.exec(line);
    if (definition && !definitions.has(label(definition[1]!))) definitions.set(label(definition[1]!), definition[2] ?? definition[3]!);
    after = !!definition || BLANK.test(line);
  }
  useDefinitions(definitions);
  return blocks(lines);
}
