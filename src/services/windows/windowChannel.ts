import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { chmod, lstat, mkdir, open, readFile, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';
import { ClaudeManagerError, type ErrorCode, errorCodes } from '../errors';
import type { Logger } from '../logger';
import { LineSplitter } from '../agents/lineSplitter';

/**
 * A local channel between the windows of one user that share a store: each window listens on a
 * Unix socket (a named pipe on Windows) in a folder only the user can enter, and takes requests
 * that carry the store's secret (a file only the user can read). Requests, answers and events are
 * JSON lines; every request is checked against its method's schema before it is run.
 */

/** The most one line may hold (an answer with a page of messages fits; anything bigger ends the connection). */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;
const SECRET_FILE = 'window-secret';

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/**
 * The folder for the sockets: the user's runtime folder (`XDG_RUNTIME_DIR`) when there is one,
 * else a folder of this user's under the temp folder, made readable by the user only. (Not the
 * store's folder: a socket's path must stay under ~100 bytes.) Refused if it exists and is a link
 * or belongs to someone else.
 */
export async function socketFolder(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const base = env.XDG_RUNTIME_DIR || tmpdir();
  const dir = join(base, `claude-manager-${process.getuid?.() ?? userInfo().username}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stat = await lstat(dir);
  if (!stat.isDirectory() || stat.isSymbolicLink() || (process.getuid && stat.uid !== process.getuid())) {
    throw new ClaudeManagerError('STORAGE_FAILED', `${dir} is not a folder of this user's: windows cannot reach each other's agents. Remove it and reload the window.`);
  }
  await chmod(dir, 0o700);
  return dir;
}

/** Where the window `windowId` of the store at `storeDir` listens. */
export function channelAddress(folder: string, storeDir: string, windowId: string): string {
  const name = `${hash(storeDir)}-${hash(windowId)}`;
  return process.platform === 'win32' ? `\\\\.\\pipe\\claude-manager-${name}` : join(folder, `${name}.sock`);
}

/** The store's secret: made once (readable by the user only), read by every window of the store. */
export async function storeSecret(storeDir: string): Promise<string> {
  const file = join(storeDir, SECRET_FILE);
  try {
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.writeFile(randomBytes(32).toString('hex'));
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  // Read back in every case: two windows making it at once end with the one that was written first.
  for (let attempt = 0; ; attempt++) {
    const secret = (await readFile(file, 'utf8')).trim();
    if (secret.length === 64 || attempt >= 20) {
      if (secret.length !== 64) throw new ClaudeManagerError('STORAGE_FAILED', `${file} does not hold a secret: remove it and reload the window.`);
      return secret;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const request = z.object({ secret: z.string(), id: z.number().int().nonnegative(), method: z.string().min(1).max(100), params: z.unknown() });
const answer = z.union([
  z.object({ id: z.number(), ok: z.literal(true), result: z.unknown() }),
  z.object({ id: z.number(), ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
  z.object({ event: z.string(), data: z.unknown() }),
]);

/** One method a window serves: its parameters' schema and what it does (the connection can push events). */
export interface ChannelMethod {
  params: z.ZodType;
  run(params: unknown, connection: ChannelConnection): Promise<unknown>;
}

/** A method whose `run` gets its parameters as its schema made them. */
export function channelMethod<P>(params: z.ZodType<P>, run: (params: P, connection: ChannelConnection) => Promise<unknown>): ChannelMethod {
  return { params, run: (value, connection) => run(value as P, connection) };
}

/** A connection to a window's channel, as its server sees it. */
export interface ChannelConnection {
  push(event: string, data: unknown): void;
  /** Runs `dispose` when the connection ends (for subscriptions). */
  onClose(dispose: () => void): void;
}

function secretsMatch(given: string, secret: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

function errorOf(error: unknown): { code: ErrorCode; message: string } {
  if (error instanceof ClaudeManagerError) return { code: error.code, message: error.message };
  return { code: 'INVALID_INPUT', message: (error as Error)?.message ?? String(error) };
}

/** The listening side: this window's agents, served to the user's other windows. */
export class ChannelServer {
  private constructor(
    private readonly server: Server,
    private readonly sockets: Set<Socket>,
    readonly address: string,
  ) {}

  static async start(options: { address: string; secret: string; methods: Record<string, ChannelMethod>; logger: Logger }): Promise<ChannelServer> {
    const { address, secret, methods, logger } = options;
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      const closers: (() => void)[] = [];
      let trusted = false;
      const send = (value: unknown) => {
        if (!socket.destroyed) socket.write(`${JSON.stringify(value)}\n`);
      };
      const connection: ChannelConnection = {
        push: (event, data) => send({ event, data }),
        onClose: (dispose) => closers.push(dispose),
      };
      const splitter = new LineSplitter(
        (line) => {
          let parsed: z.infer<typeof request>;
          try {
            parsed = request.parse(JSON.parse(line));
          } catch {
            logger.warn('Window channel: refused a request that is not one; the connection is closed.');
            socket.destroy();
            return;
          }
          if (!trusted && !secretsMatch(parsed.secret, secret)) {
            logger.warn('Window channel: refused a request without the store\'s secret; the connection is closed.');
            send({ id: parsed.id, ok: false, error: { code: 'INVALID_INPUT', message: 'The request does not carry this store\'s secret.' } });
            socket.destroy();
            return;
          }
          trusted = true;
          const method = methods[parsed.method];
          if (!method) {
            send({ id: parsed.id, ok: false, error: { code: 'INVALID_INPUT', message: `This window does not serve "${parsed.method}".` } });
            return;
          }
          const params = method.params.safeParse(parsed.params);
          if (!params.success) {
            const why = params.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ');
            send({ id: parsed.id, ok: false, error: { code: 'INVALID_INPUT', message: `"${parsed.method}" was asked with parameters of the wrong shape: ${why}.` } });
            return;
          }
          method.run(params.data, connection).then(
            (result) => send({ id: parsed.id, ok: true, result: result ?? null }),
            (error: unknown) => send({ id: parsed.id, ok: false, error: errorOf(error) }),
          );
        },
        (dropped) => {
          logger.warn(`Window channel: a request of ${dropped.bytes} bytes is over the limit; the connection is closed.`);
          socket.destroy();
        },
        MAX_LINE_BYTES,
      );
      socket.on('data', (chunk: Buffer) => splitter.push(chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        for (const close of closers.splice(0)) close();
      });
    });
    // A socket file left by a window that died is in the way: only a file nobody answers on is removed.
    if (process.platform !== 'win32' && (await lstat(address).then(() => true, () => false))) {
      const answered = await new Promise<boolean>((resolve) => {
        const probe = createConnection(address);
        probe.once('connect', () => {
          probe.destroy();
          resolve(true);
        });
        probe.once('error', () => resolve(false));
      });
      if (answered) throw new ClaudeManagerError('INVALID_INPUT', `Another window listens at ${address} already.`);
      await rm(address, { force: true });
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    if (process.platform !== 'win32') await chmod(address, 0o600);
    return new ChannelServer(server, sockets, address);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (process.platform !== 'win32') await rm(this.address, { force: true });
  }
}

/** The asking side: a connection to another window's channel. */
export class ChannelClient extends EventEmitter {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  private closedWith: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly secret: string,
  ) {
    super();
    const splitter = new LineSplitter(
      (line) => this.receive(line),
      () => this.fail(new ClaudeManagerError('INVALID_INPUT', 'The other window answered with a line over the limit.')),
      MAX_LINE_BYTES,
    );
    socket.on('data', (chunk: Buffer) => splitter.push(chunk));
    socket.on('error', (error) => this.fail(new ClaudeManagerError('OWNED_BY_OTHER_WINDOW', `The connection to the other window broke (${(error as NodeJS.ErrnoException).code ?? error.message}).`, { cause: error })));
    socket.on('close', () => this.fail(new ClaudeManagerError('OWNED_BY_OTHER_WINDOW', 'The other window closed the connection.')));
  }

  /** Connects, or OWNED_BY_OTHER_WINDOW when nobody answers at `address` within `timeoutMs`. */
  static connect(address: string, secret: string, timeoutMs = 3000): Promise<ChannelClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(address);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ClaudeManagerError('OWNED_BY_OTHER_WINDOW', `The window that runs the agent did not answer within ${timeoutMs / 1000} s. Use the agent there, or take it over here ("Take Over Agent").`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new ChannelClient(socket, secret));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new ClaudeManagerError('OWNED_BY_OTHER_WINDOW', `The window that runs the agent cannot be reached (${(error as NodeJS.ErrnoException).code ?? error.message}). Use the agent there, or take it over here ("Take Over Agent").`, { cause: error }));
      });
    });
  }

  /** Asks the other window; rejects with its error (same code), or OWNED_BY_OTHER_WINDOW when it does not answer within `timeoutMs`. */
  call(method: string, params: unknown, timeoutMs = 10_000): Promise<unknown> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new ClaudeManagerError('OWNED_BY_OTHER_WINDOW', `The window that runs the agent did not answer "${method}" within ${timeoutMs / 1000} s.`));
      }, timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      this.socket.write(`${JSON.stringify({ secret: this.secret, id, method, params })}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(line: string): void {
    let message: z.infer<typeof answer>;
    try {
      message = answer.parse(JSON.parse(line));
    } catch {
      this.fail(new ClaudeManagerError('INVALID_INPUT', 'The other window answered with something that is not an answer.'));
      return;
    }
    if ('event' in message) {
      this.emit('event', message.event, message.data);
      return;
    }
    const waiter = this.waiting.get(message.id);
    if (!waiter) return;
    this.waiting.delete(message.id);
    clearTimeout(waiter.timer);
    if (message.ok) waiter.resolve(message.result);
    else {
      const code = (errorCodes as readonly string[]).includes(message.error.code) ? (message.error.code as ErrorCode) : 'INVALID_INPUT';
      waiter.reject(new ClaudeManagerError(code, message.error.message));
    }
  }

  private fail(error: Error): void {
    if (this.closedWith) return;
    this.closedWith = error;
    for (const waiter of this.waiting.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.waiting.clear();
    this.socket.destroy();
    this.emit('close', error);
  }
}
