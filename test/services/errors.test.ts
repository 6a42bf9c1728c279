import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClaudeManagerError, isClaudeManagerError } from '../../src/services/errors';
import type * as ErrorsModule from '../../src/services/errors';

describe('ClaudeManagerError', () => {
  it('is recognised by a second copy of its module, as in the extension\'s other bundle', () => {
    const path = require.resolve('../../src/services/errors');
    const first = require.cache[path];
    delete require.cache[path];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const copy = require('../../src/services/errors') as typeof ErrorsModule;
    require.cache[path] = first;
    assert.notEqual(copy.ClaudeManagerError, ClaudeManagerError, 'a distinct class');
    const fromCopy = new copy.ClaudeManagerError('NOT_FOUND', 'made in the other bundle');
    assert.ok(isClaudeManagerError(fromCopy));
    assert.ok(fromCopy instanceof ClaudeManagerError);
    assert.ok(copy.isClaudeManagerError(new ClaudeManagerError('LOCKED', 'made here')));
  });

  it('is not claimed for other errors, nor for objects that only look like one', () => {
    assert.ok(!isClaudeManagerError(new Error('plain')));
    assert.ok(!isClaudeManagerError({ name: 'ClaudeManagerError', code: 'NOT_FOUND', message: 'x' }));
    assert.ok(!isClaudeManagerError(null));
    assert.ok(!((undefined as unknown) instanceof ClaudeManagerError));
  });
});
