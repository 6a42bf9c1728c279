/**
 * Inline Markdown: code spans, escapes, links and images (inline and by reference), autolinks,
 * emphasis, strikethrough, line breaks.
 */
import { escapeHtml, escapeText, link, safeHref } from './html';

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
/** Sets the link definitions that references in the text about to be rendered resolve to. */
export function useDefinitions(found: Map<string, string>): void {
  definitions = found;
}
export const DEFINITION = /^ {0,3}\[([^\]]+)\]:[ \t]*(?:<([^>\n]*)>|(\S+))(?:[ \t]+(?:"[^"\n]*"|'[^'\n]*'|\([^)\n]*\)))?[ \t]*$/;
export const label = (text: string) => text.trim().replace(/\s+/g, ' ').toLowerCase();

/** A reference link's target (`[text][label]`, `[text][]`, `[label]`) for the `]` at `i`, and where it ends. */
function reference(src: string, i: number, textAt: number): { end: number; href: string } | undefined {
  const full = /^\[([^\]]*)\]/.exec(src.slice(i + 1, i + 1000));
  const name = full?.[1] ? full[1] : src.slice(textAt, i);
  const href = definitions.get(label(name));
  return href === undefined ? undefined : { end: i + 1 + (full ? full[0].length : 0), href };
}

/** Markdown text of a paragraph, heading or cell to HTML. */
export function inline(src: string): string {
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
