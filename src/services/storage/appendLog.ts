import { constants } from 'node:fs';
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';

/** One record read back from a log, with where it starts and ends in the file. */
export interface LogEntry<T> {
  record: T;
  offset: number;
  end: number;
}

/** What a read found between two offsets. */
export interface LogRead<T> {
  entries: LogEntry<T>[];
  /** Where the next read should start: just after the last complete line. */
  next: number;
  /** Complete lines that were not valid JSON (left by a crash mid-write): skipped, counted. */
  skipped: number;
}

export interface AppendLogOptions {
  /** Longest wait before the appends of a batch are fsynced. Durability is reported after it. */
  syncDelayMs?: number;
}

const NEWLINE = 0x0a;

/**
 * An append-only file of JSON lines. Appends go through `O_APPEND` with one `write` per batch of
 * complete lines, so several processes can append to the same file and no two lines interleave;
 * the order of lines in the file is the order every reader sees. `append` resolves once the
 * record is durable: the appends of a short window are fsynced together.
 *
 * A crash can leave a torn last line. Readers skip it, and every write starts with a newline, so
 * torn bytes left by any process, at any time, stay a line of their own and never swallow the next
 * record (readers skip the empty lines this leaves). Nothing reported durable can be torn: it was
 * written whole and synced before the report.
 */
export class AppendLog {
  private handle: FileHandle | undefined;
  private opening: Promise<FileHandle> | undefined;
  private queue: { bytes: Buffer; resolve: () => void; reject: (e: Error) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly syncDelayMs: number;

  constructor(
    readonly path: string,
    options: AppendLogOptions = {},
  ) {
    this.syncDelayMs = options.syncDelayMs ?? 20;
  }

  /** Appends one record; resolves when it is durable on disk. */
  append(record: unknown): Promise<void> {
    return this.appendMany([record]);
  }

  /** Appends records in order, as one write; resolves when all are durable. */
  appendMany(records: readonly unknown[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.path} is closed`));
    const lines = records.map((r) => {
      const line = JSON.stringify(r);
      if (line === undefined) throw new TypeError('a log record must be JSON');
      return `${line}\n`;
    });
    const bytes = Buffer.from(lines.join(''), 'utf8');
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ bytes, resolve, reject });
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.flushing = this.flushing.then(() => this.flush());
      }, this.syncDelayMs);
    });
  }

  private async file(): Promise<FileHandle> {
    if (this.handle) return this.handle;
    this.opening ??= (async () => {
      await mkdir(dirname(this.path), { recursive: true });
      const handle = await open(this.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
      this.handle = handle;
      return handle;
    })();
    return this.opening;
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0);
    if (batch.length === 0) return;
    try {
      const handle = await this.file();
      const bytes = Buffer.concat([Buffer.from([NEWLINE]), ...batch.map((b) => b.bytes)]);
      let written = 0;
      while (written < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, written, bytes.length - written);
        written += bytesWritten;
      }
      await handle.datasync();
      for (const b of batch) b.resolve();
    } catch (error) {
      for (const b of batch) b.reject(error as Error);
    }
  }

  /** Waits for every append made so far to be durable. */
  async settle(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.flushing = this.flushing.then(() => this.flush());
    }
    await this.flushing;
  }

  async close(): Promise<void> {
    await this.settle();
    this.closed = true;
    await this.handle?.close();
    this.handle = undefined;
  }
}

/**
 * Reads the complete lines of a log from `from` (a line start) up to its current end. A last line
 * without its newline is not read (it may still be being written): `next` stays before it.
 */
export async function readLog<T = unknown>(path: string, from = 0, chunkSize = 1 << 20): Promise<LogRead<T>> {
  const entries: LogEntry<T>[] = [];
  let skipped = 0;
  const { next } = await scanLog(
    path,
    (data, start, end, offset) => {
      try {
        entries.push({ record: JSON.parse(data.toString('utf8', start, end)) as T, offset, end: offset + (end - start) + 1 });
      } catch {
        skipped++;
      }
    },
    from,
    chunkSize,
  );
  return { entries, next, skipped };
}

/**
 * Calls `onLine` with each complete, non-empty line of a log from `from` (a line start) up to its
 * current end: the bytes are `data[start, end)` (the newline left out), `offset` is where the line
 * starts in the file. The buffer is reused: copy what must be kept. Resolves with where the next
 * read should start (just after the last complete line).
 */
export async function scanLog(
  path: string,
  onLine: (data: Buffer, start: number, end: number, offset: number) => void,
  from = 0,
  chunkSize = 1 << 20,
): Promise<{ next: number }> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { next: from };
    throw error;
  }
  try {
    const size = (await handle.stat()).size;
    // One buffer for the whole read, reused chunk after chunk (a fresh one per chunk left the
    // process's memory larger after indexing a long log). A line cut by a chunk's end is moved to
    // the buffer's start and completed by the next read; a line longer than the buffer grows it.
    let buffer = Buffer.allocUnsafe(Math.max(1, Math.min(chunkSize, size - from)));
    let kept = 0;
    let position = from;
    let lineStart = from;
    while (position < size) {
      if (kept === buffer.length) {
        const larger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(larger, 0, 0, kept);
        buffer = larger;
      }
      const { bytesRead } = await handle.read(buffer, kept, Math.min(buffer.length - kept, size - position), position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const data = buffer.subarray(0, kept + bytesRead);
      let start = 0;
      // The kept bytes hold no newline: the search starts after them.
      for (let i = data.indexOf(NEWLINE, kept); i !== -1; i = data.indexOf(NEWLINE, start)) {
        if (i > start) onLine(data, start, i, lineStart);
        lineStart += i - start + 1;
        start = i + 1;
      }
      kept = data.length - start;
      data.copy(buffer, 0, start);
    }
    return { next: lineStart };
  } finally {
    await handle.close();
  }
}
