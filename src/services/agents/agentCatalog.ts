import * as z from 'zod';
import { ClaudeManagerError } from '../errors';
import type { AgentMode, AgentRecord, PermissionKind } from '../storage/records';
import type { Store } from '../storage/store';
import { NO_USAGE, type UsageCounters } from '../storage/usageRepository';
import { nameFromFirstMessage } from './agentName';
import type { FileChange, FileSnapshots } from './fileSnapshots';
import type { PermissionRequest } from './permissions';

/** An agent's usage, all time (the API and the chat show its tokens and cost: `tokensAndCost`). */
export type AgentUsage = UsageCounters;

/** An agent as the API shows it: the stored record and what only the live process knows. */
export interface Agent extends AgentRecord {
  ownedByThisWindow: boolean;
  pendingPermissions: PermissionRequest[];
  usage: AgentUsage;
}

const BYPASS_KEY = 'agents.bypassPermissions';

/**
 * The agents as records: read with what only this window's processes know (their pending
 * permission requests), created, forked, restored, reordered, each change announced. What needs a
 * running process (start, stop, a live mode change) is the runtime's.
 */
export class AgentCatalog {
  constructor(
    private readonly store: Store,
    private readonly snapshots: FileSnapshots | undefined,
    private readonly windowId: string,
    private readonly live: (id: string) => { readonly pending: readonly PermissionRequest[] } | undefined,
    private readonly emit: (agent: Agent) => void,
  ) {}

  /** Agents whose first message was seen here: named from it at most once. */
  private readonly named = new Set<string>();

  /**
   * An agent created without a name takes one from its first message, once, announced (see
   * `nameFromFirstMessage`). Called before the message is delivered; never fails the message.
   */
  nameFromFirstMessage(id: string, content: string, logger: { warn(message: string): void }): void {
    if (this.named.has(id)) return;
    this.named.add(id);
    void nameFromFirstMessage(this.store, id, content)
      .then((named) => (named ? this.announce(id) : undefined))
      .catch((error: unknown) => logger.warn(`Agent ${id}: naming it from its first message failed: ${(error as Error).message}`));
  }

  async get(id: string): Promise<Agent> {
    // Both asked at once: this is on the path of every status change.
    const [record, totals] = await Promise.all([this.store.agents.get(id), this.store.usage.totals({ agentId: id })]);
    return this.view(record, totals);
  }

  async list(filter: { worktreeId?: string; includeDeleted?: boolean } = {}): Promise<Agent[]> {
    const records = await this.store.agents.list(filter);
    // One query for every agent's usage: a tree of a thousand agents is one round trip, not a thousand.
    const totals = await this.store.usage.totalsByAgent(records.map((r) => r.id));
    return records.map((r) => this.view(r, totals[r.id] ?? NO_USAGE));
  }

  private view(record: AgentRecord, t: UsageCounters): Agent {
    const live = this.live(record.id);
    return {
      ...record,
      ownedByThisWindow: record.ownerWindow === undefined || record.ownerWindow === this.windowId,
      pendingPermissions: live ? [...live.pending] : [],
      usage: { ...t },
    };
  }

  /** Announces the agent as it is now. */
  async announce(id: string): Promise<void> {
    this.emit(await this.get(id));
  }

  /** A new agent in a worktree: `finished`, "not started". */
  async create(input: { worktreeId: string; name?: string; mode?: AgentMode; permissions?: PermissionKind[]; model?: string }): Promise<Agent> {
    await this.store.worktrees.get(input.worktreeId);
    const record = await this.store.agents.create(input);
    await this.announce(record.id);
    return this.get(record.id);
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
    await this.announce(child.id);
    return this.get(child.id);
  }

  async restore(id: string): Promise<Agent> {
    await this.store.agents.restore(id);
    await this.announce(id);
    return this.get(id);
  }

  /** Arranges a worktree's agents (all of its unarchived ones, each once); each one moved is announced. */
  async reorder(worktreeId: string, orderedIds: readonly string[]): Promise<Agent[]> {
    const before = new Map((await this.store.agents.list({ worktreeId })).map((a) => [a.id, a.displayOrder]));
    await this.store.agents.reorder(worktreeId, orderedIds);
    for (const [i, id] of orderedIds.entries()) if (before.get(id) !== i) await this.announce(id);
    return this.list({ worktreeId });
  }

  /** The ids of an agent's tool messages whose file change was kept. */
  async fileChangeIds(id: string): Promise<Set<string>> {
    return (await this.snapshots?.messageIds(id)) ?? new Set();
  }

  /** The file a file tool call changed, as the call found it and as it left it; NOT_FOUND, saying why, when nothing was kept. */
  async getFileChange(id: string, messageId: string): Promise<FileChange> {
    const change = await this.snapshots?.get(id, messageId);
    if (!change) throw new ClaudeManagerError('NOT_FOUND', `No copy of the file was kept for message ${messageId}: only the file tools (Edit, MultiEdit, Write, NotebookEdit) of agents run in a chat since this version keep one.`);
    return change;
  }

  /** Whether the user confirmed bypassing permissions for the agent (kept in the store, setting `agents.bypassPermissions`). */
  async bypassing(id: string): Promise<boolean> {
    return ((await this.store.getSetting(BYPASS_KEY, z.array(z.string()))) ?? []).includes(id);
  }

  /** Records the agent as bypassing permissions or not; false when it already was as asked. */
  async setBypassing(id: string, on: boolean): Promise<boolean> {
    const ids = new Set((await this.store.getSetting(BYPASS_KEY, z.array(z.string()))) ?? []);
    if (on === ids.has(id)) return false;
    if (on) ids.add(id);
    else ids.delete(id);
    await this.store.settings.set(BYPASS_KEY, [...ids]);
    return true;
  }
}
