import type { AttemptGroupRecord } from '../../services/storage/attemptGroups';
import { attemptSummary, type AttemptView, type Comparison, type KeepOutcome } from '../../services/workspaces/bestOfN';
import type { Services } from '../services';
import type { AgentMode, AttemptComparison, AttemptGroup, AttemptResult, KeepAttemptResult, Permission } from './claudeManager';

/** The published shape of an attempt group: exactly the documented fields. */
export function publishedGroup(g: Omit<AttemptGroupRecord, 'attempts'> & { attempts?: AttemptGroupRecord['attempts'] }): Omit<AttemptGroup, 'attempts'> & { attempts?: AttemptGroup['attempts'] } {
  return {
    id: g.id,
    workspaceId: g.workspaceId,
    name: g.name,
    prompt: g.prompt,
    baseBranch: g.baseBranch,
    baseCommit: g.baseCommit,
    ...(g.keptAttemptId ? { keptAttemptId: g.keptAttemptId } : {}),
    ...(g.keptAt ? { keptAt: g.keptAt } : {}),
    createdAt: g.createdAt,
    updatedAt: g.updatedAt,
    ...(g.attempts
      ? {
          attempts: g.attempts.map((a) => ({
            id: a.id,
            position: a.position,
            branch: a.branch,
            ...(a.worktreeId ? { worktreeId: a.worktreeId } : {}),
            ...(a.agentId ? { agentId: a.agentId } : {}),
            ...(a.model ? { model: a.model } : {}),
          })),
        }
      : {}),
  };
}

function publishedResult(a: AttemptView): AttemptResult {
  return { ...attemptSummary(a), ...(a.worktreeId ? { worktreeId: a.worktreeId } : {}), ...(a.worktreePath ? { worktreePath: a.worktreePath } : {}) };
}

function publishedComparison(c: Comparison): AttemptComparison {
  return { group: publishedGroup(c.group) as Omit<AttemptGroup, 'attempts'>, attempts: c.attempts.map(publishedResult) };
}

function publishedKeep(k: KeepOutcome): KeepAttemptResult {
  const group = publishedGroup(k.group) as AttemptGroup;
  return k.status === 'clean' ? { status: 'clean', group } : { status: 'conflicts', worktreeId: k.worktreeId, files: [...k.files], operation: k.operation, group };
}

/** The `attempts` methods of getAPI(1) (checked by `validated` in api.ts before they run). */
export function attemptsMethods(services: () => Promise<Services>) {
  const bestOf = async () => (await services()).bestOfN;
  return {
    start: async (input: { workspaceId: string; name: string; prompt: string; count?: number; models?: (string | null)[]; baseBranch?: string; mode?: AgentMode; permissions?: Permission[] }) => {
      const { models, ...rest } = input;
      return publishedGroup(await (await bestOf()).start({ ...rest, ...(models ? { models: models.map((m) => m ?? undefined) } : {}) })) as AttemptGroup;
    },
    list: async (workspaceId: string) => (await (await bestOf()).list(workspaceId)).map((g) => publishedGroup(g) as AttemptGroup),
    get: async (id: string) => publishedGroup(await (await bestOf()).get(id)) as AttemptGroup,
    compare: async (id: string) => publishedComparison(await (await bestOf()).compare(id)),
    keep: async (id: string, attemptId: string, options?: { commitMessage?: string; strategy?: 'merge' | 'squash' | 'rebase' }) => publishedKeep(await (await bestOf()).keep(id, attemptId, options ?? {})),
    discardOthers: async (id: string, options?: { removeWorktrees?: boolean }) => (await bestOf()).discardOthers(id, options ?? {}),
  };
}
