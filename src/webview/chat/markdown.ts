/**
 * Agent output as Markdown (GitHub's flavour, the parts agents write), rendered inert: every
 * character of the source is escaped, so raw HTML is shown as text; links keep only http(s) and
 * mailto targets (anything else, `javascript:` included, is plain text); images are not loaded
 * (they become a link to their address); code blocks carry a Copy button. The only tags in the
 * output are the ones written below. The page's CSP (scripts only with its nonce, no inline
 * handlers, images only from the extension) is the second wall behind this one.
 *
 * The output is shaped as marked's (the library the chat used before): the same tags, the same
 * line breaks between blocks, tight and loose lists, task items, table alignment.
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

function link(href: string, html: string): string {
  const safe = safeHref(href);
  return safe ? `<a href="${escapeHtml(safe)}" title="${escapeHtml(safe)}">${html}</a>` : html;
}

function codeBlock(text: string, info: string): string {
  const language = /^[\w+-]+$/.test(info) ? info : '';
  return (
    `<div class="code-block"><div class="code-bar"><span>${escapeHtml(language)}</span>` +
    `<button type="button" class="copy" data-copy aria-label="Copy code">Copy</button></div>` +
    `<pre><code>${escapeHtml(text)}</code></pre></div>`
  );
}

// ---------------------------------------------------------------------------------------------
// Inline: code spans, escapes, links and images, autolinks, emphasis, strikethrough, line breaks.

const PUNCTUATION = /[!-/:-@[-`{-~\p{P}\p{S}]/u;
const SPACE = /\s/u;

interface Delimiter {
  /** The node holding the run's characters. */
  node: number;
  char: string;
  count: number;
  /** The run's length as written (the rule of three). */
  length: number;
  open: boolean;
  close: boolean;
  /** Neighbours in the list of runs still to pair (indices, -1 for none). */
  prev: number;
  next: number;
}

interface Bracket {
  node: number;
  /** Where the text in brackets starts in the source. */
  at: number;
  image: boolean;
  /** The first delimiter after the bracket. */
  delimiters: number;
  active: boolean;
}

/** A node of inline output: text already escaped, and tags added around it by emphasis. */
interface Node {
  html: string;
  before?: string;
  after?: string;
}

/**
 * Pairs the emphasis and strikethrough runs of `delims` from `bottom` on (CommonMark's algorithm),
 * then drops them: the runs still to pair are a linked list, and a closer that found no opener
 * keeps later ones of its kind from looking further back than it did (linear, whatever the text).
 */
function pairDelimiters(nodes: Node[], delims: Delimiter[], bottom: number): void {
  const n = delims.length;
  for (let k = bottom; k < n; k++) {
    delims[k]!.prev = k - 1;
    delims[k]!.next = k + 1 < n ? k + 1 : -1;
  }
  if (bottom < n) delims[bottom]!.prev = -1;
  const unlink = (d: Delimiter) => {
    if (d.prev >= 0) delims[d.prev]!.next = d.next;
    if (d.next >= 0) delims[d.next]!.prev = d.prev;
  };
  const floors = new Map<string, number>();
  let c = bottom < n ? bottom : -1;
  while (c >= 0) {
    const closer = delims[c]!;
    if (!closer.close) {
      c = closer.next;
      continue;
    }
    const kind = `${closer.char}${closer.open}${closer.length % 3}`;
    const floor = floors.get(kind) ?? -1;
    let o = closer.prev;
    for (; o > floor; o = delims[o]!.prev) {
      const opener = delims[o]!;
      if (opener.char !== closer.char || !opener.open) continue;
      if (closer.char === '~') {
        if (opener.count === closer.count) break;
        continue;
      }
      const both = opener.close || closer.open;
      if (!both || (opener.length + closer.length) % 3 !== 0 || (opener.length % 3 === 0 && closer.length % 3 === 0)) break;
    }
    if (o <= floor) {
      floors.set(kind, closer.prev);
      const next = closer.next;
      if (!closer.open) unlink(closer);
      c = next;
      continue;
    }
    const opener = delims[o]!;
    const use = closer.char === '~' ? closer.count : opener.count >= 2 && closer.count >= 2 ? 2 : 1;
    const tag = closer.char === '~' ? 'del' : use === 2 ? 'strong' : 'em';
    opener.count -= use;
    closer.count -= use;
    const from = nodes[opener.node]!;
    const to = nodes[closer.node]!;
    from.html = from.html.slice(use);
    to.html = to.html.slice(use);
    from.after = `<${tag}>${from.after ?? ''}`;
    to.before = `${to.before ?? ''}</${tag}>`;
    // The runs between the two are text now.
    opener.next = c;
    closer.prev = o;
    if (opener.count === 0) unlink(opener);
    if (closer.count === 0) {
      const next = closer.next;
      unlink(closer);
      c = next;
    }
  }
  delims.length = bottom;
}

/** Where a link's destination and title end (`(dest "title")` from `i`, the opening parenthesis), and the destination. */
function linkTail(src: string, i: number): { end: number; href: string } | undefined {
  let j = i + 1;
  while (src[j] === ' ' || src[j] === '\n') j++;
  let href: string;
  if (src[j] === '<') {
    const close = src.indexOf('>', j);
    if (close < 0 || src.slice(j, close).includes('\n')) return undefined;
    href = src.slice(j + 1, close);
    j = close + 1;
  } else {
    let depth = 0;
    const start = j;
    for (; j < src.length; j++) {
      const ch = src[j]!;
      if (ch === '\\' && j + 1 < src.length) j++;
      else if (ch === '(') depth++;
      else if (ch === ')') {
        if (depth === 0) break;
        depth--;
      } else if (ch === ' ' || ch === '\n' || ch < ' ') break;
    }
    href = src.slice(start, j).replace(/\\([!-/:-@[-`{-~])/g, '$1');
  }
  while (src[j] === ' ' || src[j] === '\n') j++;
  const quote = src[j];
  if (quote === '"' || quote === "'" || quote === '(') {
    const close = src.indexOf(quote === '(' ? ')' : quote, j + 1);
    if (close < 0) return undefined;
    j = close + 1;
    while (src[j] === ' ' || src[j] === '\n') j++;
  }
  return src[j] === ')' ? { end: j + 1, href } : undefined;
}

const AUTOLINK = /^<([a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^\s<>]*)>/;
const AUTOLINK_EMAIL = /^<([\w.!#$%&'*+/=?^`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)>/;
const BARE_URL = /^(?:https?:\/\/|www\.)[^\s<]*/i;
const BARE_EMAIL = /^[\w.+-]+@[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*\.[a-zA-Z]{2,}/;

/** A bare URL without the punctuation that ends its sentence (and unbalanced closing parentheses). */
function trimUrl(url: string): string {
  for (;;) {
    const last = url[url.length - 1];
    if (last && '?!.,:*_~\'"'.includes(last)) url = url.slice(0, -1);
    else if (last === ')' && (url.match(/\)/g)?.length ?? 0) > (url.match(/\(/g)?.length ?? 0)) url = url.slice(0, -1);
    else return url;
  }
}

/** The link definitions of the text being rendered (`[label]: href`), by label. */
let definitions = new Map<string, string>();
const DEFINITION = /^ {0,3}\[([^\]]+)\]:[ \t]*(?:<([^>\n]*)>|(\S+))(?:[ \t]+(?:"[^"\n]*"|'[^'\n]*'|\([^)\n]*\)))?[ \t]*$/;
const label = (text: string) => text.trim().replace(/\s+/g, ' ').toLowerCase();

/** A reference link's target (`[text][label]`, `[text][]`, `[label]`) for the `]` at `i`, and where it ends. */
function reference(src: string, i: number, textAt: number): { end: number; href: string } | undefined {
  const full = /^\[([^\]]*)\]/.exec(src.slice(i + 1, i + 1000));
  const name = full?.[1] ? full[1] : src.slice(textAt, i);
  const href = definitions.get(label(name));
  return href === undefined ? undefined : { end: i + 1 + (full ? full[0].length : 0), href };
}

/** Markdown text of a paragraph, heading or cell to HTML. */
function inline(src: string): string {
  const nodes: Node[] = [];
  const delims: Delimiter[] = [];
  const brackets: Bracket[] = [];
  let text = '';
  const flush = () => {
    if (text) nodes.push({ html: escapeText(text) });
    text = '';
  };
  const push = (html: string) => {
    flush();
    nodes.push({ html });
  };
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === '\\') {
      const next = src[i + 1];
      if (next === '\n') {
        push('<br>');
        i += 2;
        while (src[i] === ' ') i++;
      } else if (next !== undefined && /[!-/:-@[-`{-~]/.test(next)) {
        text += next;
        i += 2;
      } else {
        text += ch;
        i++;
      }
      continue;
    }
    if (ch === '`') {
      let n = 1;
      while (src[i + n] === '`') n++;
      const fence = src.slice(i, i + n);
      let close = src.indexOf(fence, i + n);
      while (close >= 0 && src[close + n] === '`') {
        let m = close;
        while (src[m] === '`') m++;
        close = src.indexOf(fence, m);
        if (close >= 0 && close === m) close = -1;
      }
      if (close < 0) {
        text += fence;
        i += n;
        continue;
      }
      let code = src.slice(i + n, close).replace(/\n/g, ' ');
      if (code.length > 2 && code[0] === ' ' && code[code.length - 1] === ' ' && code.trim()) code = code.slice(1, -1);
      push(`<code>${escapeHtml(code)}</code>`);
      i = close + n;
      continue;
    }
    if (ch === '\n') {
      // Two spaces or more before a line's end make a hard break.
      // (The spaces are the text's last characters: read in the source, which is flat.)
      let spaces = 0;
      while (src[i - 1 - spaces] === ' ') spaces++;
      const hard = spaces >= 2;
      text = text.slice(0, Math.max(0, text.length - spaces));
      if (hard) push('<br>');
      else text += '\n';
      i++;
      while (src[i] === ' ') i++;
      continue;
    }
    if (ch === '<') {
      const auto = AUTOLINK.exec(src.slice(i, i + 2100));
      const email = auto ? undefined : AUTOLINK_EMAIL.exec(src.slice(i, i + 400));
      if (auto || email) {
        const target = auto ? auto[1]! : email![1]!;
        push(link(auto ? target : `mailto:${target}`, escapeText(target)));
        i += (auto ?? email)![0].length;
        continue;
      }
    }
    if (ch === '*' || ch === '_' || ch === '~') {
      let n = 1;
      while (src[i + n] === ch) n++;
      if (ch === '~' && n > 2) {
        text += src.slice(i, i + n);
        i += n;
        continue;
      }
      const before = i > 0 ? src[i - 1]! : '\n';
      const after = i + n < src.length ? src[i + n]! : '\n';
      const spaceBefore = SPACE.test(before);
      const spaceAfter = SPACE.test(after);
      const punctBefore = PUNCTUATION.test(before);
      const punctAfter = PUNCTUATION.test(after);
      const left = !spaceAfter && (!punctAfter || spaceBefore || punctBefore);
      const right = !spaceBefore && (!punctBefore || spaceAfter || punctAfter);
      flush();
      delims.push({
        node: nodes.length,
        char: ch,
        count: n,
        length: n,
        open: ch === '_' ? left && (!right || punctBefore) : left,
        close: ch === '_' ? right && (!left || punctAfter) : right,
        prev: -1,
        next: -1,
      });
      nodes.push({ html: src.slice(i, i + n) });
      i += n;
      continue;
    }
    if (ch === '[' || (ch === '!' && src[i + 1] === '[')) {
      const image = ch === '!';
      flush();
      brackets.push({ node: nodes.length, at: i + (image ? 2 : 1), image, delimiters: delims.length, active: true });
      nodes.push({ html: image ? '![' : '[' });
      i += image ? 2 : 1;
      continue;
    }
    if (ch === ']') {
      const opener = brackets.pop();
      const tail = opener?.active ? (src[i + 1] === '(' ? linkTail(src, i + 1) : reference(src, i, opener.at)) : undefined;
      if (!opener || !tail) {
        text += ch;
        i++;
        continue;
      }
      flush();
      if (opener.image) {
        const alt = src.slice(opener.at, i);
        const href = safeHref(tail.href);
        const label = escapeHtml(`image: ${alt || tail.href}`);
        nodes.splice(opener.node, nodes.length - opener.node, { html: href ? `<a href="${escapeHtml(href)}" class="image-link">[${label}]</a>` : `[${label}]` });
        delims.length = opener.delimiters;
      } else {
        pairDelimiters(nodes, delims, opener.delimiters);
        const html = link(tail.href, '\u0000');
        const [open, close] = html.split('\u0000') as [string, string];
        nodes[opener.node] = { html: open };
        nodes.push({ html: close });
        // No link inside a link.
        for (const b of brackets) if (!b.image) b.active = false;
      }
      i = tail.end;
      continue;
    }
    if ((ch === 'h' || ch === 'H' || ch === 'w' || ch === 'W') && (i === 0 || /[\s*_~(]/.test(src[i - 1]!))) {
      const bare = BARE_URL.exec(src.slice(i, i + 2100));
      const url = bare ? trimUrl(bare[0]) : '';
      if (url && (!/^www\./i.test(url) || /^www\.[\w-]+\.[\w-]/i.test(url))) {
        push(link(/^www\./i.test(url) ? `http://${url}` : url, escapeText(url)));
        i += url.length;
        continue;
      }
    }
    if (/[\w.+-]/.test(ch) && (i === 0 || !/[\w.+-]/.test(src[i - 1]!))) {
      const email = BARE_EMAIL.exec(src.slice(i, i + 400));
      if (email && src[i + email[0].length] !== '@') {
        push(link(`mailto:${email[0]}`, escapeText(email[0])));
        i += email[0].length;
        continue;
      }
    }
    text += ch;
    i++;
  }
  flush();
  pairDelimiters(nodes, delims, 0);
  let html = '';
  for (const n of nodes) html += (n.before ?? '') + n.html + (n.after ?? '');
  return html;
}

// ---------------------------------------------------------------------------------------------
// Blocks: paragraphs, headings, code, quotes, lists, tables, rules.

const BLANK = /^[ \t]*$/;
const FENCE = /^( {0,3})(`{3,}|~{3,})[ \t]*(.*)$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?/;
const ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])(?:([ \t]+)(.*))?$/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;
const DELIMITER_ROW = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
const INDENTED = /^(?: {4}|\t)/;

/** A line's tabs as spaces (to the next multiple of four), for measuring indentation. */
function untab(line: string): string {
  if (!line.includes('\t')) return line;
  let out = '';
  for (const ch of line) out += ch === '\t' ? ' '.repeat(4 - (out.length % 4)) : ch;
  return out;
}

function indentOf(line: string): number {
  return /^ */.exec(line)![0].length;
}

/** Whether a line starts a block that ends a paragraph. */
function interrupts(line: string): boolean {
  if (FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line)) return true;
  const item = ITEM.exec(line);
  // An ordered list interrupts a paragraph only from 1; an empty item not at all.
  return !!item && !!item[4]?.trim() && (/^[-*+]$/.test(item[2]!) || /^1[.)]$/.test(item[2]!));
}

/** A table's row as its cells (split at pipes that are not escaped). */
function cells(row: string): string[] {
  let s = row.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  const out: string[] = [];
  let cell = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === '|') {
      cell += '|';
      i++;
    } else if (s[i] === '|') {
      out.push(cell.trim());
      cell = '';
    } else cell += s[i];
  }
  out.push(cell.trim());
  return out;
}

/** The alignment of the columns of a table that starts at `lines[i]` (its header, then a row of dashes), if one does. */
function tableAt(lines: string[], i: number): string[] | undefined {
  const line = lines[i]!;
  const next = lines[i + 1];
  if (!line.includes('|') || next === undefined || !DELIMITER_ROW.test(next)) return undefined;
  const aligns = cells(next).map((c) => (c.startsWith(':') ? (c.endsWith(':') ? 'center' : 'left') : c.endsWith(':') ? 'right' : ''));
  return cells(line).length === aligns.length ? aligns : undefined;
}

function table(head: string[], aligns: string[], rows: string[][]): string {
  const cell = (tag: string, text: string, i: number) => `<${tag}${aligns[i] ? ` align="${aligns[i]}"` : ''}>${inline(text)}</${tag}>\n`;
  let html = '<table>\n<thead>\n<tr>\n' + head.map((c, i) => cell('th', c, i)).join('') + '</tr>\n</thead>\n';
  if (rows.length) html += '<tbody>' + rows.map((r) => '<tr>\n' + head.map((_, i) => cell('td', r[i] ?? '', i)).join('') + '</tr>\n').join('') + '</tbody>';
  return html + '</table>\n';
}

/** A list from `lines[start]`: its HTML and the line after it. */
function list(lines: string[], start: number): [string, number] {
  const first = ITEM.exec(lines[start]!)!;
  const ordered = !/^[-*+]$/.test(first[2]!);
  const marker = ordered ? first[2]!.slice(-1) : first[2]!;
  const sameList = (m: RegExpExecArray) => (ordered ? /\d/.test(m[2]!) && m[2]!.endsWith(marker) : m[2] === marker);
  const items: string[][] = [];
  let loose = false;
  let i = start;
  let blankBetween = false;
  while (i < lines.length) {
    const m = ITEM.exec(lines[i]!);
    if (!m || !sameList(m)) break;
    if (blankBetween) loose = true;
    const spaces = m[3]?.length ?? 0;
    const content = m[4] ?? '';
    // Content indented five or more after the marker is code, one space in.
    const indent = m[1]!.length + m[2]!.length + (!content || spaces > 4 ? 1 : spaces);
    const item = [spaces > 4 ? ' '.repeat(spaces - 1) + content : content];
    i++;
    let blank = !content;
    blankBetween = false;
    while (i < lines.length) {
      const line = lines[i]!;
      if (BLANK.test(line)) {
        item.push('');
        blank = true;
        i++;
        continue;
      }
      if (indentOf(line) >= indent) {
        if (blank && item.some((l) => l !== '')) blankBetween = true;
        item.push(line.slice(indent));
        blank = false;
        i++;
        continue;
      }
      // A lazy line goes on the item's paragraph.
      if (!blank && !interrupts(line) && !ITEM.test(line)) {
        item.push(line.trimStart());
        i++;
        continue;
      }
      break;
    }
    // Blank lines inside the item (between two of its blocks) make the list loose.
    while (item.length && item[item.length - 1] === '') item.pop();
    if (blankBetween) loose = true;
    blankBetween = blank;
    items.push(item);
    if (i < lines.length && blank && !ITEM.test(lines[i]!)) break;
  }
  const number = ordered ? parseInt(first[2]!, 10) : 1;
  let html = ordered ? (number !== 1 ? `<ol start="${number}">\n` : '<ol>\n') : '<ul>\n';
  for (const item of items) {
    let task = '';
    const check = /^\[([ xX])\][ \t]+/.exec(item[0] ?? '');
    if (check) {
      task = `<input ${check[1] === ' ' ? '' : 'checked="" '}disabled="" type="checkbox"> `;
      item[0] = item[0]!.slice(check[0].length);
    }
    html += `<li>${loose ? (task ? `<p>${task}` : '') : task}${blocks(item, !loose, !!task && loose)}</li>\n`;
  }
  return [html + (ordered ? '</ol>\n' : '</ul>\n'), i];
}

/**
 * Lines to HTML blocks. In a tight list item, paragraphs are their bare text; `opened` says the
 * item's first paragraph already has its `<p>` (a loose task item's checkbox is in it).
 */
function blocks(lines: string[], tight = false, opened = false): string {
  let html = '';
  let i = 0;
  while (i < lines.length) {
    const line = untab(lines[i]!);
    if (BLANK.test(line)) {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence && !(fence[2]![0] === '`' && fence[3]!.includes('`'))) {
      const [, pad, mark] = fence;
      const body: string[] = [];
      i++;
      const closing = new RegExp(`^ {0,3}${mark![0] === '`' ? '`' : '~'}{${mark!.length},}[ \\t]*$`);
      while (i < lines.length && !closing.test(lines[i]!)) {
        const l = lines[i]!;
        body.push(l.slice(Math.min(pad!.length, indentOf(l))));
        i++;
      }
      i++;
      html += codeBlock(body.join('\n'), fence[3]!.trim().split(/\s/)[0]!);
      continue;
    }
    if (INDENTED.test(line)) {
      const body: string[] = [];
      while (i < lines.length && (INDENTED.test(untab(lines[i]!)) || BLANK.test(lines[i]!))) body.push(untab(lines[i++]!).slice(4));
      while (body.length && BLANK.test(body[body.length - 1]!)) body.pop();
      html += codeBlock(body.join('\n'), '');
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      const level = heading[1]!.length;
      html += `<h${level}>${inline((heading[2] ?? '').replace(/^#+$/, ''))}</h${level}>\n`;
      i++;
      continue;
    }
    if (RULE.test(line)) {
      html += '<hr>\n';
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const quoted: string[] = [];
      while (i < lines.length) {
        const l = lines[i]!;
        if (QUOTE.test(l)) quoted.push(l.replace(QUOTE, ''));
        else if (!BLANK.test(l) && quoted.length && !BLANK.test(quoted[quoted.length - 1]!) && !interrupts(l) && !ITEM.test(l)) quoted.push(l);
        else break;
        i++;
      }
      html += `<blockquote>\n${blocks(quoted)}</blockquote>\n`;
      continue;
    }
    if (ITEM.test(line)) {
      const [listHtml, next] = list(lines, i);
      html += listHtml;
      i = next;
      continue;
    }
    // A table: a header row, then the row of its columns' alignment.
    const aligns = tableAt(lines, i);
    if (aligns) {
      const head = cells(line);
      const rows: string[][] = [];
      i += 2;
      while (i < lines.length && !BLANK.test(lines[i]!) && !interrupts(lines[i]!)) rows.push(cells(lines[i++]!));
      html += table(head, aligns, rows);
      continue;
    }
    if (DEFINITION.test(line)) {
      i++;
      continue;
    }
    // A paragraph, or a heading underlined with = or -.
    const para = [line.trimStart()];
    i++;
    let level = 0;
    while (i < lines.length) {
      const l = lines[i]!;
      if (BLANK.test(l)) break;
      const underline = SETEXT.exec(l);
      if (underline) {
        level = underline[1]![0] === '=' ? 1 : 2;
        i++;
        break;
      }
      if (interrupts(l) || tableAt(lines, i)) break;
      para.push(l.trimStart());
      i++;
    }
    const text = inline(para.join('\n').trimEnd());
    if (level) html += `<h${level}>${text}</h${level}>\n`;
    else if (opened) {
      html += `${text}</p>\n`;
      opened = false;
    } else html += tight ? text : `<p>${text}</p>\n`;
  }
  return html;
}

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
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  definitions = new Map();
  let fenced = false;
  // (A definition starts a paragraph, or follows one: it does not go on a paragraph's text.)
  let after = true;
  for (const line of lines) {
    if (FENCE.test(line)) fenced = !fenced;
    const definition: RegExpExecArray | null | undefined = fenced || !after ? undefined : DEFINITION.exec(line);
    if (definition && !definitions.has(label(definition[1]!))) definitions.set(label(definition[1]!), definition[2] ?? definition[3]!);
    after = !!definition || BLANK.test(line);
  }
  const html = blocks(lines);
  rendered.set(text, html);
  if (rendered.size > RENDERED_MAX) rendered.delete(rendered.keys().next().value!);
  return html;
}
