/**
 * The `@` reference being typed at `caret` in `text`, if any: the `@` must start the text or
 * follow white space, and nothing but path characters may lie between it and the caret.
 */
export function mentionAt(text: string, caret: number): { start: number; query: string } | undefined {
  const before = text.slice(0, caret);
  const match = /(^|\s)@([^\s@]*)$/.exec(before);
  if (!match) return undefined;
  return { start: caret - match[2]!.length - 1, query: match[2]! };
}

/** `text` with the reference at `start` (up to `caret`) replaced by `@path` and a space; the caret after it. */
export function insertMention(text: string, start: number, caret: number, path: string): { text: string; caret: number } {
  const quoted = /\s/.test(path) ? `"${path}"` : path;
  const inserted = `@${quoted} `;
  return { text: text.slice(0, start) + inserted + text.slice(caret), caret: start + inserted.length };
}
