/**
 * The public API of the Claude Manager extension, for other extensions and scripts:
 *
 *   const ext = vscode.extensions.getExtension<ClaudeManagerExtension>('claude-manager.claude-manager');
 *   const api = (await ext.activate()).getAPI(1);
 *
 * Versioned like the built-in git extension's: a version, once published, only grows compatibly
 * (new optional fields, new methods). It declares only what the extension implements; agents and
 * usage join it as they are built.
 */

/** Codes carried by every error the API rejects or throws with. */
export type ErrorCode =
  | 'NOT_FOUND'
  | 'INVALID_INPUT'
  | 'NOT_A_REPOSITORY'
  | 'GIT_FAILED'
  | 'BRANCH_IN_USE'
  | 'PATH_EXISTS'
  | 'LOCKED'
  | 'UNSAFE_DELETE'
  | 'AGENTS_RUNNING'
  | 'CLI_NOT_FOUND'
  | 'CLI_NOT_LOGGED_IN'
  | 'ALREADY_RUNNING'
  | 'NOT_RUNNING'
  | 'OWNED_BY_OTHER_WINDOW'
  | 'NO_PENDING_PERMISSION'
  | 'UNTRUSTED_WORKSPACE'
  | 'STORAGE_FAILED';

/** An error from the API: `message` says what failed and what to do. */
export interface ClaudeManagerApiError extends Error {
  readonly code: ErrorCode;
}

/** Something to stop listening with (a `vscode.Disposable`). */
export interface Disposable {
  dispose(): unknown;
}

/** An event: call it with a listener; dispose the result to stop listening (a `vscode.Event`). */
export type Event<T> = (listener: (e: T) => unknown) => Disposable;

export type SortMode = 'free' | 'status' | 'name';

/** A git repository Claude Manager works with. */
export interface Workspace {
  readonly id: string;
  readonly name: string;
  /** The main worktree's folder. */
  readonly path: string;
  readonly worktreeCount: number;
  readonly agentCount: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Worktree {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  /** Null when HEAD is detached. */
  readonly branch: string | null;
  readonly path: string;
  readonly isMain: boolean;
  /** The commit checked out ("" before the first commit). */
  readonly head: string;
  readonly locked: boolean;
  /** Its folder is gone from disk. */
  readonly missing: boolean;
  /** How its agents are sorted. */
  readonly sortMode: SortMode;
  readonly displayOrder: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface GitStatus {
  readonly branch: string | null;
  readonly upstream?: string;
  readonly ahead: number;
  readonly behind: number;
  readonly staged: readonly string[];
  readonly modified: readonly string[];
  readonly untracked: readonly string[];
  readonly conflicted: readonly string[];
  readonly isClean: boolean;
}

export interface Branches {
  readonly current: string | null;
  readonly local: readonly string[];
  /** As "remote/name". */
  readonly remote: readonly string[];
}

export interface WorkspacesApi {
  list(): Promise<Workspace[]>;
  get(id: string): Promise<Workspace>;
  /** Adds the repository holding `path`; a known one returns the existing workspace. NOT_A_REPOSITORY otherwise. */
  create(input: { path: string; name?: string }): Promise<Workspace>;
  /** Forgets it; touches no files. */
  delete(id: string): Promise<void>;
  /** Reads its worktrees from git again. */
  refresh(id: string): Promise<Workspace>;
}

export interface WorktreesApi {
  list(workspaceId: string): Promise<Worktree[]>;
  get(id: string): Promise<Worktree>;
  /**
   * `newBranch`: a new branch off `baseRef` (default: the main worktree's HEAD); else an existing
   * local branch; else a remote branch "remote/name", checked out as local "name" tracking it.
   */
  create(input: { workspaceId: string; branch: string; newBranch?: boolean; baseRef?: string; path?: string }): Promise<Worktree>;
  update(id: string, patch: { name?: string; sortMode?: SortMode }): Promise<Worktree>;
  /**
   * Refuses the main worktree; a locked one (LOCKED); one with running agents unless `force`
   * (AGENTS_RUNNING; `force` stops them); and, unless `force`, one whose removal loses work
   * (UNSAFE_DELETE, listing it).
   */
  delete(id: string, options?: { force?: boolean; deleteBranch?: boolean }): Promise<void>;
  checkoutBranch(id: string, branch: string, options?: { create?: boolean }): Promise<Worktree>;
  reorder(workspaceId: string, orderedIds: readonly string[]): Promise<Worktree[]>;
  gitStatus(id: string): Promise<GitStatus>;
  listBranches(id: string): Promise<Branches>;
  /** Forgets worktrees whose folders are gone. */
  prune(workspaceId: string): Promise<{ pruned: string[] }>;
}

/** Version 1 of the API. */
export interface ClaudeManagerApi {
  /** Always 1 for this interface. */
  readonly version: 1;
  readonly workspaces: WorkspacesApi;
  readonly worktrees: WorktreesApi;
  readonly onDidChangeWorkspaces: Event<Workspace[]>;
  readonly onDidChangeWorktrees: Event<{ workspaceId: string }>;
}

/** What `activate()` returns. */
export interface ClaudeManagerExtension {
  /** Throws an error with code INVALID_INPUT for a version this extension does not provide. */
  getAPI(version: 1): ClaudeManagerApi;
}
