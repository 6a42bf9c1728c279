/** Error codes of the public API (src/extension/api/claudeManager.d.ts); every rejected call carries one. */
export const errorCodes = [
  'NOT_FOUND',
  'INVALID_INPUT',
  'NOT_A_REPOSITORY',
  'GIT_FAILED',
  'BRANCH_IN_USE',
  'PATH_EXISTS',
  'LOCKED',
  'UNSAFE_DELETE',
  'AGENTS_RUNNING',
  'CLI_NOT_FOUND',
  'CLI_NOT_LOGGED_IN',
  'ALREADY_RUNNING',
  'NOT_RUNNING',
  'OWNED_BY_OTHER_WINDOW',
  'NO_PENDING_PERMISSION',
  'UNTRUSTED_WORKSPACE',
  'STORAGE_FAILED',
  // Bringing a worktree's work back (docs/merge.md).
  'DIRTY_WORKTREE',
  'NOTHING_TO_COMMIT',
  'HOOK_FAILED',
  'MERGE_IN_PROGRESS',
  'NO_MERGE_IN_PROGRESS',
  'NO_REMOTE',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/**
 * Marks the extension's errors. A symbol from the global registry, not the class, identifies them:
 * the extension ships in more than one bundle (its lazily loaded part has its own copy of this
 * module), and an error made in one must be recognised in the other.
 */
const BRAND = Symbol.for('claude-manager.error');

/** An error with a stable code and a message that says what failed and what the user can do. */
export class ClaudeManagerError extends Error {
  override readonly name = 'ClaudeManagerError';

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
  }

  /** What a program said at length (a refusing hook's output), beside the one-line message. */
  readonly detail?: string;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown; detail?: string },
  ) {
    super(message, options);
    Object.defineProperty(this, BRAND, { value: true });
    if (options?.detail !== undefined) this.detail = options.detail;
  }
}

export function isClaudeManagerError(value: unknown): value is ClaudeManagerError {
  return value instanceof ClaudeManagerError;
}

/** Why no agent starts in an untrusted workspace, and how to change it. */
export function untrustedWorkspaceError(): ClaudeManagerError {
  return new ClaudeManagerError(
    'UNTRUSTED_WORKSPACE',
    'This workspace is not trusted, and an agent runs commands and edits files in it. Trust it first ("Workspaces: Manage Workspace Trust"), then start the agent.',
  );
}

/**
 * Why no git runs in an untrusted workspace: a repository's own configuration makes git run
 * programs (`core.fsmonitor`, hooks, `diff.external`). `what` names what needed git.
 */
export function untrustedGitError(what: string): ClaudeManagerError {
  return new ClaudeManagerError(
    'UNTRUSTED_WORKSPACE',
    `${what} needs git, and Claude Manager runs no git while this workspace is not trusted: a repository's own settings can make git run programs (core.fsmonitor, hooks). Trust the workspace first ("Workspaces: Manage Workspace Trust"), then try again.`,
  );
}
