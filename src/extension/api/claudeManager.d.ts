/**
 * The public API of the Claude Manager extension, for other extensions and scripts:
 *
 *   const ext = vscode.extensions.getExtension<ClaudeManagerExtension>('claude-manager.claude-manager');
 *   const api = (await ext.activate()).getAPI(1);
 *
 * Versioned like the built-in git extension's: a version, once published, only grows compatibly
 * (new optional fields, new methods). It declares only what the extension implements; workspaces,
 * worktrees, agents and usage join it as they are built.
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

/** Version 1 of the API. */
export interface ClaudeManagerApi {
  /** Always 1 for this interface. */
  readonly version: 1;
}

/** What `activate()` returns. */
export interface ClaudeManagerExtension {
  /** Throws an error with code INVALID_INPUT for a version this extension does not provide. */
  getAPI(version: 1): ClaudeManagerApi;
}
