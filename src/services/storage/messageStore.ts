import { type FileHandle, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ClaudeManagerError } from '../errors';
import { AppendLog, scanLog } from './appendLog';
import { boolean, type Check, decode, Failure, fields, int, listOf, matching, oneOf, optional, record, string } from './decode';
import { imageCheck, type MessageImage } from './imageFiles';

/** A message as the API describes it (docs: API.md, Message). */
export interface StoredMessage {
  id: string;
  agentId: string;
  role: 'user' | 'assistant' | 'system' | 'tool';
  kind: 'text' | 'thinking' | 'tool' | 'notice';
  content: string;
  tokenCount?: number | undefined;
  toolName?: string | undefined;
  toolInput?: Record<string, unknown> | undefined;
  toolOutput?: string | undefined;
  isError?: boolean | undefined;
  /** The images the user sent with the message, or a tool's result carried: references to their files (see `ImageFiles`). */
  images?: MessageImage[] | undefined;
  isComplete: boolean;
  createdAt: string;
  /**
   * A message of a subagent: the id of the message of the call (Agent, Task) that started it.
   * Absent on the agent's own messages, and on every message stored before subagents were shown.
   */
  parentId?: string | undefined;
  /** A subagent's call: how the subagent is doing (it may run on after its call's result, in the background) and its report. */
  subagent?: SubagentState | undefined;
}

export const subagentStatuses = ['running', 'completed', 'failed', 'stopped'] as const;

/** How a subagent is doing, as the CLI's task lines say. */
export interface SubagentState {
  status: (typeof subagentStatuses)[number];
  /** Started in the background: its call's result comes at once, the subagent's work later. */
  background?: boolean | undefined;
  /** Its final report, once it has one. */
  result?: string | undefined;
}

/** Checks a message, as a new object of its known fields only. */
export const messageCheck: Check<StoredMessage> = fields<StoredMessage>({
  id: matching(/^msg_[A-Za-z0-9_-]+$/),
  agentId: matching(/^ag_[A-Za-z0-9_-]+$/),
  role: oneOf(['user', 'assistant', 'system', 'tool']),
  kind: oneOf(['text', 'thinking', 'tool', 'notice']),
  content: string,
  tokenCount: optional(int(0)),
  toolName: optional(string),
  toolInput: optional(record),
  toolOutput: optional(string),
  isError: optional(boolean),
  parentId: optional(matching(/^msg_[A-Za-z0-9_-]+$/)),
  subagent: optional(fields<SubagentState>({ status: oneOf(subagentStatuses), background: optional(boolean), result: optional(string) })),
  images: optional(listOf(imageCheck, 100)),
  // Last: a record ends with its createdAt, which indexing reads in place (`recordId`).
  isComplete: boolean,
  createdAt: string,
});

export interface MessagePage {
  /** Newest first. */
  messages: StoredMessage[];
  hasMore: boolean;
  /** Pass as `before` to get the next (older) page; absent on the last page. */
  nextCursor?: string;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** One log record: a message, whole, as of this write. A later record of the same id supersedes it. */
const recordCheck = fields<{ m: StoredMessage }>({ m: messageCheck });

/**
 * What a process knows of one agent's log: its message ids in insertion order and where each
 * one's newest record is. Kept compact, since it holds every message of every agent paged so far:
 * the ids in one array, a map from id to position, and the records' places in typed arrays by
 * position (rather than an object per message).
 */
export class MessageIndex {
  /** Message ids, oldest first. */
  private readonly order: string[] = [];
  private readonly positions = new Map<string, number>();
  /** By position: where the message's newest record starts in the log, and its length with its newline. */
  private offsets = new Float64Array(64);
  private lengths = new Uint32Array(64);
  /** Where the log has been read up to. */
  next = 0;

  /** How many messages. */
  get size(): number {
    return this.order.length;
  }

  /** Records that the newest record of `id` is `length` bytes at `offset`; a new id goes last, a known one keeps its place. */
  set(id: string, offset: number, length: number): void {
    let at = this.positions.get(id);
    if (at === undefined) {
      at = this.order.length;
      if (at === this.offsets.length) this.grow();
      this.order.push(id);
      this.positions.set(id, at);
    }
    this.offsets[at] = offset;
    this.lengths[at] = length;
  }

  private grow(): void {
    const offsets = new Float64Array(this.offsets.length * 2);
    offsets.set(this.offsets);
    this.offsets = offsets;
    const lengths = new Uint32Array(this.lengths.length * 2);
    lengths.set(this.lengths);
    this.lengths = lengths;
  }

  /** The id at a position (0 is the oldest). */
  idAt(position: number): string {
    return this.order[position]!;
  }

  /** Where the newest record of the message at a position is: [offset, end). */
  placeAt(position: number): { offset: number; end: number } {
    const offset = this.offsets[position]!;
    return { offset, end: offset + this.lengths[position]! };
  }

  /** Where the newest record of `id` starts, if the id is known. */
  offsetOf(id: string): number | undefined {
    const at = this.positions.get(id);
    return at === undefined ? undefined : this.offsets[at];
  }

  /** The position of `id`, if it is known. */
  positionOf(id: string): number | undefined {
    return this.positions.get(id);
  }

  /** The ids, oldest first. */
  ids(): IterableIterator<string> {
    return this.order.values();
  }
}

const RECORD_START = Buffer.from('{"m":{"id":"msg_', 'utf8');
const CREATED_AT = Buffer.from(',"createdAt":"', 'utf8');
const QUOTE = 0x22;
const CLOSE = 0x7d;
/** Length of a `Date#toISOString()` of years 0–9999. */
const ISO_LENGTH = 24;

/**
 * The message id of one log line, or undefined when the line is not a whole message record.
 *
 * Only the id is needed to index a log, and parsing every record made the first page of a
 * 10,000-message agent take ~40 ms under Node (the whole page is checked with its schema when it is
 * read). A record as `put` writes it starts with its id and ends with its `createdAt`, so those
 * bytes are read in place; a torn line lacks that end. Any other line is parsed.
 */
export function recordId(data: Buffer, start: number, end: number): string | undefined {
  const idStart = start + RECORD_START.length;
  const tail = end - 3 - ISO_LENGTH - CREATED_AT.length;
  if (
    tail > idStart &&
    data.compare(RECORD_START, 0, RECORD_START.length, start, idStart) === 0 &&
    data[end - 1] === CLOSE &&
    data[end - 2] === CLOSE &&
    data[end - 3] === QUOTE &&
    data.compare(CREATED_AT, 0, CREATED_AT.length, tail, tail + CREATED_AT.length) === 0
  ) {
    const idEnd = data.indexOf(QUOTE, idStart);
    // Read with its "msg_" in one piece: a flat string, where concatenating made a cons string
    // (two objects) that every index entry kept.
    if (idEnd > idStart && idEnd < tail) return data.toString('latin1', idStart - 4, idEnd);
  }
  try {
    const id = (JSON.parse(data.toString('utf8', start, end)) as { m?: { id?: unknown } } | null)?.m?.id;
    return typeof id === 'string' && id.startsWith('msg_') ? id : undefined;
  } catch {
    // A damaged line (a crash mid-write): left out.
    return undefined;
  }
}

function encodeCursor(position: number): string {
  return Buffer.from(`p${position}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^p(\d+)$/.exec(text);
  if (!match) throw new ClaudeManagerError('INVALID_INPUT', `"${cursor}" is not a cursor this store handed out. Start again from the newest page.`);
  return Number(match[1]);
}

/**
 * Messages, kept in one append-only log per agent (see docs/storage.md). Persisting a message is
 * one append, whatever the history holds. Each process indexes an agent's log the first time it
 * is asked for that agent's messages and then follows the file as it grows, which is also how it
 * sees messages another window wrote. Paging is newest-first by insertion order.
 */
export class MessageStore {
  private readonly logs = new Map<string, AppendLog>();
  private readonly indexes = new Map<string, MessageIndex>();
  private readonly refreshing = new Map<string, Promise<MessageIndex>>();

  constructor(
    private readonly dir: string,
    /** Where the messages' images are kept (`ImageFiles`): an agent's go with its messages. */
    private readonly imagesDir?: string,
  ) {}

  private logPath(agentId: string): string {
    if (!/^ag_[A-Za-z0-9_-]+$/.test(agentId)) throw new ClaudeManagerError('INVALID_INPUT', `"${agentId}" is not an agent id.`);
    return join(this.dir, `${agentId}.log`);
  }

  private log(agentId: string): AppendLog {
    let log = this.logs.get(agentId);
    if (!log) {
      log = new AppendLog(this.logPath(agentId));
      this.logs.set(agentId, log);
    }
    return log;
  }

  /**
   * Stores a message, or a newer version of one (streamed text that grew, a tool result that
   * arrived); it keeps its place in the order. Resolves when the write is durable.
   */
  async put(message: StoredMessage): Promise<void> {
    const parsed = decode(messageCheck, message);
    if (!parsed.ok) throw new ClaudeManagerError('INVALID_INPUT', `Invalid message: ${parsed.issues.join('; ')}`);
    await this.log(parsed.value.agentId).append({ m: parsed.value });
  }

  /** Brings this process's index of an agent's log up to the file's current end. */
  private refresh(agentId: string): Promise<MessageIndex> {
    const running = this.refreshing.get(agentId);
    if (running) return running;
    const work = (async () => {
      const index = this.indexes.get(agentId) ?? new MessageIndex();
      const read = await scanLog(this.logPath(agentId), (data, start, end, offset) => {
        const id = recordId(data, start, end);
        if (id !== undefined) index.set(id, offset, end - start + 1);
      }, index.next);
      index.next = read.next;
      this.indexes.set(agentId, index);
      return index;
    })().finally(() => this.refreshing.delete(agentId));
    this.refreshing.set(agentId, work);
    return work;
  }

  /** A page of an agent's messages, newest first, older than `before` when given. */
  async page(agentId: string, options: { limit?: number; before?: string } = {}): Promise<MessagePage> {
    const limit = options.limit ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw new ClaudeManagerError('INVALID_INPUT', `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}; got ${String(options.limit)}.`);
    }
    const index = await this.refresh(agentId);
    const end = options.before === undefined ? index.size : Math.min(decodeCursor(options.before), index.size);
    const start = Math.max(0, end - limit);
    const places: { offset: number; end: number }[] = [];
    for (let i = end - 1; i >= start; i--) places.push(index.placeAt(i));
    const messages = await this.readRecords(agentId, places);
    return start > 0 ? { messages, hasMore: true, nextCursor: encodeCursor(start) } : { messages, hasMore: false };
  }

  /**
   * The messages of an agent whose text holds `query` (case-insensitive: the text, a tool's input
   * and its output, a subagent's report), newest first, at most `limit` of them, and how many there are in all.
   */
  async search(agentId: string, query: string, limit = 1000): Promise<{ ids: string[]; total: number }> {
    const needle = query.toLowerCase();
    if (!needle.trim()) throw new ClaudeManagerError('INVALID_INPUT', 'Type some text to find.');
    const index = await this.refresh(agentId);
    /** The positions of the messages that hold the text. */
    const found = new Set<number>();
    // One pass over the log, reading only each message's newest record.
    await scanLog(this.logPath(agentId), (data, start, end, offset) => {
      const id = recordId(data, start, end);
      if (id === undefined || index.offsetOf(id) !== offset) return;
      let json: unknown;
      try {
        json = JSON.parse(data.toString('utf8', start, end));
      } catch {
        return;
      }
      const record = recordCheck(json);
      if (record instanceof Failure) return;
      const m = record.m;
      if (
        m.content.toLowerCase().includes(needle) ||
        (m.toolOutput !== undefined && m.toolOutput.toLowerCase().includes(needle)) ||
        (m.toolInput !== undefined && JSON.stringify(m.toolInput).toLowerCase().includes(needle)) ||
        (m.subagent?.result !== undefined && m.subagent.result.toLowerCase().includes(needle))
      ) {
        found.add(index.positionOf(id)!);
      }
    });
    const ids: string[] = [];
    for (let i = index.size - 1; i >= 0 && ids.length < limit; i--) if (found.has(i)) ids.push(index.idAt(i));
    return { ids, total: found.size };
  }

  /** The ids of an agent's messages. */
  async ids(agentId: string): Promise<Set<string>> {
    return new Set((await this.refresh(agentId)).ids());
  }

  /** Stores many messages of one agent in one write (an import); resolves when all are durable. */
  async putMany(agentId: string, messages: readonly StoredMessage[]): Promise<void> {
    const records = messages.map((message) => {
      const parsed = decode(messageCheck, message);
      if (!parsed.ok || parsed.value.agentId !== agentId) {
        throw new ClaudeManagerError('INVALID_INPUT', `Invalid message ${message.id} for ${agentId}: ${parsed.ok ? 'another agent\'s' : parsed.issues.join('; ')}`);
      }
      return { m: parsed.value };
    });
    if (records.length) await this.log(agentId).appendMany(records);
  }

  /** How many messages an agent has. */
  async count(agentId: string): Promise<number> {
    return (await this.refresh(agentId)).size;
  }

  private async readRecords(agentId: string, where: readonly { offset: number; end: number }[]): Promise<StoredMessage[]> {
    if (where.length === 0) return [];
    let handle: FileHandle | undefined;
    try {
      handle = await open(this.logPath(agentId), 'r');
      const out: StoredMessage[] = [];
      for (const { offset, end } of where) {
        const length = end - offset;
        const { buffer } = await handle.read(Buffer.alloc(length), 0, length, offset);
        // A record that is not a valid message (a damaged line) is left out of the page.
        const record = recordCheck(JSON.parse(buffer.toString('utf8')));
        if (!(record instanceof Failure)) out.push(record.m);
      }
      return out;
    } finally {
      await handle?.close();
    }
  }

  /** Deletes an agent's messages for good. */
  async deleteAgent(agentId: string): Promise<void> {
    await this.logs.get(agentId)?.close();
    this.logs.delete(agentId);
    this.indexes.delete(agentId);
    await rm(this.logPath(agentId), { force: true });
    if (this.imagesDir) await rm(join(this.imagesDir, agentId), { recursive: true, force: true });
  }

  /** Waits for every write to be durable and closes the files. */
  async close(): Promise<void> {
    await Promise.all([...this.logs.values()].map((l) => l.close()));
    this.logs.clear();
  }
}
