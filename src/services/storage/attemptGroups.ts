import type { SqlValue } from 'sql.js';
import { ClaudeManagerError } from '../errors';
import { newId } from '../ids';
import { type Check, decode, fields, int, isoTime, map, nullAsUndefined, startingWith, string } from './decode';
import type { MetaStore, Row } from './metaStore';
import type { Clock } from './repositories';

/** One attempt of a group: a worktree on its own branch, with its agent (migration 006). */
export interface AttemptRecord {
  id: string;
  groupId: string;
  /** 1…N: the branch is `<group name>-<position>`. */
  position: number;
  branch: string;
  /** Undefined once the worktree was removed. */
  worktreeId?: string | undefined;
  /** Undefined once the agent was deleted for good. */
  agentId?: string | undefined;
  model?: string | undefined;
}

/** Worktrees and agents started from one prompt off one base ("New Agents from One Prompt…"). */
export interface AttemptGroupRecord {
  id: string;
  workspaceId: string;
  name: string;
  prompt: string;
  /** The branch the attempts started from, and go back to. */
  baseBranch: string;
  /** The commit every attempt started from. */
  baseCommit: string;
  keptAttemptId?: string | undefined;
  keptAt?: string | undefined;
  createdAt: string;
  updatedAt: string;
  /** In position order. */
  attempts: AttemptRecord[];
}

interface AttemptRow {
  id: string;
  group_id: string;
  position: number;
  branch: string;
  worktree_id: string | undefined;
  agent_id: string | undefined;
  model: string | undefined;
}

export const attemptRow: Check<AttemptRecord> = map(
  fields<AttemptRow>({
    id: startingWith('att_'),
    group_id: startingWith('grp_'),
    position: int(1),
    branch: string,
    worktree_id: nullAsUndefined(startingWith('wt_')),
    agent_id: nullAsUndefined(startingWith('ag_')),
    model: nullAsUndefined(string),
  }),
  (r) => ({
    id: r.id,
    groupId: r.group_id,
    position: r.position,
    branch: r.branch,
    ...(r.worktree_id !== undefined ? { worktreeId: r.worktree_id } : {}),
    ...(r.agent_id !== undefined ? { agentId: r.agent_id } : {}),
    ...(r.model !== undefined ? { model: r.model } : {}),
  }),
);

interface GroupRow {
  id: string;
  workspace_id: string;
  name: string;
  prompt: string;
  base_branch: string;
  base_commit: string;
  kept_attempt_id: string | undefined;
  kept_at: string | undefined;
  created_at: string;
  updated_at: string;
}

export const attemptGroupRow: Check<Omit<AttemptGroupRecord, 'attempts'>> = map(
  fields<GroupRow>({
    id: startingWith('grp_'),
    workspace_id: startingWith('ws_'),
    name: string,
    prompt: string,
    base_branch: string,
    base_commit: string,
    kept_attempt_id: nullAsUndefined(startingWith('att_')),
    kept_at: nullAsUndefined(isoTime),
    created_at: isoTime,
    updated_at: isoTime,
  }),
  (r) => ({
    id: r.id,
    workspaceId: r.workspace_id,
    name: r.name,
    prompt: r.prompt,
    baseBranch: r.base_branch,
    baseCommit: r.base_commit,
    ...(r.kept_attempt_id !== undefined ? { keptAttemptId: r.kept_attempt_id } : {}),
    ...(r.kept_at !== undefined ? { keptAt: r.kept_at } : {}),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }),
);

function parse<T>(check: Check<T>, rows: Row[], what: string): T[] {
  return rows.map((row) => {
    const parsed = decode(check, row);
    if (!parsed.ok) throw new ClaudeManagerError('STORAGE_FAILED', `A stored ${what} does not fit its schema: ${parsed.issues.join('; ')}`);
    return parsed.value;
  });
}

/** The attempt groups of each repository, with their attempts. */
export class AttemptGroupsRepository {
  constructor(
    private readonly meta: MetaStore,
    private readonly now: Clock,
  ) {}

  private select(where: string, params: SqlValue[]): AttemptGroupRecord[] {
    const groups = parse(attemptGroupRow, this.meta.query(`SELECT * FROM attempt_groups ${where}`, params), 'attempt group');
    if (groups.length === 0) return [];
    const ids = groups.map((g) => g.id);
    const attempts = parse(attemptRow, this.meta.query(`SELECT * FROM attempts WHERE group_id IN (${ids.map(() => '?').join(', ')}) ORDER BY position`, ids), 'attempt');
    return groups.map((g) => ({ ...g, attempts: attempts.filter((a) => a.groupId === g.id) }));
  }

  /** A repository's groups, newest first. */
  list(workspaceId: string): AttemptGroupRecord[] {
    return this.select('WHERE workspace_id = ? ORDER BY created_at DESC, id DESC', [workspaceId]);
  }

  get(id: string): AttemptGroupRecord {
    const found = this.select('WHERE id = ?', [id])[0];
    if (!found) throw new ClaudeManagerError('NOT_FOUND', `No attempt group with id ${id}: it may have been deleted in another window. Refresh and try again.`);
    return found;
  }

  /** The group an attempt's worktree belongs to, if any. */
  findByWorktree(worktreeId: string): AttemptGroupRecord | undefined {
    const row = this.meta.query('SELECT group_id FROM attempts WHERE worktree_id = ?', [worktreeId])[0];
    return row ? this.get(String(row.group_id)) : undefined;
  }

  /** Records a group and its attempts in one write. */
  async create(input: {
    workspaceId: string;
    name: string;
    prompt: string;
    baseBranch: string;
    baseCommit: string;
    attempts: readonly { branch: string; worktreeId: string; agentId: string; model?: string | undefined }[];
  }): Promise<AttemptGroupRecord> {
    const t = this.now();
    const id = newId('grp');
    await this.meta.write([
      {
        op: 'put' as const,
        table: 'attempt_groups',
        row: { id, workspace_id: input.workspaceId, name: input.name, prompt: input.prompt, base_branch: input.baseBranch, base_commit: input.baseCommit, kept_attempt_id: null, kept_at: null, created_at: t, updated_at: t },
      },
      ...input.attempts.map((a, i) => ({
        op: 'put' as const,
        table: 'attempts',
        row: { id: newId('att'), group_id: id, position: i + 1, branch: a.branch, worktree_id: a.worktreeId, agent_id: a.agentId, model: a.model ?? null },
      })),
    ]);
    return this.get(id);
  }

  /** Marks the attempt the user kept. */
  async keep(id: string, attemptId: string): Promise<AttemptGroupRecord> {
    const group = this.get(id);
    if (!group.attempts.some((a) => a.id === attemptId)) throw new ClaudeManagerError('NOT_FOUND', `The attempt ${attemptId} is not one of ${group.name}'s.`);
    const t = this.now();
    await this.meta.put('attempt_groups', {
      id,
      workspace_id: group.workspaceId,
      name: group.name,
      prompt: group.prompt,
      base_branch: group.baseBranch,
      base_commit: group.baseCommit,
      kept_attempt_id: attemptId,
      kept_at: t,
      created_at: group.createdAt,
      updated_at: t,
    });
    return this.get(id);
  }

  async delete(id: string): Promise<void> {
    this.get(id);
    await this.meta.delete('attempt_groups', id);
  }
}
