import type * as vscode from 'vscode';
import { ClaudeManagerError, type ErrorCode } from '../../services/errors';
import type { Worktree as ServiceWorktree } from '../../services/workspaces/workspaceService';
import type { Services } from '../services';
import type { ErrorCode as ApiErrorCode, ClaudeManagerApi, ClaudeManagerExtension, Workspace, Worktree } from './claudeManager';

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
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
  };
}

/** Builds the object `activate()` returns. Every member is backed by the services the views use. */
export function createExtensionApi(services: () => Promise<Services>, events: {
  onDidChangeWorkspaces: vscode.Event<Workspace[]>;
  onDidChangeWorktrees: vscode.Event<{ workspaceId: string }>;
}): ClaudeManagerExtension {
  const ws = async () => (await services()).workspaces;
  const v1: ClaudeManagerApi = Object.freeze({
    version: 1 as const,
    workspaces: Object.freeze({
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
    worktrees: Object.freeze({
      list: async (workspaceId: string) => (await (await ws()).listWorktrees(workspaceId)).map(worktree),
      get: async (id: string) => worktree(await (await ws()).getWorktree(id)),
      create: async (input: { workspaceId: string; branch: string; newBranch?: boolean; baseRef?: string; path?: string }) => worktree(await (await ws()).createWorktree(input)),
      update: async (id: string, patch: { name?: string; sortMode?: 'free' | 'status' | 'name' }) => worktree(await (await ws()).updateWorktree(id, patch)),
      delete: async (id: string, options?: { force?: boolean; deleteBranch?: boolean }) => (await ws()).deleteWorktree(id, options ?? {}),
      checkoutBranch: async (id: string, branch: string, options?: { create?: boolean }) => worktree(await (await ws()).checkoutBranch(id, branch, options ?? {})),
      reorder: async (workspaceId: string, orderedIds: readonly string[]) => (await (await ws()).reorderWorktrees(workspaceId, orderedIds)).map(worktree),
      gitStatus: async (id: string) => (await ws()).gitStatus(id),
      listBranches: async (id: string) => (await ws()).listBranches(id),
      prune: async (workspaceId: string) => (await ws()).prune(workspaceId),
    }),
    onDidChangeWorkspaces: events.onDidChangeWorkspaces,
    onDidChangeWorktrees: events.onDidChangeWorktrees,
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
