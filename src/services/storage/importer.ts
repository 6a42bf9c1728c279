import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Database, SqlJsStatic } from 'sql.js';
import { ClaudeManagerError } from '../errors';
import type { StoredMessage } from './messageStore';
import { agentStatuses, agentModes, permissionKinds, sortModes, agentToRow, type AgentRecord } from './records';
import type { LocalStore } from './localStore';

/** What an import added; what was already there is not counted. */
export interface ImportReport {
  workspaces: number;
  worktrees: number;
  agents: number;
  messages: number;
  usageDays: number;
}

/** Columns the earlier Claude Manager backends (Node.js, Rust) wrote, per table. */
const REQUIRED: Record<string, string[]> = {
  workspaces: ['id', 'name', 'path'],
  worktrees: ['id', 'workspace_id', 'name', 'branch', 'path'],
  agents: ['id', 'worktree_id', 'name', 'status', 'mode', 'created_at'],
  messages: ['id', 'agent_id', 'role', 'content', 'created_at'],
  usage_stats: ['date', 'period', 'input_tokens', 'output_tokens', 'request_count', 'error_count'],
};

type OldRow = Record<string, string | number | null | Uint8Array>;

function rows(db: Database, sql: string): OldRow[] {
  const statement = db.prepare(sql);
  const out: OldRow[] = [];
  try {
    while (statement.step()) out.push(statement.getAsObject() as OldRow);
  } finally {
    statement.free();
  }
  return out;
}

const str = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));
const num = (v: unknown, fallback = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : Number(v ?? fallback) || fallback);

/** The earlier backends wrote `YYYY-MM-DD HH:MM:SS` in UTC (SQLite's datetime('now')); make it ISO-8601. */
function isoTime(v: unknown, fallback: string): string {
  const text = str(v);
  if (!text) return fallback;
  const normalised = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(text) ? `${text.replace(' ', 'T')}Z` : text;
  const date = new Date(normalised);
  return Number.isNaN(date.getTime()) ? fallback : date.toISOString();
}

/** Our ids carry a prefix; an old id gets one, the same every time, so a second import finds it. */
function mapId(prefix: 'ag' | 'msg', old: unknown): string {
  const clean = String(old).replace(/[^A-Za-z0-9_-]/g, '_');
  return clean.startsWith(`${prefix}_`) ? clean : `${prefix}_${clean}`;
}

function oneOf<T extends string>(values: readonly T[], v: unknown, fallback: T): T {
  return (values as readonly unknown[]).includes(v) ? (v as T) : fallback;
}

/**
 * Merges an existing Claude Manager SQLite database (the schema the earlier backends wrote) into
 * the store. Workspaces and worktrees are matched by path, agents and messages by their original
 * ids, usage by day and model, so importing the same file twice adds nothing. A file of another
 * shape is refused with what is missing, before anything is written.
 */
export async function importDatabase(store: LocalStore, sql: SqlJsStatic, file: string): Promise<ImportReport> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new ClaudeManagerError('INVALID_INPUT', `${file} could not be read: ${(error as Error).message}`, { cause: error });
  }
  let db: Database;
  try {
    db = new sql.Database(bytes);
    db.exec('SELECT count(*) FROM sqlite_master');
  } catch (error) {
    throw new ClaudeManagerError('INVALID_INPUT', `${basename(file)} is not a SQLite database (${(error as Error).message}). Choose the claude-manager.db file of the earlier app.`, { cause: error });
  }
  try {
    for (const [table, columns] of Object.entries(REQUIRED)) {
      const present = new Set(rows(db, `SELECT name FROM pragma_table_info('${table}')`).map((r) => String(r.name)));
      const missing = columns.filter((c) => !present.has(c));
      if (present.size === 0 || missing.length > 0) {
        throw new ClaudeManagerError(
          'INVALID_INPUT',
          `${basename(file)} is not a Claude Manager database: ` +
            (present.size === 0 ? `it has no "${table}" table.` : `its "${table}" table lacks ${missing.map((m) => `"${m}"`).join(', ')}.`) +
            ' Nothing was imported.',
        );
      }
    }
    const report: ImportReport = { workspaces: 0, worktrees: 0, agents: 0, messages: 0, usageDays: 0 };
    const now = new Date().toISOString();

    const workspaceIds = new Map<string, string>();
    for (const w of rows(db, 'SELECT * FROM workspaces ORDER BY rowid')) {
      const path = String(w.path);
      const existed = store.workspaces.findByPath(path);
      const ws = existed ?? (await store.workspaces.create({ path, name: str(w.name) ?? basename(path) }));
      if (!existed) report.workspaces++;
      workspaceIds.set(String(w.id), ws.id);
    }

    const worktreeIds = new Map<string, { id: string; workspaceId: string }>();
    for (const t of rows(db, 'SELECT * FROM worktrees ORDER BY rowid')) {
      const workspaceId = workspaceIds.get(String(t.workspace_id));
      if (!workspaceId) continue; // an orphan in the old file
      const path = String(t.path);
      const existed = store.worktrees.findByPath(path);
      const wt =
        existed ??
        (await store.worktrees.create({ workspaceId, name: String(t.name), branch: str(t.branch) ?? null, path, isMain: num(t.is_main) === 1 }));
      if (!existed) {
        report.worktrees++;
        const sortMode = oneOf(sortModes, t.sort_mode, 'free');
        if (sortMode !== 'free') await store.worktrees.update(wt.id, { sortMode });
      }
      worktreeIds.set(String(t.id), { id: wt.id, workspaceId: wt.workspaceId });
    }

    const agentIds = new Map<string, { id: string; worktreeId: string; workspaceId: string }>();
    const oldAgents = rows(db, 'SELECT * FROM agents ORDER BY rowid');
    const newAgents: AgentRecord[] = [];
    for (const a of oldAgents) {
      const worktree = worktreeIds.get(String(a.worktree_id));
      if (!worktree) continue;
      const id = mapId('ag', a.id);
      agentIds.set(String(a.id), { id, worktreeId: worktree.id, workspaceId: worktree.workspaceId });
      if (store.agents.list({ includeDeleted: true }).some((x) => x.id === id)) continue;
      let permissions: AgentRecord['permissions'] = ['read'];
      try {
        const parsed: unknown = JSON.parse(str(a.permissions) ?? '["read"]');
        if (Array.isArray(parsed)) permissions = parsed.filter((p): p is AgentRecord['permissions'][number] => (permissionKinds as readonly unknown[]).includes(p));
      } catch {
        // keep the default
      }
      const created = isoTime(a.created_at, now);
      const status = oneOf(agentStatuses, a.status, 'finished');
      newAgents.push({
        id,
        worktreeId: worktree.id,
        name: String(a.name),
        // Nothing of the old app runs any more.
        status: status === 'error' ? 'error' : 'finished',
        statusReason: status === 'error' ? 'imported with an error' : 'imported',
        contextLevel: Math.min(100, Math.max(0, Math.round(num(a.context_level)))),
        mode: oneOf(agentModes, a.mode, 'regular'),
        permissions,
        model: undefined,
        displayOrder: num(a.display_order),
        pid: undefined,
        sessionId: str(a.session_id),
        ownerWindow: undefined,
        ownerHeartbeatAt: undefined,
        parentAgentId: undefined,
        createdAt: created,
        updatedAt: isoTime(a.updated_at, created),
        startedAt: str(a.started_at) ? isoTime(a.started_at, created) : undefined,
        stoppedAt: str(a.stopped_at) ? isoTime(a.stopped_at, created) : undefined,
        deletedAt: str(a.deleted_at) ? isoTime(a.deleted_at, created) : undefined,
      });
    }
    // Parents after all agents exist, so that a fork may come before its parent in the old file.
    const known = new Set([...store.agents.list({ includeDeleted: true }).map((x) => x.id), ...newAgents.map((x) => x.id)]);
    for (const record of newAgents) {
      const old = oldAgents.find((a) => mapId('ag', a.id) === record.id);
      const parent = old && str(old.parent_agent_id) ? mapId('ag', old.parent_agent_id) : undefined;
      record.parentAgentId = parent && known.has(parent) ? parent : undefined;
    }
    await store.meta.write(newAgents.map((a) => ({ op: 'put' as const, table: 'agents', row: agentToRow({ ...a, parentAgentId: undefined }) })));
    await store.meta.write(newAgents.filter((a) => a.parentAgentId).map((a) => ({ op: 'put' as const, table: 'agents', row: agentToRow(a) })));
    report.agents = newAgents.length;

    const pending = new Map<string, StoredMessage[]>();
    const existing = new Map<string, Set<string>>();
    for (const m of rows(db, 'SELECT * FROM messages ORDER BY created_at, rowid')) {
      const agent = agentIds.get(String(m.agent_id));
      if (!agent) continue;
      const id = mapId('msg', m.id);
      let have = existing.get(agent.id);
      if (!have) existing.set(agent.id, (have = await store.messages.ids(agent.id)));
      if (have.has(id)) continue;
      have.add(id);
      const role = oneOf(['user', 'assistant', 'system', 'tool'] as const, m.role, 'system');
      let toolInput: Record<string, unknown> | undefined;
      try {
        const parsed: unknown = str(m.tool_input) ? JSON.parse(String(m.tool_input)) : undefined;
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) toolInput = parsed as Record<string, unknown>;
      } catch {
        toolInput = { raw: String(m.tool_input) };
      }
      const message: StoredMessage = {
        id,
        agentId: agent.id,
        role,
        kind: role === 'tool' ? 'tool' : role === 'system' ? 'notice' : 'text',
        content: String(m.content ?? ''),
        isComplete: m.is_complete === undefined || m.is_complete === null ? true : num(m.is_complete) === 1,
        createdAt: isoTime(m.created_at, now),
        ...(m.token_count !== null && m.token_count !== undefined ? { tokenCount: Math.max(0, Math.round(num(m.token_count))) } : {}),
        ...(str(m.tool_name) ? { toolName: String(m.tool_name) } : {}),
        ...(toolInput ? { toolInput } : {}),
        ...(str(m.tool_output) ? { toolOutput: String(m.tool_output) } : {}),
      };
      let batch = pending.get(agent.id);
      if (!batch) pending.set(agent.id, (batch = []));
      batch.push(message);
      report.messages++;
    }
    for (const [agentId, batch] of pending) await store.messages.putMany(agentId, batch);

    // Daily rows only: the weekly and monthly rows of the old app were sums of the same days.
    for (const u of rows(db, "SELECT * FROM usage_stats WHERE period = 'daily' ORDER BY date")) {
      const day = String(u.date).slice(0, 10);
      const messageId = `imported-daily:${day}`;
      const exists = store.meta.query('SELECT 1 AS x FROM usage_ledger WHERE message_id = ?', [messageId]).length > 0;
      if (exists) continue;
      const [y, mo, d] = day.split('-').map(Number);
      await store.usage.record({
        messageId,
        model: 'imported',
        inputTokens: num(u.input_tokens),
        outputTokens: num(u.output_tokens),
        cacheReadTokens: 0,
        cacheCreationTokens: 0,
        costUsd: 0,
        requestCount: num(u.request_count),
        errorCount: num(u.error_count),
        createdAt: new Date(y ?? 1970, (mo ?? 1) - 1, d ?? 1, 12).toISOString(),
      });
      report.usageDays++;
    }
    return report;
  } finally {
    db.close();
  }
}
