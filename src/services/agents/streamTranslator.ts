import { isAbsolute, relative } from 'node:path';
import { newId } from '../ids';
import type { StoredMessage } from '../storage/messageStore';
import type { AgentStatus, TaskItem } from '../storage/records';
import { versionWarning } from './cliArgs';
import type { AssistantLine, CliLine, ContentBlock, ControlRequestLine, RateLimitEventLine, ResultLine, StreamEventLine, SystemLine, UserLine } from './cliProtocol';
import { type InlineImage, splitImages } from './images';
import { PendingRequests } from './pendingRequests';
import { type PermissionRequest, waitingReason } from './permissions';
import { Subagents } from './subagents';
import { applyTaskCall, sameTasks, TASK_TOOLS } from './taskList';
import { limitedReason } from '../usage/limitsText';
import { summarizeTool } from './toolSummary';
import { type UsageEntry, UsageMeter } from './usageMeter';

export type { UsageEntry } from './usageMeter';
export { contextWindowOf } from './usageMeter';

/** The session the CLI reported in `system/init`. */
export interface SessionInit {
  sessionId: string;
  model?: string;
  data: { model?: string; cwd?: string; cliVersion?: string; permissionMode?: string; slashCommands?: string[] };
}

/**
 * What a line means for the agent, in the order it must be applied. `message` versions of one id
 * supersede each other; a `streaming` one is shown at once and may be stored later (a few times a
 * second), a final one is stored at once and supersedes any streaming copy not yet stored.
 */
export type TranslatorEffect =
  | { kind: 'message'; message: StoredMessage; streaming?: boolean; images?: InlineImage[] }
  | { kind: 'status'; status: AgentStatus; reason: string }
  | { kind: 'session'; init: SessionInit }
  | { kind: 'initialized'; sessionId: string }
  | { kind: 'usage'; usage: UsageEntry }
  | { kind: 'context'; level: number }
  | { kind: 'limit'; info: RateLimitEventLine['rate_limit_info'] }
  /** The turn ended on a usage limit of the plan, which resets at `until` (ISO). */
  | { kind: 'limited'; until: string }
  | { kind: 'permission'; request: PermissionRequest }
  | { kind: 'permissionsChanged' }
  | { kind: 'tasks'; tasks: TaskItem[] }
  | { kind: 'log'; level: 'debug' | 'warn'; text: string };

export interface TranslatorOptions {
  agentId: string;
  /** The worktree: tool summaries name paths relative to it. */
  cwd: string;
  /** Lines come from a terminal's transcript, its status from hooks (see terminalSession). */
  terminal?: boolean;
  /** A notice is added when the context fills past this percentage. */
  contextWarningThreshold: () => number;
  /** Where the CLI keeps plans (`<config dir>/plans`): a plan written there is what ExitPlanMode presents. */
  planDir?: string;
  /** The agent's task list as stored (a resumed session's TaskUpdate calls change the tasks made before). */
  tasks?: readonly TaskItem[] | undefined;
  /** Clock and ids, replaceable so that replays compare exactly. */
  now?: () => string;
  newId?: () => string;
}

/** What the CLI answers a turn with when it has no credentials (checked with 2.1.197). */
const NOT_LOGGED_IN = /not logged in|please run \/login|invalid api key/i;
/** How the CLI records an interrupt in a user entry (not something the user typed). */
export const INTERRUPTED = /^\[Request interrupted by user/;

/** A tool result block's text and error flag, as its call's message keeps them. */
function resultOf(block: ContentBlock): { toolOutput: string; isError: boolean } {
  // Images (a Read of a PNG) are not text: the live agent keeps them as files (see `onUser`).
  return { toolOutput: contentToText(splitImages('content' in block ? block.content : undefined).rest), isError: Boolean('is_error' in block && block.is_error) };
}

function contentToText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((c) => (c && typeof c === 'object' && 'text' in c && typeof (c as { text: unknown }).text === 'string' ? (c as { text: string }).text : JSON.stringify(c)))
      .join('\n');
  }
  return content === undefined ? '' : JSON.stringify(content);
}

/**
 * The agent's conversation as a state machine: the CLI's stream-json lines (or a transcript's
 * lines, or a permission request) in; messages, statuses, usage per API message, context level,
 * session and permission requests out, as effects. It holds no process and no store, so a
 * recording of the real CLI replays through it exactly (test/fixtures/cli).
 *
 * Messages are one per content block (text, thinking, a tool call joined to its result,
 * notices); streamed text grows under one id. Usage and the context's fill are the meter's
 * (`usageMeter.ts`), permission requests waiting for the user `pendingRequests.ts`'s; a subagent's
 * lines are its call's (`subagents.ts`); the task tools' calls make the agent's task list
 * (`taskList.ts`).
 */
export class StreamTranslator {
  private readonly requests = new PendingRequests();
  private readonly subagents: Subagents;
  /** The task list as the agent's task tool calls left it. */
  private tasks: readonly TaskItem[];
  private readonly streaming = new Map<string, { message: StoredMessage; partialJson: string }>();
  /** Per API message id: the ids of our messages for its blocks, in order, and how many the full lines completed. */
  private readonly blocks = new Map<string, { ids: string[]; completed: number }>();
  /** Tool calls waiting for their result, by tool_use id. */
  private readonly toolMessages = new Map<string, StoredMessage>();
  /** Our message id of each tool_use id of this process (kept after the result: hooks may come late). */
  private readonly toolMessageIds = new Map<string, string>();
  private readonly meter: UsageMeter;
  private currentApiId: string | undefined;
  private model: string | undefined;
  private initKey: string | undefined;
  private interrupted = false;
  /** When the plan's limit that refused this turn's request resets. */
  private limitedUntil: string | undefined;
  /** Whether a turn is under way (a message sent or a turn begun, and no result since). */
  private turnActive = false;
  private out: TranslatorEffect[] = [];
  /** The plan file the agent last wrote, if any (since 2.1.332 ExitPlanMode no longer carries the plan). */
  planFile: string | undefined;
  private readonly now: () => string;
  private readonly makeId: () => string;

  constructor(private readonly options: TranslatorOptions) {
    this.now = options.now ?? (() => new Date().toISOString());
    this.makeId = options.newId ?? (() => newId('msg'));
    this.tasks = options.tasks ?? [];
    this.meter = new UsageMeter(
      {
        // A terminal's transcript gives tokens but no cost: its rows say the cost is not known.
        usage: (usage) => this.out.push({ kind: 'usage', usage: options.terminal ? { ...usage, costReported: false } : usage }), context: (level) => this.out.push({ kind: 'context', level }), notice: (text) => this.pushNotice(text) },
      () => options.contextWarningThreshold(),
    );
    this.subagents = new Subagents({
      blockMessage: (block, fields) => this.blockMessage(block, undefined, fields),
      toolMessageId: (toolUseId) => this.toolMessageIds.get(toolUseId),
      registerTool: (toolUseId, messageId) => this.toolMessageIds.set(toolUseId, messageId),
      emit: (message) => this.out.push({ kind: 'message', message: { ...message } }),
      log: (text) => this.log('debug', text),
    });
  }

  /** Permission requests waiting for the user, oldest first. */
  get pending(): readonly PermissionRequest[] {
    return this.requests.list;
  }

  /** The stored message of a tool call, by the CLI's tool_use id. */
  toolMessageId(toolUseId: string): string | undefined {
    return this.toolMessageIds.get(toolUseId);
  }

  /** The tool_use id a permission request is about. */
  toolUseOf(requestId: string): string | undefined {
    return this.requests.toolUseOf(requestId);
  }

  /** One stdout (or transcript) line. */
  line(parsed: CliLine): TranslatorEffect[] {
    switch (parsed.kind) {
      case 'system':
        this.onSystem(parsed.line);
        break;
      case 'stream_event':
        this.onStream(parsed.line);
        break;
      case 'assistant':
        this.onAssistant(parsed.line);
        break;
      case 'user':
        this.onUser(parsed.line);
        break;
      case 'result':
        this.onResult(parsed.line);
        break;
      case 'control_cancel_request':
        this.withdraw(parsed.line.request_id);
        break;
      case 'rate_limit_event': {
        const info = parsed.line.rate_limit_info;
        this.out.push({ kind: 'limit', info });
        // A request refused for the plan's limit: the turn ends on it (checked with 2.1.332: then a
        // synthetic "You've hit your 5-hour limit · resets 1:33pm" reply and an error result).
        if (info.status === 'rejected' && typeof info.resetsAt === 'number') this.limitedUntil = new Date(info.resetsAt * 1000).toISOString();
        break;
      }
      case 'raw':
        this.log('debug', `CLI line of unknown type "${parsed.type}" kept as a raw event`);
        break;
      case 'invalid':
        this.log('warn', `ignored a CLI line (${parsed.reason}): ${parsed.text}`);
        break;
      default:
        break;
    }
    return this.flush();
  }

  /** The user sent a message (stream-json), or typed one in the terminal (its UserPromptSubmit hook). */
  userMessage(content: string, options: { status?: boolean; id?: string } = {}): { effects: TranslatorEffect[]; messageId: string } {
    const message = { ...this.message({ role: 'user', kind: 'text', content, isComplete: true }), ...(options.id ? { id: options.id } : {}) };
    this.interrupted = false;
    this.turnActive = true;
    this.out.push({ kind: 'message', message });
    if (options.status !== false && this.pending.length === 0) this.status('running', 'thinking');
    return { effects: this.flush(), messageId: message.id };
  }

  /** A notice in the conversation. */
  notice(content: string): TranslatorEffect[] {
    this.pushNotice(content);
    return this.flush();
  }

  /** The user asked for an interrupt: the turn's end is not an error. */
  markInterrupted(): void {
    this.interrupted = true;
  }

  /**
   * The CLI asks whether a tool may run (`can_use_tool`). `plan`: the text of the plan file, for an
   * ExitPlanMode that does not carry it; shown as its `plan`, while the answer echoes the input as sent.
   */
  permissionRequest(request: ControlRequestLine, extra: { plan?: string } = {}): TranslatorEffect[] {
    const pending = this.requests.add(request, { cwd: this.options.cwd, now: this.now(), plan: extra.plan });
    this.status('waiting', waitingReason(this.pending[0]!));
    this.out.push({ kind: 'permission', request: pending });
    return this.flush();
  }

  /** Takes a pending request for its answer; undefined when none waits under that id. */
  takePending(requestId: string): PermissionRequest | undefined {
    return this.requests.take(requestId);
  }

  /** The input an answer to the request echoes: as the CLI sent it. */
  answerInput(request: PermissionRequest): Record<string, unknown> {
    return this.requests.answerInput(request);
  }

  /** The status once an answer was sent: the next pending request, or the tool running, or thinking. */
  answered(request: PermissionRequest, behavior: 'allow' | 'deny'): TranslatorEffect[] {
    if (this.pending.length) this.status('waiting', waitingReason(this.pending[0]!));
    else this.status('running', behavior === 'allow' && !request.questions ? `running ${request.summary}` : 'thinking');
    return this.flush();
  }

  /** The process ended: what streamed is kept as it stands; the final status. */
  exited(exit: { code: number | null; signal: NodeJS.Signals | null; stderrTail: string; /** Why it was ended on purpose ("stopped", "asleep"); absent when it ended by itself. */ stopping?: string | undefined; terminalEndReason?: string | undefined }): { effects: TranslatorEffect[]; status: AgentStatus; reason: string } {
    this.keepStreamed();
    this.requests.clear();
    this.subagents.exited();
    this.endTurn();
    let status: AgentStatus = 'finished';
    let reason = this.options.terminal ? `the terminal session ended${exit.terminalEndReason ? ` (${exit.terminalEndReason})` : ''}` : 'exited';
    if (exit.stopping) reason = exit.stopping;
    else if (this.options.terminal && exit.code === null && !exit.signal) reason = 'the terminal was closed';
    else if (exit.signal) {
      status = 'error';
      reason = `CLI was killed (${exit.signal})`;
    } else if (exit.code !== 0) {
      status = 'error';
      const last = exit.stderrTail.split('\n').filter(Boolean).pop();
      reason = `CLI exited with code ${exit.code}${last ? `: ${last}` : ''}`;
    }
    return { effects: this.flush(), status, reason };
  }

  /** A turn in the terminal ended (its Stop hook): what was kept of its API messages can go. */
  endTerminalTurn(): void {
    this.endTurn();
  }

  private flush(): TranslatorEffect[] {
    const effects = this.out;
    this.out = [];
    return effects;
  }

  private log(level: 'debug' | 'warn', text: string): void {
    this.out.push({ kind: 'log', level, text });
  }

  private status(status: AgentStatus, reason: string): void {
    this.out.push({ kind: 'status', status, reason });
  }

  private message(fields: Omit<StoredMessage, 'id' | 'agentId' | 'createdAt'>): StoredMessage {
    return { id: this.makeId(), agentId: this.options.agentId, createdAt: this.now(), ...fields } as StoredMessage;
  }

  private pushNotice(content: string): void {
    this.out.push({ kind: 'message', message: this.message({ role: 'system', kind: 'notice', content, isComplete: true }) });
  }

  private withdraw(requestId: string): void {
    if (this.requests.take(requestId)) this.out.push({ kind: 'permissionsChanged' });
  }

  private onSystem(line: SystemLine): void {
    if (line.subtype === 'init' && line.session_id) {
      // Every turn starts with one; what it says is recorded when it changed.
      const known = this.initKey;
      this.initKey = JSON.stringify([line.session_id, line.model, line.permissionMode, line.slash_commands]);
      this.model = line.model ?? this.model;
      if (known !== this.initKey) {
        const data = { model: line.model, cwd: line.cwd, cliVersion: line.claude_code_version, permissionMode: line.permissionMode, slashCommands: line.slash_commands };
        this.out.push({ kind: 'session', init: { sessionId: line.session_id, ...(line.model ? { model: line.model } : {}), data } });
      }
      this.out.push({ kind: 'initialized', sessionId: line.session_id });
      if (!this.turnActive && !this.options.terminal) {
        // A turn the CLI began by itself: messages sent during the last one, which it runs next (several as one).
        this.turnActive = true;
        if (this.pending.length === 0) this.status('running', 'thinking');
      }
      if (known === this.initKey) return;
      const warning = versionWarning(line.claude_code_version);
      if (warning) {
        this.log('warn', warning);
        this.pushNotice(warning);
      }
      return;
    }
    if (line.subtype === 'api_retry') {
      if (!this.options.terminal) this.status('running', `retrying after API ${line.error_status ?? 'error'} (${line.attempt ?? '?'}/${line.max_retries ?? '?'})`);
      this.pushNotice(`Retrying: API ${line.error_status ?? 'error'}, attempt ${line.attempt ?? '?'} of ${line.max_retries ?? '?'}`);
      return;
    }
    if (line.subtype === 'compact_boundary') this.pushNotice('The conversation was compacted.');
    else if (line.subtype === 'task_started' || line.subtype === 'task_notification') this.subagents.task(line);
  }

  private onStream(line: StreamEventLine): void {
    // A subagent's stream (not sent by 2.1.332): its blocks come whole on its assistant lines.
    if (line.parent_tool_use_id) return;
    const event = line.event;
    if (event.type === 'message_start') {
      this.currentApiId = event.message?.id;
      return;
    }
    const apiId = this.currentApiId;
    if (apiId && event.type === 'message_delta' && event.usage?.output_tokens !== undefined) {
      this.meter.outputTokens(apiId, event.usage.output_tokens);
      return;
    }
    if (!apiId || event.index === undefined) return;
    const key = `${apiId}#${event.index}`;
    if (event.type === 'content_block_start' && event.content_block) {
      const type = event.content_block.type;
      if (type !== 'text' && type !== 'thinking' && type !== 'tool_use') return;
      const name = event.content_block.name ?? 'tool';
      const message = this.message({
        role: type === 'tool_use' ? 'tool' : 'assistant',
        kind: type === 'tool_use' ? 'tool' : type === 'thinking' ? 'thinking' : 'text',
        content: type === 'tool_use' ? name : '',
        ...(type === 'tool_use' ? { toolName: name } : {}),
        isComplete: false,
      });
      this.streaming.set(key, { message, partialJson: '' });
      const entry = this.blocks.get(apiId) ?? { ids: [], completed: 0 };
      entry.ids.push(message.id);
      this.blocks.set(apiId, entry);
      if (type === 'tool_use') this.status('running', `running ${event.content_block.name ?? 'a tool'}`);
      this.out.push({ kind: 'message', message: { ...message }, streaming: true });
      return;
    }
    const streaming = this.streaming.get(key);
    if (!streaming || event.type !== 'content_block_delta' || !event.delta) return;
    if (event.delta.text !== undefined) streaming.message.content += event.delta.text;
    else if (event.delta.thinking !== undefined) streaming.message.content += event.delta.thinking;
    else {
      if (event.delta.partial_json !== undefined) streaming.partialJson += event.delta.partial_json;
      return;
    }
    this.out.push({ kind: 'message', message: { ...streaming.message }, streaming: true });
  }

  private onAssistant(line: AssistantLine): void {
    const apiId = line.message.id;
    const main = !line.parent_tool_use_id;
    if (line.message.model) this.model = line.message.model;
    this.meter.assistant(line, this.model);
    if (!main) {
      this.subagents.assistant(line);
      return;
    }
    const entry = this.blocks.get(apiId) ?? { ids: [], completed: 0 };
    this.blocks.set(apiId, entry);
    for (const block of line.message.content) {
      const id = entry.ids[entry.completed];
      const streamedKey = id ? [...this.streaming.entries()].find(([, s]) => s.message.id === id)?.[0] : undefined;
      const streamed = streamedKey ? this.streaming.get(streamedKey) : undefined;
      if (streamedKey) this.streaming.delete(streamedKey);
      entry.completed++;
      const message = this.completeBlock(block, streamed?.message);
      if (!message) continue;
      if (!id) entry.ids.push(message.id);
      this.out.push({ kind: 'message', message: { ...(message.kind === 'tool' && 'id' in block ? this.subagents.version(String(block.id), message) : message) } });
      if (message.kind === 'tool' && message.toolName && this.pending.length === 0 && !this.options.terminal) {
        this.status('running', `running ${summarizeTool(message.toolName, message.toolInput, this.options.cwd)}`);
      }
    }
  }

  /** One of the agent's own blocks, whole: a tool call waits for its result, and a plan file it writes is remembered. */
  private completeBlock(block: ContentBlock, streamed: StoredMessage | undefined): StoredMessage | undefined {
    const message = this.blockMessage(block, streamed);
    if (message?.kind !== 'tool' || !('id' in block)) return message;
    this.toolMessages.set(String(block.id), message);
    this.toolMessageIds.set(String(block.id), message.id);
    const file = typeof message.toolInput?.file_path === 'string' ? message.toolInput.file_path : undefined;
    const inPlans = this.options.planDir && file ? relative(this.options.planDir, file) : '';
    if (inPlans && !inPlans.startsWith('..') && !isAbsolute(inPlans) && /^(Write|Edit|MultiEdit)$/.test(message.toolName ?? '')) this.planFile = file;
    return message;
  }

  /** The message of a content block, whole (a tool call complete once its result arrives); `fields` for a subagent's. */
  private blockMessage(block: ContentBlock, streamed: StoredMessage | undefined, fields: { parentId?: string } = {}): StoredMessage | undefined {
    const base = { ...(streamed ?? { id: this.makeId(), agentId: this.options.agentId, createdAt: this.now() }), ...fields };
    if (block.type === 'text' && 'text' in block) return { ...base, role: 'assistant', kind: 'text', content: String(block.text), isComplete: true } as StoredMessage;
    if (block.type === 'thinking' && 'thinking' in block) return { ...base, role: 'assistant', kind: 'thinking', content: String(block.thinking), isComplete: true } as StoredMessage;
    if (block.type === 'tool_use' && 'id' in block && 'name' in block) {
      const input = block.input && typeof block.input === 'object' && !Array.isArray(block.input) ? (block.input as Record<string, unknown>) : {};
      return {
        ...base,
        role: 'tool',
        kind: 'tool',
        content: summarizeTool(String(block.name), input, this.options.cwd),
        toolName: String(block.name),
        toolInput: input,
        // Complete once its result arrives.
        isComplete: false,
      } as StoredMessage;
    }
    return undefined;
  }

  private onUser(line: UserLine): void {
    if (line.parent_tool_use_id) {
      this.subagents.user(line, resultOf);
      return;
    }
    if (typeof line.message.content === 'string') {
      // The user's prompts in a terminal are stored from the UserPromptSubmit hook, which comes
      // before the turn (the transcript may write the prompt's entry after the first reply). Of
      // the transcript's own user entries only an interrupt is kept, as a notice.
      if (this.options.terminal && INTERRUPTED.test(line.message.content)) this.pushNotice('Interrupted.');
      return;
    }
    // The result as data belongs to the line's one result (the CLI sends one per line).
    const results = line.message.content.filter((b) => b.type === 'tool_result').length;
    for (const block of line.message.content) {
      // An interrupt, as the CLI reports it in stream-json (checked): a text block of its own.
      if (block.type === 'text' && 'text' in block && INTERRUPTED.test(String(block.text))) {
        this.pushNotice('Interrupted.');
        continue;
      }
      if (block.type !== 'tool_result' || !('tool_use_id' in block)) continue;
      const toolUseId = String(block.tool_use_id);
      const message = this.toolMessages.get(toolUseId);
      if (!message) continue;
      this.toolMessages.delete(toolUseId);
      const done: StoredMessage = { ...message, ...resultOf(block), isComplete: true };
      const { images } = splitImages('content' in block ? block.content : undefined);
      this.out.push({ kind: 'message', message: this.subagents.version(toolUseId, done), ...(images.length ? { images } : {}) });
      if (!done.isError && done.toolName && TASK_TOOLS.has(done.toolName)) this.taskCall(done, results === 1 ? (line.tool_use_result ?? line.toolUseResult) : undefined);
    }
    if (this.pending.length === 0 && !this.options.terminal) this.status('running', 'thinking');
  }

  /** A task tool's call succeeded: the task list as it left it, when it changed. */
  private taskCall(call: StoredMessage, result: unknown): void {
    const next = applyTaskCall(this.tasks, { toolName: call.toolName!, input: call.toolInput, output: call.toolOutput ?? '', result });
    if (!next || sameTasks(next, this.tasks)) return;
    this.tasks = next;
    this.out.push({ kind: 'tasks', tasks: next });
  }

  private onResult(line: ResultLine): void {
    this.meter.result(line, this.model);
    this.blocks.clear();
    this.turnActive = false;
    this.toolMessages.clear();
    this.keepStreamed();
    this.requests.clear();
    const limitedUntil = this.limitedUntil;
    this.limitedUntil = undefined;
    if (line.is_error && !this.interrupted && limitedUntil) {
      this.status('error', limitedReason(limitedUntil));
      // After its status: what resumes it says so in the reason, over this one.
      this.out.push({ kind: 'limited', until: limitedUntil });
    } else if (line.is_error && !this.interrupted) {
      const status = line.api_error_status;
      const text = line.result ?? line.subtype;
      // The CLI owns authentication; the extension only says how to log in.
      const reason = NOT_LOGGED_IN.test(text)
        ? 'not logged in: run "claude" in a terminal and log in (/login), then send the message again'
        : status
          ? `API error ${status}: ${text}`
          : `the turn failed: ${text}`;
      this.status('error', reason);
    } else {
      this.status('waiting', this.interrupted ? 'interrupted; waiting for your message' : 'waiting for your message');
    }
    this.interrupted = false;
  }

  /** Whatever streamed and was never completed (an interrupted turn, an exit) is kept as it stands, complete. */
  private keepStreamed(): void {
    for (const [, s] of this.streaming) this.out.push({ kind: 'message', message: { ...s.message, isComplete: true } });
    this.streaming.clear();
  }

  private endTurn(): void {
    this.meter.endTurn();
    this.blocks.clear();
  }
}
