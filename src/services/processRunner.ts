import { spawn } from 'node:child_process';
import type { Logger } from './logger';
import type { SpawnedChild } from './spawn/spawnHost';
import type { SpawnRequest } from './spawn/spawnProtocol';

/**
 * Starts a process with piped stdio: `SpawnHost.spawn` (from a worker thread, so that the fork
 * does not block the calling thread), or `spawnHere`.
 */
export type SpawnFn = (request: SpawnRequest) => SpawnedChild;

/** Starts the process on this thread. */
export const spawnHere: SpawnFn = (request) =>
  spawn(request.command, [...request.args], { cwd: request.cwd, env: request.env, stdio: ['pipe', 'pipe', 'pipe'], detached: request.detached, windowsHide: true });

/** What a finished process left behind. */
export interface ProcessResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kills the whole process group after this many milliseconds. */
  timeoutMs?: number;
  /** Kills the whole process group when aborted. */
  signal?: AbortSignal;
  /** Caps what is kept of each output stream; the rest is dropped and said so. */
  maxOutputBytes?: number;
  logger?: Logger;
  /**
   * How to start it (default: on this thread). Starting a process forks the calling one, which
   * blocks its thread until the child has run `exec`: milliseconds in a small process, tens of
   * them in an extension host, and more on a busy machine, where the child waits for a core.
   */
  spawn?: SpawnFn;
}

/** A process that could not start, exited non-zero, timed out or was cancelled. */
export class ProcessError extends Error {
  override readonly name = 'ProcessError';

  constructor(
    message: string,
    readonly command: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly reason: 'spawn' | 'exit' | 'timeout' | 'cancelled',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;

/** Whether a process of this machine with that pid lives (signal 0 checks without sending). */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it lives, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Ends a process and everything it started. */
export function killProcessTree(pid: number | undefined): void {
  if (pid === undefined) return;
  if (process.platform === 'win32') {
    // Windows has no process groups to signal; taskkill walks the tree.
    spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true }).on('error', () => undefined);
    return;
  }
  try {
    // A negative pid signals the whole group: the child was started detached as its leader.
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Runs a program to completion with an argument array (never a shell string), in its own process
 * group so that a time-out or cancellation ends everything it started. Rejects with a
 * ProcessError carrying the exit code and stderr when it does not exit with 0.
 */
export function runProcess(command: string, args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
  const started = performance.now();
  const maxBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const label = `${command} ${args.join(' ')}`;
  return new Promise<ProcessResult>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new ProcessError(`${label} was cancelled before it started`, command, args, null, '', 'cancelled'));
      return;
    }
    // stdin is a pipe closed at once: the program reads nothing (a pipe because a spawn worker
    // carries only pipes).
    const child = (options.spawn ?? spawnHere)({
      command,
      args,
      cwd: options.cwd ?? process.cwd(),
      env: options.env ?? process.env,
      detached: process.platform !== 'win32',
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let truncated = false;
    let ended: 'timeout' | 'cancelled' | undefined;
    /** Whether it started (a start from a worker reports its pid later, with 'spawn'). */
    let running = false;
    /** What went wrong after it started (the worker carrying its pipes stopped). */
    let lost: Error | undefined;
    child.once('spawn', () => {
      running = true;
      // Ended before its pid was known: ended now.
      if (ended) killProcessTree(child.pid);
    });

    child.stdout.on('data', (chunk: Buffer) => {
      if (outBytes + chunk.length > maxBytes) truncated = true;
      else out.push(chunk);
      outBytes += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (errBytes + chunk.length <= maxBytes) err.push(chunk);
      errBytes += chunk.length;
    });

    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            ended = 'timeout';
            killProcessTree(child.pid);
          }, options.timeoutMs);
    const onAbort = (): void => {
      ended = 'cancelled';
      killProcessTree(child.pid);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (): void => {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };

    child.on('error', (error: Error) => {
      if (running) {
        // Its pipes are gone; 'close' follows and says so.
        lost = error;
        return;
      }
      finish();
      options.logger?.warn(`${label}: could not start: ${error.message}`);
      reject(new ProcessError(`${command} could not be started: ${error.message}`, command, args, null, '', 'spawn', { cause: error }));
    });

    child.on('close', (code, signal) => {
      finish();
      const durationMs = Math.round(performance.now() - started);
      const stdout = Buffer.concat(out).toString('utf8') + (truncated ? `\n[output cut at ${maxBytes} bytes]` : '');
      const stderr = Buffer.concat(err).toString('utf8');
      options.logger?.debug(`${label} → ${code ?? signal} in ${durationMs} ms`);
      if (lost) {
        reject(new ProcessError(`${label} was lost: ${lost.message}`, command, args, code, stderr, 'exit', { cause: lost }));
        return;
      }
      if (ended) {
        const what = ended === 'timeout' ? `timed out after ${options.timeoutMs} ms` : 'was cancelled';
        reject(new ProcessError(`${label} ${what}`, command, args, code, stderr, ended));
        return;
      }
      if (code !== 0) {
        const detail = stderr.trim().split('\n').slice(-5).join('\n');
        reject(
          new ProcessError(
            `${command} exited with ${code === null ? `signal ${signal}` : `code ${code}`}${detail ? `: ${detail}` : ''}`,
            command,
            args,
            code,
            stderr,
            'exit',
          ),
        );
        return;
      }
      resolve({ exitCode: 0, stdout, stderr, durationMs });
    });
  });
}
