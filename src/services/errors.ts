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
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** An error with a stable code and a message that says what failed and what the user can do. */
export class ClaudeManagerError extends Error {
  override readonly name = 'ClaudeManagerError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isClaudeManagerError(value: unknown): value is ClaudeManagerError {
  return value instanceof ClaudeManagerError;
}
