import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { ClaudeManagerError, untrustedWorkspaceError } from '../errors';
import { newId } from '../ids';
import type { Logger } from '../logger';
import { killProcessTree, processIsAlive, runProcess } from '../processRunner';
import type { StoredMessage } from '../storage/messageStore';
import type { AgentMode, AgentRecord, AgentStatus, PermissionKind } from '../storage/records';
import type { Store } from '../storage/store';
import { type CliExit, CliProcess, type SpawnFn } from './cliProcess';
import type { AssistantLine, CliLine, ContentBlock, ControlRequestLine, RateLimitEventLine, ResultLine, StreamEventLine, SystemLine, UserLine } from './cliProtocol';
import { type HookEvent, HookServer } from './hookServer';
import { TerminalProcess, TranscriptTail, transcriptPath } from './terminalProcess';
import { summarizeTool } from './toolSummary';
import { FILE_TOOLS, type FileChange, FileSnapshots, toolFilePath } from './fileSnapshots';
import * as z from 'zod';
import type { AgentWatchdog } from './watchdog';
import { windowGone } from './windowId';

/** A tool call waiting for the user's answer (the API's PermissionRequest). */
export interface PermissionRequest {
  requestId: string;
  toolName: string;
  input: Record<string, unknown>;
  /** One line, e.g. "Write src/a.ts". */
  summary: string;
  requestedAt: string;
}

/** An agent's usage, all time. */
export interface AgentUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
  costUsd: number;
}

/** An agent as the API shows it: the stored record and what only the live process knows. */
export interface Agent extends AgentRecord {
  ownedByThisWindow: boolean;
  pendingPermissions: PermissionRequest[];
  usage: AgentUsage;
}

export interface AgentRuntimeOptions {
  store: Store;
  logger: Logger;
  /** This window's id: the owner recorded on the agents it runs. */
  windowId: string;
  /** The CLI to run (claudeManager.claudePath, PATH, install locations); rejects with CLI_NOT_FOUND. */
  locateCli: () => Promise<string>;
  /** The CLI's environment: the extension host's plus the configured extra variables. */
  env: () => NodeJS.ProcessEnv;
  /** Extra CLI arguments from the settings. */
  extraArgs?: () => readonly string[];
  /** How long `start` waits for `system/init`. */
  startTimeoutMs?: number;
  /** Ends the agents' process groups if this process dies without stopping them. */
  watchdog?: AgentWatchdog;
  /** A notice is added when the context fills past this percentage (`claudeManager.contextWarningThreshold`, default 80). */
  contextWarningThreshold?: () => number;
  /** At most this many agents run at once (`claudeManager.maxConcurrentAgents`, default 8); later starts queue. */
  maxConcurrent?: () => number;
  /** Starts the CLI processes (the extension: `SpawnHost`, from a worker thread; default: on this thread). */
  spawn?: SpawnFn;
  /** Whether the editor trusts the workspace (default: yes). Agents run tools: none starts in an untrusted one. */
  trusted?: () => boolean;
  /** Where the files that file tools change are kept, before and after, for diffs (none kept without it). */
  snapshotsDir?: string;
}

export interface StartOptions {
  /** The first user message, sent once the process runs. */
  initialPrompt?: string;
  /** Told the stored id of that message. */
  onSent?: (messageId: string) => void;
}

/** Tools each permission pre-allows (`--allowedTools`). */
export const PERMISSION_TOOLS: Record<PermissionKind, readonly string[]> = {
  read: ['Read', 'Glob', 'Grep'],
  write: ['Edit', 'Write', 'NotebookEdit'],
  execute: ['Bash'],
};

/**
 * Hooks asked for at `initialize`: the CLI sends a `hook_callback` request for each and waits for
 * the answer, so the runtime reads a file before a file tool changes it and after (checked with
 * the real CLI: PreToolUse came with the file still absent, PostToolUse with it written).
 */
const SNAPSHOT_HOOKS = {
  PreToolUse: [{ matcher: [...FILE_TOOLS].join('|'), hookCallbackIds: ['snapshot_before'] }],
  PostToolUse: [{ matcher: [...FILE_TOOLS].join('|'), hookCallbackIds: ['snapshot_after'] }],
};

const PERMISSION_MODE: Record<AgentMode, string> = { regular: 'default', plan: 'plan', auto: 'acceptEdits' };

/** A content block streaming in: its message, and the text so far. */
interface Streaming {
  message: StoredMessage;
  partialJson: string;
}

const DEFAULT_CONTEXT_WINDOW = 200_000;

/** Whether the process is a claude CLI this extension starts (its stream-json flags on the command line). */
async function isOurCli(pid: number): Promise<boolean> {
  let commandLine = '';
  try {
    if (process.platform === 'linux') commandLine = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
    else if (process.platform !== 'win32') commandLine = (await runProcess('ps', ['-o', 'args=', '-p', String(pid)], { timeoutMs: 5000 })).stdout;
  } catch {
    return false;
  }
  return commandLine.includes('--input-format') && commandLine.includes('stream-json') && commandLine.includes('--permission-prompt-tool');
}

/** What the CLI answers a turn with when it has no credentials (checked with 2.1.197). */
const NOT_LOGGED_IN = /not logged in|please run \/login|invalid api key/i;

/** The oldest CLI version the tests cover; an older one gets a warning. */
export const MIN_TESTED_CLI_VERSION = '2.1.197';

/** Compares dotted version numbers: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split(/[.-]/).map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
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

/** What an agent's process is to the runtime: the stream-json CLI (CliProcess), or a terminal running the CLI's own UI (TerminalProcess). */
interface AgentProcess {
  readonly pid: number | undefined;
  readonly alive: boolean;
  on(event: 'line', listener: (line: CliLine) => void): unknown;
  on(event: 'request', listener: (request: ControlRequestLine) => void): unknown;
  on(event: 'exit', listener: (exit: CliExit) => void): unknown;
  sendUser(content: string): void;
  respond(requestId: string, response: Record<string, unknown>): void;
  request(request: Record<string, unknown>, timeoutMs?: number): Promise<unknown>;
  stop(options?: { force?: boolean; graceMs?: number }): Promise<CliExit>;
}

/** A usage limit of the user's subscription, as the CLI last reported it. */
export interface UsageLimit {
  /** "five_hour", "seven_day", "seven_day_opus", … as the CLI names it. */
  type: string;
  /** "allowed", "allowed_warning", "rejected", … */
  status: string;
  /** When the limit's window resets (ISO-8601), if the CLI said. */
  resetsAt?: string;
  /** 0–1, when the CLI said. */
  utilization?: number;
  overageStatus?: string;
  isUsingOverage?: boolean;
  /** When the CLI reported it (ISO-8601). */
  reportedAt: string;
}

export type UsageLimits = { available: true; limits: UsageLimit[] } | { available: false; reason: string };

const LIMITS_KEY = 'usage.limits';
const BYPASS_KEY = 'agents.bypassPermissions';
const usageLimitsSchema = z.array(
  z.object({
    type: z.string(),
    status: z.string(),
    resetsAt: z.string().optional(),
    utilization: z.number().optional(),
    overageStatus: z.string().optional(),
    isUsingOverage: z.boolean().optional(),
    reportedAt: z.string(),
  }),
);

/** How to run an agent's session in a terminal: the CLI's interactive UI, reporting through hooks. */
export interface TerminalLaunch {
  name: string;
  binary: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** The hook events a terminal session reports (all the CLI sends as HTTP hooks; SessionStart is command-only). */
const TERMINAL_HOOKS = ['UserPromptSubmit', 'PreToolUse', 'PermissionRequest', 'PostToolUse', 'PostToolUseFailure', 'Notification', 'Stop', 'SessionEnd'] as const;
const TRANSCRIPT_POLL_MS = 500;
const TOOL_HOOKS = new Set<string>(['PreToolUse', 'PermissionRequest', 'PostToolUse', 'PostToolUseFailure']);

/** An agent's session held by a terminal: its transcript, read as it grows, and its hook address. */
interface TerminalState {
  tail: TranscriptTail;
  sessionId: string;
  unregister: () => void;
  /** Whether the session is recorded as one the CLI has (so that a later start resumes it): once the terminal reported from it. */
  recorded: boolean;
  /** Why the session ended, from SessionEnd ("prompt_input_exit", "clear", …). */
  endReason?: string;
}

/**
 * One running agent: its CLI process and everything read from it. Turns the CLI's lines into the
 * agent's status (with its reason), its messages (one per content block; streamed text re-emitted
 * under one id as it grows), usage (per API message id, so a message reported on several lines
 * counts once; a turn's cost from the difference of the process's running totals), its context
 * level and its session.
 */
class LiveAgent {
  readonly pending: PermissionRequest[] = [];
  /** The status the runtime last gave this agent while it runs. */
  lastStatus: { status: AgentStatus; statusReason: string } | undefined;
  private streaming = new Map<string, Streaming>();
  /** Per API message id: the ids of our messages for its blocks, in order, and how many the full lines completed. */
  private blocks = new Map<string, { ids: string[]; completed: number }>();
  private toolMessages = new Map<string, StoredMessage>();
  /** Our tool message id for each tool_use id of this process (kept after the result: hooks may come late). */
  private readonly toolMessageIds = new Map<string, string>();
  /** The tool_use id each pending permission request is about. */
  private readonly requestToolUse = new Map<string, string>();
  private lastCostTotal: number | undefined;
  private lastApiMessageId: string | undefined;
  /** The API messages of the turn under way: what the runtime keeps of their usage is dropped when it ends. */
  private readonly turnApiIds = new Set<string>();
  private model: string | undefined;
  /** What the last `system/init` said (session, model, mode, commands). */
  private initKey: string | undefined;
  private contextWindow = DEFAULT_CONTEXT_WINDOW;
  private lastContextTokens = 0;
  private stopping = false;
  private interrupted = false;
  private saveTimer: NodeJS.Timeout | undefined;
  private transcriptTimer: NodeJS.Timeout | undefined;
  private readonly dirty = new Set<StoredMessage>();
  private initResolve!: (sessionId: string) => void;
  private initReject!: (error: Error) => void;
  readonly initialized: Promise<string>;
  /** Serialises what is written about this agent, in the order the CLI said it. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly agentId: string,
    readonly worktreeId: string,
    readonly workspaceId: string,
    readonly cwd: string,
    readonly process: AgentProcess,
    private readonly runtime: AgentRuntime,
    /** Set when the session runs in a terminal: status then comes from hooks, history from the transcript. */
    readonly terminal?: TerminalState,
  ) {
    this.initialized = new Promise((resolve, reject) => {
      this.initResolve = resolve;
      this.initReject = reject;
    });
    // Only a start that waits for the session looks at this; an exit before any turn is no error.
    this.initialized.catch(() => undefined);
    if (terminal) {
      // The CLI writes its transcript a moment after the hooks fire (a turn's last message comes
      // after its Stop hook): it is read on every hook and twice a second besides.
      this.transcriptTimer = setInterval(() => this.enqueue(() => this.readTranscript()), TRANSCRIPT_POLL_MS);
      this.transcriptTimer.unref();
    }
    process.on('line', (line) => this.enqueue(() => this.onLine(line)));
    process.on('request', (request) => this.enqueue(() => this.onRequest(request)));
    process.on('exit', (exit) => {
      this.initReject(new ClaudeManagerError('NOT_RUNNING', `The CLI exited before it started the session${exit.stderrTail ? `: ${exit.stderrTail.split('\n').pop()}` : ''}.`));
      this.enqueue(() => this.onExit(exit.code, exit.signal, exit.stderrTail));
    });
  }

  private enqueue(step: () => Promise<void> | void): void {
    this.chain = this.chain.then(step).catch((error: unknown) => this.runtime.logger.error(`Agent ${this.agentId}: ${(error as Error).message}`));
  }

  /** Resolves once everything the CLI said so far is stored. */
  async settled(): Promise<void> {
    await this.chain;
    await this.runtime.writesSettled();
  }

  markStopping(): void {
    this.stopping = true;
  }

  async sendUser(content: string): Promise<string> {
    const message: StoredMessage = { id: newId('msg'), agentId: this.agentId, role: 'user', kind: 'text', content, isComplete: true, createdAt: new Date().toISOString() };
    this.interrupted = false;
    this.process.sendUser(content);
    this.enqueue(async () => {
      await this.runtime.saveMessage(message);
      this.runtime.emitMessage(message);
      if (this.pending.length === 0) await this.runtime.setStatus(this.agentId, 'running', 'thinking');
    });
    return message.id;
  }

  markInterrupted(): void {
    this.interrupted = true;
  }

  private async onLine(parsed: CliLine): Promise<void> {
    switch (parsed.kind) {
      case 'system':
        return this.onSystem(parsed.line);
      case 'stream_event':
        return this.onStream(parsed.line);
      case 'assistant':
        return this.onAssistant(parsed.line);
      case 'user':
        return this.onUser(parsed.line);
      case 'result':
        return this.onResult(parsed.line);
      case 'control_cancel_request': {
        const at = this.pending.findIndex((p) => p.requestId === parsed.line.request_id);
        this.requestToolUse.delete(parsed.line.request_id);
        if (at >= 0) {
          this.pending.splice(at, 1);
          await this.runtime.agentChanged(this.agentId);
        }
        return;
      }
      case 'rate_limit_event':
        this.runtime.limitReported(this.agentId, parsed.line.rate_limit_info);
        return;
      case 'raw':
        this.runtime.logger.debug(`Agent ${this.agentId}: CLI line of unknown type "${parsed.type}" kept as a raw event`);
        return;
      case 'invalid':
        this.runtime.logger.warn(`Agent ${this.agentId}: ignored a CLI line (${parsed.reason}): ${parsed.text}`);
        return;
      default:
        return;
    }
  }

  private async onSystem(line: SystemLine): Promise<void> {
    if (line.subtype === 'init' && line.session_id) {
      // Every turn starts with one; what it says is recorded when it changed.
      const known = this.initKey;
      this.initKey = JSON.stringify([line.session_id, line.model, line.permissionMode, line.slash_commands]);
      this.model = line.model ?? this.model;
      if (known !== this.initKey) {
        // Sent before the start resolves: any read after it sees them.
        this.runtime.updateAgent(this.agentId, { sessionId: line.session_id, ...(line.model ? { model: line.model } : {}) }, 'recording its session');
        const data = { model: line.model, cwd: line.cwd, cliVersion: line.claude_code_version, permissionMode: line.permissionMode, slashCommands: line.slash_commands };
        this.runtime.track(this.agentId, this.runtime.store.sessions.save({ id: line.session_id, agentId: this.agentId, data }), 'recording its session');
      }
      this.initResolve(line.session_id);
      if (known === this.initKey) return;
      const version = line.claude_code_version;
      if (version && compareVersions(version, MIN_TESTED_CLI_VERSION) < 0) {
        const warning = `This Claude Code CLI (${version}) is older than ${MIN_TESTED_CLI_VERSION}, the oldest version Claude Manager is tested with. Update it ("claude update").`;
        this.runtime.logger.warn(`Agent ${this.agentId}: ${warning}`);
        await this.notice(warning);
      }
      return;
    }
    if (line.subtype === 'api_retry') {
      const reason = `retrying after API ${line.error_status ?? 'error'} (${line.attempt ?? '?'}/${line.max_retries ?? '?'})`;
      if (!this.terminal) await this.runtime.setStatus(this.agentId, 'running', reason);
      await this.notice(`Retrying: API ${line.error_status ?? 'error'}, attempt ${line.attempt ?? '?'} of ${line.max_retries ?? '?'}`);
      return;
    }
    if (line.subtype === 'compact_boundary') await this.notice('The conversation was compacted.');
  }

  private async notice(content: string): Promise<void> {
    await this.runtime.saveMessage({ id: newId('msg'), agentId: this.agentId, role: 'system', kind: 'notice', content, isComplete: true, createdAt: new Date().toISOString() });
  }

  private blockKey(apiId: string, index: number): string {
    return `${apiId}#${index}`;
  }

  private currentApiId: string | undefined;

  private async onStream(line: StreamEventLine): Promise<void> {
    if (line.parent_tool_use_id) return; // a subagent's stream: its result arrives as the Task's output
    const event = line.event;
    if (event.type === 'message_start') {
      this.currentApiId = event.message?.id;
      return;
    }
    const apiId = this.currentApiId;
    if (apiId && event.type === 'message_delta' && event.usage?.output_tokens !== undefined) {
      await this.runtime.updateOutputTokens(this, apiId, event.usage.output_tokens);
      return;
    }
    if (!apiId || event.index === undefined) return;
    const key = this.blockKey(apiId, event.index);
    if (event.type === 'content_block_start' && event.content_block) {
      const type = event.content_block.type;
      if (type !== 'text' && type !== 'thinking' && type !== 'tool_use') return;
      const message: StoredMessage = {
        id: newId('msg'),
        agentId: this.agentId,
        role: type === 'tool_use' ? 'tool' : 'assistant',
        kind: type === 'tool_use' ? 'tool' : type === 'thinking' ? 'thinking' : 'text',
        content: type === 'tool_use' ? (event.content_block.name ?? 'tool') : '',
        ...(type === 'tool_use' ? { toolName: event.content_block.name ?? 'tool' } : {}),
        isComplete: false,
        createdAt: new Date().toISOString(),
      };
      this.streaming.set(key, { message, partialJson: '' });
      const entry = this.blocks.get(apiId) ?? { ids: [], completed: 0 };
      entry.ids.push(message.id);
      this.blocks.set(apiId, entry);
      if (type === 'tool_use') await this.runtime.setStatus(this.agentId, 'running', `running ${event.content_block.name ?? 'a tool'}`);
      this.runtime.emitMessage(message);
      return;
    }
    const streaming = this.streaming.get(key);
    if (!streaming || event.type !== 'content_block_delta' || !event.delta) return;
    if (event.delta.text !== undefined) streaming.message.content += event.delta.text;
    else if (event.delta.thinking !== undefined) streaming.message.content += event.delta.thinking;
    else if (event.delta.partial_json !== undefined) {
      streaming.partialJson += event.delta.partial_json;
      return;
    }
    this.runtime.emitMessage(streaming.message);
    this.saveSoon(streaming.message);
  }

  /** Incomplete messages are saved a few times a second at most, not on every delta. */
  private saveSoon(message: StoredMessage): void {
    this.dirty.add(message);
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      const batch = [...this.dirty];
      this.dirty.clear();
      this.enqueue(async () => {
        for (const m of batch) if (!m.isComplete) await this.runtime.saveMessage({ ...m });
      });
    }, 300);
  }

  private async onAssistant(line: AssistantLine): Promise<void> {
    const apiId = line.message.id;
    const main = !line.parent_tool_use_id;
    if (line.message.model) this.model = line.message.model;
    const u = line.message.usage;
    // "<synthetic>" messages are the CLI's own (e.g. "Not logged in"): no API call, no usage.
    if (u && line.message.model !== '<synthetic>') {
      this.lastApiMessageId = apiId;
      this.turnApiIds.add(apiId);
      await this.runtime.recordUsage(this, {
        messageId: apiId,
        model: line.message.model ?? this.model ?? 'unknown',
        inputTokens: u.input_tokens ?? 0,
        outputTokens: u.output_tokens ?? 0,
        cacheReadTokens: u.cache_read_input_tokens ?? 0,
        cacheCreationTokens: u.cache_creation_input_tokens ?? 0,
      });
      if (main) {
        this.lastContextTokens = (u.input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0);
        await this.updateContext();
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
      this.dirty.delete(message);
      await this.runtime.saveMessage(message);
      this.runtime.emitMessage(message);
      if (message.kind === 'tool' && message.toolName) {
        const summary = summarizeTool(message.toolName, message.toolInput, this.cwd);
        if (this.pending.length === 0 && !this.terminal) await this.runtime.setStatus(this.agentId, 'running', `running ${summary}`);
      }
    }
  }

  private completeBlock(block: ContentBlock, streamed: StoredMessage | undefined): StoredMessage | undefined {
    const base = streamed ?? { id: newId('msg'), agentId: this.agentId, createdAt: new Date().toISOString() };
    if (block.type === 'text' && 'text' in block) return { ...base, role: 'assistant', kind: 'text', content: String(block.text), isComplete: true } as StoredMessage;
    if (block.type === 'thinking' && 'thinking' in block) return { ...base, role: 'assistant', kind: 'thinking', content: String(block.thinking), isComplete: true } as StoredMessage;
    if (block.type === 'tool_use' && 'id' in block && 'name' in block) {
      const input = block.input && typeof block.input === 'object' && !Array.isArray(block.input) ? (block.input as Record<string, unknown>) : {};
      const message = {
        ...base,
        role: 'tool',
        kind: 'tool',
        content: summarizeTool(String(block.name), input, this.cwd),
        toolName: String(block.name),
        toolInput: input,
        // Complete once its result arrives.
        isComplete: false,
      } as StoredMessage;
      this.toolMessages.set(String(block.id), message);
      this.toolMessageIds.set(String(block.id), message.id);
      return message;
    }
    return undefined;
  }

  private async onUser(line: UserLine): Promise<void> {
    if (line.parent_tool_use_id) return;
    if (typeof line.message.content === 'string') {
      // The user's prompts in a terminal are stored from the UserPromptSubmit hook, which comes
      // before the turn (the transcript may write the prompt's entry after the first reply). Of
      // the transcript's own user entries only an interrupt is kept, as a notice.
      if (this.terminal && /^\[Request interrupted by user/.test(line.message.content)) await this.userText(line.message.content);
      return;
    }
    for (const block of line.message.content) {
      // An interrupt, as the CLI reports it in stream-json (checked): a text block of its own.
      if (block.type === 'text' && 'text' in block && /^\[Request interrupted by user/.test(String(block.text))) {
        await this.userText(String(block.text));
        continue;
      }
      if (block.type !== 'tool_result' || !('tool_use_id' in block)) continue;
      const message = this.toolMessages.get(String(block.tool_use_id));
      if (!message) continue;
      this.toolMessages.delete(String(block.tool_use_id));
      const done: StoredMessage = { ...message, toolOutput: contentToText('content' in block ? block.content : undefined), isError: Boolean('is_error' in block && block.is_error), isComplete: true };
      await this.runtime.saveMessage(done);
      this.runtime.emitMessage(done);
    }
    if (this.pending.length === 0 && !this.terminal) await this.runtime.setStatus(this.agentId, 'running', 'thinking');
  }

  private async userText(content: string): Promise<void> {
    const interrupted = /^\[Request interrupted by user/.test(content);
    const message: StoredMessage = interrupted
      ? { id: newId('msg'), agentId: this.agentId, role: 'system', kind: 'notice', content: 'Interrupted.', isComplete: true, createdAt: new Date().toISOString() }
      : { id: newId('msg'), agentId: this.agentId, role: 'user', kind: 'text', content, isComplete: true, createdAt: new Date().toISOString() };
    await this.runtime.saveMessage(message);
    this.runtime.emitMessage(message);
  }

  /** A hook event of the terminal session: the status it means, and what the transcript gained. */
  hook(event: HookEvent): void {
    this.enqueue(() => this.onHook(event));
  }

  private async onHook(event: HookEvent): Promise<void> {
    const terminal = this.terminal;
    if (!terminal) return;
    if (event.session_id !== terminal.sessionId) {
      // A new session in the same terminal (/clear): the agent follows it.
      terminal.sessionId = event.session_id;
      terminal.recorded = false;
      terminal.tail.moveTo(event.transcript_path ?? transcriptPath(this.runtime.cliEnv(), this.cwd, event.session_id));
      await this.runtime.store.agents.update(this.agentId, { sessionId: event.session_id });
      await this.notice('A new session started in the terminal.');
    } else if (event.transcript_path && event.transcript_path !== terminal.tail.path) {
      this.runtime.logger.warn(`Agent ${this.agentId}: the CLI's transcript is ${event.transcript_path}, not ${terminal.tail.path}; reading that one from its current end.`);
      terminal.tail.moveTo(event.transcript_path, await TranscriptTail.sizeOf(event.transcript_path));
    }
    if (!terminal.recorded) {
      terminal.recorded = true;
      await this.runtime.store.sessions.save({ id: event.session_id, agentId: this.agentId, data: { cwd: event.cwd ?? this.cwd, startedIn: 'terminal' } });
    }
    await this.readTranscript();
    const tool = TOOL_HOOKS.has(event.hook_event_name) ? summarizeTool(event.tool_name ?? 'a tool', event.tool_input, this.cwd) : '';
    switch (event.hook_event_name) {
      case 'UserPromptSubmit':
        if (event.prompt?.trim()) await this.userText(event.prompt);
        return this.runtime.setStatus(this.agentId, 'running', 'thinking (in the terminal)');
      case 'PostToolUse':
      case 'PostToolUseFailure':
        return this.runtime.setStatus(this.agentId, 'running', 'thinking (in the terminal)');
      case 'PreToolUse':
        return this.runtime.setStatus(this.agentId, 'running', `running ${tool} (in the terminal)`);
      case 'PermissionRequest':
        return this.runtime.setStatus(this.agentId, 'waiting', `needs permission in the terminal: ${tool}`);
      case 'Notification':
        // The CLI says this after about a minute without input: also what corrects the status
        // after an interrupt in the terminal, which no hook reports.
        if (event.notification_type === 'idle_prompt') return this.runtime.setStatus(this.agentId, 'waiting', 'waiting for your message in the terminal');
        if (event.notification_type === 'permission_prompt') return this.runtime.setStatus(this.agentId, 'waiting', `needs permission in the terminal${event.message ? `: ${event.message}` : ''}`);
        return;
      case 'Stop':
        this.endTerminalTurn();
        return this.runtime.setStatus(this.agentId, 'waiting', 'waiting for your message in the terminal');
      case 'SessionEnd':
        terminal.endReason = event.reason;
        return;
      default:
        this.runtime.logger.debug(`Agent ${this.agentId}: hook ${event.hook_event_name} not used`);
    }
  }

  /** Stores what the transcript gained since the last look, as the stream-json lines would have been. */
  private async readTranscript(): Promise<void> {
    if (!this.terminal) return;
    const { lines, skipped } = await this.terminal.tail.read();
    if (skipped) this.runtime.logger.warn(`Agent ${this.agentId}: skipped ${skipped} transcript lines over 8 MB`);
    if (lines.length === 0) return;
    // The CLI does not always write entries in the order they happened (a turn's first reply can
    // come before the prompt's entry): within what was read, their timestamps give the order.
    const at = (line: CliLine): string => ('line' in line ? String((line.line as { timestamp?: unknown }).timestamp ?? '') : '');
    const ordered = lines.map((line, i) => ({ line, i, t: at(line) })).sort((a, b) => (a.t && b.t && a.t !== b.t ? (a.t < b.t ? -1 : 1) : a.i - b.i)).map((e) => e.line);
    for (const line of ordered) {
      // The transcript also holds the CLI's bookkeeping (file snapshots, attachments, summaries): not messages.
      if (line.kind === 'assistant') await this.onAssistant(line.line);
      else if (line.kind === 'user') await this.onUser(line.line);
      else if (line.kind === 'system') await this.onSystem(line.line);
    }
  }

  /** A turn in the terminal ended: what the runtime kept of its API messages can go. */
  private endTerminalTurn(): void {
    this.runtime.forgetUsage(this.turnApiIds);
    this.turnApiIds.clear();
    this.blocks.clear();
  }

  private async onResult(line: ResultLine): Promise<void> {
    // The running total covers this process; a turn's cost is what it added.
    if (line.total_cost_usd !== undefined) {
      const turnCost = Math.max(0, line.total_cost_usd - (this.lastCostTotal ?? 0));
      this.lastCostTotal = line.total_cost_usd;
      if (this.lastApiMessageId && turnCost > 0) await this.runtime.addCost(this, this.lastApiMessageId, turnCost);
    }
    // The turn is over: no more lines of its API messages will come.
    this.runtime.forgetUsage(this.turnApiIds);
    this.turnApiIds.clear();
    this.blocks.clear();
    this.toolMessages.clear();
    const window = this.model ? line.modelUsage?.[this.model]?.contextWindow : Object.values(line.modelUsage ?? {})[0]?.contextWindow;
    if (window) {
      this.contextWindow = window;
      await this.updateContext();
    }
    // Whatever streamed and was never completed (an interrupted turn) is kept as it stands.
    for (const [, s] of this.streaming) {
      await this.runtime.saveMessage({ ...s.message, isComplete: true });
    }
    this.streaming.clear();
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
      await this.runtime.setStatus(this.agentId, 'error', reason);
    } else {
      await this.runtime.setStatus(this.agentId, 'waiting', this.interrupted ? 'interrupted; waiting for your message' : 'waiting for your message');
    }
    this.interrupted = false;
  }

  private lastLevel = 0;

  private async updateContext(): Promise<void> {
    const level = Math.max(0, Math.min(100, Math.round((this.lastContextTokens / this.contextWindow) * 100)));
    if (level === this.lastLevel) return;
    const threshold = this.runtime.contextWarningThreshold();
    const crossed = this.lastLevel < threshold && level >= threshold;
    this.lastLevel = level;
    this.runtime.updateAgent(this.agentId, { contextLevel: level }, 'recording its context level');
    if (crossed) await this.notice(`The context is ${level}% full. Consider /compact, or a fresh agent for the next task.`);
  }

  /** Says so in the conversation when the mode changes. */
  modeChanged(mode: AgentMode): void {
    this.noticeSoon(`Mode changed to ${mode}.`);
  }

  /** A notice in the conversation, after what the CLI said so far. */
  noticeSoon(content: string): void {
    this.enqueue(() => this.notice(content));
  }

  private async onRequest(request: ControlRequestLine): Promise<void> {
    if (request.request.subtype === 'hook_callback') return this.onHookCallback(request);
    if (request.request.subtype !== 'can_use_tool') {
      this.runtime.logger.debug(`Agent ${this.agentId}: CLI request "${request.request.subtype}" not handled`);
      return;
    }
    const toolName = request.request.tool_name ?? 'tool';
    const input = request.request.input ?? {};
    const pending: PermissionRequest = { requestId: request.request_id, toolName, input, summary: summarizeTool(toolName, input, this.cwd), requestedAt: new Date().toISOString() };
    this.pending.push(pending);
    if (request.request.tool_use_id) this.requestToolUse.set(request.request_id, request.request.tool_use_id);
    await this.runtime.setStatus(this.agentId, 'waiting', `needs permission: ${this.pending[0]!.summary}`);
    this.runtime.emitPermission(this.agentId, pending);
  }

  /**
   * The hooks registered at `initialize` (`SNAPSHOT_HOOKS`): the CLI waits for the answer, so the
   * file a file tool is about to change is read before it runs (PreToolUse) and after (PostToolUse).
   */
  private async onHookCallback(request: ControlRequestLine): Promise<void> {
    const input = (request.request as { input?: unknown }).input as { hook_event_name?: unknown; tool_name?: unknown; tool_input?: unknown; tool_use_id?: unknown } | undefined;
    const side = input?.hook_event_name === 'PreToolUse' ? 'before' : input?.hook_event_name === 'PostToolUse' ? 'after' : undefined;
    const toolInput = input?.tool_input && typeof input.tool_input === 'object' ? (input.tool_input as Record<string, unknown>) : undefined;
    if (side && typeof input?.tool_use_id === 'string' && typeof input.tool_name === 'string') await this.keepFile(input.tool_use_id, input.tool_name, toolInput, side);
    this.process.respond(request.request_id, {});
  }

  /** Keeps the file of a file tool call as it is now, as its `side`; a failure is logged, never thrown (the CLI waits). */
  private async keepFile(toolUseId: string, toolName: string, toolInput: Record<string, unknown> | undefined, side: 'before' | 'after'): Promise<void> {
    const messageId = this.toolMessageIds.get(toolUseId);
    const filePath = toolFilePath(toolInput, this.cwd);
    if (!messageId || !filePath || !FILE_TOOLS.has(toolName)) return;
    try {
      await this.runtime.snapshots?.capture(this.agentId, messageId, toolName, filePath, side, this.cwd);
    } catch (error) {
      this.runtime.logger.warn(`Agent ${this.agentId}: keeping ${filePath} ${side} ${toolName} failed: ${(error as Error).message}`);
    }
  }

  async answer(requestId: string, answer: { behavior: 'allow' | 'deny'; message?: string; always?: boolean }): Promise<void> {
    const at = this.pending.findIndex((p) => p.requestId === requestId);
    if (at < 0) throw new ClaudeManagerError('NO_PENDING_PERMISSION', `No permission request ${requestId} is waiting for this agent: it was answered or withdrawn.`);
    const [request] = this.pending.splice(at, 1);
    const toolUseId = this.requestToolUse.get(requestId);
    this.requestToolUse.delete(requestId);
    if (answer.behavior === 'allow') {
      // The file as it is when the user lets the tool run (it may have changed while the question waited).
      if (toolUseId) await this.keepFile(toolUseId, request!.toolName, request!.input, 'before');
      this.process.respond(requestId, {
        behavior: 'allow',
        updatedInput: request!.input,
        ...(answer.always ? { updatedPermissions: [{ type: 'addRules', rules: [{ toolName: request!.toolName }], behavior: 'allow', destination: 'session' }] } : {}),
      });
    } else {
      this.process.respond(requestId, { behavior: 'deny', message: answer.message?.trim() || 'The user denied this.' });
      // A denied call changes nothing: the copy of its file taken before it is not kept.
      const messageId = toolUseId ? this.toolMessageIds.get(toolUseId) : undefined;
      if (messageId) void this.runtime.snapshots?.remove(this.agentId, messageId).catch(() => undefined);
    }
    this.enqueue(async () => {
      if (this.pending.length) await this.runtime.setStatus(this.agentId, 'waiting', `needs permission: ${this.pending[0]!.summary}`);
      else await this.runtime.setStatus(this.agentId, 'running', answer.behavior === 'allow' ? `running ${request!.summary}` : 'thinking');
    });
  }

  private async onExit(code: number | null, signal: NodeJS.Signals | null, stderrTail: string): Promise<void> {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    if (this.terminal) {
      clearInterval(this.transcriptTimer);
      this.terminal.unregister();
      await this.readTranscript();
      this.endTerminalTurn();
    }
    for (const [, s] of this.streaming) await this.runtime.saveMessage({ ...s.message, isComplete: true });
    this.streaming.clear();
    this.pending.length = 0;
    let status: AgentStatus = 'finished';
    let reason = this.terminal ? `the terminal session ended${this.terminal.endReason ? ` (${this.terminal.endReason})` : ''}` : 'exited';
    if (this.stopping) reason = 'stopped';
    else if (this.terminal && code === null && !signal) reason = 'the terminal was closed';
    else if (signal) {
      status = 'error';
      reason = `CLI was killed (${signal})`;
    } else if (code !== 0) {
      status = 'error';
      const last = stderrTail.split('\n').filter(Boolean).pop();
      reason = `CLI exited with code ${code}${last ? `: ${last}` : ''}`;
    }
    await this.runtime.processEnded(this, status, reason);
  }
}

/**
 * Owns the agents' CLI processes in this window: starts (resuming the agent's session when it has
 * one, forking a parent's on a fork's first start), sends turns, answers permission requests,
 * interrupts, stops; the only writer of a running agent's status.
 */
export class AgentRuntime {
  private readonly live = new Map<string, LiveAgent>();
  private readonly starting = new Map<string, Promise<Agent>>();
  /** Agents holding a slot: running, or starting. */
  private readonly slotHolders = new Set<string>();
  private readonly queue: { id: string; go: () => void; cancel: (error: Error) => void }[] = [];
  private readonly events = new EventEmitter();
  readonly store: Store;
  readonly logger: Logger;

  /** Files as file tools found and left them (see `snapshotsDir`). */
  readonly snapshots: FileSnapshots | undefined;

  constructor(private readonly options: AgentRuntimeOptions) {
    this.store = options.store;
    this.logger = options.logger;
    this.snapshots = options.snapshotsDir ? new FileSnapshots(options.snapshotsDir) : undefined;
    this.events.setMaxListeners(0);
  }

  onDidChangeAgent(listener: (agent: Agent) => void): () => void {
    this.events.on('agent', listener);
    return () => this.events.off('agent', listener);
  }

  onDidReceiveMessage(listener: (e: { agentId: string; message: StoredMessage }) => void): () => void {
    this.events.on('message', listener);
    return () => this.events.off('message', listener);
  }

  onDidRequestPermission(listener: (e: { agentId: string; request: PermissionRequest }) => void): () => void {
    this.events.on('permission', listener);
    return () => this.events.off('permission', listener);
  }

  onDidChangeUsage(listener: (e: { agentId: string }) => void): () => void {
    this.events.on('usage', listener);
    return () => this.events.off('usage', listener);
  }

  /** The agent with what only this window's process knows. */
  async get(id: string): Promise<Agent> {
    // Both asked at once: this is on the path of every status change.
    const [record, totals] = await Promise.all([this.store.agents.get(id), this.store.usage.totals({ agentId: id })]);
    return this.view(record, totals);
  }

  async list(filter: { worktreeId?: string; includeDeleted?: boolean } = {}): Promise<Agent[]> {
    const records = await this.store.agents.list(filter);
    // One query for every agent's usage: a tree of a thousand agents is one round trip, not a thousand.
    const totals = await this.store.usage.totalsByAgent(records.map((r) => r.id));
    const none = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0, totalTokens: 0, costUsd: 0, requestCount: 0, errorCount: 0 };
    return Promise.all(records.map((r) => this.view(r, totals[r.id] ?? none)));
  }

  private async view(record: AgentRecord, totals?: Awaited<ReturnType<Store['usage']['totals']>>): Promise<Agent> {
    const live = this.live.get(record.id);
    const t = totals ?? (await this.store.usage.totals({ agentId: record.id }));
    return {
      ...record,
      ownedByThisWindow: record.ownerWindow === undefined || record.ownerWindow === this.options.windowId,
      pendingPermissions: live ? [...live.pending] : [],
      usage: { inputTokens: t.inputTokens, outputTokens: t.outputTokens, cacheReadTokens: t.cacheReadTokens, cacheCreationTokens: t.cacheCreationTokens, costUsd: t.costUsd },
    };
  }

  /** A new agent in a worktree: `finished`, "not started". */
  async create(input: { worktreeId: string; name?: string; mode?: AgentMode; permissions?: PermissionKind[]; model?: string }): Promise<Agent> {
    await this.store.worktrees.get(input.worktreeId);
    const record = await this.store.agents.create(input);
    await this.agentChanged(record.id);
    return this.get(record.id);
  }

  /** Renames, or changes mode, permissions or model; a running agent's mode and model change live. */
  async update(id: string, patch: { name?: string; mode?: AgentMode; permissions?: PermissionKind[]; model?: string }): Promise<Agent> {
    if (patch.name !== undefined && !patch.name.trim()) throw new ClaudeManagerError('INVALID_INPUT', 'An agent name cannot be empty.');
    // Choosing a mode ends a bypass (as in setMode).
    if (patch.mode && (await this.bypassing(id))) await this.setBypassPermissions(id, false);
    const live = this.live.get(id);
    if (live?.process.alive) {
      if (patch.mode) {
        await live.process.request({ subtype: 'set_permission_mode', mode: PERMISSION_MODE[patch.mode] });
        live.modeChanged(patch.mode);
      }
      if (patch.model) await live.process.request({ subtype: 'set_model', model: patch.model });
    }
    await this.store.agents.update(id, { ...patch, ...(patch.name ? { name: patch.name.trim() } : {}) });
    await this.agentChanged(id);
    return this.get(id);
  }

  /** Whether the user confirmed bypassing permissions for the agent (kept in the store, setting `agents.bypassPermissions`). */
  async bypassing(id: string): Promise<boolean> {
    return ((await this.store.getSetting(BYPASS_KEY, z.array(z.string()))) ?? []).includes(id);
  }

  /**
   * Lets the agent run every tool without asking (`--permission-mode bypassPermissions`), or ends
   * that. Turning it on needs `{ confirmed: true }`: the caller has shown the user the risk (any
   * command, any file, the network, with no prompt) and the user agreed; nothing turns it on by
   * default. It applies from the agent's next start (the CLI allows the mode only when started
   * for it); turning it off applies at once to a running agent.
   */
  async setBypassPermissions(id: string, on: boolean, confirmation?: { confirmed: true }): Promise<Agent> {
    const record = await this.store.agents.get(id);
    if (on && confirmation?.confirmed !== true) {
      throw new ClaudeManagerError('INVALID_INPUT', `Bypassing permissions for ${record.name} needs the user's explicit confirmation of the risk.`);
    }
    const ids = new Set((await this.store.getSetting(BYPASS_KEY, z.array(z.string()))) ?? []);
    if (on === ids.has(id)) return this.get(id);
    if (on) ids.add(id);
    else ids.delete(id);
    await this.store.settings.set(BYPASS_KEY, [...ids]);
    const live = this.live.get(id);
    if (live?.process.alive && !live.terminal) {
      if (!on) await live.process.request({ subtype: 'set_permission_mode', mode: PERMISSION_MODE[record.mode] });
      live.noticeSoon(on ? 'Permissions will be bypassed from the next start: every tool runs without asking.' : `Permissions are asked for again (mode ${record.mode}).`);
    }
    await this.agentChanged(id);
    return this.get(id);
  }

  /** Archives (default) or deletes an agent with its messages; a running one is stopped first. */
  async delete(id: string, options: { archive?: boolean } = {}): Promise<void> {
    if (this.isRunning(id)) await this.stop(id);
    if (options.archive === false) {
      await this.store.agents.delete(id);
      await this.snapshots?.deleteAgent(id);
    }
    else {
      await this.store.agents.archive(id);
      await this.agentChanged(id);
    }
  }

  async restore(id: string): Promise<Agent> {
    await this.store.agents.restore(id);
    await this.agentChanged(id);
    return this.get(id);
  }

  /** Arranges a worktree's agents (all of its unarchived ones, each once); each one moved is announced. */
  async reorder(worktreeId: string, orderedIds: readonly string[]): Promise<Agent[]> {
    const before = new Map((await this.store.agents.list({ worktreeId })).map((a) => [a.id, a.displayOrder]));
    await this.store.agents.reorder(worktreeId, orderedIds);
    for (const [i, id] of orderedIds.entries()) if (before.get(id) !== i) await this.agentChanged(id);
    return this.list({ worktreeId });
  }

  getMessages(id: string, options: { limit?: number; before?: string } = {}) {
    return this.store.messages.page(id, options);
  }

  /** The ids of an agent's messages holding `query` (case-insensitive), newest first, and how many there are. */
  searchMessages(id: string, query: string, options: { limit?: number } = {}): Promise<{ ids: string[]; total: number }> {
    return this.store.messages.search(id, query, options.limit);
  }

  /** The ids of an agent's tool messages whose file change was kept (see `getFileChange`). */
  async fileChangeIds(id: string): Promise<Set<string>> {
    return (await this.snapshots?.messageIds(id)) ?? new Set();
  }

  /**
   * The file a file tool call (Edit, Write, …) changed, as the call found it and as it left it.
   * NOT_FOUND, saying why, when nothing was kept for that message.
   */
  async getFileChange(id: string, messageId: string): Promise<FileChange> {
    const change = await this.snapshots?.get(id, messageId);
    if (!change) throw new ClaudeManagerError('NOT_FOUND', `No copy of the file was kept for message ${messageId}: only the file tools (Edit, MultiEdit, Write, NotebookEdit) of agents run in a chat since this version keep one.`);
    return change;
  }

  isRunning(id: string): boolean {
    return this.live.get(id)?.process.alive ?? false;
  }

  /** Agents of a worktree whose processes this window runs. */
  async runningIn(worktreeId: string): Promise<{ id: string; name: string }[]> {
    const ids = [...this.live.values()].filter((l) => l.worktreeId === worktreeId && l.process.alive).map((l) => l.agentId);
    return Promise.all(ids.map(async (id) => ({ id, name: (await this.store.agents.get(id)).name })));
  }

  /**
   * At start: agents recorded as running whose owner window is gone (no heartbeat since
   * `heartbeatStaleBefore`) are finished, "ended with the editor"; a process of theirs that still
   * runs and is one of ours (a stream-json claude, checked by its command line, so a reused pid is
   * never touched) is ended first. Agents of a live window are left alone.
   */
  async reconcileOrphans(options: { heartbeatStaleBefore: string }): Promise<{ ended: string[]; cleared: string[] }> {
    const ended: string[] = [];
    const cleared: string[] = [];
    for (const agent of await this.store.agents.list({ includeDeleted: true })) {
      if (agent.pid === undefined || this.live.has(agent.id)) continue;
      const ownerLive =
        agent.ownerWindow !== undefined &&
        agent.ownerWindow !== this.options.windowId &&
        !windowGone(agent.ownerWindow) &&
        (agent.ownerHeartbeatAt ?? '') >= options.heartbeatStaleBefore;
      if (ownerLive) continue;
      if (processIsAlive(agent.pid) && (await isOurCli(agent.pid))) {
        killProcessTree(agent.pid);
        ended.push(agent.id);
      }
      await this.store.agents.update(agent.id, { pid: undefined, ownerWindow: undefined, ownerHeartbeatAt: undefined, status: 'finished', statusReason: 'ended with the editor', stoppedAt: agent.stoppedAt ?? new Date().toISOString() });
      cleared.push(agent.id);
    }
    return { ended, cleared };
  }

  /** Every 30 s, this window says it still runs its agents (another window treats a silent owner as gone). */
  startHeartbeat(intervalMs = 30_000): () => void {
    const timer = setInterval(() => {
      const now = new Date().toISOString();
      for (const id of this.live.keys()) void this.store.agents.update(id, { ownerHeartbeatAt: now }).catch(() => undefined);
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /**
   * Starts the agent's CLI process; resolves once `system/init` arrived (pid and session set).
   * Resumes the agent's session when it has one; a fork's first start forks its parent's.
   */
  start(id: string, options: StartOptions = {}): Promise<Agent> {
    const already = this.starting.get(id);
    if (already) return already;
    const run = this.startNow(id, options).finally(() => this.starting.delete(id));
    this.starting.set(id, run);
    return run;
  }

  private maxConcurrent(): number {
    return Math.max(1, Math.floor(this.options.maxConcurrent?.() ?? 8));
  }

  /** Waits for a free slot; meanwhile the agent shows its place in the queue. */
  private async takeSlot(id: string): Promise<void> {
    if (this.slotHolders.size < this.maxConcurrent() && this.queue.length === 0) {
      this.slotHolders.add(id);
      return;
    }
    await new Promise<void>((resolve, reject) => {
      this.queue.push({ id, go: resolve, cancel: reject });
      void this.showQueue();
    });
  }

  private releaseSlot(id: string): void {
    if (!this.slotHolders.delete(id)) return;
    while (this.queue.length && this.slotHolders.size < this.maxConcurrent()) {
      const next = this.queue.shift()!;
      this.slotHolders.add(next.id);
      next.go();
    }
    void this.showQueue();
  }

  private async showQueue(): Promise<void> {
    const max = this.maxConcurrent();
    for (const [i, q] of this.queue.entries()) await this.setStatus(q.id, 'finished', `queued: ${i + 1} in line (at most ${max} agents run at once)`).catch(() => undefined);
  }

  /** The queued agents' ids, first in line first. */
  get queued(): string[] {
    return this.queue.map((q) => q.id);
  }

  /** Refuses to run a CLI in a workspace the editor does not trust, saying how to trust it. */
  private requireTrust(): void {
    if (this.options.trusted && !this.options.trusted()) {
      throw untrustedWorkspaceError();
    }
  }

  private async startNow(id: string, options: StartOptions): Promise<Agent> {
    this.requireTrust();
    const record = await this.store.agents.get(id);
    if (record.deletedAt) throw new ClaudeManagerError('INVALID_INPUT', `${record.name} is archived. Restore it first.`);
    if (this.inTerminal(id)) throw new ClaudeManagerError('ALREADY_RUNNING', `${record.name} is open in a terminal: use it there, or close the terminal first.`);
    if (this.isRunning(id)) throw new ClaudeManagerError('ALREADY_RUNNING', `${record.name} is running already.`);
    if (record.ownerWindow && record.ownerWindow !== this.options.windowId && record.pid !== undefined && !windowGone(record.ownerWindow)) {
      throw new ClaudeManagerError('OWNED_BY_OTHER_WINDOW', `${record.name} is running in another window. Use it there, or stop it there first.`);
    }
    await this.takeSlot(id);
    let started = false;
    try {
      const agent = await this.launch(id, options);
      started = true;
      return agent;
    } finally {
      // A start that failed gives its slot back; a started agent gives it back when its process ends.
      if (!started && !this.live.has(id)) this.releaseSlot(id);
    }
  }

  private async launch(id: string, options: StartOptions): Promise<Agent> {
    const record = await this.store.agents.get(id);
    const worktree = await this.store.worktrees.get(record.worktreeId);
    let binary: string;
    try {
      binary = await this.options.locateCli();
    } catch (error) {
      await this.setStatus(id, 'error', `could not start: ${(error as Error).message}`);
      throw error;
    }
    const { args } = await this.cliArgs(record);
    args.push(...(this.options.extraArgs?.() ?? []));
    const process = new CliProcess({ binary, args, cwd: worktree.path, env: this.options.env(), logger: this.logger, label: `Agent ${record.name}`, ...(this.options.spawn ? { spawn: this.options.spawn } : {}) });
    await this.setStatus(id, 'running', 'starting');
    try {
      await process.start();
    } catch (error) {
      await this.setStatus(id, 'error', `could not start: ${(error as Error).message}`);
      throw error;
    }
    const workspaceId = worktree.workspaceId;
    const live = new LiveAgent(id, record.worktreeId, workspaceId, worktree.path, process, this);
    this.live.set(id, live);
    if (process.pid !== undefined) this.options.watchdog?.add(process.pid);
    const now = new Date().toISOString();
    // Sent now, durable a moment later (the write is applied at once: reads see it).
    this.updateAgent(id, { pid: process.pid, ownerWindow: this.options.windowId, ownerHeartbeatAt: now, startedAt: now, stoppedAt: undefined }, 'recording its process');
    try {
      await process.request({ subtype: 'initialize', ...(this.snapshots ? { hooks: SNAPSHOT_HOOKS } : {}) }, this.options.startTimeoutMs ?? 30_000);
      // The CLI announces its session with the first turn's output; without a prompt it waits.
      if (options.initialPrompt?.trim()) {
        // (Not `onSent?.(await …)`: an optional call skips its arguments when there is no callback.)
        const messageId = await live.sendUser(options.initialPrompt);
        options.onSent?.(messageId);
      }
      else await this.setStatus(id, 'waiting', 'waiting for your message');
    } catch (error) {
      const exit = await process.stop({ force: true });
      // A CLI that refused to start says why on stderr (e.g. bypassing permissions as root).
      const why = exit.stderrTail.split('\n').filter(Boolean).pop();
      if (why && !process.alive) throw new ClaudeManagerError('NOT_RUNNING', `The CLI stopped as it started: ${why}`, { cause: error });
      throw error;
    }
    if (options.initialPrompt?.trim()) await this.withTimeout(live.initialized, this.options.startTimeoutMs ?? 30_000, 'the CLI did not start its session');
    return this.get(id);
  }

  /** The mode, tools and model flags, and those that continue (or start, or fork) the agent's session. */
  private async cliArgs(record: AgentRecord): Promise<{ args: string[]; sessionId: string; resumed: boolean }> {
    // Bypass only for an agent the user confirmed it for (`setBypassPermissions`), never by default.
    const bypass = await this.bypassing(record.id);
    const args: string[] = bypass ? ['--permission-mode', 'bypassPermissions', '--allow-dangerously-skip-permissions'] : ['--permission-mode', PERMISSION_MODE[record.mode]];
    const tools = record.permissions.flatMap((p) => PERMISSION_TOOLS[p]);
    if (tools.length) args.push('--allowedTools', tools.join(','));
    if (record.model) args.push('--model', record.model);
    // A session exists once a turn ran in it (its init was recorded); before that the CLI has no
    // conversation to resume, and the agent starts it afresh under the id it already has.
    const sessionKnown = record.sessionId !== undefined && (await this.store.sessions.list(record.id)).some((s) => s.id === record.sessionId);
    if (sessionKnown) {
      args.push('--resume', record.sessionId!);
      return { args, sessionId: record.sessionId!, resumed: true };
    }
    if (record.parentAgentId) {
      const parent = await this.store.agents.get(record.parentAgentId).catch(() => undefined);
      if (parent?.sessionId) args.push('--resume', parent.sessionId, '--fork-session');
    }
    // Chosen here, so that the session is known the moment the process starts.
    const sessionId = record.sessionId ?? randomUUID();
    args.push('--session-id', sessionId);
    if (!record.sessionId) this.updateAgent(record.id, { sessionId }, 'recording its session');
    return { args, sessionId, resumed: false };
  }

  private limitsSeen: Map<string, UsageLimit> | undefined;

  /** A `rate_limit_event`: kept per limit (the newest report of each), in memory and in the store, and announced as a usage change. */
  limitReported(agentId: string, info: RateLimitEventLine['rate_limit_info']): void {
    const limit: UsageLimit = {
      type: info.rateLimitType ?? 'unknown',
      status: info.status,
      ...(typeof info.resetsAt === 'number' ? { resetsAt: new Date(info.resetsAt * 1000).toISOString() } : {}),
      ...(typeof info.utilization === 'number' ? { utilization: info.utilization } : {}),
      ...(info.overageStatus !== undefined ? { overageStatus: info.overageStatus } : {}),
      ...(info.isUsingOverage !== undefined ? { isUsingOverage: info.isUsingOverage } : {}),
      reportedAt: new Date().toISOString(),
    };
    const seen = (this.limitsSeen ??= new Map());
    seen.set(limit.type, limit);
    this.track(agentId, this.store.settings.set(LIMITS_KEY, [...seen.values()]), 'recording the usage limits');
    this.events.emit('usage', { agentId });
  }

  /**
   * The subscription's usage limits as the CLI last reported them (it reports them with each API
   * response for a Claude subscription login; with an API key it reports none).
   */
  async limits(): Promise<UsageLimits> {
    if (!this.limitsSeen) {
      const stored = await this.store.getSetting(LIMITS_KEY, usageLimitsSchema);
      // Not kept while empty: another window may record some meanwhile.
      if (stored?.length) this.limitsSeen = new Map(stored.map((l) => [l.type, l as UsageLimit]));
    }
    if (!this.limitsSeen?.size) {
      return { available: false, reason: 'The Claude Code CLI has not reported usage limits yet. It reports them while an agent runs with a Claude subscription login (Pro, Max); with an API key there are none to report.' };
    }
    return { available: true, limits: [...this.limitsSeen.values()] };
  }

  /** The environment the agents' CLIs run with. */
  cliEnv(): NodeJS.ProcessEnv {
    return this.options.env();
  }

  private hookServer: HookServer | undefined;

  /**
   * Hands the agent's session to a terminal: the CLI's own interactive UI (`--resume`, or a new
   * or forked session as `start` would), run by the caller in an integrated terminal in the
   * worktree. One writer per session: a stream-json process of the agent is stopped first, and
   * none is started while the terminal holds the session. The CLI reports through HTTP hooks
   * (passed with `--settings`) to this window, which sets the status; the history is read from
   * the session's transcript. Report the terminal's process with `terminalStarted` and its end
   * with `terminalClosed`.
   */
  async openInTerminal(id: string): Promise<TerminalLaunch> {
    this.requireTrust();
    let record = await this.store.agents.get(id);
    if (record.deletedAt) throw new ClaudeManagerError('INVALID_INPUT', `${record.name} is archived. Restore it first.`);
    const current = this.live.get(id);
    if (current?.terminal && current.process.alive) throw new ClaudeManagerError('ALREADY_RUNNING', `${record.name} is open in a terminal already.`);
    if (record.ownerWindow && record.ownerWindow !== this.options.windowId && record.pid !== undefined && !windowGone(record.ownerWindow)) {
      throw new ClaudeManagerError('OWNED_BY_OTHER_WINDOW', `${record.name} is running in another window. Use it there, or stop it there first.`);
    }
    await this.starting.get(id)?.catch(() => undefined);
    if (this.live.get(id)?.process.alive || this.queue.some((q) => q.id === id)) await this.stop(id);
    const binary = await this.options.locateCli();
    record = await this.store.agents.get(id);
    const worktree = await this.store.worktrees.get(record.worktreeId);
    const { args, sessionId, resumed } = await this.cliArgs(record);
    const env = this.options.env();
    const path = transcriptPath(env, worktree.path, sessionId);
    // A resumed session's history is stored already; only what the terminal adds is read.
    const tail = new TranscriptTail(path, resumed ? await TranscriptTail.sizeOf(path) : 0);
    this.hookServer ??= new HookServer(this.logger);
    const hook = await this.hookServer.register((event) => {
      const holder = this.live.get(id);
      if (holder?.terminal) holder.hook(event);
    }, { env });
    const hooks = Object.fromEntries(
      TERMINAL_HOOKS.map((name) => [name, [{ ...(TOOL_HOOKS.has(name) ? { matcher: '*' } : {}), hooks: [{ type: 'http', url: hook.url, timeout: 10 }] }]]),
    );
    args.push('--settings', await hook.settingsFile({ hooks }), ...(this.options.extraArgs?.() ?? []));
    const terminal: TerminalState = { tail, sessionId, unregister: hook.dispose, recorded: resumed };
    this.live.set(id, new LiveAgent(id, record.worktreeId, worktree.workspaceId, worktree.path, new TerminalProcess(record.name), this, terminal));
    const now = new Date().toISOString();
    await this.store.agents.update(id, { ownerWindow: this.options.windowId, ownerHeartbeatAt: now, startedAt: now, stoppedAt: undefined, status: 'waiting', statusReason: 'waiting for your message in the terminal' });
    await this.agentChanged(id);
    return { name: `Claude: ${record.name}`, binary, args, cwd: worktree.path, env };
  }

  /** The terminal's process for the agent (its pid, for stop and for other windows to see it runs). */
  async terminalStarted(id: string, pid: number): Promise<void> {
    const live = this.live.get(id);
    if (!(live?.process instanceof TerminalProcess)) return;
    live.process.pid = pid;
    await this.store.agents.update(id, { pid });
    await this.agentChanged(id);
  }

  /** The terminal holding the agent's session closed or its process exited (`code` undefined when the terminal was closed). */
  async terminalClosed(id: string, code?: number): Promise<void> {
    const live = this.live.get(id);
    if (!(live?.process instanceof TerminalProcess)) return;
    live.process.ended(code ?? null);
    await live.settled();
  }

  /** Whether the agent's session is held by a terminal of this window. */
  inTerminal(id: string): boolean {
    const live = this.live.get(id);
    return Boolean(live?.terminal && live.process.alive);
  }

  private async withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([promise, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new ClaudeManagerError('NOT_RUNNING', `${what} within ${ms / 1000} s.`)), ms)))]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A new agent (not started) that continues a copy of this one's conversation on its first start. */
  async fork(id: string, options: { name?: string } = {}): Promise<Agent> {
    const parent = await this.store.agents.get(id);
    if (!parent.sessionId || !(await this.store.sessions.list(id)).some((s) => s.id === parent.sessionId)) {
      throw new ClaudeManagerError('INVALID_INPUT', `${parent.name} has no conversation to fork yet. Send it a message first.`);
    }
    const child = await this.store.agents.create({
      worktreeId: parent.worktreeId,
      name: options.name?.trim() || `${parent.name} (fork)`,
      mode: parent.mode,
      permissions: parent.permissions,
      ...(parent.model ? { model: parent.model } : {}),
      parentAgentId: parent.id,
    });
    await this.agentChanged(child.id);
    return this.get(child.id);
  }

  /** Sends a user message; an agent without a live process is started (resumed) first. */
  async sendMessage(id: string, content: string): Promise<{ messageId: string }> {
    if (!content.trim()) throw new ClaudeManagerError('INVALID_INPUT', 'The message is empty.');
    const live = this.live.get(id);
    if (live?.process.alive) return { messageId: await live.sendUser(content) };
    // Started (resumed) with the message as its first turn: no "waiting" in between.
    let messageId = '';
    await this.start(id, { initialPrompt: content, onSent: (sent) => (messageId = sent) });
    return { messageId };
  }

  async interrupt(id: string): Promise<void> {
    const live = this.requireLive(id);
    live.markInterrupted();
    await live.process.request({ subtype: 'interrupt' });
  }

  async respondToPermission(id: string, requestId: string, answer: { behavior: 'allow' | 'deny'; message?: string; always?: boolean }): Promise<void> {
    const live = this.requireLive(id);
    if (live.terminal) throw new ClaudeManagerError('NOT_RUNNING', 'This agent is open in a terminal: answer there.');
    await live.answer(requestId, answer);
  }

  contextWarningThreshold(): number {
    return this.options.contextWarningThreshold?.() ?? 80;
  }

  async setMode(id: string, mode: AgentMode): Promise<Agent> {
    // Choosing a mode ends a bypass: the mode is what the agent runs in from now on.
    if (await this.bypassing(id)) await this.setBypassPermissions(id, false);
    const live = this.live.get(id);
    if (live?.process.alive) {
      await live.process.request({ subtype: 'set_permission_mode', mode: PERMISSION_MODE[mode] });
      live.modeChanged(mode);
    }
    await this.store.agents.update(id, { mode });
    await this.agentChanged(id);
    return this.get(id);
  }

  /** Stops the process: stdin closed, SIGTERM to its group, SIGKILL after 5 s; `force` kills at once. */
  async stop(id: string, options: { force?: boolean } = {}): Promise<Agent> {
    const live = this.live.get(id);
    const queuedAt = this.queue.findIndex((q) => q.id === id);
    if (!live && queuedAt >= 0) {
      const [q] = this.queue.splice(queuedAt, 1);
      q!.cancel(new ClaudeManagerError('NOT_RUNNING', 'The start was cancelled while the agent waited in the queue.'));
      await this.setStatus(id, 'finished', 'stopped');
      void this.showQueue();
      return this.get(id);
    }
    if (!live) {
      const record = await this.store.agents.get(id);
      if (record.ownerWindow && record.ownerWindow !== this.options.windowId && record.pid !== undefined) {
        throw new ClaudeManagerError('OWNED_BY_OTHER_WINDOW', `${record.name} runs in another window; stop it there.`);
      }
      throw new ClaudeManagerError('NOT_RUNNING', `${record.name} is not running.`);
    }
    live.markStopping();
    await live.process.stop(options);
    await live.settled();
    return this.get(id);
  }

  /** Stops every agent of this window: all signalled at once, what remains killed after `graceMs`. */
  async stopAll(graceMs = 2000): Promise<void> {
    for (const q of this.queue.splice(0)) q.cancel(new ClaudeManagerError('NOT_RUNNING', 'The window is closing.'));
    const all = [...this.live.values()];
    await Promise.all(
      all.map((l) => {
        l.markStopping();
        return l.process.stop({ graceMs });
      }),
    );
    await Promise.all(all.map((l) => l.settled()));
    this.hookServer?.close();
    this.hookServer = undefined;
  }

  private requireLive(id: string): LiveAgent {
    const live = this.live.get(id);
    if (!live || !live.process.alive) throw new ClaudeManagerError('NOT_RUNNING', `Agent ${id} is not running in this window. Start it first.`);
    return live;
  }

  /** Resolves once everything the agent's CLI said so far is stored (tests, shutdown). */
  async settled(id: string): Promise<void> {
    await this.live.get(id)?.settled();
  }

  // ── for LiveAgent ──────────────────────────────────────────────────────────────────────────

  async setStatus(id: string, status: AgentStatus, statusReason: string): Promise<void> {
    // While this window runs the agent it is the only writer of its status: what it last wrote
    // is the status, without asking the store.
    const live = this.live.get(id);
    const current = live?.lastStatus ?? (await this.store.agents.get(id));
    if (current.status === status && current.statusReason === statusReason) return;
    if (live) live.lastStatus = { status, statusReason };
    this.updateAgent(id, { status, statusReason }, 'recording its status');
    // Announced once the store has answered, without holding up the agent's lines meanwhile;
    // answers come back in the order asked, so the announcements keep the statuses' order.
    this.track(id, this.agentChanged(id), 'announcing its status');
  }

  async agentChanged(id: string): Promise<void> {
    this.events.emit('agent', await this.get(id));
  }

  /**
   * Stores a message without holding up the agent's lines until it is durable (the store batches
   * fsyncs, ~20 ms). The store takes writes in the order they are sent (a message log appends in
   * call order; a metadata write is applied the moment it arrives), so a later read or a later
   * version of the message comes after it. `settled` waits for them.
   */
  async saveMessage(message: StoredMessage): Promise<void> {
    this.track(message.agentId, this.store.messages.put(message), 'storing a message');
  }

  private readonly writes = new Set<Promise<unknown>>();

  /** Keeps a write that was sent: its failure is logged, and `writesSettled` waits for it. */
  track(agentId: string, write: Promise<unknown>, what: string): void {
    const tracked: Promise<unknown> = write
      .catch((error: unknown) => this.logger.error(`Agent ${agentId}: ${what} failed: ${(error as Error).message}`))
      .finally(() => this.writes.delete(tracked));
    this.writes.add(tracked);
  }

  /** Resolves once every write sent so far is durable (or failed and was logged). */
  async writesSettled(): Promise<void> {
    while (this.writes.size) await Promise.all([...this.writes]);
  }

  /** Updates an agent's record without waiting for durability (see `saveMessage`). */
  updateAgent(id: string, patch: Parameters<Store['agents']['update']>[1], what: string): void {
    this.track(id, this.store.agents.update(id, patch), what);
  }

  emitMessage(message: StoredMessage): void {
    this.events.emit('message', { agentId: message.agentId, message: { ...message } });
  }

  emitPermission(agentId: string, request: PermissionRequest): void {
    this.events.emit('permission', { agentId, request });
  }

  async recordUsage(live: LiveAgent, entry: { messageId: string; model: string; inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheCreationTokens: number }): Promise<void> {
    const existing = this.costs.get(entry.messageId) ?? 0;
    // One API message arrives on several lines; its output grows (the final count comes with
    // `message_delta`), so a later line never lowers what was seen.
    const seen = this.lastUsage.get(entry.messageId);
    const merged = seen ? { ...entry, outputTokens: Math.max(seen.outputTokens, entry.outputTokens) } : entry;
    const record = { ...merged, costUsd: existing, agentId: live.agentId, worktreeId: live.worktreeId, workspaceId: live.workspaceId };
    this.track(live.agentId, this.store.usage.record(record), 'recording usage');
    this.lastUsage.set(entry.messageId, merged);
    this.events.emit('usage', { agentId: live.agentId });
  }

  private readonly costs = new Map<string, number>();
  private readonly lastUsage = new Map<string, { messageId: string; model: string; inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheCreationTokens: number }>();

  /** The final output tokens of an API message (its `message_delta`), once its usage was recorded. */
  async updateOutputTokens(live: LiveAgent, apiMessageId: string, outputTokens: number): Promise<void> {
    const usage = this.lastUsage.get(apiMessageId);
    if (!usage || usage.outputTokens === outputTokens) return;
    usage.outputTokens = outputTokens;
    const record = { ...usage, costUsd: this.costs.get(apiMessageId) ?? 0, agentId: live.agentId, worktreeId: live.worktreeId, workspaceId: live.workspaceId };
    this.track(live.agentId, this.store.usage.record(record), 'recording usage');
    this.events.emit('usage', { agentId: live.agentId });
  }

  forgetUsage(apiMessageIds: Iterable<string>): void {
    for (const id of apiMessageIds) {
      this.costs.delete(id);
      this.lastUsage.delete(id);
    }
  }

  async addCost(live: LiveAgent, apiMessageId: string, cost: number): Promise<void> {
    const total = (this.costs.get(apiMessageId) ?? 0) + cost;
    this.costs.set(apiMessageId, total);
    const usage = this.lastUsage.get(apiMessageId);
    if (!usage) return;
    const record = { ...usage, costUsd: total, agentId: live.agentId, worktreeId: live.worktreeId, workspaceId: live.workspaceId };
    this.track(live.agentId, this.store.usage.record(record), 'recording usage');
    this.events.emit('usage', { agentId: live.agentId });
  }

  async processEnded(live: LiveAgent, status: AgentStatus, reason: string): Promise<void> {
    if (this.live.get(live.agentId) === live) {
      this.live.delete(live.agentId);
      this.releaseSlot(live.agentId);
      if (live.process.pid !== undefined) this.options.watchdog?.remove(live.process.pid);
    }
    await this.store.agents.update(live.agentId, { pid: undefined, ownerWindow: undefined, ownerHeartbeatAt: undefined, status, statusReason: reason, stoppedAt: new Date().toISOString() });
    await this.agentChanged(live.agentId);
  }
}
