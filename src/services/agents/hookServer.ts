import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import type { Logger } from '../logger';

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

/**
 * Receives the CLI's HTTP hooks for agents run in a terminal. It listens on 127.0.0.1 only, on a
 * port of the system's choosing; each registration gets a path with a random token, which is all
 * the CLI is given (in `--settings`), so no other local process can post as an agent without
 * reading that agent's command line. Bodies are checked; anything else is answered with an error
 * and changes nothing.
 */
export class HookServer {
  private server: Server | undefined;
  private listening: Promise<number> | undefined;
  private readonly handlers = new Map<string, (event: HookEvent) => void>();

  constructor(private readonly logger: Logger) {}

  /** A URL the CLI posts `handler`'s hook events to, and a function that stops accepting them. */
  async register(handler: (event: HookEvent) => void): Promise<{ url: string; dispose: () => void }> {
    const port = await this.listen();
    const token = randomBytes(24).toString('hex');
    this.handlers.set(token, handler);
    return { url: `http://127.0.0.1:${port}/hooks/${token}`, dispose: () => this.handlers.delete(token) };
  }

  private listen(): Promise<number> {
    this.listening ??= new Promise<number>((resolve, reject) => {
      const server = createServer((req, res) => this.handle(req, res));
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        server.on('error', (error) => this.logger.error(`Hooks: the hook server failed: ${error.message}`));
        // Never what keeps the process alive.
        server.unref();
        resolve((server.address() as AddressInfo).port);
      });
      this.server = server;
    });
    return this.listening;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const reply = (status: number, body: Record<string, unknown>): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const token = /^\/hooks\/([0-9a-f]{48})$/.exec(req.url ?? '')?.[1];
    const handler = token ? this.handlers.get(token) : undefined;
    if (!handler) {
      req.resume();
      reply(404, { error: 'unknown hook address' });
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      reply(405, { error: 'hooks are POSTed' });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        if (!refused) reply(413, { error: `a hook body is at most ${MAX_BODY_BYTES} bytes` });
        refused = true;
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
      // Answered at once with no decision: the CLI goes on as it would without the hook.
      reply(200, {});
      try {
        handler(event);
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
  }
}
