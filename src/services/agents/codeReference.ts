import { isAbsolute, relative, sep } from 'node:path';

/** Where a piece of code is: its file, and its lines (1-based, inclusive) unless it is the whole file. */
export interface CodeReference {
  /** Absolute path of the file. */
  file: string;
  /** The agent's worktree folder: the file is named relative to it when inside. */
  worktreePath: string;
  startLine?: number;
  endLine?: number;
  /** The selected text; absent to point at the file only. */
  code?: string;
  /** The editor's language id, for the code fence. */
  languageId?: string;
}

/** The file as the agent knows it: relative to its worktree when inside it, else the absolute path. */
export function pathForAgent(file: string, worktreePath: string): string {
  const rel = relative(worktreePath, file);
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) return file;
  return rel.split(sep).join('/');
}

/** A fence longer than any run of backticks in the code, so the code cannot close it early. */
function fenceFor(code: string): string {
  const longest = Math.max(0, ...[...code.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(Math.max(3, longest + 1));
}

/**
 * The message sent to an agent about code: the user's words (if any), then where the code is and
 * the code itself in a fence the code cannot break out of.
 */
export function composeCodeMessage(ref: CodeReference, request: string): string {
  const where = pathForAgent(ref.file, ref.worktreePath);
  const lines =
    ref.startLine === undefined ? '' : ref.endLine === undefined || ref.endLine === ref.startLine ? ` line ${ref.startLine}` : ` lines ${ref.startLine}-${ref.endLine}`;
  const parts: string[] = [];
  if (request.trim()) parts.push(request.trim());
  if (ref.code === undefined) {
    parts.push(`File: ${where}${lines}`);
  } else {
    const fence = fenceFor(ref.code);
    const language = /^[\w+-]+$/.test(ref.languageId ?? '') ? ref.languageId : '';
    parts.push(`From ${where}${lines}:\n${fence}${language}\n${ref.code.replace(/\n$/, '')}\n${fence}`);
  }
  return parts.join('\n\n');
}
