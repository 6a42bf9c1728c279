import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recordReliability } from '../helpers/reliability';
import { createExtensionApi, type ApiEvents } from '../../src/extension/api/api';
import { type ApiMethod, apiInputs } from '../../src/extension/api/apiInputs';
import type { Services } from '../../src/extension/services';

const WS = 'ws_0m3k2x9a1b2c3d4e5f6a7b8c';
const WT = 'wt_0m3k2x9a1b2c3d4e5f6a7b8c';
const AG = 'ag_0m3k2x9a1b2c3d4e5f6a7b8c';
const MSG = 'msg_0m3k2x9a1b2c3d4e5f6a7b8c';
const GRP = 'grp_0m3k2x9a1b2c3d4e5f6a7b8c';
const ATT = 'att_0m3k2x9a1b2c3d4e5f6a7b8c';

/** A valid call of each method: it must pass the check and reach the services. */
const valid: Record<ApiMethod, unknown[]> = {
  'workspaces.list': [],
  'workspaces.get': [WS],
  'workspaces.create': [{ path: '/repos/app', name: 'app' }],
  'workspaces.delete': [WS],
  'workspaces.refresh': [WS],
  'worktrees.list': [WS],
  'worktrees.get': [WT],
  'worktrees.create': [{ workspaceId: WS, branch: 'feature/x', newBranch: true, baseRef: 'main' }],
  'worktrees.update': [WT, { sortMode: 'name', baseBranch: 'main' }],
  'worktrees.delete': [WT, { force: true }],
  'worktrees.checkoutBranch': [WT, 'main', { create: false }],
  'worktrees.reorder': [WS, [WT]],
  'worktrees.gitStatus': [WT],
  'worktrees.listBranches': [WT],
  'worktrees.prune': [WS],
  'worktrees.commit': [WT, '  Fix the login\n\nkeeps its lines'],
  'worktrees.merge': [WT, { strategy: 'squash' }],
  'worktrees.continueMerge': [WT],
  'worktrees.abortMerge': [WT],
  'worktrees.push': [WT],
  'worktrees.changes': [WT],
  'worktrees.collisions': [WS],
  'agents.list': [{ worktreeId: WT, includeDeleted: true }],
  'agents.get': [AG],
  'agents.create': [{ worktreeId: WT, name: 'fixer', mode: 'plan', permissions: ['read', 'write'], model: 'sonnet' }],
  'agents.update': [AG, { name: 'renamed' }],
  'agents.delete': [AG, { archive: false }],
  'agents.restore': [AG],
  'agents.reorder': [WT, [AG]],
  'agents.start': [AG, { initialPrompt: '  keeps its indentation' }],
  'agents.stop': [AG],
  'agents.interrupt': [AG],
  'agents.takeOver': [AG, { initialPrompt: 'go on' }],
  'agents.sendMessage': [AG, '    indented code', { images: [{ data: 'iVBORw0KGgo=', mediaType: 'image/png', name: 'shot.png' }] }],
  'agents.getImage': [AG, 'img_0m3k2x9a1b2c3d4e5f6a7b8c'],
  'agents.getQueuedMessages': [AG],
  'agents.editQueuedMessage': [AG, MSG, '  keeps its indentation'],
  'agents.removeQueuedMessage': [AG, MSG],
  'agents.sendQueuedMessageNow': [AG, MSG],
  'agents.getMessages': [AG, { limit: 500, before: 'cursor' }],
  'agents.fork': [AG, { name: 'copy' }],
  'agents.listCliSessions': [WT],
  'agents.adoptSession': [WT, '0b0b0b0b-1111-4222-8333-444444444444', { name: 'adopted' }],
  'agents.respondToPermission': [AG, 'req_1', { behavior: 'deny', message: 'no', always: false }],
  'agents.answerQuestion': [AG, 'req_1', { 'Which one?': 'SQLite', 'Which features?': ['Search', 'Export'] }],
  'agents.setMode': [AG, 'auto'],
  'usage.today': [{ agentId: AG }],
  'usage.get': ['weekly', '2026-11-23', { workspaceId: WS }],
  'usage.history': [{ period: 'monthly', from: '2026-01-01', worktreeId: WT }],
  'usage.limits': [],
  'attempts.start': [{ workspaceId: WS, name: 'try', prompt: 'Fix the bug', models: ['sonnet', null, 'haiku'], baseBranch: 'main', mode: 'auto', permissions: ['read', 'write'] }],
  'attempts.list': [WS],
  'attempts.get': [GRP],
  'attempts.compare': [GRP],
  'attempts.keep': [GRP, ATT, { commitMessage: 'Keep try 2' }],
  'attempts.discardOthers': [GRP, { removeWorktrees: true }],
};

/** Values that are wrong for every parameter of the API (no parameter is typed "anything"). */
const wrong: unknown[] = [42, null, true, Symbol('s'), () => undefined, ['x'], { length: 1 }, '', '  \n'];
/** And for ids: strings that are no id of the kind. */
const wrongIds: unknown[] = ['ws_UPPER', `${AG}; rm -rf /`, 'ag_', `${WS}\n`, 'wt_../../etc'];

function harness() {
  let reached = 0;
  const services = async (): Promise<Services> => {
    reached++;
    // Nothing behind it: a call that gets here rejects with this, not with INVALID_INPUT.
    throw Object.assign(new Error('services reached'), { code: 'REACHED' });
  };
  const noEvent = () => ({ dispose() {} });
  const events = { onDidChangeWorkspaces: noEvent, onDidChangeWorktrees: noEvent, onDidChangeAgent: noEvent, onDidReceiveMessage: noEvent, onDidRequestPermission: noEvent, onDidChangeUsage: noEvent } as unknown as ApiEvents;
  const api = createExtensionApi(services, events).getAPI(1) as unknown as Record<string, Record<string, (...args: unknown[]) => Promise<unknown>>>;
  return { api, reached: () => reached };
}

function call(api: ReturnType<typeof harness>['api'], method: string, args: unknown[]): Promise<unknown> {
  const [group, name] = method.split('.') as [string, string];
  return api[group]![name]!(...args);
}

describe('the public API checks every input before it does anything', () => {
  it('has a schema for exactly the methods it publishes', () => {
    const { api } = harness();
    const published = ['workspaces', 'worktrees', 'agents', 'usage', 'attempts'].flatMap((g) => Object.keys(api[g]!).map((m) => `${g}.${m}`)).sort();
    assert.deepEqual(published, Object.keys(apiInputs()).sort());
  });

  it('lets each valid call through to the services', async () => {
    for (const [method, args] of Object.entries(valid)) {
      const h = harness();
      await assert.rejects(call(h.api, method, args), (e: Error & { code?: string }) => e.code === 'REACHED', `${method} with ${JSON.stringify(args)}`);
      assert.equal(h.reached(), 1, method);
    }
  });

  it('refuses a wrong value in any parameter with INVALID_INPUT naming the method and parameter, reaching nothing', async () => {
    let refused = 0;
    for (const [method, args] of Object.entries(valid) as [ApiMethod, unknown[]][]) {
      const params = apiInputs()[method] as readonly (readonly [string, unknown])[];
      for (const [i, [name]] of params.entries()) {
        for (const value of /^(id|workspaceId|worktreeId|messageId|attemptId)$/.test(name) ? [...wrong, ...wrongIds] : wrong) {
          // Leaving out an optional parameter is allowed: undefined is not among the wrong values.
          const h = harness();
          const bad = [...args];
          bad[i] = value;
          await assert.rejects(call(h.api, method, bad), (e: Error & { code?: string }) => {
            assert.equal(e.code, 'INVALID_INPUT', `${method}(${name} = ${String(typeof value === 'symbol' ? 'symbol' : JSON.stringify(value))}): ${e.message}`);
            assert.ok(e.message.startsWith(`${method}: ${name}`), e.message);
            return true;
          });
          assert.equal(h.reached(), 0, `${method} reached the services with a wrong ${name}`);
          refused++;
        }
      }
    }
    assert.ok(refused > 300, `${refused} wrong calls tried`);
    recordReliability({ area: 'Fuzzed and wrong inputs', what: 'getAPI(1) calls with a wrong value in one parameter (every parameter of every method)', count: refused, outcome: `${refused} of ${refused} refused with INVALID_INPUT naming the method and parameter; 0 reached the services`, test: 'test/services/apiInputs.test.ts' });
  });

  it('refuses unknown keys (typos), extra arguments, and out-of-range values, saying which', async () => {
    const { api, reached } = harness();
    const cases: [string, unknown[], RegExp][] = [
      ['agents.start', [AG, { initalPrompt: 'hi' }], /^agents\.start: options: unknown key "initalPrompt"\.$/],
      ['agents.getMessages', [AG, { limit: 501 }], /^agents\.getMessages: options\.limit: must be at most 500\.$/],
      ['agents.getMessages', [AG, { limit: 2.5 }], /^agents\.getMessages: options\.limit: expected a whole number\.$/],
      ['agents.sendMessage', [AG, '   \n '], /^agents\.sendMessage: content: content cannot be empty\.$/],
      ['agents.sendMessage', [AG, 'Look', { images: [{ data: 'iVBORw0KGgo=', type: 'image/png' }] }], /^agents\.sendMessage: options\.images\.0: unknown key "type"\.$/],
      ['agents.getImage', [AG, 'msg_0m3k2x9a1b2c3d4e5f6a7b8c'], /^agents\.getImage: imageId: expected an image id \("img_…"\)\.$/],
      ['agents.create', [{ worktreeId: WT, permissions: ['read', 'root'] }], /^agents\.create: input\.permissions\.1: expected "read", "write" or "execute"\.$/],
      ['worktrees.reorder', [WS, [WT, AG]], /^worktrees\.reorder: orderedIds\.1: expected a worktree id \("wt_…"\)\.$/],
      ['worktrees.merge', [WT, { strategy: 'octopus' }], /^worktrees\.merge: options\.strategy: expected "merge", "squash" or "rebase"\.$/],
      ['worktrees.merge', [WT], /^worktrees\.merge: options: expected an object\.$/],
      ['worktrees.update', [WT, { baseBranch: '  ' }], /^worktrees\.update: patch\.baseBranch: baseBranch cannot be empty\.$/],
      ['worktrees.update', [WT, { base: 'main' }], /^worktrees\.update: patch: unknown key "base"\.$/],
      ['usage.get', ['daily', '24/11/2026'], /^usage\.get: date: expected a date \(YYYY-MM-DD\)\.$/],
      ['workspaces.list', ['extra'], /^workspaces\.list takes no arguments; it was given 1\.$/],
      ['agents.get', [AG, 'extra'], /^agents\.get takes 1 argument \(id\); it was given 2\.$/],
      ['agents.get', [], /^agents\.get: id: expected an agent id \("ag_…"\)\.$/],
      ['attempts.start', [{ workspaceId: WS, name: 'try', prompt: 'go', count: 6 }], /^attempts\.start: input\.count: must be at most 5\.$/],
      ['attempts.start', [{ workspaceId: WS, name: 'try', prompt: 'go', models: ['sonnet'] }], /^attempts\.start: input\.models: give at least 2\.$/],
      ['attempts.keep', [GRP, AG], /^attempts\.keep: attemptId: expected an attempt id \("att_…"\)\.$/],
      ['agents.removeQueuedMessage', [AG, AG], /^agents\.removeQueuedMessage: messageId: expected a message id \("msg_…"\)\.$/],
      ['agents.answerQuestion', [AG, 'req_1', { 'Which one?': 7 }], /^agents\.answerQuestion: answers\.Which one\?: expected an answer \(a string\) or a list of them\.$/],
    ];
    for (const [method, args, message] of cases) {
      await assert.rejects(call(api, method, args), (e: Error & { code?: string }) => e.code === 'INVALID_INPUT' && message.test(e.message), `${method}: ${message}`);
    }
    assert.equal(reached(), 0);
  });

  it('takes null for a worktree\'s base branch (the repository\'s default again)', async () => {
    const h = harness();
    await assert.rejects(call(h.api, 'worktrees.update', [WT, { baseBranch: null }]), (e: Error & { code?: string }) => e.code === 'REACHED');
    assert.equal(h.reached(), 1);
  });

  it('refuses an API version it does not have', () => {
    const extension = createExtensionApi(async () => { throw new Error('unused'); }, {} as ApiEvents);
    assert.throws(() => (extension.getAPI as (v: number) => unknown)(2), (e: Error & { code?: string }) => e.code === 'INVALID_INPUT' && /version 2 does not exist/.test(e.message));
  });
});
