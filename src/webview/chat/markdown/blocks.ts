/** Block Markdown: paragraphs, headings, code, quotes, lists, tables, rules. */
import { codeBlock } from './html';
import { DEFINITION, inline } from './inline';

export const BLANK = /^[ \t]*$/;
export const FENCE = /^( {0,3})(`{3,}|~{3,})[ \t]*(.*)$/;
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
export function blocks(lines: string[], tight = false, opened = false): string {
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
