import { EventEmitter, once } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import type { Logger } from '../logger';
import type { FromSpawnWorker, SpawnRequest, ToSpawnWorker } from './spawnProtocol';

/** What a caller of `spawn` gets: the parts of a ChildProcess with piped stdio that the agents use. */
export interface SpawnedChild extends EventEmitter {
  readonly pid?: number | undefined;
  readonly stdin: Writable;
  readonly stdout: NodeJS.ReadableStream & EventEmitter;
  readonly stderr: NodeJS.ReadableStream & EventEmitter;
  kill(signal?: NodeJS.Signals): boolean;
}

/** A child process started by the spawn worker, seen from this thread: events and streams as `child_process` gives them. */
class RemoteChild extends EventEmitter implements SpawnedChild {
  pid: number | undefined;
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

/**
 * Starts processes from a worker thread (spawnWorker.ts) and carries their pipes back, so that
 * starting one never blocks this thread: a fork copies the process's page tables, which in an
 * extension host takes tens of milliseconds, and twenty agents started at once took 1.5 s of
 * this thread. The worker starts on first use and never keeps the process alive.
 */
export class SpawnHost {
  private worker: Worker | undefined;
  private readonly children = new Map<number, RemoteChild>();
  private nextId = 1;

  constructor(
    private readonly startWorker: () => Worker,
    private readonly logger: Logger,
  ) {}

  spawn = (request: SpawnRequest): SpawnedChild => {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    const child = new RemoteChild(id, (message) => worker.postMessage(message, message.type === 'write' ? [message.data.buffer as ArrayBuffer] : []));
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
    worker.postMessage({ type: 'spawn', id, ...request } satisfies ToSpawnWorker);
    return child;
  };

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = this.startWorker();
    worker.unref();
    worker.on('message', (message: FromSpawnWorker) => this.children.get(message.id)?.receive(message));
    worker.on('error', (error) => this.logger.error(`Processes: the spawn worker failed: ${error.message}`));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      // Its children's pipes went with it: they are reported closed; the next spawn starts a new worker.
      for (const child of this.children.values()) {
        child.receive({ type: 'error', id: 0, message: `the spawn worker stopped (exit code ${code})` });
        child.receive({ type: 'close', id: 0, code: null, signal: null });
      }
      this.children.clear();
    });
    this.worker = worker;
    return worker;
  }

  /** Stops the worker (its children are not signalled: their owners stop them first). */
  async dispose(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}
