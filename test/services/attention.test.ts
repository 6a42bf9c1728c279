import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Agent } from '../../src/services/agents/agentRuntime';
import { attentionFor } from '../../src/services/agents/attention';

const base: Agent = {
  id: 'ag_1', worktreeId: 'wt_1', name: 'fixer', status: 'running', statusReason: 'thinking', contextLevel: 0, mode: 'regular', permissions: ['read'],
  displayOrder: 0, ownedByThisWindow: true, pendingPermissions: [], usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0, costUsd: 0 },
  createdAt: '2026-11-24T00:00:00Z', updatedAt: '2026-11-24T00:00:00Z',
} as unknown as Agent;
const at = (patch: Partial<Agent>): Agent => ({ ...base, ...patch }) as Agent;
const request = (id: string, summary: string) => ({ requestId: id, toolName: 'Write', input: {}, summary, requestedAt: '2026-11-24T00:00:01Z' });

describe('what asks for the user\'s attention', () => {
  it('a new permission request, once; the end of a turn; a failure; an end the user did not ask for', () => {
    const asking = at({ status: 'waiting', statusReason: 'needs permission: Write a.ts', pendingPermissions: [request('r1', 'Write a.ts')] });
    assert.deepEqual(attentionFor(base, asking), { kind: 'permission', agentId: 'ag_1', requestId: 'r1', message: 'fixer needs permission: Write a.ts' });
    assert.equal(attentionFor(asking, asking), undefined, 'the same request is not announced twice');
    assert.equal(attentionFor(base, at({ status: 'waiting', statusReason: 'waiting for your message' }))?.message, 'fixer is waiting for your message.');
    assert.equal(attentionFor(base, at({ status: 'error', statusReason: 'API error 401: bad key' }))?.kind, 'failed');
    assert.equal(attentionFor(base, at({ status: 'error', statusReason: 'limited until 14:05' }))?.message, `${base.name} reached the plan's usage limit: limited until 14:05.`);
    assert.equal(attentionFor(base, at({ status: 'finished', statusReason: 'exited' }))?.kind, 'finished');
  });

  it('nothing for what the user did, for repeats, or for another window\'s agents', () => {
    assert.equal(attentionFor(base, at({ status: 'finished', statusReason: 'stopped' })), undefined, 'the user stopped it');
    assert.equal(attentionFor(base, at({ statusReason: 'running Bash: npm test' })), undefined, 'still running');
    const waiting = at({ status: 'waiting', statusReason: 'waiting for your message' });
    assert.equal(attentionFor(waiting, waiting), undefined, 'a repeat');
    assert.equal(attentionFor(undefined, waiting), undefined, 'first seen waiting: no turn ended just now');
    assert.equal(attentionFor(base, at({ status: 'error', statusReason: 'x', ownedByThisWindow: false })), undefined);
  });
});
