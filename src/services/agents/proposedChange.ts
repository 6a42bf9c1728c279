import { stat } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import { ClaudeManagerError } from '../errors';
import { diffLines, type DiffLine, type LineDiff } from '../diff/lineDiff';
import { readSide, toolFilePath } from './worktreeFiles';

/** The file tools whose change is shown before it is allowed (a notebook's JSON diff says little: NotebookEdit shows its input). */
export const PREVIEW_TOOLS: ReadonlySet<string> = new Set(['Write', 'Edit', 'MultiEdit']);

/** Files (now, or as the tool would leave them) larger than this are not shown. */
export const MAX_PREVIEW_BYTES = 1024 * 1024;

/** What a card shows at most of a diff; Open Diff shows the rest. */
export const MAX_PREVIEW_LINES = 200;

/** A line longer than this is cut in a card. */
const MAX_LINE_CHARS = 1000;

/** What a file tool would do to its file, or why that is not shown. `path` is relative to the worktree when inside it. */
export type ProposedChange =
  | { toolName: string; filePath: string; path: string; isNew: boolean; before: string; after: string; diff: LineDiff }
  | {
      toolName: string;
      filePath: string;
      path: string;
      /** Why there is no diff, in words for the user. */
      problem: string;
      /** The CLI will refuse the call (the edit cannot apply), rather than the change being only unshown. */
      fails: boolean;
    };

/** One edit of an Edit or a MultiEdit. */
interface EditStep {
  old_string: string;
  new_string: string;
  replace_all?: boolean;
}

function isEditStep(value: unknown): value is EditStep {
  const e = value as Partial<EditStep> | null;
  return typeof e?.old_string === 'string' && typeof e.new_string === 'string' && (e.replace_all === undefined || typeof e.replace_all === 'boolean');
}

/** How often `needle` is in `text`, not overlapping. */
function occurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}

/**
 * One edit applied as the CLI's Edit applies it: the text to replace must be in the file once,
 * or any number of times with `replace_all`; an empty one creates a file that does not exist.
 * Returns the new text, or why the CLI would refuse.
 */
function applyEdit(current: string | undefined, edit: EditStep): string | { fails: string } {
  if (edit.old_string === edit.new_string) return { fails: 'the text to replace and its replacement are the same' };
  if (current === undefined) return edit.old_string === '' ? edit.new_string : { fails: 'the file does not exist' };
  if (edit.old_string === '') return current === '' ? edit.new_string : { fails: 'the text to replace is empty, which only creates a file, and the file exists' };
  const count = occurrences(current, edit.old_string);
  if (count === 0) return { fails: 'the text to replace is not in the file' };
  if (count > 1 && !edit.replace_all) return { fails: `the text to replace is in the file ${count} times, and the edit replaces one only (not replace_all)` };
  // Split and joined, not String.replace: a "$&" in the new text stays as it is.
  if (edit.replace_all) return current.split(edit.old_string).join(edit.new_string);
  const at = current.indexOf(edit.old_string);
  return current.slice(0, at) + edit.new_string + current.slice(at + edit.old_string.length);
}

/**
 * The edits applied in order to the file's text. A file with Windows line ends is edited with
 * "\n" ends and written back with its own, as the CLI does, so an edit written with "\n" applies.
 */
function applyEdits(current: string | undefined, edits: readonly EditStep[]): string | { fails: string } {
  const crlf = current?.includes('\r\n') ?? false;
  let text = crlf ? current!.replaceAll('\r\n', '\n') : current;
  for (const [i, edit] of edits.entries()) {
    const steps = crlf ? { ...edit, old_string: edit.old_string.replaceAll('\r\n', '\n'), new_string: edit.new_string.replaceAll('\r\n', '\n') } : edit;
    const next = applyEdit(text, steps);
    if (typeof next !== 'string') return edits.length > 1 ? { fails: `edit ${i + 1} of ${edits.length}: ${next.fails}${i > 0 ? ' (after the edits before it)' : ''}` } : next;
    text = next;
  }
  return crlf ? text!.replaceAll('\n', '\r\n') : text!;
}

/** The file a tool names, as its summary shows it: relative to the worktree when inside it. */
export function displayPath(filePath: string, worktree: string): string {
  const rel = relative(worktree, filePath);
  return rel && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel) ? rel : filePath;
}

/**
 * What a Write, Edit or MultiEdit would leave of its file, from the tool's input and the file as
 * it is now, with the diff of the two; undefined for other tools. Never throws: what cannot be
 * shown (a file outside the worktree, larger than 1 MB, binary, an edit the CLI would refuse)
 * is a `problem`. Only files inside the worktree are read, symbolic links resolved.
 */
export async function proposeChange(toolName: string, input: Record<string, unknown>, worktree: string): Promise<ProposedChange | undefined> {
  if (!PREVIEW_TOOLS.has(toolName)) return undefined;
  const filePath = toolFilePath(input, worktree) ?? '';
  const path = filePath ? displayPath(filePath, worktree) : '(no file named)';
  const problem = (text: string, fails = false): ProposedChange => ({ toolName, filePath, path, problem: text, fails });
  if (!filePath) return problem(`The ${toolName} will fail: it names no file (file_path).`, true);
  let edits: EditStep[] | undefined;
  if (toolName === 'Write') {
    if (typeof input.content !== 'string') return problem('The Write will fail: it has no content to write.', true);
  } else {
    edits = toolName === 'Edit' ? [input as unknown as EditStep] : (input.edits as EditStep[]);
    if (!Array.isArray(edits) || edits.length === 0 || !edits.every(isEditStep)) {
      return problem(`The ${toolName} will fail: its input has no ${toolName === 'Edit' ? 'old_string and new_string' : 'edits (each with old_string and new_string)'}.`, true);
    }
  }
  let side;
  try {
    side = await readSide(worktree, filePath, { maxBytes: MAX_PREVIEW_BYTES, outcome: 'it is not read, so the change is not shown here' });
  } catch (error) {
    return problem(error instanceof ClaudeManagerError ? error.message : `${path} could not be read (${(error as Error).message}): the change is not shown here.`);
  }
  if (side.state === 'unavailable') return problem(`${path}: ${side.reason}, so the change is not shown here.`);
  const before = side.state === 'file' ? side.content : undefined;
  const after = edits ? applyEdits(before, edits) : (input.content as string);
  if (typeof after !== 'string') return problem(`The edit will fail: ${after.fails}.`, true);
  if (Buffer.byteLength(after, 'utf8') > MAX_PREVIEW_BYTES) return problem(`${path} would be larger than 1 MB, so the change is not shown here.`);
  if (after.includes('\0')) return problem(`${path} would be binary, so the change is not shown here.`);
  return { toolName, filePath, path, isNew: before === undefined, before: before ?? '', after, diff: diffLines(before ?? '', after) };
}

/** A card's view of a change: the first `maxLines` lines of its hunks, long lines cut, and how many were left out. */
export type ChangePreview =
  | { path: string; problem: string; fails: boolean }
  | { path: string; isNew: boolean; added: number; removed: number; hunks: { oldStart: number; newStart: number; lines: DiffLine[] }[]; more: number };

export function previewOf(change: ProposedChange, maxLines = MAX_PREVIEW_LINES): ChangePreview {
  if ('problem' in change) return { path: change.path, problem: change.problem, fails: change.fails };
  const hunks: { oldStart: number; newStart: number; lines: DiffLine[] }[] = [];
  let left = maxLines;
  let more = 0;
  for (const hunk of change.diff.hunks) {
    const shown = hunk.lines.slice(0, Math.max(0, left));
    more += hunk.lines.length - shown.length;
    left -= shown.length;
    if (shown.length) hunks.push({ oldStart: hunk.oldStart, newStart: hunk.newStart, lines: shown.map((l) => (l.text.length > MAX_LINE_CHARS ? { ...l, text: `${l.text.slice(0, MAX_LINE_CHARS)}…` } : l)) });
  }
  return { path: change.path, isNew: change.isNew, added: change.diff.added, removed: change.diff.removed, hunks, more };
}

/** What a permission request's change is worked out from. */
export interface ChangeRequest {
  requestId: string;
  toolName: string;
  input: Record<string, unknown>;
}

/**
 * The changes of the permission requests waiting, worked out once per request and again only
 * when the file changed meanwhile (the user may edit it while the question waits): a `stat` of
 * the file tells. A change made within the file system's time resolution without a change of
 * size could go unseen until the next one; Open Diff always works it out afresh.
 */
export class ProposedChanges {
  private readonly kept = new Map<string, { stamp: string; change: Promise<ProposedChange | undefined> }>();

  constructor(private readonly worktree: () => Promise<string>) {}

  /** The change `request` would make; `fresh` works it out again whatever was kept. */
  async get(request: ChangeRequest, options: { fresh?: boolean } = {}): Promise<ProposedChange | undefined> {
    if (!PREVIEW_TOOLS.has(request.toolName)) return undefined;
    const worktree = await this.worktree();
    const filePath = toolFilePath(request.input, worktree);
    const stamp = filePath
      ? await stat(filePath).then(
          (s) => `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`,
          (error: NodeJS.ErrnoException) => error.code ?? 'unreadable',
        )
      : '';
    const kept = this.kept.get(request.requestId);
    if (kept && kept.stamp === stamp && !options.fresh) return kept.change;
    const change = proposeChange(request.toolName, request.input, worktree);
    this.kept.set(request.requestId, { stamp, change });
    return change;
  }

  /** Forgets the requests no longer waiting. */
  retain(requestIds: Iterable<string>): void {
    const keep = new Set(requestIds);
    for (const id of this.kept.keys()) if (!keep.has(id)) this.kept.delete(id);
  }
}
