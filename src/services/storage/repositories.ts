import { basename } from 'node:path';
import type { SqlValue } from 'sql.js';
import { ClaudeManagerError } from '../errors';
import { newId } from '../ids';
import { processIsAlive } from '../processRunner';
import { type Check, decode } from './decode';
import type { MessageStore } from './messageStore';
import type { MetaStore, Row } from './metaStore';
import {
  type AgentMode,
  type AgentRecord,
  agentRow,
  type AgentStatus,
  agentToRow,
  defaultAgentName,
  type PermissionKind,
  type SortMode,
  type TaskItem,
  type WorkspaceRecord,
  workspaceRow,
  type WorktreeRecord,
  worktreeRow,
  worktreeToRow,
} from './records';

export type Clock = () => string;


function parseRows<T>(check: Check<T>, rows: Row[], what: string): T[] {
  return rows.map((row) => {
    const parsed = decode(check, row);
    if (!parsed.ok) throw new ClaudeManagerError('STORAGE_FAILED', `A stored ${what} does not fit its schema: ${parsed.issues.join('; ')}`);
    return parsed.value;
  });
}

function notFound(what: string, id: string): ClaudeManagerError {
  return new ClaudeManagerError('NOT_FOUND', `No ${what} with id ${id}: it may have been deleted in another window. Refresh and try again.`);
}

/** Checks that `orderedIds` is exactly the set `current`, in some order. */
function checkOrder(orderedIds: readonly string[], current: readonly string[], what: string): void {
  const a = [...orderedIds].sort();
  const b = [...current].sort();
  if (a.length !== b.length || a.some((id, i) => id !== b[i])) {
    throw new ClaudeManagerError('INVALID_INPUT', `The new order must list each of the ${current.length} ${what} exactly once.`);
  }
}

const WORKSPACE_SELECT = `
  SELECT w.*,
    (SELECT count(*) FROM worktrees t WHERE t.workspace_id = w.id) AS worktree_count,
    (SELECT count(*) FROM agents a JOIN worktrees t ON a.worktree_id = t.id WHERE t.workspace_id = w.id AND a.deleted_at IS NULL) AS agent_count
  FROM workspaces w`;

export class WorkspacesRepository {
  constructor(
    private readonly meta: MetaStore,
    private readonly messages: MessageStore,
    private readonly now: Clock,
  ) {}

  private select(where = '', params: SqlValue[] = []): WorkspaceRecord[] {
    return parseRows(workspaceRow, this.meta.query(`${WORKSPACE_SELECT} ${where}`, params), 'workspace');
  }

  list(): WorkspaceRecord[] {
    return this.select('ORDER BY w.name COLLATE NOCASE, w.path');
  }

  get(id: string): WorkspaceRecord {
    const found = this.select('WHERE w.id = ?', [id])[0];
    if (!found) throw notFound('workspace', id);
    return found;
  }

  findByPath(path: string): WorkspaceRecord | undefined {
    return this.select('WHERE w.path = ?', [path])[0];
  }

  /** Adds a repository; a path that is already known returns the existing workspace. */
  async create(input: { path: string; name?: string }): Promise<WorkspaceRecord> {
    const existing = this.findByPath(input.path);
    if (existing) return existing;
    const t = this.now();
    const id = newId('ws');
    await this.meta.put('workspaces', { id, name: input.name?.trim() || basename(input.path), path: input.path, created_at: t, updated_at: t });
    return this.get(id);
  }

  async rename(id: string, name: string): Promise<WorkspaceRecord> {
    const current = this.get(id);
    await this.meta.put('workspaces', { id, name, path: current.path, created_at: current.createdAt, updated_at: this.now() });
    return this.get(id);
  }

  /** Forgets a workspace with its worktrees, agents and their messages; touches no files of the repository. */
  /** Deletes a workspace with its worktrees and agents (archived ones too); resolves to the agents' ids. */
  async delete(id: string): Promise<string[]> {
    this.get(id);
    const agentIds = this.meta
      .query('SELECT a.id FROM agents a JOIN worktrees t ON a.worktree_id = t.id WHERE t.workspace_id = ?', [id])
      .map((r) => String(r.id));
    await this.meta.delete('workspaces', id);
    for (const agentId of agentIds) await this.messages.deleteAgent(agentId);
    return agentIds;
  }
}

export class WorktreesRepository {
  constructor(
    private readonly meta: MetaStore,
    private readonly now: Clock,
  ) {}

  private select(where: string, params: SqlValue[]): WorktreeRecord[] {
    return parseRows(worktreeRow, this.meta.query(`SELECT * FROM worktrees ${where}`, params), 'worktree');
  }

  /** A workspace's worktrees: the main one first, then in their display order. */
  list(workspaceId: string): WorktreeRecord[] {
    return this.select('WHERE workspace_id = ? ORDER BY is_main DESC, display_order, name COLLATE NOCASE', [workspaceId]);
  }

  get(id: string): WorktreeRecord {
    const found = this.select('WHERE id = ?', [id])[0];
    if (!found) throw notFound('worktree', id);
    return found;
  }

  findByPath(path: string): WorktreeRecord | undefined {
    return this.select('WHERE path = ?', [path])[0];
  }

  async create(input: { workspaceId: string; name: string; branch: string | null; path: string; isMain?: boolean; baseBranch?: string }): Promise<WorktreeRecord> {
    const existing = this.findByPath(input.path);
    if (existing) return existing;
    const last = this.meta.query('SELECT coalesce(max(display_order), -1) AS n FROM worktrees WHERE workspace_id = ?', [input.workspaceId])[0];
    const t = this.now();
    const record: WorktreeRecord = {
      id: newId('wt'),
      workspaceId: input.workspaceId,
      name: input.name,
      branch: input.branch,
      path: input.path,
      isMain: input.isMain ?? false,
      sortMode: 'free',
      displayOrder: Number(last?.n ?? -1) + 1,
      ...(input.baseBranch ? { baseBranch: input.baseBranch } : {}),
      createdAt: t,
      updatedAt: t,
    };
    await this.meta.put('worktrees', worktreeToRow(record));
    return this.get(record.id);
  }

  /** `baseBranch` / `pullRequestUrl` / `ports` null: forgotten. */
  async update(id: string, patch: { name?: string; branch?: string | null; sortMode?: SortMode; baseBranch?: string | null; pullRequestUrl?: string | null; ports?: { base: number; count: number } | null }): Promise<WorktreeRecord> {
    const current = this.get(id);
    const { baseBranch, pullRequestUrl, ports, ...rest } = patch;
    const next: WorktreeRecord = { ...current, ...rest, updatedAt: this.now() };
    if (baseBranch !== undefined) next.baseBranch = baseBranch ?? undefined;
    if (pullRequestUrl !== undefined) next.pullRequestUrl = pullRequestUrl ?? undefined;
    if (ports !== undefined) next.ports = ports ?? undefined;
    await this.meta.put('worktrees', worktreeToRow(next));
    return this.get(id);
  }

  async reorder(workspaceId: string, orderedIds: readonly string[]): Promise<WorktreeRecord[]> {
    const current = this.list(workspaceId);
    checkOrder(orderedIds, current.map((w) => w.id), 'worktrees of this workspace');
    const t = this.now();
    const byId = new Map(current.map((w) => [w.id, w]));
    await this.meta.write(orderedIds.map((id, i) => ({ op: 'put' as const, table: 'worktrees', row: worktreeToRow({ ...byId.get(id)!, displayOrder: i, updatedAt: t }) })));
    return this.list(workspaceId);
  }

  async delete(id: string): Promise<void> {
    this.get(id);
    await this.meta.delete('worktrees', id);
  }
}

export interface AgentPatch {
  name?: string;
  mode?: AgentMode;
  permissions?: PermissionKind[];
  model?: string | undefined;
  status?: AgentStatus;
  statusReason?: string;
  contextLevel?: number;
  pid?: number | undefined;
  sessionId?: string | undefined;
  ownerWindow?: string | undefined;
  ownerHeartbeatAt?: string | undefined;
  startedAt?: string | undefined;
  stoppedAt?: string | undefined;
}

export class AgentsRepository {
  constructor(
    private readonly meta: MetaStore,
    private readonly messages: MessageStore,
    private readonly now: Clock,
  ) {}

  private select(where: string, params: SqlValue[]): AgentRecord[] {
    // With its task list, from a table of its own (a subquery: the clauses name the agents' columns unqualified).
    return parseRows(agentRow, this.meta.query(`SELECT *, (SELECT t.tasks FROM agent_tasks t WHERE t.agent_id = agents.id) AS tasks FROM agents ${where}`, params), 'agent');
  }

  /** `withProcess`: only those recorded with a process (a pid), which are few however many agents there are. */
  list(filter: { worktreeId?: string; includeDeleted?: boolean; withProcess?: boolean } = {}): AgentRecord[] {
    const clauses: string[] = [];
    const params: SqlValue[] = [];
    if (filter.withProcess) clauses.push('pid IS NOT NULL');
    if (filter.worktreeId) {
      clauses.push('worktree_id = ?');
      params.push(filter.worktreeId);
    }
    if (!filter.includeDeleted) clauses.push('deleted_at IS NULL');
    const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
    return this.select(`${where} ORDER BY worktree_id, display_order, created_at`, params);
  }

  get(id: string): AgentRecord {
    const found = this.select('WHERE id = ?', [id])[0];
    if (!found) throw notFound('agent', id);
    return found;
  }

  /** A new agent, `finished` and not started. */
  async create(input: {
    worktreeId: string;
    name?: string;
    mode?: AgentMode;
    permissions?: PermissionKind[];
    model?: string;
    parentAgentId?: string;
  }): Promise<AgentRecord> {
    const siblings = this.list({ worktreeId: input.worktreeId, includeDeleted: true });
    const t = this.now();
    const record: AgentRecord = {
      id: newId('ag'),
      worktreeId: input.worktreeId,
      name: input.name?.trim() || defaultAgentName(siblings.length + 1),
      status: 'finished',
      statusReason: 'not started',
      contextLevel: 0,
      mode: input.mode ?? 'regular',
      permissions: input.permissions ?? ['read'],
      model: input.model,
      displayOrder: siblings.reduce((max, a) => Math.max(max, a.displayOrder + 1), 0),
      pid: undefined,
      sessionId: undefined,
      ownerWindow: undefined,
      ownerHeartbeatAt: undefined,
      parentAgentId: input.parentAgentId,
      createdAt: t,
      updatedAt: t,
      startedAt: undefined,
      stoppedAt: undefined,
      deletedAt: undefined,
    };
    await this.meta.put('agents', agentToRow(record));
    return this.get(record.id);
  }

  async update(id: string, patch: AgentPatch): Promise<AgentRecord> {
    const current = this.get(id);
    await this.meta.put('agents', agentToRow({ ...current, ...patch, updatedAt: this.now() }));
    return this.get(id);
  }

  /** Records the agent's task list as its last task tool call left it; an empty list removes it. */
  async setTasks(id: string, tasks: readonly TaskItem[]): Promise<void> {
    if (tasks.length === 0) {
      await this.meta.delete('agent_tasks', id);
      return;
    }
    await this.meta.put('agent_tasks', { agent_id: id, tasks: JSON.stringify(tasks), updated_at: this.now() });
  }

  /** Soft delete: the agent moves to the archive, with its messages. */
  async archive(id: string): Promise<AgentRecord> {
    const current = this.get(id);
    await this.meta.put('agents', agentToRow({ ...current, deletedAt: this.now(), updatedAt: this.now() }));
    return this.get(id);
  }

  async restore(id: string): Promise<AgentRecord> {
    const current = this.get(id);
    await this.meta.put('agents', agentToRow({ ...current, deletedAt: undefined, updatedAt: this.now() }));
    return this.get(id);
  }

  /** Deletes an agent for good, with its messages; its forks keep living without a parent. */
  async delete(id: string): Promise<void> {
    this.get(id);
    await this.meta.delete('agents', id);
    await this.messages.deleteAgent(id);
  }

  /** Deletes for good the agents archived before `cutoff` (ISO time), with their messages. */
  async pruneArchived(cutoff: string): Promise<AgentRecord[]> {
    const old = parseRows(agentRow, this.meta.query('SELECT * FROM agents WHERE deleted_at IS NOT NULL AND deleted_at < ?', [cutoff]), 'agent');
    await this.meta.write(old.map((a) => ({ op: 'del' as const, table: 'agents', key: a.id })));
    for (const a of old) await this.messages.deleteAgent(a.id);
    return old;
  }

  async reorder(worktreeId: string, orderedIds: readonly string[]): Promise<AgentRecord[]> {
    const current = this.list({ worktreeId });
    checkOrder(orderedIds, current.map((a) => a.id), 'agents of this worktree');
    const byId = new Map(current.map((a) => [a.id, a]));
    const t = this.now();
    await this.meta.write(orderedIds.map((id, i) => ({ op: 'put' as const, table: 'agents', row: agentToRow({ ...byId.get(id)!, displayOrder: i, updatedAt: t }) })));
    return this.list({ worktreeId });
  }

  /**
   * At start: agents recorded with a process that no longer lives (the editor closed or crashed)
   * are finished, "ended with the editor". Agents owned by another window whose heartbeat is
   * recent are left alone: that window still runs them.
   */
  async clearStalePids(options: { window: string; heartbeatStaleBefore: string }, isAlive: (pid: number) => boolean = processIsAlive): Promise<AgentRecord[]> {
    const stale = this.list({ includeDeleted: true }).filter((a) => {
      if (a.pid === undefined) return false;
      const otherLiveWindow = a.ownerWindow !== undefined && a.ownerWindow !== options.window && (a.ownerHeartbeatAt ?? '') >= options.heartbeatStaleBefore;
      return !otherLiveWindow && !isAlive(a.pid);
    });
    const t = this.now();
    await this.meta.write(
      stale.map((a) => ({
        op: 'put' as const,
        table: 'agents',
        row: agentToRow({ ...a, pid: undefined, ownerWindow: undefined, ownerHeartbeatAt: undefined, status: 'finished', statusReason: 'ended with the editor', stoppedAt: a.stoppedAt ?? t, updatedAt: t }),
      })),
    );
    return stale.map((a) => this.get(a.id));
  }
}

/** The extension's own state, as JSON values under string keys. */
export class SettingsRepository {
  constructor(
    private readonly meta: MetaStore,
    private readonly now: Clock,
  ) {}

  /** The stored JSON value, unchecked (callers check its shape: see `Store.getSetting`); `undefined` when unset. */
  get(key: string): unknown {
    const row = this.meta.query('SELECT value FROM settings WHERE key = ?', [key])[0];
    return row ? (JSON.parse(String(row.value)) as unknown) : undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.meta.put('settings', { key, value: JSON.stringify(value), updated_at: this.now() });
  }

  async delete(key: string): Promise<void> {
    await this.meta.delete('settings', key);
  }

  /** Every value stored under a key starting with `prefix`, by the rest of its key. */
  under(prefix: string): Record<string, unknown> {
    const rows = this.meta.query("SELECT key, value FROM settings WHERE substr(key, 1, ?) = ?", [prefix.length, prefix]);
    return Object.fromEntries(rows.map((r) => [String(r.key).slice(prefix.length), JSON.parse(String(r.value)) as unknown]));
  }
}

/** A CLI session an agent ran: its id (for --resume) and what the extension keeps about it. */
export interface AgentSessionRecord {
  /** The CLI's session id. */
  id: string;
  agentId: string;
  data: Record<string, unknown>;
  contextSnapshot?: string;
  createdAt: string;
  updatedAt: string;
}

/** The sessions each agent ran, newest first: what resuming and forking start from. */
export class AgentSessionsRepository {
  constructor(
    private readonly meta: MetaStore,
    private readonly now: Clock,
  ) {}

  private parse(row: Row): AgentSessionRecord {
    let data: unknown;
    try {
      data = JSON.parse(String(row.session_data));
    } catch {
      data = undefined;
    }
    if (!data || typeof data !== 'object' || Array.isArray(data)) {
      throw new ClaudeManagerError('STORAGE_FAILED', `The stored session ${String(row.id)} is not a JSON object.`);
    }
    return {
      id: String(row.id),
      agentId: String(row.agent_id),
      data: data as Record<string, unknown>,
      ...(row.context_snapshot === null ? {} : { contextSnapshot: String(row.context_snapshot) }),
      createdAt: String(row.created_at),
      updatedAt: String(row.updated_at),
    };
  }

  list(agentId: string): AgentSessionRecord[] {
    return this.meta.query('SELECT * FROM agent_sessions WHERE agent_id = ? ORDER BY created_at DESC, rowid DESC', [agentId]).map((r) => this.parse(r));
  }

  latest(agentId: string): AgentSessionRecord | undefined {
    return this.list(agentId)[0];
  }

  /** Which of these session ids an agent (archived ones too) holds: as its session now, or recorded as one it had. */
  held(ids: readonly string[]): string[] {
    const found: string[] = [];
    // In slices: SQLite takes a bounded number of parameters.
    for (let i = 0; i < ids.length; i += 400) {
      const slice = ids.slice(i, i + 400);
      const marks = slice.map(() => '?').join(', ');
      const rows = this.meta.query(
        `SELECT s.id AS id FROM agent_sessions s JOIN agents a ON a.id = s.agent_id WHERE s.id IN (${marks}) UNION SELECT session_id AS id FROM agents WHERE session_id IN (${marks})`,
        [...slice, ...slice],
      );
      for (const row of rows) found.push(String(row.id));
    }
    return found;
  }

  /** Records a session, or updates what is kept about it. */
  async save(input: { id: string; agentId: string; data?: Record<string, unknown>; contextSnapshot?: string }): Promise<AgentSessionRecord> {
    if (!input.id.trim()) throw new ClaudeManagerError('INVALID_INPUT', 'A session needs the id the CLI gave it.');
    const existing = this.meta.query('SELECT * FROM agent_sessions WHERE id = ?', [input.id])[0];
    const t = this.now();
    await this.meta.put('agent_sessions', {
      id: input.id,
      agent_id: input.agentId,
      session_data: JSON.stringify(input.data ?? (existing ? JSON.parse(String(existing.session_data)) : {})),
      context_snapshot: input.contextSnapshot ?? (existing?.context_snapshot as string | null | undefined) ?? null,
      created_at: existing ? String(existing.created_at) : t,
      updated_at: t,
    });
    return this.list(input.agentId).find((s) => s.id === input.id)!;
  }
}
