import { type Check, Failure, fields, flag, int, isoTime, jsonListOf, map, nullable, nullAsUndefined, oneOf, optional, startingWith, string } from './decode';

/**
 * Stored rows as typed camelCase records, checked on the way out of the database (decode.ts) so
 * that a row that does not fit is an error at the boundary, not a surprise later.
 */

export interface WorkspaceRecord {
  id: string;
  name: string;
  path: string;
  worktreeCount: number;
  agentCount: number;
  createdAt: string;
  updatedAt: string;
}

interface WorkspaceRow {
  id: string;
  name: string;
  path: string;
  created_at: string;
  updated_at: string;
  worktree_count: number;
  agent_count: number;
}

export const workspaceRow: Check<WorkspaceRecord> = map(
  fields<WorkspaceRow>({
    id: startingWith('ws_'),
    name: string,
    path: string,
    created_at: isoTime,
    updated_at: isoTime,
    worktree_count: int(),
    agent_count: int(),
  }),
  (r) => ({
    id: r.id,
    name: r.name,
    path: r.path,
    worktreeCount: r.worktree_count,
    agentCount: r.agent_count,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }),
);

export const sortModes = ['free', 'status', 'name'] as const;
export type SortMode = (typeof sortModes)[number];

export interface WorktreeRecord {
  id: string;
  workspaceId: string;
  name: string;
  branch: string | null;
  path: string;
  isMain: boolean;
  sortMode: SortMode;
  displayOrder: number;
  /** The branch its work goes back to, when recorded (see migration 005); else the repository's default. */
  baseBranch?: string | undefined;
  /** The pull request opened for its branch, once one is. */
  pullRequestUrl?: string | undefined;
  /** The block of ports it holds (migration 007): `count` ports from `base`. */
  ports?: { base: number; count: number } | undefined;
  createdAt: string;
  updatedAt: string;
}

interface WorktreeRow {
  id: string;
  workspace_id: string;
  name: string;
  branch: string | null;
  path: string;
  sort_mode: SortMode;
  display_order: number;
  is_main: boolean;
  base_branch: string | undefined;
  pull_request_url: string | undefined;
  port_base: number | undefined;
  port_count: number | undefined;
  created_at: string;
  updated_at: string;
}

export const worktreeRow: Check<WorktreeRecord> = map(
  fields<WorktreeRow>({
    id: startingWith('wt_'),
    workspace_id: string,
    name: string,
    branch: nullable(string),
    path: string,
    sort_mode: oneOf(sortModes),
    display_order: int(),
    is_main: flag,
    base_branch: nullAsUndefined(string),
    pull_request_url: nullAsUndefined(string),
    port_base: nullAsUndefined(int()),
    port_count: nullAsUndefined(int()),
    created_at: isoTime,
    updated_at: isoTime,
  }),
  (r) => ({
    id: r.id,
    workspaceId: r.workspace_id,
    name: r.name,
    branch: r.branch,
    path: r.path,
    isMain: r.is_main,
    sortMode: r.sort_mode,
    displayOrder: r.display_order,
    ...(r.base_branch !== undefined ? { baseBranch: r.base_branch } : {}),
    ...(r.pull_request_url !== undefined ? { pullRequestUrl: r.pull_request_url } : {}),
    ...(r.port_base !== undefined && r.port_count !== undefined ? { ports: { base: r.port_base, count: r.port_count } } : {}),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }),
);

export const agentStatuses = ['running', 'waiting', 'error', 'finished'] as const;
export type AgentStatus = (typeof agentStatuses)[number];
export const agentModes = ['auto', 'plan', 'regular'] as const;
export type AgentMode = (typeof agentModes)[number];
export const permissionKinds = ['read', 'write', 'execute'] as const;
export type PermissionKind = (typeof permissionKinds)[number];

export const taskStatuses = ['pending', 'in_progress', 'completed'] as const;
export type TaskStatus = (typeof taskStatuses)[number];

/**
 * One item of an agent's task list, as its TodoWrite, TaskCreate and TaskUpdate calls left it:
 * what to do, its status, and what it says while under way ("Running the tests"). `id` is the
 * CLI's task id (TaskCreate's); TodoWrite's items have none.
 */
export interface TaskItem {
  id?: string;
  content: string;
  status: TaskStatus;
  activeForm?: string;
}

const taskItemCheck: Check<TaskItem> = fields<TaskItem>({ id: optional(string), content: string, status: oneOf(taskStatuses), activeForm: optional(string) });

/** A text column holding an agent's task list as JSON. */
const taskListJson: Check<TaskItem[]> = (v) => {
  if (typeof v !== 'string') return new Failure([{ path: '', message: 'expected a JSON list (a string)' }]);
  let list: unknown;
  try {
    list = JSON.parse(v);
  } catch {
    list = undefined;
  }
  if (!Array.isArray(list)) return new Failure([{ path: '', message: 'expected a JSON list of tasks' }]);
  const items: TaskItem[] = [];
  for (const [i, item] of list.entries()) {
    const checked = taskItemCheck(item);
    if (checked instanceof Failure) return new Failure(checked.issues.map((issue) => ({ path: issue.path ? `${i}.${issue.path}` : String(i), message: issue.message })));
    items.push(checked);
  }
  return items;
};

/** An agent; the optional columns are `undefined` when NULL (the keys are always there). */
export interface AgentRecord {
  id: string;
  worktreeId: string;
  name: string;
  status: AgentStatus;
  statusReason: string;
  contextLevel: number;
  mode: AgentMode;
  permissions: PermissionKind[];
  model: string | undefined;
  displayOrder: number;
  pid: number | undefined;
  sessionId: string | undefined;
  ownerWindow: string | undefined;
  ownerHeartbeatAt: string | undefined;
  parentAgentId: string | undefined;
  createdAt: string;
  updatedAt: string;
  startedAt: string | undefined;
  stoppedAt: string | undefined;
  deletedAt: string | undefined;
  /**
   * Its task list (table `agent_tasks`, kept apart from the agent's row, which is journaled whole
   * at every status change); absent when it has none.
   */
  tasks?: TaskItem[] | undefined;
}

interface AgentRow {
  id: string;
  worktree_id: string;
  name: string;
  status: AgentStatus;
  status_reason: string;
  context_level: number;
  mode: AgentMode;
  permissions: PermissionKind[];
  model: string | undefined;
  display_order: number;
  pid: number | undefined;
  session_id: string | undefined;
  owner_window: string | undefined;
  owner_heartbeat_at: string | undefined;
  created_at: string;
  updated_at: string;
  started_at: string | undefined;
  stopped_at: string | undefined;
  deleted_at: string | undefined;
  parent_agent_id: string | undefined;
  /** `agent_tasks.tasks`, when the query joins it. */
  tasks: TaskItem[] | undefined;
}

export const agentRow: Check<AgentRecord> = map(
  fields<AgentRow>({
    id: startingWith('ag_'),
    worktree_id: string,
    name: string,
    status: oneOf(agentStatuses),
    status_reason: string,
    context_level: int(0, 100),
    mode: oneOf(agentModes),
    permissions: jsonListOf(permissionKinds),
    model: nullAsUndefined(string),
    display_order: int(),
    pid: nullAsUndefined(int()),
    session_id: nullAsUndefined(string),
    owner_window: nullAsUndefined(string),
    owner_heartbeat_at: nullAsUndefined(isoTime),
    created_at: isoTime,
    updated_at: isoTime,
    started_at: nullAsUndefined(isoTime),
    stopped_at: nullAsUndefined(isoTime),
    deleted_at: nullAsUndefined(isoTime),
    parent_agent_id: nullAsUndefined(string),
    tasks: optional(nullAsUndefined(taskListJson)),
  }),
  (r) => ({
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
    ...(r.tasks?.length ? { tasks: r.tasks } : {}),
  }),
);

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
    base_branch: w.baseBranch ?? null,
    pull_request_url: w.pullRequestUrl ?? null,
    port_base: w.ports?.base ?? null,
    port_count: w.ports?.count ?? null,
    created_at: w.createdAt,
    updated_at: w.updatedAt,
  };
}

/** The name an agent created without one is given ("Agent 3", the third of its worktree). */
export function defaultAgentName(n: number): string {
  return `Agent ${n}`;
}

/** Whether a name is one `defaultAgentName` gives. */
export const DEFAULT_AGENT_NAME = /^Agent \d+$/;
