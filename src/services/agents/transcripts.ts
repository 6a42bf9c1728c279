import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { StoredMessage } from '../storage/messageStore';
import type { TaskItem } from '../storage/records';
import type { CliLine } from './cliProtocol';
import type { InlineImage } from './images';
import { INTERRUPTED, StreamTranslator } from './streamTranslator';
import { TranscriptTail, transcriptPath } from './terminalProcess';

/**
 * The CLI's session transcripts read for adoption (docs/worktrees.md, "Sessions started
 * elsewhere"): a session started in a terminal, by `claude --worktree` or by another tool is a
 * file `<projects>/<worktree path made safe>/<session>.jsonl`; listed with its first prompt, its
 * time and its count of messages, then imported as an agent's history.
 */

/** A session the CLI recorded for a folder, as the list to adopt from shows it. */
export interface CliSessionSummary {
  sessionId: string;
  /** Its transcript. */
  path: string;
  /** The first thing the user typed ('' when the session holds no prompt). */
  firstPrompt: string;
  /** Its first and last entries' times (ISO), else the file's modification time. */
  startedAt: string;
  updatedAt: string;
  /** The user's prompts and the agent's replies it holds (tool results are part of their call). */
  messages: number;
  /** Lines that are not JSON, skipped. */
  skippedLines: number;
  /** The branch the CLI recorded with its first entry. */
  gitBranch?: string;
}

/** A session id is a UUID: other files of the folder (memory, a subagent's) are not sessions. */
const SESSION_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/;

/** What the CLI records as a user entry but the user did not type: a slash command's bookkeeping, the CLI's own notes. */
const NOT_TYPED = /^<(command-name|command-message|command-args|local-command-stdout|local-command-stderr|local-command-caveat|bash-input|bash-stdout|bash-stderr)>/;

/** The text the user typed in a transcript's user entry; undefined when the entry is not a prompt (a tool's result, the CLI's own note). */
function typedPrompt(entry: { isMeta?: unknown; isSidechain?: unknown; message?: { content?: unknown } }): string | undefined {
  if (entry.isMeta === true || entry.isSidechain === true) return undefined;
  const content = entry.message?.content;
  let text: string;
  if (typeof content === 'string') text = content;
  else if (Array.isArray(content) && content.every((b) => b && typeof b === 'object' && (b as { type?: unknown }).type !== 'tool_result')) {
    text = content
      .filter((b): b is { type: 'text'; text: string } => (b as { type?: unknown }).type === 'text' && typeof (b as { text?: unknown }).text === 'string')
      .map((b) => b.text)
      .join('\n');
  } else return undefined;
  text = text.trim();
  if (!text || NOT_TYPED.test(text) || INTERRUPTED.test(text)) return undefined;
  return text;
}

/** Reads one transcript for the list: a line at a time, so a long session is never held whole. */
export async function summarizeTranscript(path: string, sessionId: string): Promise<CliSessionSummary> {
  let firstPrompt = '';
  let startedAt = '';
  let updatedAt = '';
  let gitBranch: string | undefined;
  let prompts = 0;
  let skippedLines = 0;
  const replies = new Set<string>();
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const text of lines) {
    if (!text.trim()) continue;
    let entry: Record<string, unknown>;
    try {
      const value: unknown = JSON.parse(text);
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
      entry = value as Record<string, unknown>;
    } catch {
      skippedLines++;
      continue;
    }
    if (typeof entry.timestamp === 'string') {
      if (!startedAt || entry.timestamp < startedAt) startedAt = entry.timestamp;
      if (entry.timestamp > updatedAt) updatedAt = entry.timestamp;
    }
    if (entry.isSidechain === true) continue;
    if (entry.type === 'user') {
      const prompt = typedPrompt(entry);
      if (prompt === undefined) continue;
      prompts++;
      if (!firstPrompt) firstPrompt = prompt;
      if (gitBranch === undefined && typeof entry.gitBranch === 'string' && entry.gitBranch) gitBranch = entry.gitBranch;
    } else if (entry.type === 'assistant') {
      const id = (entry.message as { id?: unknown } | undefined)?.id;
      replies.add(typeof id === 'string' ? id : String(entry.uuid));
    }
  }
  if (!startedAt || !updatedAt) {
    const modified = (await stat(path)).mtime.toISOString();
    startedAt ||= modified;
    updatedAt ||= modified;
  }
  return { sessionId, path, firstPrompt, startedAt, updatedAt, messages: prompts + replies.size, skippedLines, ...(gitBranch ? { gitBranch } : {}) };
}

/**
 * The sessions the CLI recorded for a folder, newest first: those of `<projects>/<folder made
 * safe>/`, the `limit` last written (each is read whole for its summary). A transcript that
 * cannot be read is left out and named in `unreadable`.
 */
export async function listCliSessions(env: NodeJS.ProcessEnv, folder: string, limit = 50): Promise<{ sessions: CliSessionSummary[]; unreadable: { path: string; reason: string }[] }> {
  const dir = join(transcriptPath(env, folder, 'x'), '..');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return { sessions: [], unreadable: [] };
  }
  const sessions: CliSessionSummary[] = [];
  const unreadable: { path: string; reason: string }[] = [];
  const files: { id: string; path: string; modified: number }[] = [];
  for (const name of names) {
    const id = SESSION_FILE.exec(name)?.[1];
    if (!id) continue;
    const path = join(dir, name);
    try {
      const s = await stat(path);
      if (s.isFile()) files.push({ id, path, modified: s.mtimeMs });
    } catch (error) {
      unreadable.push({ path, reason: (error as Error).message });
    }
  }
  files.sort((a, b) => b.modified - a.modified);
  for (const { id, path } of files.slice(0, limit)) {
    try {
      sessions.push(await summarizeTranscript(path, id));
    } catch (error) {
      unreadable.push({ path, reason: (error as Error).message });
    }
  }
  sessions.sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0));
  return { sessions, unreadable };
}

/**
 * A transcript's lines in the order they happened: the CLI does not always write entries in that
 * order (a turn's first reply can come before the prompt's entry); their timestamps give it, and
 * lines without one keep their place relative to each other.
 */
export function inWrittenOrder(lines: readonly CliLine[]): CliLine[] {
  const at = (line: CliLine): string => ('line' in line ? String((line.line as { timestamp?: unknown }).timestamp ?? '') : '');
  return lines
    .map((line, i) => ({ line, i, t: at(line) }))
    .sort((a, b) => (a.t && b.t && a.t !== b.t ? (a.t < b.t ? -1 : 1) : a.i - b.i))
    .map((e) => e.line);
}

/** A transcript as an agent's history. */
export interface ImportedTranscript {
  /** Oldest first, each in its last version, complete. */
  messages: StoredMessage[];
  /** Images a message carried (a Read of a PNG), by message id, to keep as files. */
  images: Map<string, InlineImage[]>;
  /** The task list its task tool calls left. */
  tasks: TaskItem[] | undefined;
  /** The context's fill after its last reply, in percent. */
  contextLevel: number | undefined;
  /** Lines skipped: not JSON, of a shape not understood, or too long. */
  skipped: number;
  /** The first thing the user typed ('' when it holds no prompt). */
  firstPrompt: string;
}

/**
 * Reads a whole transcript into messages the way a terminal's transcript is read (the same
 * translator), with the user's prompts, which a live terminal learns from its hooks, taken from
 * the transcript's own entries, each at the time it was written.
 */
export async function importTranscript(path: string, options: { agentId: string; cwd: string; planDir?: string; newId?: () => string }): Promise<ImportedTranscript> {
  const { lines, skipped: tooLong } = await new TranscriptTail(path).read();
  let now = new Date().toISOString();
  const translator = new StreamTranslator({
    agentId: options.agentId,
    cwd: options.cwd,
    terminal: true,
    // The history of a session is not news: no notice of a context that filled long ago.
    contextWarningThreshold: () => Number.POSITIVE_INFINITY,
    now: () => now,
    ...(options.planDir ? { planDir: options.planDir } : {}),
    ...(options.newId ? { newId: options.newId } : {}),
  });
  const order: string[] = [];
  const latest = new Map<string, StoredMessage>();
  const images = new Map<string, InlineImage[]>();
  let tasks: TaskItem[] | undefined;
  let contextLevel: number | undefined;
  let skipped = tooLong;
  let firstPrompt = '';
  const take = (effects: ReturnType<StreamTranslator['line']>) => {
    for (const effect of effects) {
      if (effect.kind === 'message') {
        if (!latest.has(effect.message.id)) order.push(effect.message.id);
        latest.set(effect.message.id, effect.message);
        if (effect.images?.length) images.set(effect.message.id, effect.images);
      } else if (effect.kind === 'tasks') tasks = effect.tasks;
      else if (effect.kind === 'context') contextLevel = effect.level;
    }
  };
  for (const line of inWrittenOrder(lines)) {
    if (line.kind === 'invalid') {
      skipped++;
      continue;
    }
    if (line.kind !== 'assistant' && line.kind !== 'user' && line.kind !== 'system') continue;
    const entry = line.line as { timestamp?: unknown; isSidechain?: unknown };
    if (entry.isSidechain === true) continue;
    if (typeof entry.timestamp === 'string') now = entry.timestamp;
    const prompt = line.kind === 'user' ? typedPrompt(line.line as Parameters<typeof typedPrompt>[0]) : undefined;
    if (prompt !== undefined) {
      firstPrompt ||= prompt;
      // A new prompt begins a turn: what the one before kept of its API messages can go.
      translator.endTerminalTurn();
      take(translator.userMessage(prompt, { status: false }).effects);
    } else take(translator.line(line));
  }
  take(translator.exited({ code: 0, signal: null, stderrTail: '' }).effects);
  const messages = order.map((id) => ({ ...latest.get(id)!, isComplete: true }));
  return { messages, images, tasks, contextLevel, skipped, firstPrompt };
}
