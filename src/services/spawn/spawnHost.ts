import { spawn } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { PassThrough, Writable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import type { Logger } from '../logger';
import type { FromSpawnWorker, SpawnEnvironment, SpawnRequest, ToSpawnWorker } from './spawnProtocol';

/** What a caller of `spawn` gets: the parts of a ChildProcess with piped stdio that the agents use. */
export interface SpawnedChild extends EventEmitter {
  readonly pid?: number | undefined;
  readonly stdin: Writable;
  readonly stdout: NodeJS.ReadableStream & EventEmitter;
  readonly stderr: NodeJS.ReadableStream & EventEmitter;
  kill(signal?: NodeJS.Signals): boolean;
}

/** Signals a process, or its whole group when it leads one; Windows: ends its tree (taskkill). */
function signal(pid: number, group: boolean, sig: NodeJS.Signals): void {
  if (process.platform === 'win32') {
    spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true }).on('error', () => undefined);
    return;
  }
  try {
    process.kill(group ? -pid : pid, sig);
  } catch {
    // gone already
  }
}

/**
 * Whether a process has ended. Its parent thread is gone, so no one reaps it: an ended child stays
 * a zombie until this process exits, which runs nothing, and is read as ended (Linux: /proc).
 */
function ended(pid: number): boolean {
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state === 'Z' || state === 'X';
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    }
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: it lives, under another user.
    return (error as NodeJS.ErrnoException).code !== 'EPERM';
  }
}

/** Whether a process of the group `pgid` runs (Linux: read from /proc, zombies not counted). */
function groupRuns(pgid: number): boolean {
  if (process.platform !== 'linux') return !ended(pgid);
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return !ended(pgid);
  }
  for (const name of names) {
    if (name.charCodeAt(0) > 57 || name.charCodeAt(0) < 48) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
    } catch {
      // gone while read
    }
  }
  return false;
}

/** A child process started by the spawn worker, seen from this thread: events and streams as `child_process` gives them. */
class RemoteChild extends EventEmitter implements SpawnedChild {
  pid: number | undefined;
  /** Started as the leader of a process group of its own. */
  detached = false;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly stdin: Writable;

  constructor(
    private readonly id: number,
    private readonly post: (message: ToSpawnWorker) => void,
  ) {
    super();
    this.stdin = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        this.post({ type: 'write', id: this.id, data: new Uint8Array(chunk) });
        callback();
      },
      final: (callback) => {
        this.post({ type: 'end', id: this.id });
        callback();
      },
    });
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    this.post({ type: 'kill', id: this.id, signal });
    return true;
  }

  receive(message: FromSpawnWorker): void {
    switch (message.type) {
      case 'spawn':
        this.pid = message.pid;
        this.emit('spawn');
        break;
      case 'error':
        this.emit('error', Object.assign(new Error(message.message), message.code ? { code: message.code } : {}));
        break;
      case 'stdout':
        this.stdout.write(Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength));
        break;
      case 'stderr':
        this.stderr.write(Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength));
        break;
      case 'stdoutEnd':
        this.stdout.end();
        break;
      case 'stderrEnd':
        this.stderr.end();
        break;
      case 'stdinError':
        this.stdin.emit('error', new Error(message.message));
        break;
      case 'close':
        void this.closed(message.code, message.signal);
        break;
    }
  }

  /** Like `child_process`: 'close' comes once the output streams have ended and been read. */
  private async closed(code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    this.stdout.end();
    this.stderr.end();
    await Promise.all([this.stdout, this.stderr].map((s) => (s.readableEnded ? undefined : once(s, 'end').catch(() => undefined))));
    this.emit('close', code, signal);
  }
}

/** How many environments the worker keeps (git's, the agents', a terminal's …). */
const KEPT_ENVIRONMENTS = 8;

/**
 * Starts processes from a worker thread (spawnWorker.ts) and carries their pipes back, so that
 * starting one never blocks this thread: a fork copies the process's page tables, which in an
 * extension host takes tens of milliseconds, and twenty agents started at once took 1.5 s of
 * this thread. The worker starts on first use and never keeps the process alive.
 */
export class SpawnHost {
  private worker: Worker | undefined;
  private readonly children = new Map<number, RemoteChild>();
  /** Processes of a worker that died, being ended. */
  private readonly ending = new Set<Promise<void>>();
  private nextId = 1;
  /** The environments the worker keeps, least recently used first (a new worker keeps none). */
  private sentEnvironments: { env: NodeJS.ProcessEnv; id: number }[] = [];
  private nextEnvId = 1;

  constructor(
    private readonly startWorker: () => Worker,
    private readonly logger: Logger,
  ) {}

  spawn = (request: SpawnRequest): SpawnedChild => {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    const child = new RemoteChild(id, (message) => worker.postMessage(message, message.type === 'write' ? [message.data.buffer as ArrayBuffer] : []));
    child.detached = request.detached;
    this.children.set(id, child);
    // Kept alive while it carries a process's pipes, as the process's own pipes would keep it.
    worker.ref();
    const forget = (): void => {
      this.children.delete(id);
      if (this.children.size === 0) this.worker?.unref();
    };
    child.once('close', forget);
    // A start that failed has no process to close.
    child.once('error', () => {
      if (child.pid === undefined) forget();
    });
    const { env, ...rest } = request;
    worker.postMessage({ type: 'spawn', id, ...rest, ...this.environment(env) } satisfies ToSpawnWorker);
    return child;
  };

  /** How a start names its environment: by id when the worker has that object already (see SpawnMessage). */
  private environment(env: NodeJS.ProcessEnv): SpawnEnvironment {
    const known = this.sentEnvironments.findIndex((e) => e.env === env);
    if (known >= 0) {
      const [entry] = this.sentEnvironments.splice(known, 1);
      this.sentEnvironments.push(entry!);
      return { envId: entry!.id };
    }
    const id = this.nextEnvId++;
    this.sentEnvironments.push({ env, id });
    const forget = this.sentEnvironments.splice(0, Math.max(0, this.sentEnvironments.length - KEPT_ENVIRONMENTS)).map((e) => e.id);
    return { envId: id, env, ...(forget.length ? { forget } : {}) };
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = this.startWorker();
    this.sentEnvironments = [];
    worker.unref();
    worker.on('message', (message: FromSpawnWorker) => this.children.get(message.id)?.receive(message));
    worker.on('error', (error) => this.logger.error(`Processes: the spawn worker failed: ${error.message}`));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      // Its children's pipes went with it, but not the children: each is ended (its whole group),
      // and reported closed only then, so that whoever watches it (the watchdog) lets go of it
      // only once nothing of it runs. The next spawn starts a new worker.
      const carried = [...this.children.values()];
      this.children.clear();
      if (carried.length > 0) this.logger.error(`Processes: the spawn worker stopped (exit code ${code}) while it carried ${carried.length} processes; they are ended.`);
      for (const child of carried) {
        const ending: Promise<void> = this.endCarried(child, code).finally(() => this.ending.delete(ending));
        this.ending.add(ending);
      }
    });
    this.worker = worker;
    return worker;
  }

  /** Ends a process whose pipes went with the worker: SIGTERM to its group, SIGKILL after `graceMs`. */
  private async endCarried(child: RemoteChild, code: number, graceMs = 2000): Promise<void> {
    const pid = child.pid;
    if (pid !== undefined) {
      signal(pid, child.detached, 'SIGTERM');
      const deadline = Date.now() + graceMs;
      while (!ended(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      // What it started may linger in its group after it; SIGKILL is delivered a moment later.
      signal(pid, child.detached, 'SIGKILL');
      const killed = Date.now() + graceMs;
      while ((child.detached ? groupRuns(pid) : !ended(pid)) && Date.now() < killed) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.receive({ type: 'error', id: 0, message: `the spawn worker stopped (exit code ${code})` });
    child.receive({ type: 'close', id: 0, code: null, signal: pid === undefined ? null : 'SIGTERM' });
  }

  /** Stops the worker; a child still running then is ended, as when the worker dies. */
  async dispose(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
    await Promise.all([...this.ending]);
  }
}
