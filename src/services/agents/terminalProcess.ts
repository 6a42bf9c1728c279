import { EventEmitter } from 'node:events';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cliConfigDir } from './cliArgs';
import { ClaudeManagerError } from '../errors';
import { killProcessTree } from '../processRunner';
import type { CliExit } from './cliProcess';
import { type CliLine, type ControlRequestLine, parseCliLine } from './cliProtocol';

/**
 * Where the CLI keeps a session's transcript: `<config dir>/projects/<cwd with every character
 * that is not a letter or digit made "-">/<session>.jsonl` (the config dir is `CLAUDE_CONFIG_DIR`,
 * else `~/.claude`). The CLI's own convention, checked by the tests against the path its hooks
 * report; the hooks' path wins when they differ.
 */
export function transcriptPath(env: NodeJS.ProcessEnv, cwd: string, sessionId: string): string {
  return join(projectsDir(env), cwd.replace(/[^a-zA-Z0-9]/g, '-'), `${sessionId}.jsonl`);
}

/** The folder the CLI keeps its transcripts in: `<CLAUDE_CONFIG_DIR or ~/.claude>/projects`. */
export function projectsDir(env: NodeJS.ProcessEnv): string {
  return join(cliConfigDir(env), 'projects');
}

/** The largest transcript line read; longer ones (a huge tool output) are skipped, and said so. */
const MAX_LINE_BYTES = 8 * 1024 * 1024;

/**
 * Reads a transcript as it grows: each call returns the lines completed since the last one. A
 * line still being written is left for the next call.
 */
export class TranscriptTail {
  private offset: number;

  constructor(
    public path: string,
    offset = 0,
  ) {
    this.offset = offset;
  }

  /** The file's size now (0 when it does not exist yet): where reading starts for a session that already has a history. */
  static async sizeOf(path: string): Promise<number> {
    return stat(path).then((s) => s.size, () => 0);
  }

  /** Starts over on another file (the session changed, e.g. after /clear). */
  moveTo(path: string, offset = 0): void {
    this.path = path;
    this.offset = offset;
  }

  async read(): Promise<{ lines: CliLine[]; skipped: number }> {
    let handle;
    try {
      handle = await open(this.path, 'r');
    } catch {
      return { lines: [], skipped: 0 };
    }
    try {
      const size = (await handle.stat()).size;
      if (size <= this.offset) return { lines: [], skipped: 0 };
      const buffer = Buffer.alloc(size - this.offset);
      await handle.read(buffer, 0, buffer.length, this.offset);
      const end = buffer.lastIndexOf(0x0a);
      if (end < 0) return { lines: [], skipped: 0 };
      this.offset += end + 1;
      const lines: CliLine[] = [];
      let skipped = 0;
      for (const text of buffer.subarray(0, end).toString('utf8').split('\n')) {
        if (!text.trim()) continue;
        if (Buffer.byteLength(text) > MAX_LINE_BYTES) {
          skipped++;
          continue;
        }
        lines.push(parseCliLine(text));
      }
      return { lines, skipped };
    } finally {
      await handle.close();
    }
  }
}

/**
 * Stands in for the CLI process of an agent whose session runs in a terminal: the terminal owns
 * the process, the user types there, and the extension learns what happens from the CLI's hooks
 * and transcript. Whatever needs the stream-json process is refused with the reason.
 */
export class TerminalProcess extends EventEmitter<{ line: [CliLine]; request: [ControlRequestLine]; exit: [CliExit] }> {
  pid: number | undefined;
  private exitInfo: CliExit | undefined;
  private readonly exited: Promise<CliExit>;
  private resolveExit!: (exit: CliExit) => void;

  constructor(private readonly name: string) {
    super();
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  sendUser(): void {
    throw new ClaudeManagerError('ALREADY_RUNNING', `${this.name} is open in a terminal: type there, or close the terminal first.`);
  }

  respond(): void {
    throw new ClaudeManagerError('NOT_RUNNING', `${this.name} is open in a terminal: answer there.`);
  }

  request(request: Record<string, unknown>): Promise<unknown> {
    const what = request.subtype === 'interrupt' ? 'press Esc there' : request.subtype === 'set_permission_mode' ? 'change the mode there (Shift+Tab)' : 'use the terminal';
    return Promise.reject(new ClaudeManagerError('NOT_RUNNING', `${this.name} is open in a terminal: ${what}.`));
  }

  /** The terminal's process ended (or was closed): reported once. */
  ended(code: number | null, signal: NodeJS.Signals | null = null): void {
    if (this.exitInfo) return;
    this.exitInfo = { code, signal, stderrTail: '' };
    this.resolveExit(this.exitInfo);
    this.emit('exit', this.exitInfo);
  }

  /**
   * Ends the CLI in the terminal: SIGTERM to its process group (the terminal made it a session
   * leader), SIGKILL after `graceMs`. Resolves when the terminal reports the end, or, without a
   * pid to signal, at once as "closed".
   */
  async stop(options: { force?: boolean; graceMs?: number } = {}): Promise<CliExit> {
    if (this.exitInfo) return this.exitInfo;
    const pid = this.pid;
    if (pid === undefined) {
      this.ended(null);
      return this.exited;
    }
    if (options.force) killProcessTree(pid);
    else {
      try {
        if (process.platform === 'win32') process.kill(pid);
        else process.kill(-pid, 'SIGTERM');
      } catch {
        // gone already
      }
    }
    const timer = setTimeout(() => killProcessTree(pid), options.graceMs ?? 5000);
    // The terminal reports the exit; if it never does (closed already), the group's end counts.
    const poll = setInterval(() => {
      try {
        process.kill(process.platform === 'win32' ? pid : -pid, 0);
      } catch {
        this.ended(null, options.force ? 'SIGKILL' : 'SIGTERM');
      }
    }, 100);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
      clearInterval(poll);
    }
  }
}
