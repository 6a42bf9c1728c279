import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import * as z from 'zod';
import { ClaudeManagerError } from '../errors';
import type { Logger } from '../logger';
import { projectsDir } from './terminalProcess';

/**
 * What every hook event the CLI posts carries (the rest depends on the event and is kept as is).
 * Checked against the real CLI: UserPromptSubmit, PreToolUse, PermissionRequest, PostToolUse,
 * Stop, Notification and SessionEnd arrive as HTTP hooks; SessionStart does not.
 */
export const hookEventSchema = z.looseObject({
  hook_event_name: z.string().min(1),
  session_id: z.string().min(1),
  transcript_path: z.string().optional(),
  cwd: z.string().optional(),
  tool_name: z.string().optional(),
  tool_input: z.record(z.string(), z.unknown()).optional(),
  message: z.string().optional(),
  prompt: z.string().optional(),
  notification_type: z.string().optional(),
  reason: z.string().optional(),
});
export type HookEvent = z.infer<typeof hookEventSchema>;

/** The largest hook body accepted; a tool's whole input rides along (a Write's file content). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** How many times listening is tried (each on a port of its own) before the error is given. */
const LISTEN_ATTEMPTS = 3;

export interface HookServerOptions {
  /** The largest body accepted, in bytes (16 MB). */
  maxBodyBytes?: number;
  /** The port of each listen attempt, from 0 (default 0: the system picks a free one each time). */
  port?: (attempt: number) => number;
  /** Where the folder of settings files is made (the OS temp folder). */
  settingsDir?: string;
}

/** One terminal's address at the hook server. */
export interface HookRegistration {
  /** Where the CLI posts the hook events; its last part is a secret token. */
  url: string;
  /**
   * Writes `settings` (which hold `url`) to a file only the user can read, for `--settings <path>`:
   * the token is then on no command line, where every user of the machine could read it. The file
   * is removed with `dispose`.
   */
  settingsFile(settings: Record<string, unknown>): Promise<string>;
  /** Stops accepting the events and removes the settings files. */
  dispose(): void;
}

/** Whether `path` is an absolute path inside `folder`, read as written (`..` resolved). */
function inside(folder: string, path: string): boolean {
  if (!isAbsolute(path)) return false;
  const rel = relative(resolve(folder), resolve(path));
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * Receives the CLI's HTTP hooks for agents run in a terminal. It listens on 127.0.0.1 only, on a
 * port of the system's choosing (tried again on another when listening fails); each registration
 * gets a path with a random token, which the CLI is given in a settings file only the user can
 * read (never on its command line), so no other local process can post as an agent. Bodies are
 * checked, a body over the limit ends its connection, and a transcript path outside the CLI's
 * projects folder is dropped; anything else wrong is answered with an error and changes nothing.
 */
export class HookServer {
  private server: Server | undefined;
  private listening: Promise<number> | undefined;
  private readonly handlers = new Map<string, { handler: (event: HookEvent) => void; projects: string }>();
  private settingsFolder: Promise<string> | undefined;
  private settingsPath: string | undefined;
  private readonly maxBodyBytes: number;

  constructor(
    private readonly logger: Logger,
    private readonly options: HookServerOptions = {},
  ) {
    this.maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  }

  /**
   * A URL the CLI posts `handler`'s hook events to, a settings file to pass it, and a function
   * that stops accepting them. `env` is the CLI's environment: the transcripts it may name are
   * those in its projects folder (`<CLAUDE_CONFIG_DIR or ~/.claude>/projects`).
   */
  async register(handler: (event: HookEvent) => void, options: { env: NodeJS.ProcessEnv }): Promise<HookRegistration> {
    const port = await this.listen();
    const token = randomBytes(24).toString('hex');
    this.handlers.set(token, { handler, projects: projectsDir(options.env) });
    const files: string[] = [];
    return {
      url: `http://127.0.0.1:${port}/hooks/${token}`,
      settingsFile: async (settings) => {
        const file = join(await this.folder(), `${randomBytes(8).toString('hex')}.json`);
        await writeFile(file, JSON.stringify(settings), { mode: 0o600, flag: 'wx' });
        files.push(file);
        return file;
      },
      dispose: () => {
        this.handlers.delete(token);
        for (const file of files.splice(0)) this.remove(file);
      },
    };
  }

  /** The folder of settings files: made on first use, the user's alone. */
  private folder(): Promise<string> {
    this.settingsFolder ??= (async () => {
      const parent = this.options.settingsDir ?? tmpdir();
      await mkdir(parent, { recursive: true });
      const dir = await mkdtemp(join(parent, 'claude-manager-hooks-'));
      this.settingsPath = dir;
      await chmod(dir, 0o700);
      return dir;
    })().catch((error: unknown) => {
      this.settingsFolder = undefined;
      throw error;
    });
    return this.settingsFolder;
  }

  /** Removes a settings file or folder (small: done at once, so nothing is left when this returns). */
  private remove(path: string): void {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch (error) {
      this.logger.warn(`Hooks: ${path} could not be removed: ${(error as Error).message}`);
    }
  }

  private listen(): Promise<number> {
    this.listening ??= this.listenWithRetries().catch((error: unknown) => {
      // Not kept: the next registration tries again.
      this.listening = undefined;
      throw error;
    });
    return this.listening;
  }

  private async listenWithRetries(): Promise<number> {
    let last: Error | undefined;
    for (let attempt = 0; attempt < LISTEN_ATTEMPTS; attempt++) {
      const port = this.options.port?.(attempt) ?? 0;
      try {
        return await this.listenOnce(port);
      } catch (error) {
        last = error as Error;
        this.logger.warn(`Hooks: listening on 127.0.0.1:${port} failed (attempt ${attempt + 1} of ${LISTEN_ATTEMPTS}): ${last.message}`);
      }
    }
    throw new ClaudeManagerError(
      'NOT_RUNNING',
      `The hook server could not listen on 127.0.0.1 (${LISTEN_ATTEMPTS} attempts; the last: ${last?.message}). A CLI in a terminal reports its status through it: check that this machine allows connections to 127.0.0.1, then open the agent in a terminal again.`,
      { cause: last },
    );
  }

  private listenOnce(port: number): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const server = createServer((req, res) => this.handle(req, res));
      const failed = (error: Error) => {
        server.close();
        reject(error);
      };
      server.once('error', failed);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', failed);
        server.on('error', (error) => this.logger.error(`Hooks: the hook server failed: ${error.message}`));
        // Never what keeps the process alive.
        server.unref();
        this.server = server;
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const reply = (status: number, body: Record<string, unknown>): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const token = /^\/hooks\/([0-9a-f]{48})$/.exec(req.url ?? '')?.[1];
    const registered = token ? this.handlers.get(token) : undefined;
    if (!registered) {
      req.resume();
      reply(404, { error: 'unknown hook address' });
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      reply(405, { error: 'hooks are POSTed' });
      return;
    }
    // Past the limit nothing more is read: the answer is sent and the connection ended.
    const refuse = (): void => {
      refused = true;
      req.removeAllListeners('data');
      req.pause();
      this.logger.warn(`Hooks: refused a hook body over ${this.maxBodyBytes} bytes; its connection is closed.`);
      res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ error: `a hook body is at most ${this.maxBodyBytes} bytes` }), () => req.socket.destroy());
    };
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    if (Number(req.headers['content-length']) > this.maxBodyBytes) {
      refuse();
      return;
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > this.maxBodyBytes) {
        chunks.length = 0;
        refuse();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      let event: HookEvent;
      try {
        event = hookEventSchema.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (error) {
        this.logger.warn(`Hooks: refused a hook body: ${(error as Error).message.split('\n')[0]}`);
        reply(400, { error: 'not a hook event' });
        return;
      }
      if (event.transcript_path !== undefined && !(inside(registered.projects, event.transcript_path) && event.transcript_path.endsWith('.jsonl'))) {
        this.logger.warn(`Hooks: ${event.hook_event_name} named the transcript ${event.transcript_path}, which is not a .jsonl file inside the CLI's projects folder ${registered.projects}: it is ignored.`);
        const { transcript_path: _dropped, ...rest } = event;
        event = rest;
      }
      // Answered at once with no decision: the CLI goes on as it would without the hook.
      reply(200, {});
      try {
        registered.handler(event);
      } catch (error) {
        this.logger.error(`Hooks: handling ${event.hook_event_name} failed: ${(error as Error).message}`);
      }
    });
  }

  close(): void {
    this.handlers.clear();
    this.server?.close();
    this.server = undefined;
    this.listening = undefined;
    if (this.settingsPath) this.remove(this.settingsPath);
    this.settingsFolder = undefined;
    this.settingsPath = undefined;
  }
}
