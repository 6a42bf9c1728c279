import type * as vscode from 'vscode';
import { ClaudeManagerError, type ErrorCode } from '../../services/errors';
import type * as ApiInputsModule from './apiInputs';
type ApiMethod = ApiInputsModule.ApiMethod;
import type { Worktree as ServiceWorktree } from '../../services/workspaces/workspaceService';
import type { WorktreeChanges as ServiceWorktreeChanges } from '../../services/git/changes';
import type { Services } from '../services';
import { attemptsMethods } from './attemptsApi';
import type { Agent as ServiceAgent } from '../../services/agents/agentRuntime';
import { tokensAndCost, type UsageFilter as ServiceUsageFilter, type WeekStart } from '../../services/storage/usageRepository';
import type {
  Agent,
  AgentMode,
  ErrorCode as ApiErrorCode,
  ClaudeManagerApi,
  ClaudeManagerExtension,
  Message,
  Permission,
  PermissionRequest,
  ImageAttachment,
  MergeStrategy,
  QueuedMessage,
  QuestionAnswers,
  UsageFilter,
  Workspace,
  Worktree,
  WorktreeChanges,
} from './claudeManager';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Fails to compile when the services' error codes and the published ones drift apart. */
const errorCodesMatch: Same<ErrorCode, ApiErrorCode> = true;
void errorCodesMatch;

/** The published shape of a worktree: exactly the documented fields. */
function worktree(w: ServiceWorktree): Worktree {
  return {
    id: w.id,
    workspaceId: w.workspaceId,
    name: w.name,
    branch: w.branch,
    path: w.path,
    isMain: w.isMain,
    head: w.head,
    locked: w.locked,
    missing: w.missing,
    sortMode: w.sortMode,
    displayOrder: w.displayOrder,
    ...(w.pullRequestUrl ? { pullRequestUrl: w.pullRequestUrl } : {}),
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
    ...(w.baseBranch ? { baseBranch: w.baseBranch } : {}),
  };
}

/** The published shape of a worktree's changes: the documented fields of each file. */
function publishedChanges(c: ServiceWorktreeChanges): WorktreeChanges {
  return {
    worktreeId: c.worktreeId,
    baseBranch: c.baseBranch,
    baseRecorded: c.baseRecorded,
    mergeBase: c.mergeBase,
    head: c.head,
    files: c.files.map((f) => ({
      path: f.path,
      ...(f.oldPath !== undefined ? { oldPath: f.oldPath } : {}),
      status: f.status,
      ...(f.untracked ? { untracked: true as const } : {}),
      ...(f.insertions !== undefined ? { insertions: f.insertions, deletions: f.deletions ?? 0 } : {}),
      ...(f.binary ? { binary: true as const } : {}),
    })),
    insertions: c.insertions,
    deletions: c.deletions,
  };
}

/** The published shape of an agent: the documented fields, without the store's bookkeeping. */
export function publishedAgent(a: ServiceAgent): Agent {
  return {
    id: a.id,
    worktreeId: a.worktreeId,
    name: a.name,
    status: a.status,
    statusReason: a.statusReason,
    contextLevel: a.contextLevel,
    mode: a.mode,
    permissions: a.permissions,
    ...(a.model !== undefined ? { model: a.model } : {}),
    displayOrder: a.displayOrder,
    ...(a.pid !== undefined ? { pid: a.pid } : {}),
    ...(a.sessionId !== undefined ? { sessionId: a.sessionId } : {}),
    ...(a.parentAgentId !== undefined ? { parentAgentId: a.parentAgentId } : {}),
    ownedByThisWindow: a.ownedByThisWindow,
    pendingPermissions: a.pendingPermissions,
    usage: tokensAndCost(a.usage),
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
    ...(a.startedAt !== undefined ? { startedAt: a.startedAt } : {}),
    ...(a.stoppedAt !== undefined ? { stoppedAt: a.stoppedAt } : {}),
    ...(a.deletedAt !== undefined ? { deletedAt: a.deletedAt } : {}),
  };
}

/** Only the filter's documented keys reach the store. */
function usageFilter(f: UsageFilter | undefined): ServiceUsageFilter {
  return { ...(f?.workspaceId ? { workspaceId: f.workspaceId } : {}), ...(f?.worktreeId ? { worktreeId: f.worktreeId } : {}), ...(f?.agentId ? { agentId: f.agentId } : {}) };
}

/**
 * A group of methods whose inputs are checked before each call (`apiInputs`): a bad call rejects
 * with INVALID_INPUT and reaches no service. (A unit test holds the published methods and the
 * schemas to the same list.)
 */
function validated<G extends object>(group: string, methods: G): Readonly<G> {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(methods) as [string, (...args: unknown[]) => Promise<unknown>][]) {
    const method = `${group}.${name}`;
    out[name] = async (...args: unknown[]) => {
      // Loaded on the first call: zod and the schemas cost activation milliseconds otherwise.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { checkInput } = require('./apiInputs') as typeof ApiInputsModule;
      return fn(...checkInput(method as ApiMethod, args));
    };
  }
  return Object.freeze(out) as Readonly<G>;
}

/** The published shape of a queued message. */
export function publishedQueued(agentId: string, m: { id: string; content: string; queuedAt: string; images?: QueuedMessage['images'] }): QueuedMessage {
  return { id: m.id, agentId, content: m.content, queuedAt: m.queuedAt, ...(m.images?.length ? { images: m.images.map((i) => ({ ...i })) } : {}) };
}

export interface ApiEvents {
  onDidChangeWorkspaces: vscode.Event<Workspace[]>;
  onDidChangeWorktrees: vscode.Event<{ workspaceId: string }>;
  onDidChangeAgent: vscode.Event<Agent>;
  onDidReceiveMessage: vscode.Event<{ agentId: string; message: Message }>;
  onDidRequestPermission: vscode.Event<{ agentId: string; request: PermissionRequest }>;
  onDidChangeUsage: vscode.Event<{ agentId: string }>;
  onDidChangeQueuedMessages: vscode.Event<{ agentId: string; messages: readonly QueuedMessage[] }>;
}

/**
 * Builds the object `activate()` returns. Every member is backed by the services the views use.
 * `weekStart`: the first day of the usage figures' weeks (claudeManager.firstDayOfWeek), read at each call.
 */
export function createExtensionApi(services: () => Promise<Services>, events: ApiEvents, weekStart: () => WeekStart = () => 1): ClaudeManagerExtension {
  const ws = async () => (await services()).workspaces;
  const rt = async () => (await services()).runtime;
  const store = async () => (await services()).store;
  const v1: ClaudeManagerApi = Object.freeze({
    version: 1 as const,
    workspaces: validated('workspaces', {
      list: async () => (await ws()).listWorkspaces(),
      get: async (id: string) => (await ws()).getWorkspace(id),
      create: async (input: { path: string; name?: string }) => {
        const created = await (await ws()).createWorkspace(input);
        if (!created) throw new ClaudeManagerError('INVALID_INPUT', `${input.path} could not be added.`);
        return created;
      },
      delete: async (id: string) => (await ws()).deleteWorkspace(id),
      refresh: async (id: string) => (await ws()).refreshWorkspace(id),
    }),
    worktrees: validated('worktrees', {
      list: async (workspaceId: string) => (await (await ws()).listWorktrees(workspaceId)).map(worktree),
      get: async (id: string) => worktree(await (await ws()).getWorktree(id)),
      create: async (input: { workspaceId: string; branch: string; newBranch?: boolean; baseRef?: string; path?: string }) => worktree(await (await ws()).createWorktree(input)),
      update: async (id: string, patch: { name?: string; sortMode?: 'free' | 'status' | 'name'; baseBranch?: string | null }) => {
        const { baseBranch, ...rest } = patch;
        const s = await services();
        // The base first: it is the part that can be refused (a branch that does not exist).
        if (baseBranch !== undefined) {
          await s.workspaces.setBaseBranch(id, baseBranch);
          s.changes.refreshInBackground(id);
        }
        return worktree(await s.workspaces.updateWorktree(id, rest));
      },
      delete: async (id: string, options?: { force?: boolean; deleteBranch?: boolean }) => (await ws()).deleteWorktree(id, options ?? {}),
      checkoutBranch: async (id: string, branch: string, options?: { create?: boolean }) => worktree(await (await ws()).checkoutBranch(id, branch, options ?? {})),
      reorder: async (workspaceId: string, orderedIds: readonly string[]) => (await (await ws()).reorderWorktrees(workspaceId, orderedIds)).map(worktree),
      gitStatus: async (id: string) => (await ws()).gitStatus(id),
      listBranches: async (id: string) => (await ws()).listBranches(id),
      prune: async (workspaceId: string) => (await ws()).prune(workspaceId),
      // Bringing work back (docs/merge.md): conflicts are a result, not an error.
      commit: async (id: string, message: string) => (await services()).merges.commit(id, message),
      merge: async (id: string, options: { strategy: MergeStrategy }) => (await services()).merges.merge(id, options),
      continueMerge: async (id: string) => (await services()).merges.continueMerge(id),
      abortMerge: async (id: string) => (await services()).merges.abortMerge(id),
      push: async (id: string) => (await services()).publish.push(id),
      changes: async (id: string) => publishedChanges(await (await services()).changes.changes(id)),
      collisions: async (workspaceId: string) => (await (await services()).changes.collisions(workspaceId)).map((c) => ({ worktreeIds: c.worktreeIds, files: c.files })),
    }),
    agents: validated('agents', {
      list: async (filter?: { worktreeId?: string; includeDeleted?: boolean }) => (await (await rt()).list(filter ?? {})).map(publishedAgent),
      get: async (id: string) => publishedAgent(await (await rt()).get(id)),
      create: async (input: { worktreeId: string; name?: string; mode?: AgentMode; permissions?: Permission[]; model?: string }) => publishedAgent(await (await rt()).create(input)),
      update: async (id: string, patch: { name?: string; mode?: AgentMode; permissions?: Permission[]; model?: string }) => publishedAgent(await (await rt()).update(id, patch)),
      delete: async (id: string, options?: { archive?: boolean }) => (await rt()).delete(id, options ?? {}),
      restore: async (id: string) => publishedAgent(await (await rt()).restore(id)),
      reorder: async (worktreeId: string, orderedIds: readonly string[]) => (await (await rt()).reorder(worktreeId, orderedIds)).map(publishedAgent),
      start: async (id: string, options?: { initialPrompt?: string }) => publishedAgent(await (await rt()).start(id, options ?? {})),
      stop: async (id: string, options?: { force?: boolean }) => publishedAgent(await (await rt()).stop(id, options ?? {})),
      interrupt: async (id: string) => (await rt()).interrupt(id),
      takeOver: async (id: string, options?: { initialPrompt?: string }) => publishedAgent(await (await rt()).takeOver(id, options ?? {})),
      sendMessage: async (id: string, content: string, options?: { images?: ImageAttachment[] }) => (await rt()).sendMessage(id, content, options ?? {}),
      getImage: async (id: string, imageId: string) => {
        const { mediaType, data } = await (await rt()).images.find(id, imageId);
        return { mediaType, data: data.toString('base64') };
      },
      getQueuedMessages: async (id: string) => (await (await rt()).queue.list(id)).map((m) => publishedQueued(id, m)),
      editQueuedMessage: async (id: string, messageId: string, content: string) => publishedQueued(id, await (await rt()).queue.edit(id, messageId, content)),
      removeQueuedMessage: async (id: string, messageId: string) => (await rt()).queue.remove(id, messageId),
      sendQueuedMessageNow: async (id: string, messageId: string) => (await rt()).queue.sendNow(id, messageId),
      getMessages: async (id: string, options?: { limit?: number; before?: string }) => (await rt()).getMessages(id, options ?? {}),
      fork: async (id: string, options?: { name?: string }) => publishedAgent(await (await rt()).fork(id, options ?? {})),
      listCliSessions: async (worktreeId: string) => (await rt()).adoptableSessions(worktreeId),
      adoptSession: async (worktreeId: string, sessionId: string, options?: { name?: string }) => publishedAgent(await (await rt()).adoptSession(worktreeId, sessionId, options ?? {})),
      respondToPermission: async (id: string, requestId: string, answer: { behavior: 'allow' | 'deny'; message?: string; always?: boolean; suggestion?: number; answers?: QuestionAnswers }) =>
        (await rt()).respondToPermission(id, requestId, answer),
      answerQuestion: async (id: string, requestId: string, answers: QuestionAnswers) => (await rt()).respondToPermission(id, requestId, { behavior: 'allow', answers }),
      setMode: async (id: string, mode: AgentMode) => publishedAgent(await (await rt()).setMode(id, mode)),
    }),
    usage: validated('usage', {
      today: async (filter?: UsageFilter) => (await store()).usage.today(usageFilter(filter)),
      // Weeks begin on the day claudeManager.firstDayOfWeek names (Monday unless changed).
      get: async (period: 'daily' | 'weekly' | 'monthly', date?: string, filter?: UsageFilter) =>
        (await store()).usage.get(period, date, { ...usageFilter(filter), weekStart: weekStart() }),
      history: async (options: { period: 'daily' | 'weekly' | 'monthly'; from?: string; to?: string } & UsageFilter) =>
        (await store()).usage.history({
          period: options.period,
          ...(options.from ? { from: options.from } : {}),
          ...(options.to ? { to: options.to } : {}),
          ...usageFilter(options),
          weekStart: weekStart(),
        }),
      limits: async () => (await rt()).limits(),
    }),
    attempts: validated('attempts', attemptsMethods(services)),
    onDidChangeWorkspaces: events.onDidChangeWorkspaces,
    onDidChangeWorktrees: events.onDidChangeWorktrees,
    onDidChangeAgent: events.onDidChangeAgent,
    onDidReceiveMessage: events.onDidReceiveMessage,
    onDidRequestPermission: events.onDidRequestPermission,
    onDidChangeUsage: events.onDidChangeUsage,
    onDidChangeQueuedMessages: events.onDidChangeQueuedMessages,
  });
  return {
    getAPI(version: number): ClaudeManagerApi {
      if (version !== 1) {
        throw new ClaudeManagerError(
          'INVALID_INPUT',
          `Claude Manager API version ${String(version)} does not exist; this extension provides version 1.`,
        );
      }
      return v1;
    },
  };
}
