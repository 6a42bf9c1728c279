import { SessionAdoption } from './adoption';
import { isLimited } from '../usage/limitsText';
import type { CliSessionSummary } from './transcripts';
import { EventEmitter } from 'node:events';
import { ClaudeManagerError, untrustedWorkspaceError } from '../errors';
import type { Logger } from '../logger';
import { ImageFiles, IMAGES_FOLDER, type MessageImage } from '../storage/imageFiles';
import type { StoredMessage } from '../storage/messageStore';
import type { AgentMode, AgentRecord, PermissionKind } from '../storage/records';
import type { Store } from '../storage/store';
import { join } from 'node:path';
import { type FileChange, FileSnapshots } from './fileSnapshots';
import { type ImageInput, type PreparedImage, prepareImages } from './images';
import { type Agent, AgentCatalog } from './agentCatalog';
import { MessageQueue } from './messageQueue';
import { AgentWrites } from './agentWrites';
import type { LiveAgent } from './liveAgent';
import { agentCliArgs, type Launcher, launchAgent } from './launch';
import { reconcileOrphans, startHeartbeat } from './orphans';
import type { PermissionAnswer, PermissionRequest } from './permissions';
import { StartQueue } from './startQueue';
import { TerminalHandoff } from './terminalHandoff';
import { UsageLimitsBook, type UsageLimits } from './usageLimits';
import { otherOwner } from './ownership';
import { AgentsElsewhere } from './elsewhere';
import type { AgentRuntimeOptions, StartOptions, TerminalLaunch } from './runtimeOptions';
import { AgentCommands, commandsOfSession, type SlashCommand } from './slashCommands';
import { ASLEEP, isAsleep, maySleep, wokeNotice } from './sleep';
import { AgentSettings } from './agentSettings';

export type { Agent, AgentUsage } from './agentCatalog';
export { compareVersions, MIN_TESTED_CLI_VERSION, PERMISSION_TOOLS } from './cliArgs';
export type { SlashCommand } from './slashCommands';
export type { QueuedMessage } from './messageQueue';
export type { PermissionAnswer, PermissionRequest, PermissionSuggestion, Question, QuestionOption } from './permissions';
export type { UsageLimit, UsageLimits } from './usageLimits';
export type { AgentRuntimeOptions, StartOptions, TerminalLaunch } from './runtimeOptions';

/**
 * Owns the agents' CLI processes in this window: starts (resuming the agent's session when it has
 * one, forking a parent's on a fork's first start), delivers messages in the order sent, answers
 * permission requests, interrupts, stops; the only writer of a running agent's status. What the
 * CLI says is turned into messages, statuses and usage by each agent's `StreamTranslator`.
 */
export class AgentRuntime {
  private readonly live = new Map<string, LiveAgent>();
  /** Starts under way: the process started and `initialize` answered (a first prompt is a message like any other). */
  private readonly starting = new Map<string, Promise<void>>();
  /** Processes being ended on purpose (stop, sleep): a start waits for the end. */
  private readonly ending = new Map<string, Promise<void>>();
  private readonly slots: StartQueue;
  private readonly limitsBook: UsageLimitsBook;
  private readonly events = new EventEmitter();
  /** The slash commands each agent's CLI offers (see `slashCommands`). */
  private readonly commands = new AgentCommands((agentId, commands) => this.events.emit('commands', { agentId, commands }));
  private readonly host: AgentWrites;
  private readonly catalog: AgentCatalog;
  private readonly terminals: TerminalHandoff;
  private readonly settings: AgentSettings;
  /** Agents other windows run (see `watch`). */
  private readonly elsewhere: AgentsElsewhere;
  readonly store: Store;
  readonly logger: Logger;
  /** Messages sent while the agent works, until they are written to its CLI (see `MessageQueue`). */
  readonly queue: MessageQueue;

  private readonly adoption: SessionAdoption;

  /** Files as file tools found and left them (see `snapshotsDir`). */
  readonly snapshots: FileSnapshots | undefined;

  /** The images the user sent and tools' results carried, one file each (see `imagesDir`). */
  readonly images: ImageFiles;

  constructor(private readonly options: AgentRuntimeOptions) {
    this.store = options.store;
    this.logger = options.logger;
    this.snapshots = options.snapshotsDir ? new FileSnapshots(options.snapshotsDir) : undefined;
    this.images = new ImageFiles(options.imagesDir ?? join(options.store.dir, IMAGES_FOLDER));
    this.events.setMaxListeners(0);
    this.limitsBook = new UsageLimitsBook(options.store);
    this.slots = new StartQueue(
      () => options.maxConcurrent?.() ?? 8,
      (queued, max) => {
        for (const [i, id] of queued.entries()) void this.host.setStatus(id, 'finished', `queued: ${i + 1} in line (at most ${max} agents run at once)`).catch(() => undefined);
      },
    );
    this.catalog = new AgentCatalog(options.store, this.snapshots, options.windowId, (id) => this.live.get(id) ?? this.elsewhere.pendingOf(id), (agent) => this.events.emit('agent', agent));
    const announce = (id: string) => void this.catalog.announce(id).catch((error: Error) => this.logger.debug(`Agent ${id}: ${error.message}`));
    this.elsewhere = new AgentsElsewhere({
      store: options.store, windowId: options.windowId, link: options.otherWindows, logger: options.logger, images: this.images, isLive: (id) => this.live.has(id),
      events: { message: (agentId, message) => this.events.emit('message', { agentId, message }), permission: (agentId, request) => this.events.emit('permission', { agentId, request }), changed: announce, queue: (agentId, messages) => this.queue.remoteChanged(agentId, messages) },
    });
    this.host = new AgentWrites(options.store, options.logger, this.snapshots, this.images, this.catalog, this.events, this.limitsBook, (id) => this.live.get(id), (live) => {
      if (this.live.get(live.agentId) !== live) return;
      this.live.delete(live.agentId);
      this.slots.release(live.agentId);
      if (live.process.pid !== undefined) this.options.watchdog?.remove(live.process.pid);
    }, () => this.contextWarningThreshold(), this.commands);
    this.terminals = new TerminalHandoff({
      options, store: options.store, logger: options.logger, host: this.host, live: this.live,
      requireStartable: (id) => this.requireStartable(id),
      cliArgs: (record) => this.cliArgs(record),
      stopStreamJson: async (id) => {
        await this.starting.get(id)?.catch(() => undefined);
        if (this.live.get(id)?.process.alive || this.slots.isQueued(id)) await this.stop(id);
      },
    });
    this.adoption = new SessionAdoption({ store: options.store, images: this.images, logger: options.logger, env: () => options.env(), announce: (id) => this.catalog.announce(id) });
    this.settings = new AgentSettings({ store: options.store, live: this.live, catalog: this.catalog, host: this.host });
    this.queue = new MessageQueue(options.store, options.logger, { live: (id) => this.live.get(id), starting: (id) => this.starting.get(id), start: (id) => this.starting.get(id) ?? this.beginStart(id), track: (id, write, what) => this.host.track(id, write, what), readImages: async (id, refs) => prepareImages((await this.images.readAll(id, refs)).map((data, i) => ({ data: data.toString('base64'), name: refs[i]!.name }))), dropImages: (id, refs) => this.images.remove(id, refs), elsewhere: (id) => this.elsewhere.owner(id), call: (owner, method, params) => this.elsewhere.call(owner, method, params) });
  }

  onDidChangeAgent(listener: (agent: Agent) => void): () => void {
    return this.listen('agent', listener);
  }

  onDidReceiveMessage(listener: (e: { agentId: string; message: StoredMessage }) => void): () => void {
    return this.listen('message', listener);
  }

  onDidRequestPermission(listener: (e: { agentId: string; request: PermissionRequest }) => void): () => void {
    return this.listen('permission', listener);
  }

  /** The slash commands an agent's CLI offers changed (learnt as it started, or from a turn's `system/init`). */
  onDidChangeCommands(listener: (e: { agentId: string; commands: SlashCommand[] }) => void): () => void {
    return this.listen('commands', listener);
  }

  /**
   * The slash commands the agent's CLI offers: as it said when it last started in this window
   * (its `initialize` answer, before any turn), else as stored with its latest session; none
   * before its first start.
   */
  async slashCommands(id: string): Promise<SlashCommand[]> {
    return this.commands.get(id) ?? commandsOfSession((await this.store.sessions.latest(id))?.data);
  }

  onDidChangeUsage(listener: (e: { agentId: string }) => void): () => void {
    return this.listen('usage', listener);
  }

  /** An agent's turn ended on the plan's usage limit, which resets at `until` (ISO; see `LimitResume`). */
  onDidHitLimit(listener: (e: { agentId: string; until: string }) => void): () => void {
    return this.listen('limited', listener);
  }

  /** Says in a limited agent's reason whether it resumes by itself (see `LimitResume`); nothing when it is no longer limited. */
  async noteLimit(id: string, reason: string): Promise<void> {
    if (isLimited(await this.get(id))) await this.host.setStatus(id, 'error', reason);
  }

  /** The agent with what only this window's process knows. */
  get(id: string): Promise<Agent> {
    return this.catalog.get(id);
  }

  list(filter: { worktreeId?: string; includeDeleted?: boolean } = {}): Promise<Agent[]> {
    return this.catalog.list(filter);
  }

  /** A new agent in a worktree: `finished`, "not started". */
  create(input: { worktreeId: string; name?: string; mode?: AgentMode; permissions?: PermissionKind[]; model?: string }): Promise<Agent> {
    return this.catalog.create(input);
  }

  /** A new agent (not started) that continues a copy of this one's conversation on its first start. */
  fork(id: string, options: { name?: string } = {}): Promise<Agent> {
    return this.catalog.fork(id, options);
  }

  /** The CLI's sessions of the worktree's folder that no agent holds (started in a terminal, by `claude --worktree`…), newest first. */
  adoptableSessions(worktreeId: string): Promise<CliSessionSummary[]> {
    return this.adoption.adoptable(worktreeId);
  }

  /** An agent bound to a session started outside, its history read from the transcript: its next message resumes the session. */
  async adoptSession(worktreeId: string, sessionId: string, options: { name?: string } = {}): Promise<Agent> {
    return this.get((await this.adoption.adopt(worktreeId, sessionId, options)).agentId);
  }

  restore(id: string): Promise<Agent> {
    return this.catalog.restore(id);
  }

  /** Arranges a worktree's agents (all of its unarchived ones, each once); each one moved is announced. */
  reorder(worktreeId: string, orderedIds: readonly string[]): Promise<Agent[]> {
    return this.catalog.reorder(worktreeId, orderedIds);
  }

  getMessages(id: string, options: { limit?: number; before?: string } = {}) {
    return this.store.messages.page(id, options);
  }

  /** The ids of an agent's messages holding `query` (case-insensitive), newest first, and how many there are. */
  searchMessages(id: string, query: string, options: { limit?: number } = {}): Promise<{ ids: string[]; total: number }> {
    return this.store.messages.search(id, query, options.limit);
  }

  /** The ids of an agent's tool messages whose file change was kept (see `getFileChange`). */
  fileChangeIds(id: string): Promise<Set<string>> {
    return this.catalog.fileChangeIds(id);
  }

  /** The file a file tool call changed, as the call found it and as it left it; NOT_FOUND when nothing was kept. */
  getFileChange(id: string, messageId: string): Promise<FileChange> {
    return this.catalog.getFileChange(id, messageId);
  }

  /** Whether the user confirmed bypassing permissions for the agent. */
  bypassing(id: string): Promise<boolean> {
    return this.catalog.bypassing(id);
  }

  /** Renames, or changes mode, permissions or model; a running agent's mode and model change live. */
  async update(id: string, patch: { name?: string; mode?: AgentMode; permissions?: PermissionKind[]; model?: string }): Promise<Agent> {
    await this.settings.update(id, patch);
    return this.get(id);
  }

  /** Bypasses permissions from the agent's next start, or ends that at once (see `AgentSettings.setBypassPermissions`). */
  async setBypassPermissions(id: string, on: boolean, confirmation?: { confirmed: true }): Promise<Agent> {
    await this.settings.setBypassPermissions(id, on, confirmation);
    return this.get(id);
  }

  /** Archives (default) or deletes an agent with its messages; a running one is stopped first. */
  async delete(id: string, options: { archive?: boolean } = {}): Promise<void> {
    if (this.isRunning(id)) await this.stop(id);
    if (options.archive === false) {
      await this.store.agents.delete(id);
      await Promise.all([this.snapshots?.deleteAgent(id), this.queue.forget(id)]);
      this.commands.forget(id);
    } else {
      await this.store.agents.archive(id);
      await this.host.agentChanged(id);
    }
  }

  isRunning(id: string): boolean {
    return this.live.get(id)?.process.alive ?? false;
  }

  /** Agents of a worktree whose processes this window runs. */
  async runningIn(worktreeId: string): Promise<{ id: string; name: string }[]> {
    const ids = [...this.live.values()].filter((l) => l.worktreeId === worktreeId && l.process.alive).map((l) => l.agentId);
    return Promise.all(ids.map(async (id) => ({ id, name: (await this.store.agents.get(id)).name })));
  }

  /** At start: agents left running by a window that is gone are finished, and their processes ended (see `orphans.ts`). */
  reconcileOrphans(options: { heartbeatStaleBefore: string }): Promise<{ ended: string[]; cleared: string[] }> {
    return reconcileOrphans(this.store, { windowId: this.options.windowId, heartbeatStaleBefore: options.heartbeatStaleBefore, isLive: (id) => this.live.has(id) });
  }

  /** Every 30 s, this window says it still runs its agents (another window treats a silent owner as gone). */
  startHeartbeat(intervalMs = 30_000): () => void {
    return startHeartbeat(this.store, () => this.live.keys(), intervalMs);
  }

  /**
   * Starts the agent's CLI process; resolves once it runs and its session is known (with a first
   * prompt: once the CLI's `system/init` arrived). Resumes the agent's session when it has one; a
   * fork's first start forks its parent's. A second call while a start is under way joins it, and
   * its prompt is delivered after those accepted before it.
   */
  async start(id: string, options: StartOptions = {}): Promise<Agent> {
    const prompt = options.initialPrompt?.trim() ? options.initialPrompt : undefined;
    if (!prompt) {
      await (this.starting.get(id) ?? this.beginStart(id));
      return this.get(id);
    }
    if (!this.starting.has(id) && this.isRunning(id)) this.refuseRunning(await this.store.agents.get(id));
    // Accepted now, in this order: a message sent after this call is delivered after the prompt.
    const { messageId } = await this.accept(id, prompt);
    options.onSent?.(messageId);
    await this.starting.get(id);
    const live = this.live.get(id);
    if (live) await live.waitForSession(this.options.startTimeoutMs ?? 30_000);
    return this.get(id);
  }

  /**
   * Sends a user message, with `images` before its text (checked first: see `prepareImages`); an
   * agent without a live process is started (resumed) first. Resolves once the CLI has it, or at
   * once with `queued: true` while a turn is under way (see `MessageQueue`).
   */
  async sendMessage(id: string, content: string, options: { images?: readonly ImageInput[]; keptImages?: readonly MessageImage[] } = {}): Promise<{ messageId: string; queued?: true }> {
    if (!content.trim()) throw new ClaudeManagerError('INVALID_INPUT', 'The message is empty.');
    // `keptImages`: those another window of this store kept for the message (read back, checked again).
    const kept = options.keptImages;
    const prepared = prepareImages(kept ? (await this.images.readAll(id, kept)).map((data, i) => ({ data: data.toString('base64'), name: kept[i]!.name })) : (options.images ?? []));
    if (!this.starting.has(id)) {
      const owner = await this.elsewhere.owner(id);
      if (owner) return this.elsewhere.sendThrough(owner, id, content, prepared);
    }
    return this.accept(id, content, prepared, kept);
  }

  /**
   * Shows an agent another window runs as if it ran here (its messages and permission requests
   * announced, its pending requests known) until the returned function is called. Nothing to do
   * for this window's own agents.
   */
  watch(id: string): Promise<() => void> {
    return this.elsewhere.watch(id);
  }

  /**
   * Takes over an agent whose window is gone or no longer answers: its process, if it still runs,
   * is ended (a turn under way stops; what was stored of it stays), and it resumes its session here.
   */
  async takeOver(id: string, options: StartOptions = {}): Promise<Agent> {
    await this.elsewhere.release(id);
    await this.host.agentChanged(id);
    return this.start(id, options);
  }

  /** The permission requests waiting for an answer: this window's, or asked of the window that runs the agent. */
  async pendingPermissions(id: string): Promise<PermissionRequest[]> {
    const forwarded = await this.elsewhere.forward(id, 'pendingPermissions', {});
    if (forwarded) return forwarded.result as PermissionRequest[];
    return [...(this.live.get(id)?.pending ?? [])];
  }

  /**
   * Accepts a message: delivered in order, or queued while the agent works (see `MessageQueue`).
   * Its images are kept as files meanwhile (the queue holds their references), and dropped if it is given back.
   */
  private accept(id: string, content: string, images: readonly PreparedImage[] = [], keptAlready?: readonly MessageImage[]): Promise<{ messageId: string; queued?: true }> {
    this.catalog.nameFromFirstMessage(id, content, this.options.logger);
    const kept = keptAlready ? Promise.resolve([...keptAlready]) : images.length ? this.images.save(id, images) : undefined;
    kept?.catch(() => undefined);
    const sent = this.queue.send(id, content, kept && { refs: kept, prepared: images });
    if (kept) sent.catch(() => kept.then((refs) => this.images.remove(id, refs)).catch(() => undefined));
    return sent;
  }

  private beginStart(id: string): Promise<void> {
    const run = this.startNow(id).finally(() => this.starting.delete(id));
    this.starting.set(id, run);
    return run;
  }

  /** The queued agents' ids, first in line first. */
  get queued(): string[] {
    return this.slots.queued;
  }

  /** ALREADY_RUNNING, saying where the agent runs. */
  private refuseRunning(record: AgentRecord): never {
    throw new ClaudeManagerError('ALREADY_RUNNING', this.inTerminal(record.id) ? `${record.name} is open in a terminal: use it there, or close the terminal first.` : `${record.name} is running already.`);
  }

  /** The agent's record, if a CLI may run for it here: a trusted workspace, not archived, not another window's. */
  private async requireStartable(id: string): Promise<AgentRecord> {
    if (this.options.trusted && !this.options.trusted()) throw untrustedWorkspaceError();
    const record = await this.store.agents.get(id);
    if (record.deletedAt) throw new ClaudeManagerError('INVALID_INPUT', `${record.name} is archived. Restore it first.`);
    if (otherOwner(record, this.options.windowId)) {
      throw new ClaudeManagerError('OWNED_BY_OTHER_WINDOW', `${record.name} is running in another window. Use it there, or stop it there first.`);
    }
    return record;
  }

  private async startNow(id: string): Promise<void> {
    await this.ending.get(id)?.catch(() => undefined);
    const record = await this.requireStartable(id);
    if (this.isRunning(id)) this.refuseRunning(record);
    await this.slots.take(id);
    let started = false;
    try {
      await this.launch(id);
      started = true;
      if (isAsleep(record)) this.live.get(id)?.noticeSoon(wokeNotice(record));
    } finally {
      // A start that failed gives its slot back; a started agent gives it back when its process ends.
      if (!started && !this.live.has(id)) this.slots.release(id);
    }
  }

  /** Starts the process and answers nothing before `initialize` is answered. */
  private async launch(id: string): Promise<void> {
    await this.queue.loadForStart(id);
    const register = (live: LiveAgent) => void this.live.set(id, Object.assign(live, { onTurnEnd: () => this.queue.turnEnded(id) }));
    return launchAgent(this.launcher, id, register, () => this.queue.started(id));
  }

  /** The agent's CLI flags; a new session's id is recorded at once, so the agent has its session the moment it starts. */
  private cliArgs(record: AgentRecord): Promise<{ args: string[]; sessionId: string; resumed: boolean }> {
    return agentCliArgs(this.launcher, record);
  }

  /** What starting an agent's CLI needs of this runtime. */
  private get launcher(): Launcher {
    return { options: this.options, host: this.host, snapshots: this.snapshots, commands: this.commands, bypassing: (id) => this.bypassing(id) };
  }

  /** The subscription's usage limits as the CLI last reported them. */
  limits(): Promise<UsageLimits> {
    return this.limitsBook.limits();
  }

  /**
   * Hands the agent's session to a terminal (see `TerminalHandoff`): the CLI's own interactive UI,
   * run by the caller in an integrated terminal in the worktree. Report the terminal's process
   * with `terminalStarted` and its end with `terminalClosed`.
   */
  openInTerminal(id: string): Promise<TerminalLaunch> {
    return this.terminals.open(id);
  }

  terminalStarted(id: string, pid: number): Promise<void> {
    return this.terminals.started(id, pid);
  }

  terminalClosed(id: string, code?: number): Promise<void> {
    return this.terminals.closed(id, code);
  }

  /** Whether the agent's session is held by a terminal of this window. */
  inTerminal(id: string): boolean {
    return this.terminals.holds(id);
  }

  async interrupt(id: string): Promise<void> {
    if (await this.elsewhere.forward(id, 'interrupt', {})) return;
    const live = this.requireLive(id);
    live.markInterrupted();
    await live.process.request({ subtype: 'interrupt' });
  }

  /**
   * Answers a permission request: allow once, allow with one of the CLI's own "don't ask again"
   * rules (`suggestion`, an index into the request's `suggestions`), allow the whole tool for the
   * session (`always`), or deny with a reason the agent reads.
   */
  async respondToPermission(id: string, requestId: string, answer: PermissionAnswer): Promise<void> {
    if (await this.elsewhere.forward(id, 'respondToPermission', { requestId, answer })) return;
    const live = this.requireLive(id);
    if (live.terminal) throw new ClaudeManagerError('NOT_RUNNING', 'This agent is open in a terminal: answer there.');
    await live.answer(requestId, answer);
  }

  contextWarningThreshold(): number {
    return this.options.contextWarningThreshold?.() ?? 80;
  }

  async setMode(id: string, mode: AgentMode): Promise<Agent> {
    if (await this.elsewhere.forward(id, 'setMode', { mode })) return this.get(id);
    await this.settings.update(id, { mode });
    return this.get(id);
  }

  /** Stops the process: stdin closed, SIGTERM to its group, SIGKILL after 5 s; `force` kills at once. */
  async stop(id: string, options: { force?: boolean } = {}): Promise<Agent> {
    const live = this.live.get(id);
    if (!live && this.slots.cancel(id, new ClaudeManagerError('NOT_RUNNING', 'The start was cancelled while the agent waited in the queue.'))) {
      await this.host.setStatus(id, 'finished', 'stopped');
      return this.get(id);
    }
    if (!live) {
      const record = await this.store.agents.get(id);
      const owner = otherOwner(record, this.options.windowId);
      if (owner && this.options.otherWindows) {
        await this.elsewhere.call(owner, 'stop', { agentId: id, ...(options.force ? { force: true } : {}) }, 15_000);
        return this.get(id);
      }
      if (owner) throw new ClaudeManagerError('OWNED_BY_OTHER_WINDOW', `${record.name} runs in another window; stop it there.`);
      throw new ClaudeManagerError('NOT_RUNNING', `${record.name} is not running.`);
    }
    await this.endProcess(id, live, undefined, options);
    return this.get(id);
  }

  /**
   * Puts an agent that waits for a message to sleep (see `AgentSleep`): its process ends, its
   * session stays, and the next message, answer or start wakes it there.
   */
  async sleep(id: string): Promise<Agent> {
    const live = this.live.get(id);
    const agent = await this.get(id);
    // Checked again with the stop, in one go: a message on its way or a turn begun since keeps it awake.
    if (!live?.process.alive || live.terminal || live.isStopping || live.inTurn || !this.queue.idle(id) || !maySleep(agent)) {
      throw new ClaudeManagerError('INVALID_INPUT', `${agent.name} is not waiting for a message in this window: it is not put to sleep.`);
    }
    await this.endProcess(id, live, ASLEEP);
    return this.get(id);
  }

  /** Ends a live agent's process on purpose; a start meanwhile waits for the end (a message sent then starts it again). */
  private endProcess(id: string, live: LiveAgent, reason?: string, options: { force?: boolean } = {}): Promise<void> {
    live.markStopping(reason);
    const ending = live.process
      .stop(options)
      .then(() => live.settled())
      .finally(() => {
        if (this.ending.get(id) === ending) this.ending.delete(id);
      });
    this.ending.set(id, ending);
    return ending;
  }

  /** Stops every agent of this window: all signalled at once, what remains killed after `graceMs`. */
  async stopAll(graceMs = 2000): Promise<void> {
    this.slots.cancelAll(new ClaudeManagerError('NOT_RUNNING', 'The window is closing.'));
    const all = [...this.live.values()];
    await Promise.all(
      all.map((l) => {
        l.markStopping();
        return l.process.stop({ graceMs });
      }),
    );
    await Promise.all(all.map((l) => l.settled()));
    this.terminals.dispose();
    this.elsewhere.dispose();
  }

  private listen<T>(event: string, listener: (e: T) => void): () => void {
    this.events.on(event, listener);
    return () => this.events.off(event, listener);
  }

  private requireLive(id: string): LiveAgent {
    const live = this.live.get(id);
    if (!live || !live.process.alive) throw new ClaudeManagerError('NOT_RUNNING', `Agent ${id} is not running in this window. Start it first.`);
    return live;
  }

  /** Resolves once everything the agent's CLI said so far is stored, timers included (tests, shutdown). */
  async settled(id: string): Promise<void> {
    await this.live.get(id)?.settled();
    await this.host.writesSettled();
  }
}
