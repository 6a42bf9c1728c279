import * as assert from 'node:assert/strict';
import { ClaudeManagerError } from '../../src/services/errors';

/**
 * For `assert.rejects` / `assert.throws`: the error is a ClaudeManagerError with this code and a
 * message matching `pattern`; a mismatch fails with what was thrown instead.
 */
export function withCode(code: string, pattern: RegExp = /./) {
  return (error: unknown): true => {
    assert.ok(error instanceof ClaudeManagerError, `not a ClaudeManagerError: ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return true;
  };
}
