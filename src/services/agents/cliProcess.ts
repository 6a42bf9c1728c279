import { EventEmitter } from 'node:events';
import { ClaudeManagerError } from '../errors';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger';
import { killProcessTree, processIsAlive, type SpawnFn, spawnHere } from '../processRunner';
import { type CliLine, type ControlRequestLine, parseCliLine, toCli, type UserContent } from './cliProtocol';
import type { SpawnedChild } from '../spawn/spawnHost';
import { LineSplitter, type OversizedLine } from './lineSplitter';

// How a process is started (on this thread, or from the spawn worker) is shared with git's runs.
export { type SpawnFn, spawnHere } from '../processRunner';

/** The stream-json flags of a long-lived headless session with permission prompts on stdio. */
export const STREAM_JSON_FLAGS: readonly string[] = [
  '-p',
  '--input-format',
  'stream-json',
  '--output-format',
  'stream-json',
  '--verbose',
  '--include-partial-messages',
  '--permission-prompt-tool',
  'stdio',
];

export interface CliProcessOptions {
  binary: string;
  /** Arguments after the stream-json flags (mode, tools, model, resume…). */
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Names the agent in log lines. */
  label: string;
  maxLineBytes?: number;
  /** How to start it (default: on this thread). */
  spawn?: SpawnFn;
}

export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines the CLI wrote to stderr, for the reason shown to the user. */
  stderrTail: string;
}

interface PendingRequest {
  resolve: (response: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * One `claude` process speaking stream-json on its pipes: started with an argument array (never a
 * shell), in a process group of its own (so its tools go with it), sent an `initialize` control
 * request first. Emits `line` for every stdout line understood (or not: `invalid` and `raw` lines
 * come through too, for the log), `request` for the CLI's control requests (permission prompts),
 * and `exit` once.
 */
/** A stdout line dropped for its size; for a control request, its id and subtype when its ends name them. */
export interface DroppedLine {
  bytes: number;
  type?: string;
  requestId?: string;
  subtype?: string;
  /** For a `result`: what its ends say of the turn. */
  isError?: boolean;
  totalCostUsd?: number;
}

/** Reads what a dropped JSON line was from its first and last bytes. */
export function describeDroppedLine(line: OversizedLine): DroppedLine {
  const field = (name: string) => {
    const re = new RegExp(`"${name}"\\s*:\\s*"([^"\\\\]{1,200})"`);
    return re.exec(line.head)?.[1] ?? re.exec(line.tail)?.[1];
  };
  const type = /^\s*\{\s*"type"\s*:\s*"([^"]+)"/.exec(line.head)?.[1] ?? field('type');
  const requestId = field('request_id');
  const subtype = field('subtype');
  const both = `${line.head}\n${line.tail}`;
  const isError = /"is_error"\s*:\s*(true|false)/.exec(both)?.[1];
  const cost = /"total_cost_usd"\s*:\s*([0-9][0-9.eE+-]*)/.exec(both)?.[1];
  return {
    bytes: line.bytes,
    ...(type ? { type } : {}),
    ...(requestId ? { requestId } : {}),
    ...(subtype ? { subtype } : {}),
    ...(isError ? { isError: isError === 'true' } : {}),
    ...(cost && Number.isFinite(Number(cost)) ? { totalCostUsd: Number(cost) } : {}),
  };
}

export class CliProcess extends EventEmitter<{ line: [CliLine]; request: [ControlRequestLine]; exit: [CliExit]; oversized: [DroppedLine] }> {
  private child: SpawnedChild | undefined;
  private readonly pending = new Map<string, PendingRequest>();
  private stderrTail: string[] = [];
  private exitInfo: CliExit | undefined;
  readonly exited: Promise<CliExit>;
  private resolveExit!: (exit: CliExit) => void;

  constructor(private readonly options: CliProcessOptions) {
    super();
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get alive(): boolean {
    return this.child !== undefined && this.exitInfo === undefined;
  }

  /** Starts the process; resolves once it runs (rejects with CLI_NOT_FOUND or the spawn error). */
  async start(): Promise<void> {
    const { binary, args, cwd, env, logger, label } = this.options;
    const child = (this.options.spawn ?? spawnHere)({ command: binary, args: [...STREAM_JSON_FLAGS, ...args], cwd, env, detached: process.platform !== 'win32' });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') reject(new ClaudeManagerError('CLI_NOT_FOUND', `The Claude Code CLI was not found at ${binary}.`, { cause: error }));
        else reject(new ClaudeManagerError('INVALID_INPUT', `The Claude Code CLI (${binary}) could not start: ${error.message}`, { cause: error }));
      });
    });
    const splitter = new LineSplitter(
      (text) => this.receive(text),
      (line) => {
        const dropped = describeDroppedLine(line);
        logger.warn(`${label}: dropped a stdout line of ${line.bytes} bytes (over ${this.options.maxLineBytes ?? 8 * 1024 * 1024})${dropped.type ? `, a "${dropped.type}"${dropped.subtype ? ` (${dropped.subtype})` : ''}` : ''}`);
        this.emit('oversized', dropped);
      },
      this.options.maxLineBytes,
    );
    child.stdout.on('data', (chunk: Buffer) => splitter.push(chunk));
    child.stdout.on('end', () => splitter.end());
    const stderr = new LineSplitter(
      (text) => {
        logger.info(`${label} stderr: ${text}`);
        this.stderrTail.push(text);
        if (this.stderrTail.length > 20) this.stderrTail.shift();
      },
      () => undefined,
      64 * 1024,
    );
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stderr.on('end', () => stderr.end());
    // Writing to a process that died raises EPIPE on stdin: the exit says what happened.
    child.stdin.on('error', (error) => logger.debug(`${label}: stdin: ${error.message}`));
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      this.exitInfo = { code, signal, stderrTail: this.stderrTail.join('\n') };
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new ClaudeManagerError('NOT_RUNNING', `The CLI exited before answering request ${id}.`));
      }
      this.pending.clear();
      this.resolveExit(this.exitInfo);
      this.emit('exit', this.exitInfo);
    });
  }

  private receive(text: string): void {
    const parsed = parseCliLine(text);
    if (parsed.kind === 'control_response') {
      const { request_id: id, subtype, response, error } = parsed.line.response;
      const pending = this.pending.get(id);
      if (pending) {
        this.pending.delete(id);
        clearTimeout(pending.timer);
        if (subtype === 'success') pending.resolve(response);
        else pending.reject(new ClaudeManagerError('INVALID_INPUT', `The CLI refused the request: ${error ?? subtype}`));
      }
    }
    if (parsed.kind === 'control_request') this.emit('request', parsed.line);
    this.emit('line', parsed);
  }

  /** Writes one JSON line to the CLI's stdin. */
  write(line: string): void {
    if (!this.alive || !this.child?.stdin.writable) throw new ClaudeManagerError('NOT_RUNNING', 'The agent\'s CLI process is not running.');
    this.child.stdin.write(`${line}\n`);
  }

  sendUser(content: UserContent): void {
    this.write(toCli.user(content));
  }

  /** Sends a control request and resolves with the CLI's answer. */
  request(request: Record<string, unknown>, timeoutMs = 30_000): Promise<unknown> {
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ClaudeManagerError('NOT_RUNNING', `The CLI did not answer "${String(request.subtype)}" within ${timeoutMs / 1000} s.`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      try {
        this.write(toCli.control(id, request));
      } catch (error) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(error as Error);
      }
    });
  }

  /** Answers one of the CLI's control requests. */
  respond(requestId: string, response: Record<string, unknown>): void {
    this.write(toCli.controlResponse(requestId, response));
  }

  /** Refuses one of the CLI's control requests with an error it reports (`subtype: "error"`). */
  respondError(requestId: string, error: string): void {
    this.write(toCli.controlError(requestId, error));
  }

  /**
   * Ends the process: closes stdin (the CLI ends after the turn), SIGTERM to its process group,
   * then SIGKILL to the tree after `graceMs`. `force`: SIGKILL at once.
   */
  async stop(options: { force?: boolean; graceMs?: number } = {}): Promise<CliExit> {
    const child = this.child;
    if (!child || this.exitInfo) return this.exited;
    const pid = child.pid;
    if (options.force) {
      killProcessTree(pid);
      const exit = await this.exited;
      const deadline = Date.now() + 2000;
      while (this.groupAlive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      return exit;
    }
    child.stdin.end();
    if (pid !== undefined) {
      try {
        if (process.platform === 'win32') child.kill();
        else process.kill(-pid, 'SIGTERM');
      } catch {
        // gone already
      }
    }
    const timer = setTimeout(() => killProcessTree(pid), options.graceMs ?? 5000);
    const exit = await this.exited;
    clearTimeout(timer);
    // Tools it started may linger in the group after it: end them too, and resolve only once
    // nothing of the group is left (a signal is delivered, and the dead reaped, a moment later).
    if (pid !== undefined && process.platform !== 'win32' && this.groupAlive()) {
      killProcessTree(pid);
      const deadline = Date.now() + 2000;
      while (this.groupAlive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    }
    return exit;
  }

  /** Whether a process of the group still lives (tests, shutdown checks). */
  groupAlive(): boolean {
    const pid = this.child?.pid;
    if (pid === undefined) return false;
    if (process.platform === 'win32') return processIsAlive(pid);
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}
