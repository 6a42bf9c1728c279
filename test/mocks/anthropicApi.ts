/**
 * A small, scriptable mock of the Anthropic Messages API for tests.
 *
 * It lets the real `claude` CLI (pointed at it with ANTHROPIC_BASE_URL) run whole turns offline:
 *
 *   const api = await MockAnthropicApi.start();
 *   api.enqueue(textReply('Hello'), toolUseReply([{ name: 'Write', input: {...} }]));
 *   ... run the CLI with ANTHROPIC_BASE_URL=api.url ...
 *   await api.close();
 *
 * Routes:
 * - `POST /v1/messages` (any query string, the CLI sends `?beta=true`): SSE stream when the body
 *   has `stream: true`, a JSON message otherwise.
 * - `POST /v1/messages/count_tokens`: `{ input_tokens }`, a rough estimate of the body size.
 * - anything else: 404 with an API-style JSON error body.
 *
 * Main turns and side requests. Besides the conversation itself the CLI may send housekeeping
 * requests (e.g. a session title, on the small fast model, without tools). Those must not consume
 * the scripted queue, so they get a short plain text answer (`sideReply`). The rule used here
 * (`isMainTurnRequest`): a `/v1/messages` request is a MAIN TURN when its body has a non-empty
 * `tools` array, or, failing that, when its system prompt is the CLI's conversation prompt
 * (contains "You are an interactive agent"). The second clause is needed because with
 * `--tools ""` the CLI sends the conversation with `tools: []`. Everything else is a SIDE request.
 * Subagent (Task) conversations carry tools too, so they count as main turns and consume the queue.
 * Observed with claude 2.1.197 in `-p --input-format stream-json` mode: each conversation request
 * is `POST /v1/messages?beta=true` with `stream: true`, the model of the session, ~27 tools, keys
 * model/messages/system/tools/metadata/max_tokens/thinking/context_management/output_config/stream;
 * the CLI also sends a `HEAD /` at startup (answered 404 here, which it ignores); no side
 * `/v1/messages` request was seen in that mode, even with non-essential traffic allowed.
 * A test that needs another rule can pass `isMainTurn` to `start()`.
 *
 * Every request is kept with its parsed body (`requests`, `allRequests`), so a test can look at
 * what the CLI sent: `lastUserBlocks` and `imageBlocks` read a user message's image blocks.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** Token usage to report for a reply. Missing fields get small defaults. */
export interface MockUsage {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheCreation?: number;
}

/** One tool_use block of a reply. */
export interface MockToolUse {
  name: string;
  input: Record<string, unknown>;
  /** Defaults to a generated `toolu_mock_...` id. */
  id?: string;
}

export type MockStopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence' | 'pause_turn' | 'refusal';

/** A successful assistant message. Blocks are emitted in order: thinking, text blocks, tool_use blocks. */
export interface MockMessageReply {
  kind: 'message';
  /** One text block per string. */
  text?: readonly string[];
  toolUses?: readonly MockToolUse[];
  /** An extended-thinking block emitted before everything else. */
  thinking?: string;
  usage?: MockUsage;
  /** Defaults to `tool_use` when there are tool uses, `end_turn` otherwise. */
  stopReason?: MockStopReason;
  /** Split each text / thinking / tool-input JSON into this many deltas (default 1). */
  chunks?: number;
  /** Wait this long before every delta (default 0). Makes a slow stream. */
  chunkDelayMs?: number;
  /** Wait this long before sending anything at all (headers included). */
  initialDelayMs?: number;
  /** Override the message id (default `msg_mock_<n>`). */
  id?: string;
  /** Extra response headers (e.g. the unified rate-limit headers). */
  headers?: Record<string, string>;
}

/** An API error: HTTP status plus `{ type: "error", error: { type, message } }`. */
export interface MockErrorReply {
  kind: 'error';
  status: number;
  /** e.g. `api_error`, `overloaded_error`, `rate_limit_error`, `invalid_request_error`. */
  errorType: string;
  message: string;
  /** Extra response headers, e.g. `{ 'retry-after': '0' }`. */
  headers?: Record<string, string>;
}

export type MockReply = MockMessageReply | MockErrorReply;

/** What `enqueue` accepts: a reply, a plain string (one text block), or a function of the request. */
export type MockReplySpec = MockReply | string | ((request: MockRequestInfo) => MockReply | string | Promise<MockReply | string>);

/** The parts of a Messages API request body the tests look at; everything else is kept as `unknown`. */
export interface MessagesRequestBody {
  model?: string;
  stream?: boolean;
  max_tokens?: number;
  system?: unknown;
  messages?: ApiMessage[];
  tools?: unknown[];
  [key: string]: unknown;
}

export interface ApiMessage {
  role: string;
  content: string | ApiContentBlock[];
}

export interface ApiContentBlock {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: unknown;
  is_error?: boolean;
  [key: string]: unknown;
}

export type MockRequestKind = 'main' | 'side' | 'count_tokens' | 'other';

/** Every request the server received, whatever its route. */
export interface MockRequestInfo {
  /** 0-based arrival order over all requests. */
  index: number;
  method: string;
  /** Path without the query string. */
  path: string;
  /** The raw query string without `?` (empty when none). */
  query: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** The parsed JSON body, or undefined when the body was empty or not JSON. */
  body: MessagesRequestBody | undefined;
  kind: MockRequestKind;
  /** For `/v1/messages`: how it was answered. */
  answeredWith?: 'scripted' | 'default' | 'side';
  /** True when the client went away before the response was complete (e.g. the CLI's interrupt). */
  aborted: boolean;
  /** When it arrived (ms since the epoch). */
  receivedAt: number;
}

export interface MockAnthropicApiOptions {
  /** Decide what counts as a main turn; default: a non-empty `tools` array. */
  isMainTurn?: (body: MessagesRequestBody) => boolean;
  /** Reply used for a main turn when the queue is empty (default: text "OK (default mock reply)"). */
  defaultReply?: MockReply;
  /** Reply used for side requests (default: a short text). */
  sideReply?: MockReply;
}

export const DEFAULT_REPLY_TEXT = 'OK (default mock reply)';
export const SIDE_REPLY_TEXT = 'Mock side reply';

/** A text reply: one text block per string. */
export function textReply(text: string | readonly string[], options: Omit<MockMessageReply, 'kind' | 'text'> = {}): MockMessageReply {
  return { kind: 'message', text: typeof text === 'string' ? [text] : text, ...options };
}

/** A reply with tool_use blocks (stop_reason `tool_use`), optionally preceded by text. */
export function toolUseReply(
  toolUses: readonly MockToolUse[],
  options: Omit<MockMessageReply, 'kind' | 'toolUses'> = {},
): MockMessageReply {
  return { kind: 'message', toolUses, ...options };
}

/** An API error reply. */
/**
 * In plan mode, the reply that writes `plan` to the plan file the CLI named in the request (since
 * 2.1.332 the CLI keeps the plan there, and ExitPlanMode carries none); follow it with
 * `toolUseReply([{ name: 'ExitPlanMode', input: {} }])`.
 */
export function planFileReply(plan: string): (request: MockRequestInfo) => MockMessageReply {
  return (request) => {
    const path = /[^\s"'`\\]*\/plans\/[^\s"'`\\]+\.md/.exec(JSON.stringify(request.body?.messages ?? []))?.[0];
    if (!path) throw new Error('The request names no plan file: is the agent in plan mode?');
    return toolUseReply([{ name: 'Write', input: { file_path: path, content: plan } }]);
  };
}

export function errorReply(status: number, errorType: string, message: string, headers?: Record<string, string>): MockErrorReply {
  return headers === undefined ? { kind: 'error', status, errorType, message } : { kind: 'error', status, errorType, message, headers };
}

/** One window of the plan's limits as the API's unified rate-limit headers carry it (reset in unix seconds). */
export interface LimitWindow {
  status: string;
  reset: number;
  utilization?: number;
}

/**
 * The unified rate-limit headers the API answers a subscription login with: the overall status and
 * the window that binds (`claim`, with its reset), and each window given with its own status, share
 * used and reset.
 */
export function limitHeaders(status: string, claim: 'five_hour' | 'seven_day', windows: { fiveHour?: LimitWindow; sevenDay?: LimitWindow }): Record<string, string> {
  const headers: Record<string, string> = { 'anthropic-ratelimit-unified-status': status, 'anthropic-ratelimit-unified-representative-claim': claim };
  for (const [prefix, w, name] of [['5h', windows.fiveHour, 'five_hour'], ['7d', windows.sevenDay, 'seven_day']] as const) {
    if (!w) continue;
    if (name === claim) headers['anthropic-ratelimit-unified-reset'] = String(w.reset);
    headers[`anthropic-ratelimit-unified-${prefix}-status`] = w.status;
    headers[`anthropic-ratelimit-unified-${prefix}-reset`] = String(w.reset);
    if (w.utilization !== undefined) headers[`anthropic-ratelimit-unified-${prefix}-utilization`] = String(w.utilization);
  }
  return headers;
}

/** The text of the last `user`-role message (a `system`-role message may follow it in the array). */
export function lastUserText(body: MessagesRequestBody | undefined): string {
  const messages = body?.messages ?? [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message === undefined || message.role !== 'user') continue;
    return contentText(message.content);
  }
  return '';
}

/** The content blocks of the last `user`-role message of a request (a string content as one text block). */
export function lastUserBlocks(body: MessagesRequestBody | undefined): ApiContentBlock[] {
  const message = [...(body?.messages ?? [])].reverse().find((m) => m.role === 'user');
  if (!message) return [];
  return typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
}

/** The base64 image blocks of some content (a message's, or a tool result's), in order: their media type and bytes. */
export function imageBlocks(content: unknown): { mediaType: string; data: Buffer }[] {
  if (!Array.isArray(content)) return [];
  return content.flatMap((block: unknown) => {
    const source = isRecord(block) && block.type === 'image' && isRecord(block.source) ? block.source : undefined;
    return source?.type === 'base64' && typeof source.media_type === 'string' && typeof source.data === 'string' ? [{ mediaType: source.media_type, data: Buffer.from(source.data, 'base64') }] : [];
  });
}

/** All text of a message content (string, or the text blocks of an array). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block: unknown) => (isRecord(block) && block.type === 'text' && typeof block.text === 'string' ? block.text : ''))
    .filter((text) => text !== '')
    .join('\n');
}

/** Every tool_result block in the request's messages. */
export function toolResults(body: MessagesRequestBody | undefined): ApiContentBlock[] {
  const found: ApiContentBlock[] = [];
  for (const message of body?.messages ?? []) {
    if (!Array.isArray(message.content)) continue;
    for (const block of message.content) {
      if (block.type === 'tool_result') found.push(block);
    }
  }
  return found;
}

/** Names of the tools a request offers. */
export function toolNames(body: MessagesRequestBody | undefined): string[] {
  return (body?.tools ?? []).map((tool) => (isRecord(tool) && typeof tool.name === 'string' ? tool.name : '')).filter((name) => name !== '');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Marker of the CLI's main conversation system prompt (claude 2.1.197). */
const MAIN_SYSTEM_PROMPT_MARKER = 'You are an interactive agent';

/** The default main-turn rule; see the file comment. */
export function isMainTurnRequest(body: MessagesRequestBody): boolean {
  if (Array.isArray(body.tools) && body.tools.length > 0) return true;
  return systemText(body.system).includes(MAIN_SYSTEM_PROMPT_MARKER);
}

/** The text of a `system` field (a string or an array of text blocks). */
export function systemText(system: unknown): string {
  if (typeof system === 'string') return system;
  return contentText(system);
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

function splitInto(text: string, parts: number): string[] {
  const n = Math.max(1, Math.min(Math.floor(parts), text.length || 1));
  if (n === 1) return [text];
  const size = Math.ceil(text.length / n);
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}

/** Rough token estimate, ~4 characters a token. */
function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

interface BuiltBlock {
  /** The block as it appears in a non-streaming message. */
  full: Record<string, unknown>;
  /** The block as announced by content_block_start. */
  start: Record<string, unknown>;
  /** The deltas that fill it. */
  deltas: Record<string, unknown>[];
}

export class MockAnthropicApi {
  /** Every request received, in order, whatever its route. */
  readonly allRequests: MockRequestInfo[] = [];
  /** Main-turn requests that found the queue empty and got the default reply. */
  readonly defaultReplies: MockRequestInfo[] = [];

  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly queue: MockReplySpec[] = [];
  private readonly options: MockAnthropicApiOptions;
  private messageCounter = 0;
  private toolCounter = 0;
  private closed = false;
  private baseUrl = '';
  private readonly failures: unknown[] = [];

  private constructor(options: MockAnthropicApiOptions) {
    this.options = options;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.failures.push(error);
        if (!res.headersSent && !res.destroyed) {
          sendJson(res, 500, { type: 'error', error: { type: 'api_error', message: `mock failure: ${String(error)}` } });
        } else if (!res.destroyed) {
          res.destroy();
        }
      });
    });
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => {
        this.sockets.delete(socket);
      });
    });
  }

  /** Starts a mock on 127.0.0.1, on a free port. */
  static async start(options: MockAnthropicApiOptions = {}): Promise<MockAnthropicApi> {
    const api = new MockAnthropicApi(options);
    await new Promise<void>((resolve, reject) => {
      api.server.once('error', reject);
      api.server.listen(0, '127.0.0.1', () => {
        api.server.off('error', reject);
        resolve();
      });
    });
    const address = api.server.address() as AddressInfo;
    api.baseUrl = `http://127.0.0.1:${String(address.port)}`;
    return api;
  }

  /** Base URL, e.g. `http://127.0.0.1:43121` (no trailing slash). */
  get url(): string {
    return this.baseUrl;
  }

  /** Parsed bodies of every main-turn `/v1/messages` request, in order. */
  get requests(): MessagesRequestBody[] {
    return this.mainRequests.map((info) => info.body ?? {});
  }

  /** Full info of every main-turn request. */
  get mainRequests(): MockRequestInfo[] {
    return this.allRequests.filter((info) => info.kind === 'main');
  }

  /** Full info of every side (non-main) `/v1/messages` request. */
  get sideRequests(): MockRequestInfo[] {
    return this.allRequests.filter((info) => info.kind === 'side');
  }

  /** Replies still waiting in the queue. */
  get pending(): number {
    return this.queue.length;
  }

  /** Errors thrown inside the mock itself (e.g. by a reply function); a test may assert it is empty. */
  get errors(): readonly unknown[] {
    return this.failures;
  }

  /** Script the next main-turn replies, consumed in order, one per main-turn request. */
  enqueue(...replies: MockReplySpec[]): void {
    this.queue.push(...replies);
  }

  /** Drop all scripted replies not yet used. */
  clearQueue(): void {
    this.queue.length = 0;
  }

  /** Resolves once `count` main-turn requests have arrived (polls; fails after `timeoutMs`). */
  async waitForMainRequests(count: number, timeoutMs = 10_000): Promise<MessagesRequestBody[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.mainRequests.length < count) {
      if (Date.now() > deadline) {
        throw new Error(`MockAnthropicApi: expected ${String(count)} main-turn requests, got ${String(this.mainRequests.length)} in ${String(timeoutMs)} ms`);
      }
      await sleep(20);
    }
    return this.requests;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const done = new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
    for (const socket of this.sockets) socket.destroy();
    await done;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const query = queryAt === -1 ? '' : rawUrl.slice(queryAt + 1);
    const rawBody = await readBody(req);
    let body: MessagesRequestBody | undefined;
    if (rawBody.trim() !== '') {
      try {
        const parsed: unknown = JSON.parse(rawBody);
        if (isRecord(parsed)) body = parsed;
      } catch {
        body = undefined;
      }
    }
    const info: MockRequestInfo = {
      index: this.allRequests.length,
      method: req.method ?? 'GET',
      path,
      query,
      headers: req.headers,
      rawBody,
      body,
      kind: 'other',
      aborted: false,
      receivedAt: Date.now(),
    };
    this.allRequests.push(info);
    // Writing to a client that went away must not crash the test process.
    res.on('error', () => {
      info.aborted = true;
    });
    res.on('close', () => {
      if (!res.writableFinished) info.aborted = true;
    });

    if (info.method === 'POST' && path === '/v1/messages/count_tokens') {
      info.kind = 'count_tokens';
      sendJson(res, 200, { input_tokens: estimateTokens(JSON.stringify({ system: body?.system, messages: body?.messages, tools: body?.tools })) });
      return;
    }
    if (info.method !== 'POST' || path !== '/v1/messages') {
      sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: `Not found: ${info.method} ${path}` } });
      return;
    }
    if (body === undefined) {
      sendJson(res, 400, { type: 'error', error: { type: 'invalid_request_error', message: 'Request body must be a JSON object' } });
      return;
    }

    const isMain = (this.options.isMainTurn ?? isMainTurnRequest)(body);
    info.kind = isMain ? 'main' : 'side';
    let reply: MockReply;
    if (!isMain) {
      info.answeredWith = 'side';
      reply = this.options.sideReply ?? textReply(SIDE_REPLY_TEXT, { usage: { input: 10, output: 3 } });
    } else {
      const spec = this.queue.shift();
      if (spec === undefined) {
        info.answeredWith = 'default';
        this.defaultReplies.push(info);
        reply = this.options.defaultReply ?? textReply(DEFAULT_REPLY_TEXT);
      } else {
        info.answeredWith = 'scripted';
        const resolved = typeof spec === 'function' ? await spec(info) : spec;
        reply = typeof resolved === 'string' ? textReply(resolved) : resolved;
      }
    }
    await this.respond(reply, body, res);
  }

  private async respond(reply: MockReply, body: MessagesRequestBody, res: ServerResponse): Promise<void> {
    if (reply.kind === 'error') {
      sendJson(res, reply.status, { type: 'error', error: { type: reply.errorType, message: reply.message } }, {
        'request-id': `req_mock_${String(++this.messageCounter)}`,
        ...reply.headers,
      });
      return;
    }
    await sleep(reply.initialDelayMs ?? 0);
    if (res.destroyed) return;

    const model = typeof body.model === 'string' && body.model !== '' ? body.model : 'claude-mock';
    const id = reply.id ?? `msg_mock_${String(++this.messageCounter)}`;
    const blocks = this.buildBlocks(reply);
    const stopReason: MockStopReason = reply.stopReason ?? ((reply.toolUses?.length ?? 0) > 0 ? 'tool_use' : 'end_turn');
    const usage = {
      input_tokens: reply.usage?.input ?? estimateTokens(lastUserText(body)) + 20,
      cache_creation_input_tokens: reply.usage?.cacheCreation ?? 0,
      cache_read_input_tokens: reply.usage?.cacheRead ?? 0,
      output_tokens: reply.usage?.output ?? Math.max(1, blocks.reduce((sum, block) => sum + estimateTokens(JSON.stringify(block.full)), 0)),
    };

    if (body.stream !== true) {
      sendJson(res, 200, {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: blocks.map((block) => block.full),
        stop_reason: stopReason,
        stop_sequence: null,
        usage,
      });
      return;
    }

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'request-id': `req_${id}`,
      ...reply.headers,
    });
    const send = (event: string, data: Record<string, unknown>): boolean => {
      if (res.destroyed || res.writableEnded) return false;
      res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
      return true;
    };
    const delay = reply.chunkDelayMs ?? 0;

    send('message_start', {
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    });
    send('ping', {});
    for (const [index, block] of blocks.entries()) {
      if (!send('content_block_start', { index, content_block: block.start })) return;
      for (const delta of block.deltas) {
        await sleep(delay);
        if (!send('content_block_delta', { index, delta })) return;
      }
      if (!send('content_block_stop', { index })) return;
    }
    if (!send('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } })) return;
    if (!send('message_stop', {})) return;
    res.end();
  }

  private buildBlocks(reply: MockMessageReply): BuiltBlock[] {
    const chunks = reply.chunks ?? 1;
    const blocks: BuiltBlock[] = [];
    if (reply.thinking !== undefined) {
      const signature = `mock-signature-${String(this.messageCounter)}`;
      blocks.push({
        full: { type: 'thinking', thinking: reply.thinking, signature },
        start: { type: 'thinking', thinking: '', signature: '' },
        deltas: [
          ...splitInto(reply.thinking, chunks).map((thinking) => ({ type: 'thinking_delta', thinking })),
          { type: 'signature_delta', signature },
        ],
      });
    }
    for (const text of reply.text ?? []) {
      blocks.push({
        full: { type: 'text', text },
        start: { type: 'text', text: '' },
        deltas: splitInto(text, chunks).map((piece) => ({ type: 'text_delta', text: piece })),
      });
    }
    for (const tool of reply.toolUses ?? []) {
      const id = tool.id ?? `toolu_mock_${String(++this.toolCounter).padStart(4, '0')}`;
      const json = JSON.stringify(tool.input);
      blocks.push({
        full: { type: 'tool_use', id, name: tool.name, input: tool.input },
        start: { type: 'tool_use', id, name: tool.name, input: {} },
        deltas: splitInto(json, chunks).map((partial_json) => ({ type: 'input_json_delta', partial_json })),
      });
    }
    return blocks;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    const done = (): void => {
      resolve(Buffer.concat(parts).toString('utf8'));
    };
    req.on('end', done);
    // A client that goes away mid-upload: go on with what arrived (the response will be dropped).
    req.on('error', done);
    req.on('close', done);
  });
}

function sendJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
