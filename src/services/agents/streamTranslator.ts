import { isAbsolute, relative } from 'node:path';
import { newId } from '../ids';
import type { StoredMessage } from '../storage/messageStore';
import type { UsageEntry as LedgerEntry } from '../storage/usageRepository';
import type { AgentStatus } from '../storage/records';
import { versionWarning } from './cliArgs';
import type { AssistantLine, CliLine, ContentBlock, ControlRequestLine, RateLimitEventLine, ResultLine, StreamEventLine, SystemLine, UserLine } from './cliProtocol';
import { type InlineImage, splitImages } from './images';
import { describeSuggestion, type PermissionRequest, questionsOf, questionSummary, waitingReason } from './permissions';
import { summarizeTool } from './toolSummary';

/** One API message's usage as far as it is known (the ledger's entry without where it belongs): the ledger keeps the latest of each. */
export type UsageEntry = Pick<LedgerEntry, 'messageId' | 'model' | 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheCreationTokens' | 'costUsd'>;

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
  | { kind: 'permission'; request: PermissionRequest }
  | { kind: 'permissionsChanged' }
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
  /** Clock and ids, replaceable so that replays compare exactly. */
  now?: () => string;
  newId?: () => string;
}

const DEFAULT_CONTEXT_WINDOW = 200_000;
/** What the CLI answers a turn with when it has no credentials (checked with 2.1.197). */
const NOT_LOGGED_IN = /not logged in|please run \/login|invalid api key/i;
const INTERRUPTED = /^\[Request interrupted by user/;

/**
 * The context window of the main model from a result's `modelUsage`. Its keys are the model as
 * chosen, which may carry a suffix the API messages lack ("claude-sonnet-4-5[1m]" for
 * "claude-sonnet-4-5"): the exact key, else the model with a bracketed suffix, else the only key.
 */
export function contextWindowOf(modelUsage: ResultLine['modelUsage'], model: string | undefined): number | undefined {
  if (!modelUsage) return undefined;
  const keys = Object.keys(modelUsage);
  const key = (model && (keys.find((k) => k === model) ?? keys.find((k) => k.startsWith(`${model}[`)))) || (keys.length === 1 ? keys[0] : undefined);
  return key ? modelUsage[key]?.contextWindow : undefined;
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
 * notices); streamed text grows under one id. Usage is kept per API message id, so a message
 * reported on several lines counts once; a turn's cost is the difference of the process's
 * running `total_cost_usd` figures, added to the turn's last API message.
 */
export class StreamTranslator {
  /** Permission requests waiting for the user, oldest first. */
  readonly pending: PermissionRequest[] = [];
  private readonly streaming = new Map<string, { message: StoredMessage; partialJson: string }>();
  /** Per API message id: the ids of our messages for its blocks, in order, and how many the full lines completed. */
  private readonly blocks = new Map<string, { ids: string[]; completed: number }>();
  /** Tool calls waiting for their result, by tool_use id. */
  private readonly toolMessages = new Map<string, StoredMessage>();
  /** Our message id of each tool_use id of this process (kept after the result: hooks may come late). */
  private readonly toolMessageIds = new Map<string, string>();
  /** The tool_use id each pending permission request is about. */
  private readonly requestToolUse = new Map<string, string>();
  /** The API messages of the turn under way, with their usage so far. */
  private readonly turnUsage = new Map<string, UsageEntry>();
  private lastCostTotal: number | undefined;
  private lastApiMessageId: string | undefined;
  private currentApiId: string | undefined;
  private model: string | undefined;
  private initKey: string | undefined;
  private contextWindow = DEFAULT_CONTEXT_WINDOW;
  private lastContextTokens = 0;
  private lastLevel = 0;
  private interrupted = false;
  /** Whether a turn is under way (a message sent or a turn begun, and no result since). */
  private turnActive = false;
  private out: TranslatorEffect[] = [];
  /** The input each pending request is answered with, where the one shown differs (a plan read from its file). */
  private readonly answerInputs = new Map<string, Record<string, unknown>>();
  /** The plan file the agent last wrote, if any (since 2.1.332 ExitPlanMode no longer carries the plan). */
  planFile: string | undefined;
  private readonly now: () => string;
  private readonly makeId: () => string;

  constructor(private readonly options: TranslatorOptions) {
    this.now = options.now ?? (() => new Date().toISOString());
    this.makeId = options.newId ?? (() => newId('msg'));
  }

  /** The stored message of a tool call, by the CLI's tool_use id. */
  toolMessageId(toolUseId: string): string | undefined {
    return this.toolMessageIds.get(toolUseId);
  }

  /** The tool_use id a permission request is about. */
  toolUseOf(requestId: string): string | undefined {
    return this.requestToolUse.get(requestId);
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
      case 'rate_limit_event':
        this.out.push({ kind: 'limit', info: parsed.line.rate_limit_info });
        break;
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
    const r = request.request;
    const toolName = r.tool_name ?? 'tool';
    const sent = r.input ?? {};
    const input = extra.plan !== undefined && typeof sent.plan !== 'string' ? { ...sent, plan: extra.plan } : sent;
    if (input !== sent) this.answerInputs.set(request.request_id, sent);
    const suggestions = (r.permission_suggestions ?? []).flatMap((value) => {
      const label = describeSuggestion(value);
      return label ? [{ label, value }] : [];
    });
    const questions = questionsOf(toolName, input);
    const pending: PermissionRequest = {
      requestId: request.request_id,
      toolName,
      input,
      summary: questions ? questionSummary(questions) : summarizeTool(toolName, input, this.options.cwd),
      requestedAt: this.now(),
      ...(suggestions.length && !questions ? { suggestions } : {}),
      ...(typeof r.decision_reason === 'string' && r.decision_reason ? { reason: r.decision_reason } : {}),
      ...(questions ? { questions } : {}),
    };
    this.pending.push(pending);
    if (r.tool_use_id) this.requestToolUse.set(request.request_id, r.tool_use_id);
    this.status('waiting', waitingReason(this.pending[0]!));
    this.out.push({ kind: 'permission', request: pending });
    return this.flush();
  }

  /** Takes a pending request for its answer; undefined when none waits under that id. */
  takePending(requestId: string): PermissionRequest | undefined {
    const at = this.pending.findIndex((p) => p.requestId === requestId);
    if (at < 0) return undefined;
    const [request] = this.pending.splice(at, 1);
    this.requestToolUse.delete(requestId);
    this.answerInputs.delete(requestId);
    return request;
  }

  /** The input an answer to the request echoes: as the CLI sent it. */
  answerInput(request: PermissionRequest): Record<string, unknown> {
    return this.answerInputs.get(request.requestId) ?? request.input;
  }

  /** The status once an answer was sent: the next pending request, or the tool running, or thinking. */
  answered(request: PermissionRequest, behavior: 'allow' | 'deny'): TranslatorEffect[] {
    if (this.pending.length) this.status('waiting', waitingReason(this.pending[0]!));
    else this.status('running', behavior === 'allow' && !request.questions ? `running ${request.summary}` : 'thinking');
    return this.flush();
  }

  /** The process ended: what streamed is kept as it stands; the final status. */
  exited(exit: { code: number | null; signal: NodeJS.Signals | null; stderrTail: string; stopping: boolean; terminalEndReason?: string | undefined }): { effects: TranslatorEffect[]; status: AgentStatus; reason: string } {
    this.keepStreamed();
    this.pending.length = 0;
    this.endTurn();
    let status: AgentStatus = 'finished';
    let reason = this.options.terminal ? `the terminal session ended${exit.terminalEndReason ? ` (${exit.terminalEndReason})` : ''}` : 'exited';
    if (exit.stopping) reason = 'stopped';
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
    const at = this.pending.findIndex((p) => p.requestId === requestId);
    this.requestToolUse.delete(requestId);
    this.answerInputs.delete(requestId);
    if (at < 0) return;
    this.pending.splice(at, 1);
    this.out.push({ kind: 'permissionsChanged' });
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
  }

  private onStream(line: StreamEventLine): void {
    if (line.parent_tool_use_id) return; // a subagent's stream: its result arrives as the Task's output
    const event = line.event;
    if (event.type === 'message_start') {
      this.currentApiId = event.message?.id;
      return;
    }
    const apiId = this.currentApiId;
    if (apiId && event.type === 'message_delta' && event.usage?.output_tokens !== undefined) {
      const usage = this.turnUsage.get(apiId);
      if (usage && usage.outputTokens !== event.usage.output_tokens) {
        usage.outputTokens = event.usage.output_tokens;
        this.out.push({ kind: 'usage', usage: { ...usage } });
      }
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
    const u = line.message.usage;
    // "<synthetic>" messages are the CLI's own (e.g. "Not logged in"): no API call, no usage.
    if (u && line.message.model !== '<synthetic>') {
      this.lastApiMessageId = apiId;
      const seen = this.turnUsage.get(apiId);
      // One API message arrives on several lines; its output grows (the final count comes with
      // `message_delta`), so a later line never lowers what was seen.
      const usage: UsageEntry = {
        messageId: apiId,
        model: line.message.model ?? this.model ?? 'unknown',
        inputTokens: u.input_tokens ?? 0,
        outputTokens: Math.max(seen?.outputTokens ?? 0, u.output_tokens ?? 0),
        cacheReadTokens: u.cache_read_input_tokens ?? 0,
        cacheCreationTokens: u.cache_creation_input_tokens ?? 0,
        costUsd: seen?.costUsd ?? 0,
      };
      this.turnUsage.set(apiId, usage);
      this.out.push({ kind: 'usage', usage: { ...usage } });
      if (main) {
        this.lastContextTokens = (u.input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0);
        this.updateContext();
      }
    }
    if (!main) return;
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
      this.out.push({ kind: 'message', message: { ...message } });
      if (message.kind === 'tool' && message.toolName && this.pending.length === 0 && !this.options.terminal) {
        this.status('running', `running ${summarizeTool(message.toolName, message.toolInput, this.options.cwd)}`);
      }
    }
  }

  private completeBlock(block: ContentBlock, streamed: StoredMessage | undefined): StoredMessage | undefined {
    const base = streamed ?? { id: this.makeId(), agentId: this.options.agentId, createdAt: this.now() };
    if (block.type === 'text' && 'text' in block) return { ...base, role: 'assistant', kind: 'text', content: String(block.text), isComplete: true } as StoredMessage;
    if (block.type === 'thinking' && 'thinking' in block) return { ...base, role: 'assistant', kind: 'thinking', content: String(block.thinking), isComplete: true } as StoredMessage;
    if (block.type === 'tool_use' && 'id' in block && 'name' in block) {
      const input = block.input && typeof block.input === 'object' && !Array.isArray(block.input) ? (block.input as Record<string, unknown>) : {};
      const message = {
        ...base,
        role: 'tool',
        kind: 'tool',
        content: summarizeTool(String(block.name), input, this.options.cwd),
        toolName: String(block.name),
        toolInput: input,
        // Complete once its result arrives.
        isComplete: false,
      } as StoredMessage;
      this.toolMessages.set(String(block.id), message);
      this.toolMessageIds.set(String(block.id), message.id);
      const file = typeof input.file_path === 'string' ? input.file_path : undefined;
      const inPlans = this.options.planDir && file ? relative(this.options.planDir, file) : '';
      if (inPlans && !inPlans.startsWith('..') && !isAbsolute(inPlans) && /^(Write|Edit|MultiEdit)$/.test(String(block.name))) this.planFile = file;
      return message;
    }
    return undefined;
  }

  private onUser(line: UserLine): void {
    if (line.parent_tool_use_id) return;
    if (typeof line.message.content === 'string') {
      // The user's prompts in a terminal are stored from the UserPromptSubmit hook, which comes
      // before the turn (the transcript may write the prompt's entry after the first reply). Of
      // the transcript's own user entries only an interrupt is kept, as a notice.
      if (this.options.terminal && INTERRUPTED.test(line.message.content)) this.pushNotice('Interrupted.');
      return;
    }
    for (const block of line.message.content) {
      // An interrupt, as the CLI reports it in stream-json (checked): a text block of its own.
      if (block.type === 'text' && 'text' in block && INTERRUPTED.test(String(block.text))) {
        this.pushNotice('Interrupted.');
        continue;
      }
      if (block.type !== 'tool_result' || !('tool_use_id' in block)) continue;
      const message = this.toolMessages.get(String(block.tool_use_id));
      if (!message) continue;
      this.toolMessages.delete(String(block.tool_use_id));
      // Images (a Read of a PNG) are kept as files by the live agent, not as text in the output.
      const { rest, images } = splitImages('content' in block ? block.content : undefined);
      const done: StoredMessage = { ...message, toolOutput: contentToText(rest), isError: Boolean('is_error' in block && block.is_error), isComplete: true };
      this.out.push({ kind: 'message', message: done, ...(images.length ? { images } : {}) });
    }
    if (this.pending.length === 0 && !this.options.terminal) this.status('running', 'thinking');
  }

  private onResult(line: ResultLine): void {
    // The running total covers this process; a turn's cost is what it added.
    if (line.total_cost_usd !== undefined) {
      const turnCost = Math.max(0, line.total_cost_usd - (this.lastCostTotal ?? 0));
      this.lastCostTotal = line.total_cost_usd;
      const usage = this.lastApiMessageId ? this.turnUsage.get(this.lastApiMessageId) : undefined;
      if (usage && turnCost > 0) {
        usage.costUsd += turnCost;
        this.out.push({ kind: 'usage', usage: { ...usage } });
      }
    }
    // The turn is over: no more lines of its API messages will come.
    this.endTurn();
    this.turnActive = false;
    this.toolMessages.clear();
    const window = contextWindowOf(line.modelUsage, this.model);
    if (window) {
      this.contextWindow = window;
      this.updateContext();
    }
    this.keepStreamed();
    this.pending.length = 0;
    if (line.is_error && !this.interrupted) {
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
    this.turnUsage.clear();
    this.blocks.clear();
  }

  private updateContext(): void {
    const level = Math.max(0, Math.min(100, Math.round((this.lastContextTokens / this.contextWindow) * 100)));
    if (level === this.lastLevel) return;
    const threshold = this.options.contextWarningThreshold();
    const crossed = this.lastLevel < threshold && level >= threshold;
    this.lastLevel = level;
    this.out.push({ kind: 'context', level });
    if (crossed) this.pushNotice(`The context is ${level}% full. Consider /compact, or a fresh agent for the next task.`);
  }
}
