import { open } from 'node:fs/promises';
import { ClaudeManagerError } from '../errors';
import { newId } from '../ids';
import type { Logger } from '../logger';
import type { StoredMessage } from '../storage/messageStore';
import type { AgentMode, AgentStatus, TaskItem } from '../storage/records';
import type { CliExit, DroppedLine } from './cliProcess';
import type { ImageFiles, MessageImage } from '../storage/imageFiles';
import type { CliLine, ControlRequestLine, RateLimitEventLine, UserContent } from './cliProtocol';
import { FILE_TOOLS, type FileSnapshots, toolFilePath } from './fileSnapshots';
import type { HookEvent } from './hookServer';
import { type InlineImage, keepable, type PreparedImage, userContent } from './images';
import { type PermissionAnswer, type PermissionRequest, permissionResponse } from './permissions';
import { type SessionInit, StreamTranslator, type TranslatorEffect, type UsageEntry } from './streamTranslator';
import type { TerminalSession } from './terminalSession';

/** What an agent's process is to the runtime: the stream-json CLI (CliProcess), or a terminal running the CLI's own UI (TerminalProcess). */
export interface AgentProcess {
  readonly pid: number | undefined;
  readonly alive: boolean;
  on(event: 'line', listener: (line: CliLine) => void): unknown;
  on(event: 'request', listener: (request: ControlRequestLine) => void): unknown;
  on(event: 'exit', listener: (exit: CliExit) => void): unknown;
  sendUser(content: UserContent): void;
  respond(requestId: string, response: Record<string, unknown>): void;
  /** Refuses a control request with an error (only the stream-json CLI has requests to refuse). */
  respondError?(requestId: string, error: string): void;
  request(request: Record<string, unknown>, timeoutMs?: number): Promise<unknown>;
  stop(options?: { force?: boolean; graceMs?: number }): Promise<CliExit>;
}

/** What a live agent needs of the runtime that owns it. */
export interface AgentHost {
  readonly logger: Logger;
  readonly snapshots: FileSnapshots | undefined;
  /** Where the images of messages are kept (a tool result's images are dropped without it). */
  readonly images?: ImageFiles | undefined;
  /** Records the status (this window is the only writer of a running agent's status) and announces it. */
  setStatus(agentId: string, status: AgentStatus, reason: string): Promise<void>;
  /** Stores a message version without waiting for durability (the store applies writes in order). */
  saveMessage(message: StoredMessage): void;
  emitMessage(message: StoredMessage): void;
  emitPermission(agentId: string, request: PermissionRequest): void;
  agentChanged(agentId: string): Promise<void>;
  recordSession(agentId: string, init: SessionInit): void;
  recordContext(agentId: string, level: number): void;
  /** Records the agent's task list as its last task tool call left it, and announces the agent. */
  recordTasks(agentId: string, tasks: readonly TaskItem[]): void;
  recordUsage(agent: LiveAgent, usage: UsageEntry): void;
  limitReported(agentId: string, info: RateLimitEventLine['rate_limit_info']): void;
  /** Its turn ended on the plan's usage limit, which resets at `until` (ISO). */
  limited(agentId: string, until: string): void;
  /** Resolves once every write sent so far is durable. */
  writesSettled(): Promise<void>;
  processEnded(agent: LiveAgent, status: AgentStatus, reason: string): Promise<void>;
  contextWarningThreshold(): number;
}

/** The CLI writes a terminal session's transcript a moment after its hooks fire: it is read on every hook and this often besides. */
const TRANSCRIPT_POLL_MS = 500;

/** The most of a plan file shown with a request to approve it. */
const MAX_PLAN_BYTES = 1024 * 1024;

/** Streamed text is stored at most this often (announced sooner: see `announceSoon`). */
const STREAM_SAVE_MS = 300;

/**
 * One running agent: its process, its conversation's state machine (`StreamTranslator`), and the
 * order in which what the CLI says is applied. Everything it learns goes through one chain, in
 * the order the CLI said it, so a message's final version is always stored after its streamed
 * ones.
 */
export class LiveAgent {
  /** The status the runtime last gave this agent while it runs. */
  lastStatus: { status: AgentStatus; statusReason: string } | undefined;
  /** Whether `initialize` was answered: a message written before could overtake the first prompt. */
  ready = false;
  /** A turn is under way: from a message written (or the CLI's own start of a turn) to its result. */
  inTurn = false;
  /** Messages written during the turn: the CLI runs them after it, as one more turn it begins itself. */
  private heldByCli = 0;
  /** Told when a turn ends that no other follows at once (its result applied): the queue goes on. */
  onTurnEnd: (() => void) | undefined;
  readonly translator: StreamTranslator;
  readonly initialized: Promise<string>;
  private initResolve!: (sessionId: string) => void;
  private initReject!: (error: Error) => void;
  /** Why its process is being ended on purpose ("stopped", or asleep), if it is. */
  private stopping: string | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private transcriptTimer: NodeJS.Timeout | undefined;
  /** Streamed versions not stored yet, by message id: a final version of the same id removes its entry. */
  private readonly unsaved = new Map<string, StoredMessage>();
  /** Streamed versions not announced yet, by message id (see `announceSoon`). */
  private readonly unannounced = new Map<string, StoredMessage>();
  /** Serialises what is applied for this agent, in the order the CLI said it. */
  private chain: Promise<unknown> = Promise.resolve();
  /** Steps in the chain not yet done. */
  private queued = 0;
  terminal: TerminalSession | undefined;

  constructor(
    readonly agentId: string,
    readonly worktreeId: string,
    readonly workspaceId: string,
    readonly cwd: string,
    readonly process: AgentProcess,
    private readonly host: AgentHost,
    options: { terminal?: (translator: StreamTranslator, apply: (effects: TranslatorEffect[]) => Promise<void>) => TerminalSession; planDir?: string; tasks?: readonly TaskItem[] | undefined } = {},
  ) {
    this.translator = new StreamTranslator({
      agentId,
      cwd,
      terminal: Boolean(options.terminal),
      contextWarningThreshold: () => host.contextWarningThreshold(),
      ...(options.planDir ? { planDir: options.planDir } : {}),
      tasks: options.tasks,
    });
    this.initialized = new Promise((resolve, reject) => {
      this.initResolve = resolve;
      this.initReject = reject;
    });
    // Only a start that waits for the session looks at this; an exit before any turn is no error.
    this.initialized.catch(() => undefined);
    if (options.terminal) {
      const terminal = options.terminal(this.translator, (effects) => this.apply(effects));
      this.terminal = terminal;
      this.transcriptTimer = setInterval(() => this.enqueue(() => terminal.readTranscript()), TRANSCRIPT_POLL_MS);
      this.transcriptTimer.unref();
    }
    process.on('line', (line) => {
      const turnOver = this.followTurn(line);
      // Most lines (content deltas) make effects that need no waiting: with nothing queued before
      // them they are applied at once, in order, without a step of the chain each.
      if (this.queued === 0) {
        const effects = this.translator.line(line);
        if (effects.every((e) => e.kind !== 'status' && e.kind !== 'permissionsChanged' && !(e.kind === 'message' && e.images))) this.applyNow(effects);
        else this.enqueue(() => this.apply(effects));
      } else this.enqueue(() => this.apply(this.translator.line(line)));
      // Told once the turn's end is applied (its status stored).
      if (turnOver) this.enqueue(() => this.onTurnEnd?.());
    });
    process.on('request', (request) => this.enqueue(() => this.onRequest(request)));
    process.on('exit', (exit) => {
      this.initReject(new ClaudeManagerError('NOT_RUNNING', `The CLI exited before it started the session${exit.stderrTail ? `: ${exit.stderrTail.split('\n').pop()}` : ''}.`));
      this.enqueue(() => this.onExit(exit));
    });
  }

  /** Resolves with the session once the CLI's `system/init` arrived; NOT_RUNNING after `ms`. */
  async waitForSession(ms: number): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new ClaudeManagerError('NOT_RUNNING', `The CLI did not start its session within ${ms / 1000} s.`)), ms)));
    try {
      return await Promise.race([this.initialized, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  get pending(): readonly PermissionRequest[] {
    return this.translator.pending;
  }

  private enqueue(step: () => Promise<void> | void): void {
    this.queued++;
    this.chain = this.chain.then(step).then(
      () => void this.queued--,
      (error: unknown) => {
        this.queued--;
        this.host.logger.error(`Agent ${this.agentId}: ${(error as Error).message}`);
      },
    );
  }

  /** Resolves once everything the CLI said so far is stored, streamed versions put off for later included. */
  async settled(): Promise<void> {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
      this.enqueue(() => this.saveUnsaved());
    }
    await this.chain;
    await this.host.writesSettled();
  }

  /** The process is being ended on purpose; its agent then reads `reason` ("stopped", or asleep). */
  markStopping(reason = 'stopped'): void {
    this.stopping = reason;
  }

  /** Whether its process is being ended on purpose (a message then waits for the next start). */
  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  markInterrupted(): void {
    this.translator.markInterrupted();
  }

  /** Whether the line ends a turn that no other follows at once (see `heldByCli`). */
  private followTurn(line: CliLine): boolean {
    if (this.terminal) return false;
    if (line.kind === 'system' && line.line.subtype === 'init') this.inTurn = true;
    if (line.kind !== 'result') return false;
    if (this.heldByCli > 0) {
      // Checked with the real CLI, after an interrupt too: what it held begins the next turn.
      this.heldByCli = 0;
      return false;
    }
    this.inTurn = false;
    return true;
  }

  /**
   * Writes a user message to the CLI (under `id`, if given), its images (kept already as `refs`)
   * before its text; stored and announced in order with what the CLI says. Returns its id.
   */
  sendUser(content: string, images: readonly PreparedImage[] = [], refs: readonly MessageImage[] = [], id = newId('msg')): string {
    this.process.sendUser(userContent(content, images));
    if (this.inTurn) this.heldByCli++;
    else this.inTurn = true;
    const effects = this.translator.userMessage(content, { id }).effects;
    const stored = refs.length ? effects.map((e) => (e.kind === 'message' && e.message.id === id ? { ...e, message: { ...e.message, images: [...refs] } } : e)) : effects;
    this.enqueue(() => this.apply(stored));
    return id;
  }

  /** A hook event of the terminal session. */
  hook(event: HookEvent): void {
    const terminal = this.terminal;
    if (terminal) this.enqueue(() => terminal.onHook(event));
  }

  /** Says so in the conversation when the mode changes. */
  modeChanged(mode: AgentMode): void {
    this.noticeSoon(`Mode changed to ${mode}.`);
  }

  /** A notice in the conversation, after what the CLI said so far. */
  noticeSoon(content: string): void {
    this.enqueue(() => this.apply(this.translator.notice(content)));
  }

  /** Applies effects that need no waiting (no status, no announcement), now; a failure is logged as the chain logs it. */
  private applyNow(effects: TranslatorEffect[]): void {
    try {
      for (const effect of effects) this.applyOne(effect);
    } catch (error) {
      this.host.logger.error(`Agent ${this.agentId}: ${(error as Error).message}`);
    }
  }

  /** Applies what the translator made of a line, in order. */
  async apply(effects: TranslatorEffect[]): Promise<void> {
    for (const effect of effects) {
      if (effect.kind === 'status' || effect.kind === 'permissionsChanged') {
        this.announceStreamed();
        if (effect.kind === 'status') await this.host.setStatus(this.agentId, effect.status, effect.reason);
        else await this.host.agentChanged(this.agentId);
      } else if (effect.kind === 'message' && effect.images) {
        this.applyOne({ kind: 'message', message: await this.keepImages(effect.message, effect.images) });
      } else this.applyOne(effect);
    }
  }

  private applyOne(effect: TranslatorEffect): void {
    if (effect.kind === 'message' && effect.streaming) {
      this.announceSoon(effect.message);
      this.saveSoon(effect.message);
      return;
    }
    if (effect.kind === 'message') {
      // A stored version supersedes any streamed one still waiting to be stored or announced (in
      // its place, so that messages keep the order in which they first appeared).
      this.unsaved.delete(effect.message.id);
      this.host.saveMessage(effect.message);
      const waiting = this.unannounced.has(effect.message.id);
      if (waiting) this.unannounced.set(effect.message.id, effect.message);
      this.announceStreamed();
      if (!waiting) this.host.emitMessage(effect.message);
      return;
    }
    // Whatever follows a streamed version is announced after it.
    this.announceStreamed();
    switch (effect.kind) {
      case 'session':
        this.host.recordSession(this.agentId, effect.init);
        break;
      case 'initialized':
        this.initResolve(effect.sessionId);
        break;
      case 'usage':
        this.host.recordUsage(this, effect.usage);
        break;
      case 'context':
        this.host.recordContext(this.agentId, effect.level);
        break;
      case 'tasks':
        this.host.recordTasks(this.agentId, effect.tasks);
        break;
      case 'limit':
        this.host.limitReported(this.agentId, effect.info);
        break;
      case 'limited':
        this.host.limited(this.agentId, effect.until);
        break;
      case 'permission':
        this.host.emitPermission(this.agentId, effect.request);
        break;
      case 'log':
        this.host.logger[effect.level](`Agent ${this.agentId}: ${effect.text}`);
        break;
    }
  }

  /** A tool result's images kept as files, the message holding their references; a failure is logged and the message kept without them. */
  private async keepImages(message: StoredMessage, images: readonly InlineImage[]): Promise<StoredMessage> {
    const { keep, skipped } = keepable(images);
    if (skipped) this.host.logger.warn(`Agent ${this.agentId}: ${skipped} image(s) of ${message.content} not kept (of no type the chat shows, or past 100)`);
    try {
      if (!this.host.images) return message;
      const refs = await this.host.images.save(this.agentId, keep);
      return refs.length ? { ...message, images: refs } : message;
    } catch (error) {
      this.host.logger.warn(`Agent ${this.agentId}: the images of ${message.content} could not be kept: ${(error as Error).message}`);
      return message;
    }
  }

  /**
   * Streamed versions are announced once the lines that arrived together are applied, the latest
   * of each message (in the order each first appeared): a burst of output (a CLI's buffered
   * stream, a long line of deltas) makes one announcement per message, not one per delta.
   */
  private announceSoon(message: StoredMessage): void {
    // After the lines at hand (applied at once, or step by step in the chain) are all applied.
    if (this.unannounced.size === 0) setImmediate(() => this.announceStreamed());
    this.unannounced.set(message.id, message);
  }

  private announceStreamed(): void {
    if (this.unannounced.size === 0) return;
    const messages = [...this.unannounced.values()];
    this.unannounced.clear();
    try {
      for (const message of messages) this.host.emitMessage(message);
    } catch (error) {
      this.host.logger.error(`Agent ${this.agentId}: ${(error as Error).message}`);
    }
  }

  /** Streamed versions are stored a few times a second at most, the latest of each message. */
  private saveSoon(message: StoredMessage): void {
    this.unsaved.set(message.id, message);
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      // Taken when the step runs, not now: a final version applied in between has removed its entry.
      this.enqueue(() => this.saveUnsaved());
    }, STREAM_SAVE_MS);
  }

  private saveUnsaved(): void {
    for (const message of this.unsaved.values()) this.host.saveMessage(message);
    this.unsaved.clear();
  }

  private async onRequest(request: ControlRequestLine): Promise<void> {
    const subtype = request.request.subtype;
    if (subtype === 'hook_callback') return this.onHookCallback(request);
    if (subtype === 'can_use_tool') return this.apply(this.translator.permissionRequest(request, await this.planOf(request)));
    // The CLI waits for an answer to each of its requests: one this runtime does not serve is refused, not left hanging.
    this.host.logger.debug(`Agent ${this.agentId}: CLI request "${subtype}" not handled; refused`);
    this.refuse(request.request_id, `Claude Manager does not handle "${subtype}" requests.`);
  }

  /** For an ExitPlanMode without its plan (the CLI keeps it in a file since 2.1.332): the plan file the agent wrote. */
  private async planOf(request: ControlRequestLine): Promise<{ plan?: string }> {
    const file = this.translator.planFile;
    if (request.request.tool_name !== 'ExitPlanMode' || typeof request.request.input?.plan === 'string' || !file) return {};
    try {
      const handle = await open(file, 'r');
      try {
        const { size } = await handle.stat();
        const buffer = Buffer.alloc(Math.min(size, MAX_PLAN_BYTES));
        await handle.read(buffer, 0, buffer.length, 0);
        return { plan: buffer.toString('utf8') + (size > MAX_PLAN_BYTES ? '\n\n(The plan continues in its file.)' : '') };
      } finally {
        await handle.close();
      }
    } catch (error) {
      this.host.logger.warn(`Agent ${this.agentId}: could not read the plan file ${file}: ${(error as Error).message}`);
      return {};
    }
  }

  /** A stdout line too large to read (the process's `oversized` event). */
  oversized(line: DroppedLine): void {
    this.enqueue(() => this.onOversized(line));
  }

  /** A line too large to read: a control request in it is refused (the CLI would wait for ever), and the conversation says so. */
  private async onOversized(line: DroppedLine): Promise<void> {
    const mb = (line.bytes / 1024 / 1024).toFixed(1);
    if (line.type === 'control_request' && line.requestId) {
      const what = line.subtype === 'can_use_tool' ? 'a permission request' : `a "${line.subtype ?? 'unknown'}" request`;
      this.refuse(line.requestId, `The request is too large for Claude Manager to read (${mb} MB, over 8 MB); it was refused.`);
      await this.apply(this.translator.notice(`The CLI sent ${what} too large to read (${mb} MB, over 8 MB): it was refused, and the agent was told. Ask it to make the change in smaller parts.`));
      return;
    }
    await this.apply(this.translator.notice(`A line from the CLI too large to read (${mb} MB, over 8 MB${line.type ? `, a "${line.type}"` : ''}) was skipped.`));
    if (line.type === 'result') {
      // The turn's end must not be lost with it: what its ends said is enough to end the turn.
      const result = { type: 'result' as const, subtype: line.subtype ?? 'success', ...(line.isError !== undefined ? { is_error: line.isError } : {}), ...(line.totalCostUsd !== undefined ? { total_cost_usd: line.totalCostUsd } : {}) };
      await this.apply(this.translator.line({ kind: 'result', line: result }));
    }
  }

  /** Answers (or refuses, with `error`) one of the CLI's requests; a process already gone is logged, not thrown. */
  private answerRequest(requestId: string, answer: { response: Record<string, unknown> } | { error: string }): void {
    try {
      if ('response' in answer) this.process.respond(requestId, answer.response);
      else this.process.respondError?.(requestId, answer.error);
    } catch (e) {
      this.host.logger.warn(`Agent ${this.agentId}: could not answer the CLI's request ${requestId}: ${(e as Error).message}`);
    }
  }

  private refuse(requestId: string, error: string): void {
    this.answerRequest(requestId, { error });
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
    this.answerRequest(request.request_id, { response: {} });
  }

  /** Keeps the file of a file tool call as it is now, as its `side`; a failure is logged, never thrown (the CLI waits). */
  private async keepFile(toolUseId: string, toolName: string, toolInput: Record<string, unknown> | undefined, side: 'before' | 'after'): Promise<void> {
    const messageId = this.translator.toolMessageId(toolUseId);
    const filePath = toolFilePath(toolInput, this.cwd);
    if (!messageId || !filePath || !FILE_TOOLS.has(toolName)) return;
    try {
      await this.host.snapshots?.capture(this.agentId, messageId, toolName, filePath, side, this.cwd);
    } catch (error) {
      this.host.logger.warn(`Agent ${this.agentId}: keeping ${filePath} ${side} ${toolName} failed: ${(error as Error).message}`);
    }
  }

  async answer(requestId: string, answer: PermissionAnswer): Promise<void> {
    const waiting = this.translator.pending.find((p) => p.requestId === requestId);
    if (!waiting) throw new ClaudeManagerError('NO_PENDING_PERMISSION', `No permission request ${requestId} is waiting for this agent: it was answered or withdrawn.`);
    // Checked before the request is taken: a wrong choice leaves it waiting.
    const response = permissionResponse(waiting, answer, this.translator.answerInput(waiting));
    const toolUseId = this.translator.toolUseOf(requestId);
    const request = this.translator.takePending(requestId)!;
    if (answer.behavior === 'allow') {
      // The file as it is when the user lets the tool run (it may have changed while the question waited).
      if (toolUseId) await this.keepFile(toolUseId, request.toolName, request.input, 'before');
      this.process.respond(requestId, response);
    } else {
      this.process.respond(requestId, response);
      // A denied call changes nothing: the copy of its file taken before it is not kept.
      const messageId = toolUseId ? this.translator.toolMessageId(toolUseId) : undefined;
      if (messageId) void this.host.snapshots?.remove(this.agentId, messageId).catch(() => undefined);
    }
    this.enqueue(() => this.apply(this.translator.answered(request, answer.behavior)));
  }

  private async onExit(exit: CliExit): Promise<void> {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (this.terminal) {
      clearInterval(this.transcriptTimer);
      this.terminal.unregister();
      await this.terminal.readTranscript();
    }
    const ended = this.translator.exited({ code: exit.code, signal: exit.signal, stderrTail: exit.stderrTail, stopping: this.stopping, terminalEndReason: this.terminal?.endReason });
    await this.apply(ended.effects);
    // What streamed and was kept complete has replaced its streamed versions; anything else left is stored as it stands.
    this.saveUnsaved();
    await this.host.processEnded(this, ended.status, ended.reason);
  }
}
