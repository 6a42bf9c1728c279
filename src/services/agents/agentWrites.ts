import type { EventEmitter } from 'node:events';
import type { Logger } from '../logger';
import type { ImageFiles } from '../storage/imageFiles';
import type { AgentStatus, TaskItem } from '../storage/records';
import type { Store } from '../storage/store';
import type { AgentCatalog } from './agentCatalog';
import type { FileSnapshots } from './fileSnapshots';
import type { AgentCommands } from './slashCommands';
import type { AgentHost, LiveAgent } from './liveAgent';
import type { UsageLimitsBook } from './usageLimits';

/**
 * What the runtime's live agents write and announce: statuses (this window is the only writer of
 * a running agent's status), messages, sessions, context levels and usage. Writes are sent without
 * waiting for durability (the store applies them in the order sent and batches its fsyncs), kept
 * until they are durable, and their failures logged; `settled` waits for all of them.
 */
export class AgentWrites implements AgentHost {
  private readonly writes = new Set<Promise<unknown>>();

  constructor(
    private readonly store: Store,
    readonly logger: Logger,
    readonly snapshots: FileSnapshots | undefined,
    readonly images: ImageFiles,
    private readonly catalog: AgentCatalog,
    private readonly events: EventEmitter,
    private readonly limitsBook: UsageLimitsBook,
    private readonly live: (id: string) => LiveAgent | undefined,
    /** The agent's process ended: the runtime lets go of it (before its end is recorded). */
    private readonly released: (agent: LiveAgent) => void,
    readonly contextWarningThreshold: () => number,
    /** The agents' slash commands: kept with the session they were learnt in. */
    private readonly commands?: AgentCommands,
  ) {}

  async setStatus(id: string, status: AgentStatus, statusReason: string): Promise<void> {
    // While this window runs the agent it is the only writer of its status: what it last wrote
    // is the status, without asking the store.
    const live = this.live(id);
    const current = live?.lastStatus ?? (await this.store.agents.get(id));
    if (current.status === status && current.statusReason === statusReason) return;
    if (live) live.lastStatus = { status, statusReason };
    this.updateAgent(id, { status, statusReason }, 'recording its status');
    // Announced once the store has answered, without holding up the agent's lines meanwhile;
    // answers come back in the order asked, so the announcements keep the statuses' order.
    this.track(id, this.agentChanged(id), 'announcing its status');
  }

  agentChanged(id: string): Promise<void> {
    return this.catalog.announce(id);
  }

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

  /** Updates an agent's record without waiting for durability. */
  updateAgent(id: string, patch: Parameters<Store['agents']['update']>[1], what: string): void {
    this.track(id, this.store.agents.update(id, patch), what);
  }

  saveMessage(message: Parameters<AgentHost['saveMessage']>[0]): void {
    this.track(message.agentId, this.store.messages.put(message), 'storing a message');
  }

  emitMessage(message: Parameters<AgentHost['emitMessage']>[0]): void {
    this.events.emit('message', { agentId: message.agentId, message: { ...message } });
  }

  emitPermission(agentId: string, request: Parameters<AgentHost['emitPermission']>[1]): void {
    this.events.emit('permission', { agentId, request });
  }

  recordSession(agentId: string, init: Parameters<AgentHost['recordSession']>[1]): void {
    // Sent before the start resolves: any read after it sees them.
    this.updateAgent(agentId, { sessionId: init.sessionId, ...(init.model ? { model: init.model } : {}) }, 'recording its session');
    const data = this.commands ? this.commands.sessionData(agentId, init.data) : init.data;
    this.track(agentId, this.store.sessions.save({ id: init.sessionId, agentId, data }), 'recording its session');
  }

  recordContext(agentId: string, level: number): void {
    this.updateAgent(agentId, { contextLevel: level }, 'recording its context level');
  }

  recordTasks(agentId: string, tasks: readonly TaskItem[]): void {
    this.track(agentId, this.store.agents.setTasks(agentId, tasks), 'recording its task list');
    // Announced once the store has answered (the write is applied before it answers a read).
    this.track(agentId, this.agentChanged(agentId), 'announcing its task list');
  }

  recordUsage(live: LiveAgent, usage: Parameters<AgentHost['recordUsage']>[1]): void {
    this.track(live.agentId, this.store.usage.record({ ...usage, agentId: live.agentId, worktreeId: live.worktreeId, workspaceId: live.workspaceId }), 'recording usage');
    this.events.emit('usage', { agentId: live.agentId });
  }

  limitReported(agentId: string, info: Parameters<AgentHost['limitReported']>[1]): void {
    this.track(agentId, this.limitsBook.reported(info), 'recording the usage limits');
    this.events.emit('usage', { agentId });
  }

  limited(agentId: string, until: string): void {
    this.events.emit('limited', { agentId, until });
  }

  async processEnded(live: LiveAgent, status: AgentStatus, reason: string): Promise<void> {
    this.released(live);
    await this.store.agents.update(live.agentId, { pid: undefined, ownerWindow: undefined, ownerHeartbeatAt: undefined, status, statusReason: reason, stoppedAt: new Date().toISOString() });
    await this.agentChanged(live.agentId);
  }
}
