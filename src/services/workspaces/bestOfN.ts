import { EventEmitter } from 'node:events';
import type { Agent } from '../agents/agentCatalog';
import { ClaudeManagerError } from '../errors';
import type { GitService } from '../git/gitService';
import type { Logger } from '../logger';
import type { AttemptGroupRecord, AttemptRecord } from '../storage/attemptGroups';
import type { AgentMode, PermissionKind } from '../storage/records';
import type { Store } from '../storage/store';
import type { ChangedFile, WorktreeChangesSource } from './attemptChanges';
import type { MergeIntoBase, MergeStrategy } from './attemptMerge';
import type { GitOperation } from '../git/operation';
import type { WorkspaceService } from './workspaceService';

export const MIN_ATTEMPTS = 2;
export const MAX_ATTEMPTS = 5;

/** What best of N needs of the agents: the runtime provides it. */
export interface AttemptAgents {
  create(input: { worktreeId: string; name?: string; mode?: AgentMode; permissions?: PermissionKind[]; model?: string }): Promise<Agent>;
  start(id: string, options: { initialPrompt?: string }): Promise<Agent>;
  get(id: string): Promise<Agent>;
  stop(id: string): Promise<unknown>;
  delete(id: string, options: { archive?: boolean }): Promise<void>;
}

export interface BestOfNOptions {
  store: Store;
  git: GitService;
  workspaces: WorkspaceService;
  agents: AttemptAgents;
  /** A worktree's changed files with +/− (WorktreeChangesService). */
  changes: WorktreeChangesSource;
  /** Commits a worktree's work and merges its branch into its base (MergeService). */
  merge: MergeIntoBase;
  logger: Logger;
}

export interface StartAttemptsInput {
  workspaceId: string;
  /** The branches are `<name>-1` … `<name>-N`. */
  name: string;
  prompt: string;
  /** 2–5; defaults to the number of `models` when they are given. */
  count?: number;
  /** One per attempt; undefined (or empty) keeps the CLI's default model for that one. */
  models?: readonly (string | undefined)[];
  /** A local branch; default the main worktree's branch. */
  baseBranch?: string;
  mode?: AgentMode;
  permissions?: PermissionKind[];
}

/** One attempt as the Compare panel shows it. */
export interface AttemptView {
  id: string;
  position: number;
  branch: string;
  model?: string;
  worktreeId?: string;
  worktreeName?: string;
  worktreePath?: string;
  /** The worktree was removed (or its folder is gone). */
  worktreeGone: boolean;
  agentId?: string;
  agentName?: string;
  status?: Agent['status'];
  statusReason?: string;
  /** The model's turns so far (API requests the CLI reported). */
  turns: number;
  costUsd: number;
  files: ChangedFile[];
  added: number;
  deleted: number;
  /** The agent's last text, trimmed to `LAST_MESSAGE_CHARS`. */
  lastMessage?: string;
  /** Why the changes could not be read, if they could not. */
  changesError?: string;
  kept: boolean;
}

/** What the API and the Compare panel both say of an attempt (each adds how it names the worktree): optional fields left out when unknown, files' counts as `added` / `deleted`. */
export function attemptSummary(a: AttemptView) {
  return {
    id: a.id,
    position: a.position,
    branch: a.branch,
    ...(a.model ? { model: a.model } : {}),
    worktreeGone: a.worktreeGone,
    ...(a.agentId ? { agentId: a.agentId } : {}),
    ...(a.agentName ? { agentName: a.agentName } : {}),
    ...(a.status ? { status: a.status } : {}),
    ...(a.statusReason !== undefined ? { statusReason: a.statusReason } : {}),
    turns: a.turns,
    costUsd: a.costUsd,
    files: a.files.map((f) => ({ path: f.path, status: f.status, ...(f.insertions !== undefined ? { added: f.insertions } : {}), ...(f.deletions !== undefined ? { deleted: f.deletions } : {}), ...(f.oldPath ? { oldPath: f.oldPath } : {}) })),
    added: a.added,
    deleted: a.deleted,
    ...(a.lastMessage !== undefined ? { lastMessage: a.lastMessage } : {}),
    ...(a.changesError !== undefined ? { changesError: a.changesError } : {}),
    kept: a.kept,
  };
}

export interface Comparison {
  group: Omit<AttemptGroupRecord, 'attempts'>;
  attempts: AttemptView[];
}

/** Kept (merged, or the base had it all already), or stopped on conflicts in the worktree named. */
export type KeepOutcome = { status: 'clean'; group: AttemptGroupRecord } | { status: 'conflicts'; worktreeId: string; files: string[]; operation: GitOperation; path: string; group: AttemptGroupRecord };

const LAST_MESSAGE_CHARS = 2000;

/**
 * Best of N: one prompt given to 2–5 agents, each in a new worktree off the same commit of one
 * base branch, compared, and one kept (merged into the base) while the others are put away. The
 * group is stored (migration 006), so the comparison survives a reload and other windows see it.
 */
export class BestOfN {
  private readonly events = new EventEmitter();

  constructor(private readonly options: BestOfNOptions) {
    this.events.setMaxListeners(0);
  }

  private get store(): Store {
    return this.options.store;
  }

  /** A group was made or changed (kept, its attempts put away). */
  onDidChangeGroup(listener: (e: { workspaceId: string; groupId: string }) => void): () => void {
    this.events.on('group', listener);
    return () => this.events.off('group', listener);
  }

  list(workspaceId: string): Promise<AttemptGroupRecord[]> {
    return this.store.attemptGroups.list(workspaceId);
  }

  get(groupId: string): Promise<AttemptGroupRecord> {
    return this.store.attemptGroups.get(groupId);
  }

  /** Checks the input and works out the base, before anything is made. */
  private async plan(input: StartAttemptsInput): Promise<{ name: string; count: number; models: (string | undefined)[]; base: string; baseCommit: string; repo: string }> {
    const git = this.options.git;
    git.requireTrust('Starting agents from one prompt');
    const workspace = await this.store.workspaces.get(input.workspaceId);
    const name = input.name.trim();
    if (!input.prompt.trim()) throw new ClaudeManagerError('INVALID_INPUT', 'The prompt is empty: say what the agents should do.');
    const count = input.count ?? (input.models?.length || MIN_ATTEMPTS);
    if (!Number.isInteger(count) || count < MIN_ATTEMPTS || count > MAX_ATTEMPTS) {
      throw new ClaudeManagerError('INVALID_INPUT', `Start ${MIN_ATTEMPTS} to ${MAX_ATTEMPTS} agents from one prompt (${String(count)} was asked for).`);
    }
    if (input.models && input.models.length !== count) {
      throw new ClaudeManagerError('INVALID_INPUT', `Give one model for each of the ${count} agents (or none): ${input.models.length} were given.`);
    }
    const models = Array.from({ length: count }, (_, i) => input.models?.[i]?.trim() || undefined);
    for (let i = 1; i <= count; i++) {
      const branch = `${name}-${i}`;
      await git.checkBranchName(workspace.path, branch);
      if (await git.hasLocalBranch(workspace.path, branch)) {
        throw new ClaudeManagerError('INVALID_INPUT', `A branch named "${branch}" already exists. Choose another name for the agents' branches.`);
      }
    }
    let base = input.baseBranch?.trim();
    if (!base) {
      const main = (await this.options.workspaces.listWorktrees(workspace.id)).find((w) => w.isMain);
      base = main?.branch ?? undefined;
      if (!base) throw new ClaudeManagerError('INVALID_INPUT', `${workspace.name}'s main worktree is on no branch (detached HEAD): choose the base branch the agents start from.`);
    } else if (!(await git.hasLocalBranch(workspace.path, base))) {
      throw new ClaudeManagerError('NOT_FOUND', `There is no local branch "${base}" to start from. Choose a local branch as the base.`);
    }
    const baseCommit = (await git.run(workspace.path, ['rev-parse', '--verify', '--end-of-options', `refs/heads/${base}^{commit}`], `Reading the commit of ${base}`)).trim();
    return { name, count, models, base, baseCommit, repo: workspace.path };
  }

  /**
   * Makes N worktrees off the base's current commit (branches `<name>-1` … `<name>-N`), an agent
   * in each (with its model, if given), records them as a group, and sends each the prompt. The
   * input is checked before anything is made; if making a worktree or an agent fails, those made
   * so far are removed again (they hold nothing yet). An agent that cannot start shows why on its
   * own ("could not start: …"); the others go on.
   */
  async start(input: StartAttemptsInput): Promise<AttemptGroupRecord> {
    const plan = await this.plan(input);
    const made: { worktreeId: string; agentId: string; branch: string; model?: string | undefined }[] = [];
    const worktreeIds: string[] = [];
    try {
      for (let i = 1; i <= plan.count; i++) {
        const branch = `${plan.name}-${i}`;
        const wt = await this.options.workspaces.createWorktree({ workspaceId: input.workspaceId, branch, newBranch: true, baseRef: plan.baseCommit });
        worktreeIds.push(wt.id);
        await this.store.worktrees.update(wt.id, { baseBranch: plan.base });
        const model = plan.models[i - 1];
        const agent = await this.options.agents.create({
          worktreeId: wt.id,
          name: `${plan.name} ${i}`,
          ...(model ? { model } : {}),
          ...(input.mode ? { mode: input.mode } : {}),
          ...(input.permissions ? { permissions: input.permissions } : {}),
        });
        made.push({ worktreeId: wt.id, agentId: agent.id, branch, model });
      }
    } catch (error) {
      for (const id of worktreeIds.reverse()) {
        await this.options.workspaces.deleteWorktree(id, { force: true, deleteBranch: true }).catch((undo: Error) => this.options.logger.warn(`Best of N: removing the worktree ${id} made before the failure failed too: ${undo.message}`));
      }
      throw error;
    }
    const group = await this.store.attemptGroups.create({ workspaceId: input.workspaceId, name: plan.name, prompt: input.prompt, baseBranch: plan.base, baseCommit: plan.baseCommit, attempts: made });
    this.options.logger.info(`Best of N: started ${plan.count} agents from one prompt off ${plan.base} (${plan.baseCommit.slice(0, 8)}): ${made.map((m) => m.branch).join(', ')}`);
    this.events.emit('group', { workspaceId: group.workspaceId, groupId: group.id });
    const started = await Promise.allSettled(made.map((m) => this.options.agents.start(m.agentId, { initialPrompt: input.prompt })));
    started.forEach((result, i) => {
      if (result.status === 'rejected') this.options.logger.warn(`Best of N: ${made[i]!.branch}'s agent did not start: ${(result.reason as Error).message}`);
    });
    return group;
  }

  /** Each attempt's status, turns, cost, changed files with +/−, and last message. */
  async compare(groupId: string): Promise<Comparison> {
    const group = await this.store.attemptGroups.get(groupId);
    const { attempts, ...rest } = group;
    return { group: rest, attempts: await Promise.all(attempts.map((a) => this.view(group, a))) };
  }

  private async view(group: AttemptGroupRecord, attempt: AttemptRecord): Promise<AttemptView> {
    const view: AttemptView = {
      id: attempt.id,
      position: attempt.position,
      branch: attempt.branch,
      ...(attempt.model ? { model: attempt.model } : {}),
      worktreeGone: attempt.worktreeId === undefined,
      turns: 0,
      costUsd: 0,
      files: [],
      added: 0,
      deleted: 0,
      kept: group.keptAttemptId === attempt.id,
    };
    if (attempt.worktreeId) {
      const wt = await this.options.workspaces.getWorktree(attempt.worktreeId).catch(() => undefined);
      if (!wt || wt.missing) view.worktreeGone = true;
      if (wt) Object.assign(view, { worktreeId: wt.id, worktreeName: wt.name, worktreePath: wt.path });
      if (wt && !wt.missing) {
        try {
          view.files = (await this.options.changes.changes(wt.id)).files;
          view.added = view.files.reduce((n, f) => n + (f.insertions ?? 0), 0);
          view.deleted = view.files.reduce((n, f) => n + (f.deletions ?? 0), 0);
        } catch (error) {
          view.changesError = (error as Error).message;
        }
      }
    }
    if (attempt.agentId) {
      const agent = await this.options.agents.get(attempt.agentId).catch(() => undefined);
      if (agent) {
        const [totals, page] = await Promise.all([this.store.usage.totals({ agentId: agent.id }), this.store.messages.page(agent.id, { limit: 50 })]);
        const last = page.messages.find((m) => m.role === 'assistant' && m.kind === 'text' && m.content.trim());
        Object.assign(view, {
          agentId: agent.id,
          agentName: agent.name,
          status: agent.status,
          statusReason: agent.statusReason,
          turns: totals.requestCount,
          costUsd: agent.usage.costUsd,
          ...(agent.model && !view.model ? { model: agent.model } : {}),
          ...(last ? { lastMessage: last.content.trim().slice(0, LAST_MESSAGE_CHARS) } : {}),
        });
      }
    }
    return view;
  }

  /**
   * Keeps one attempt: merges its branch into the group's base (through `merge`). Its
   * uncommitted work (untracked files too) is committed first with `commitMessage`; without one,
   * an attempt with uncommitted work is refused, naming the files. A clean merge marks the group
   * kept; conflicts are returned as they are, the merge left in progress where it ran.
   */
  async keep(groupId: string, attemptId: string, options: { strategy?: MergeStrategy; commitMessage?: string } = {}): Promise<KeepOutcome> {
    const group = await this.store.attemptGroups.get(groupId);
    const attempt = group.attempts.find((a) => a.id === attemptId);
    if (!attempt) throw new ClaudeManagerError('NOT_FOUND', `The attempt ${attemptId} is not one of ${group.name}'s. Refresh the comparison.`);
    if (!attempt.worktreeId) throw new ClaudeManagerError('NOT_FOUND', `${attempt.branch}'s worktree was removed: there is nothing left to keep.`);
    const wt = await this.options.workspaces.getWorktree(attempt.worktreeId);
    if (wt.missing) throw new ClaudeManagerError('NOT_FOUND', `The folder of ${wt.name} (${wt.path}) is gone: there is nothing left to keep.`);
    if (attempt.agentId) {
      const agent = await this.options.agents.get(attempt.agentId).catch(() => undefined);
      if (agent?.status === 'running') throw new ClaudeManagerError('AGENTS_RUNNING', `${agent.name} is still working. Wait for its turn to end (or interrupt it), then keep it.`);
    }
    const status = await this.options.git.status(wt.path);
    const uncommitted = [...new Set([...status.conflicted, ...status.staged, ...status.modified, ...status.untracked])];
    if (uncommitted.length > 0) {
      const message = options.commitMessage?.trim();
      if (!message) {
        throw new ClaudeManagerError('INVALID_INPUT', `${wt.name} has uncommitted changes (${uncommitted.slice(0, 10).join(', ')}${uncommitted.length > 10 ? ', …' : ''}). Give a commit message to commit them with the attempt, or commit them first.`);
      }
      await this.options.merge.commit(wt.id, message);
    }
    const outcome = await this.options.merge.merge(wt.id, { strategy: options.strategy ?? 'merge' });
    if (outcome.status === 'conflicts') {
      this.events.emit('group', { workspaceId: group.workspaceId, groupId });
      return { status: 'conflicts', worktreeId: outcome.worktreeId, files: outcome.files, operation: outcome.operation, path: outcome.path, group };
    }
    const updated = await this.store.attemptGroups.keep(groupId, attemptId);
    this.options.logger.info(`Best of N: kept ${attempt.branch} (merged into ${group.baseBranch})`);
    this.events.emit('group', { workspaceId: group.workspaceId, groupId });
    return { status: 'clean', group: updated };
  }

  /**
   * Puts away the attempts not kept: their agents are stopped and archived; with
   * `removeWorktrees`, their worktrees are removed with their branches (the user confirmed the
   * loss: their work was not kept). A worktree's removal takes its agents with it, as any
   * worktree removal does. Resolves with what could not be done, each with why.
   */
  async discardOthers(groupId: string, options: { removeWorktrees?: boolean } = {}): Promise<{ archived: string[]; removed: string[]; failed: { branch: string; reason: string }[] }> {
    const group = await this.store.attemptGroups.get(groupId);
    if (!group.keptAttemptId) throw new ClaudeManagerError('INVALID_INPUT', `No attempt of ${group.name} was kept yet: keep one first.`);
    const result = { archived: [] as string[], removed: [] as string[], failed: [] as { branch: string; reason: string }[] };
    for (const attempt of group.attempts) {
      if (attempt.id === group.keptAttemptId) continue;
      try {
        if (attempt.agentId) {
          const agent = await this.options.agents.get(attempt.agentId).catch(() => undefined);
          if (agent && !agent.deletedAt) {
            await this.options.agents.delete(agent.id, { archive: true });
            result.archived.push(agent.id);
          }
        }
        if (options.removeWorktrees && attempt.worktreeId) {
          await this.options.workspaces.deleteWorktree(attempt.worktreeId, { force: true, deleteBranch: true });
          result.removed.push(attempt.worktreeId);
        }
      } catch (error) {
        result.failed.push({ branch: attempt.branch, reason: (error as Error).message });
      }
    }
    this.events.emit('group', { workspaceId: group.workspaceId, groupId });
    return result;
  }
}
