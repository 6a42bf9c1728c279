import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decode, fields, int, isoTime, jsonListOf, nullAsUndefined, optional, record, string } from '../../src/services/storage/decode';
import { messageCheck, type StoredMessage } from '../../src/services/storage/messageStore';
import { type AgentRecord, agentRow, agentToRow, workspaceRow, worktreeRow } from '../../src/services/storage/records';

const T = '2026-11-23T10:00:00.000Z';

function agent(): AgentRecord {
  return {
    id: 'ag_one',
    worktreeId: 'wt_one',
    name: 'Agent 1',
    status: 'running',
    statusReason: 'working',
    contextLevel: 40,
    mode: 'regular',
    permissions: ['read', 'write'],
    model: 'opus',
    displayOrder: 2,
    pid: 4242,
    sessionId: undefined,
    ownerWindow: 'w1',
    ownerHeartbeatAt: T,
    parentAgentId: undefined,
    createdAt: T,
    updatedAt: T,
    startedAt: T,
    stoppedAt: undefined,
    deletedAt: undefined,
  };
}

function issues(result: ReturnType<typeof decode>): string[] {
  assert.equal(result.ok, false, 'refused');
  return result.ok ? [] : result.issues;
}

describe('Row and record decoding', () => {
  it('reads an agent row back as the record it was written from, NULL columns as undefined keys', () => {
    const decoded = decode(agentRow, agentToRow(agent()));
    assert.ok(decoded.ok);
    assert.deepStrictEqual(decoded.value, agent());
    assert.ok('sessionId' in decoded.value && decoded.value.sessionId === undefined, 'the key is there, undefined');
  });

  it('refuses a row that does not fit, naming every column at fault', () => {
    const row = { ...agentToRow(agent()), id: 'wt_not_an_agent', context_level: 101, status: 'sleeping', permissions: '["read","root"]', pid: 1.5 };
    const found = issues(decode(agentRow, row));
    assert.deepEqual(found.map((i) => i.split(': ')[0]), ['id', 'status', 'context_level', 'permissions', 'pid']);
    assert.match(found[0]!, /^id: .*"ag_"/);
    assert.match(found[2]!, /^context_level: .*0 to 100/);
    assert.match(issues(decode(agentRow, { ...agentToRow(agent()), permissions: 'not json' }))[0]!, /^permissions: not json is not a list of read\/write\/execute$/);
    const { model: _model, ...missing } = agentToRow(agent());
    assert.deepEqual(issues(decode(agentRow, missing)).map((i) => i.split(': ')[0]), ['model'], 'a NULL-able column must still be there');
    assert.deepEqual(issues(decode(agentRow, null)), [': expected an object, got null']);
  });

  it('checks worktree and workspace rows: 0/1 flags, NULLs, prefixes, times, whole numbers', () => {
    const wt = { id: 'wt_a', workspace_id: 'ws_a', name: 'a', branch: null, path: '/a', sort_mode: 'free', display_order: 0, is_main: 1, base_branch: null, pull_request_url: null, port_base: null, port_count: null, created_at: T, updated_at: T };
    const decoded = decode(worktreeRow, wt);
    assert.ok(decoded.ok);
    assert.equal(decoded.value.isMain, true);
    assert.equal(decoded.value.branch, null, 'a NULL branch stays null');
    assert.ok(!('baseBranch' in decoded.value) && !('pullRequestUrl' in decoded.value), 'NULL base branch and pull request: no keys');
    const withBase = decode(worktreeRow, { ...wt, base_branch: 'develop', pull_request_url: 'https://example.test/pr/1' });
    assert.deepEqual(withBase.ok && [withBase.value.baseBranch, withBase.value.pullRequestUrl], ['develop', 'https://example.test/pr/1']);
    assert.deepEqual(issues(decode(worktreeRow, { ...wt, is_main: 2, sort_mode: 'size', created_at: '2026' })).map((i) => i.split(': ')[0]), ['sort_mode', 'is_main', 'created_at']);
    const ws = { id: 'ws_a', name: 'a', path: '/a', created_at: T, updated_at: T, worktree_count: 1, agent_count: 0 };
    assert.ok(decode(workspaceRow, ws).ok);
    assert.deepEqual(issues(decode(workspaceRow, { ...ws, worktree_count: '1', agent_count: Number.NaN })).map((i) => i.split(': ')[0]), ['worktree_count', 'agent_count']);
  });

  it('builds a new object of the known keys only: unknown keys dropped, absent optional keys stay absent', () => {
    const input: StoredMessage & { extra?: string } = { id: 'msg_a', agentId: 'ag_a', role: 'tool', kind: 'tool', content: '', toolInput: { command: 'ls' }, isComplete: true, createdAt: T, extra: 'x' };
    const decoded = decode(messageCheck, input);
    assert.ok(decoded.ok);
    assert.notEqual(decoded.value, input);
    assert.deepStrictEqual(Object.keys(decoded.value), ['id', 'agentId', 'role', 'kind', 'content', 'toolInput', 'isComplete', 'createdAt']);
    assert.deepStrictEqual(decoded.value.toolInput, { command: 'ls' });
    const withUndefined = decode(messageCheck, { ...input, toolName: undefined });
    assert.ok(withUndefined.ok && 'toolName' in withUndefined.value, 'a key given as undefined is kept as given');
  });

  it('checks a message as the API describes it', () => {
    const ok: StoredMessage = { id: 'msg_A-b_1', agentId: 'ag_a', role: 'user', kind: 'text', content: 'hi', isComplete: false, createdAt: T, tokenCount: 0 };
    assert.ok(decode(messageCheck, ok).ok);
    const at = (patch: Record<string, unknown>) => issues(decode(messageCheck, { ...ok, ...patch })).map((i) => i.split(': ')[0]);
    assert.deepEqual(at({ id: 'msg_a b' }), ['id']);
    assert.deepEqual(at({ agentId: 'ag_a/b' }), ['agentId']);
    assert.deepEqual(at({ tokenCount: -1 }), ['tokenCount']);
    assert.deepEqual(at({ toolInput: ['ls'] }), ['toolInput']);
    assert.deepEqual(at({ toolInput: null }), ['toolInput']);
    assert.deepEqual(at({ isError: 'yes', isComplete: undefined }), ['isError', 'isComplete']);
  });

  it('names nested fields by their path', () => {
    const check = fields<{ m: { n: number } }>({ m: fields<{ n: number }>({ n: int() }) });
    assert.deepEqual(issues(decode(check, { m: { n: 'x' } })), ['m.n: expected a whole number, got "x"']);
  });

  it('has field checks that refuse what they should', () => {
    assert.equal(decode(isoTime, '2026-11-2').ok, false);
    assert.equal(decode(isoTime, '2026-11-23').ok, true);
    assert.equal(decode(int(0, 3), 4).ok, false);
    assert.equal(decode(int(), 2 ** 60).ok, false);
    assert.equal(decode(int(), Number.POSITIVE_INFINITY).ok, false);
    assert.deepEqual(decode(nullAsUndefined(string), null), { ok: true, value: undefined });
    assert.equal(decode(nullAsUndefined(string), undefined).ok, false);
    assert.deepEqual(decode(optional(string), undefined), { ok: true, value: undefined });
    assert.equal(decode(optional(string), null).ok, false);
    assert.equal(decode(jsonListOf(['a', 'b']), '"a"').ok, false);
    assert.deepEqual(decode(jsonListOf(['a', 'b']), '["b","a"]'), { ok: true, value: ['b', 'a'] });
    assert.equal(decode(record, new Date()).ok, false);
    const source = JSON.parse('{"__proto__": {"x": 1}, "y": 2}') as Record<string, unknown>;
    const copied = decode(record, source);
    assert.ok(copied.ok);
    assert.deepStrictEqual(Object.keys(copied.value), ['__proto__', 'y']);
    assert.equal(Object.getPrototypeOf(copied.value), Object.prototype, 'a "__proto__" key is copied as a key, not as the prototype');
  });
});
