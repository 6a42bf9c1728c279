import * as z from 'zod';

/**
 * Stored rows as typed camelCase records, parsed with zod on the way out of the database so that
 * a row that does not fit is an error at the boundary, not a surprise later.
 */

const iso = z.string().min(10);
const nullableToOptional = <T extends z.ZodType>(schema: T) => schema.nullable().transform((v) => v ?? undefined);

export const workspaceRow = z
  .object({
    id: z.string().startsWith('ws_'),
    name: z.string(),
    path: z.string(),
    created_at: iso,
    updated_at: iso,
    worktree_count: z.number().int(),
    agent_count: z.number().int(),
  })
  .transform((r) => ({
    id: r.id,
    name: r.name,
    path: r.path,
    worktreeCount: r.worktree_count,
    agentCount: r.agent_count,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
export type WorkspaceRecord = z.output<typeof workspaceRow>;

export const sortModes = ['free', 'status', 'name'] as const;
export type SortMode = (typeof sortModes)[number];

export const worktreeRow = z
  .object({
    id: z.string().startsWith('wt_'),
    workspace_id: z.string(),
    name: z.string(),
    branch: z.string().nullable(),
    path: z.string(),
    sort_mode: z.enum(sortModes),
    display_order: z.number().int(),
    is_main: z.union([z.literal(0), z.literal(1)]),
    created_at: iso,
    updated_at: iso,
  })
  .transform((r) => ({
    id: r.id,
    workspaceId: r.workspace_id,
    name: r.name,
    branch: r.branch,
    path: r.path,
    isMain: r.is_main === 1,
    sortMode: r.sort_mode,
    displayOrder: r.display_order,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
export type WorktreeRecord = z.output<typeof worktreeRow>;

export const agentStatuses = ['running', 'waiting', 'error', 'finished'] as const;
export type AgentStatus = (typeof agentStatuses)[number];
export const agentModes = ['auto', 'plan', 'regular'] as const;
export type AgentMode = (typeof agentModes)[number];
export const permissionKinds = ['read', 'write', 'execute'] as const;
export type PermissionKind = (typeof permissionKinds)[number];

export const agentRow = z
  .object({
    id: z.string().startsWith('ag_'),
    worktree_id: z.string(),
    name: z.string(),
    status: z.enum(agentStatuses),
    status_reason: z.string(),
    context_level: z.number().int().min(0).max(100),
    mode: z.enum(agentModes),
    permissions: z.string().transform((text, ctx) => {
      const parsed = z.array(z.enum(permissionKinds)).safeParse(JSON.parse(text));
      if (!parsed.success) {
        ctx.addIssue({ code: 'custom', message: `permissions ${text} is not a list of read/write/execute` });
        return z.NEVER;
      }
      return parsed.data;
    }),
    model: nullableToOptional(z.string()),
    display_order: z.number().int(),
    pid: nullableToOptional(z.number().int()),
    session_id: nullableToOptional(z.string()),
    owner_window: nullableToOptional(z.string()),
    owner_heartbeat_at: nullableToOptional(iso),
    created_at: iso,
    updated_at: iso,
    started_at: nullableToOptional(iso),
    stopped_at: nullableToOptional(iso),
    deleted_at: nullableToOptional(iso),
    parent_agent_id: nullableToOptional(z.string()),
  })
  .transform((r) => ({
    id: r.id,
    worktreeId: r.worktree_id,
    name: r.name,
    status: r.status,
    statusReason: r.status_reason,
    contextLevel: r.context_level,
    mode: r.mode,
    permissions: r.permissions,
    model: r.model,
    displayOrder: r.display_order,
    pid: r.pid,
    sessionId: r.session_id,
    ownerWindow: r.owner_window,
    ownerHeartbeatAt: r.owner_heartbeat_at,
    parentAgentId: r.parent_agent_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    startedAt: r.started_at,
    stoppedAt: r.stopped_at,
    deletedAt: r.deleted_at,
  }));
export type AgentRecord = z.output<typeof agentRow>;

/** Back to a row for the journal: every column, so that a replay restores the whole record. */
export function agentToRow(a: AgentRecord): Record<string, string | number | null> {
  return {
    id: a.id,
    worktree_id: a.worktreeId,
    name: a.name,
    status: a.status,
    status_reason: a.statusReason,
    context_level: a.contextLevel,
    mode: a.mode,
    permissions: JSON.stringify(a.permissions),
    model: a.model ?? null,
    display_order: a.displayOrder,
    pid: a.pid ?? null,
    session_id: a.sessionId ?? null,
    owner_window: a.ownerWindow ?? null,
    owner_heartbeat_at: a.ownerHeartbeatAt ?? null,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
    started_at: a.startedAt ?? null,
    stopped_at: a.stoppedAt ?? null,
    deleted_at: a.deletedAt ?? null,
    parent_agent_id: a.parentAgentId ?? null,
  };
}

export function worktreeToRow(w: WorktreeRecord): Record<string, string | number | null> {
  return {
    id: w.id,
    workspace_id: w.workspaceId,
    name: w.name,
    branch: w.branch,
    path: w.path,
    sort_mode: w.sortMode,
    display_order: w.displayOrder,
    is_main: w.isMain ? 1 : 0,
    created_at: w.createdAt,
    updated_at: w.updatedAt,
  };
}
