const NEWLINE = 0x0a;

/** What is kept of a line too long to keep: its size, and its first and last bytes (where a JSON line names its type and id). */
export interface OversizedLine {
  bytes: number;
  head: string;
  tail: string;
}

/** How much of each end of a dropped line is kept. */
const EDGE_BYTES = 4096;

/**
 * Splits a byte stream into lines (UTF-8, "\n" or "\r\n"), for the CLI's stdout. A line longer
 * than `maxBytes` is not kept: its bytes are dropped up to the next newline and `onOversized`
 * says how many there were, with its first and last few kilobytes, so a runaway line can neither
 * exhaust memory nor stop the stream, and its sender can still be answered.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  /** Bytes dropped of the line being skipped, or -1 when not skipping. */
  private skipped = -1;
  private head = '';
  private tail: Buffer = Buffer.alloc(0);

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onOversized: (line: OversizedLine) => void,
    readonly maxBytes = 8 * 1024 * 1024,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, start)) {
      // The usual case, a whole line inside the chunk, is decoded in place: no copies.
      if (this.size === 0 && this.skipped < 0 && i - start <= this.maxBytes) this.deliver(chunk.toString('utf8', start, i));
      else this.take(chunk.subarray(start, i), true);
      start = i + 1;
    }
    if (start < chunk.length) this.take(chunk.subarray(start), false);
  }

  /** The stream ended: a last line without a newline still counts. */
  end(): void {
    if (this.skipped >= 0) this.dropped();
    else if (this.size > 0) this.emit();
    this.parts = [];
    this.size = 0;
  }

  private take(piece: Buffer, endsLine: boolean): void {
    if (this.skipped >= 0) {
      this.skipped += piece.length;
      this.keepTail(piece);
    } else if (this.size + piece.length > this.maxBytes) {
      const start = Buffer.concat([...this.parts, piece.subarray(0, EDGE_BYTES)]);
      this.head = start.toString('utf8', 0, Math.min(start.length, EDGE_BYTES));
      this.tail = Buffer.alloc(0);
      this.keepTail(Buffer.concat([...this.parts, piece]).subarray(-EDGE_BYTES));
      this.skipped = this.size + piece.length;
      this.parts = [];
      this.size = 0;
    } else if (piece.length > 0) {
      // Copied: the chunk's buffer is reused by the stream.
      this.parts.push(Buffer.from(piece));
      this.size += piece.length;
    }
    if (!endsLine) return;
    if (this.skipped >= 0) {
      this.dropped();
      return;
    }
    this.emit();
  }

  private keepTail(piece: Buffer): void {
    this.tail = Buffer.concat([this.tail, piece.subarray(-EDGE_BYTES)]).subarray(-EDGE_BYTES);
  }

  private dropped(): void {
    const line = { bytes: this.skipped, head: this.head, tail: this.tail.toString('utf8') };
    this.skipped = -1;
    this.head = '';
    this.tail = Buffer.alloc(0);
    this.onOversized(line);
  }

  private emit(): void {
    const line = Buffer.concat(this.parts, this.size).toString('utf8');
    this.parts = [];
    this.size = 0;
    this.deliver(line);
  }

  private deliver(line: string): void {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (text.length > 0) this.onLine(text);
  }
}
