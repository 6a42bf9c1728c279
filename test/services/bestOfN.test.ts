import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Agent, AgentRuntime } from '../../src/services/agents/agentRuntime';
import { WorktreeChangesService } from '../../src/services/git/changes';
import { GitService } from '../../src/services/git/gitService';
import type { Store } from '../../src/services/storage/store';
import { MergeService } from '../../src/services/workspaces/merge';
import { BestOfN } from '../../src/services/workspaces/bestOfN';
import { WorkspaceService } from '../../src/services/workspaces/workspaceService';
import { agentStatuses } from '../helpers/agentEvents';
import { findClaudeBinary, makeCliEnv, makeTempGitRepo, makeTempHome } from '../helpers/claudeCli';
import { withCode } from '../helpers/errors';
import { git } from '../helpers/git';
import { quiet, suiteTempDir } from '../helpers/storage';
import { openStore } from '../helpers/storeWorker';
import { lastUserBlocks, lastUserText, type MockRequestInfo, MockAnthropicApi, textReply, toolUseReply } from '../mocks/anthropicApi';

const PROMPT = 'Add a feature file describing the change';

describe('Best of N with the real claude CLI and the mock API', () => {
  const storeDir = suiteTempDir('cm-bestofn-store-');
  const repo = makeTempGitRepo({ 'README.md': '# test repo\n', 'src/app.txt': 'one\ntwo\nthree\n' });
  const home = makeTempHome();
  let store: Store;
  let api: MockAnthropicApi;
  let runtime: AgentRuntime;
  let workspaces: WorkspaceService;
  let bestOf: BestOfN;
  let changes: WorktreeChangesService;
  let workspaceId: string;
  const events = agentStatuses(() => runtime);

  before(async () => {
    store = await openStore(storeDir(), quiet);
    api = await MockAnthropicApi.start();
    runtime = new AgentRuntime({ store, logger: quiet, windowId: 'window-bestofn', locateCli: async () => findClaudeBinary(), env: () => makeCliEnv({ home: home.path, baseUrl: api.url }) });
    runtime.onDidChangeAgent((a) => events.record(a));
    const gitService = new GitService({ logger: quiet });
    workspaces = new WorkspaceService({
      store,
      git: gitService,
      logger: quiet,
      agents: { running: (id) => runtime.runningIn(id), stop: async (ids) => void (await Promise.all(ids.map((id) => runtime.stop(id)))), forget: async () => undefined },
      worktreesRoot: () => undefined,
    });
    workspaceId = (await workspaces.createWorkspace({ path: repo.path }))!.id;
    bestOf = new BestOfN({
      store,
      git: gitService,
      workspaces,
      agents: runtime,
      changes: (changes = new WorktreeChangesService({ git: gitService, workspaces, logger: quiet })),
      merge: new MergeService({ store, git: gitService, workspaces, logger: quiet, worktreesRoot: () => undefined }),
      logger: quiet,
    });
  });
  after(async () => {
    changes.dispose();
    await runtime.stopAll(500);
    await api.close();
    await store.close();
    repo.cleanup();
    home.cleanup();
  });

  /**
   * The mock model's answer to each attempt, told apart by the working folder the CLI puts in its
   * system prompt: first a Write in that worktree, then, once the tool's result comes, a last text.
   */
  function attemptTurn() {
    return async (request: MockRequestInfo) => {
      // The CLI tells the model its working folder in the request.
      const body = request.rawBody;
      const attempts = (await store.worktrees.list(workspaceId)).filter((w) => /^try-\d$/.test(w.branch ?? ''));
      const wt = attempts.find((w) => body.includes(w.path));
      assert.ok(wt, `a request from none of the attempts' worktrees (${attempts.map((w) => w.path).join(', ')})`);
      const i = Number(wt.branch!.slice('try-'.length)) - 1;
      if (lastUserBlocks(request.body).some((b) => b.type === 'tool_result')) return textReply(`Attempt ${i + 1} is done.`, { usage: { input: 200, output: 20 } });
      const write =
        i === 1
          ? { file_path: join(wt.path, 'README.md'), content: '# test repo\n\nBetter intro.\nUsage.\n' }
          : { file_path: join(wt.path, 'feature.txt'), content: Array.from({ length: i + 2 }, (_, n) => `line ${n + 1}`).join('\n') + '\n' };
      return toolUseReply([{ name: 'Write', input: write }], { usage: { input: 100, output: 10 } });
    };
  }

  const waitingForMessage = (a: Agent) => a.status === 'waiting' && a.statusReason === 'waiting for your message';

  it('refuses a bad request before making anything: too many, a branch that exists, a base that does not', async () => {
    git(repo.path, 'branch', 'taken-2');
    const before = git(repo.path, 'worktree', 'list', '--porcelain');
    await assert.rejects(bestOf.start({ workspaceId, name: 'many', prompt: PROMPT, count: 6 }), withCode('INVALID_INPUT', /2 to 5 agents/));
    await assert.rejects(bestOf.start({ workspaceId, name: 'taken', prompt: PROMPT, count: 3 }), withCode('INVALID_INPUT', /"taken-2" already exists/));
    await assert.rejects(bestOf.start({ workspaceId, name: 'bad name', prompt: PROMPT, count: 2 }), withCode('INVALID_INPUT', /not a valid branch name/));
    await assert.rejects(bestOf.start({ workspaceId, name: 'ok', prompt: PROMPT, count: 2, baseBranch: 'nope' }), withCode('NOT_FOUND', /no local branch "nope"/));
    await assert.rejects(bestOf.start({ workspaceId, name: 'ok', prompt: PROMPT, models: ['haiku'], count: 2 }), withCode('INVALID_INPUT', /one model for each/));
    await assert.rejects(bestOf.start({ workspaceId, name: 'ok', prompt: '   ', count: 2 }), withCode('INVALID_INPUT', /prompt is empty/));
    assert.equal(git(repo.path, 'worktree', 'list', '--porcelain'), before, 'no worktree was made');
    assert.deepEqual(await bestOf.list(workspaceId), []);
    git(repo.path, 'branch', '-D', 'taken-2');
  });

  it('three worktrees off one base, three agents given the same prompt, compared, one kept and merged, the others put away', { timeout: 180_000 }, async () => {
    for (let n = 0; n < 6; n++) api.enqueue(attemptTurn());
    const baseCommit = git(repo.path, 'rev-parse', 'main');
    // Each agent's turn ends: registered before the start, which sends the prompts.
    const turnsOver = new Map<string, Promise<Agent>>();
    const offCreated = runtime.onDidChangeAgent((a) => {
      if (!turnsOver.has(a.id) && a.name.startsWith('try ')) turnsOver.set(a.id, events.until(a.id, waitingForMessage, `the end of ${a.name}'s turn`));
    });
    const group = await bestOf.start({ workspaceId, name: 'try', prompt: PROMPT, models: ['claude-sonnet-4-5', undefined, 'claude-haiku-4-5'], permissions: ['read', 'write'] });
    offCreated();
    const paths = await Promise.all(group.attempts.map(async (a) => (await store.worktrees.get(a.worktreeId!)).path));

    assert.deepEqual(group.attempts.map((a) => [a.position, a.branch, a.model]), [[1, 'try-1', 'claude-sonnet-4-5'], [2, 'try-2', undefined], [3, 'try-3', 'claude-haiku-4-5']]);
    assert.deepEqual([group.prompt, group.baseBranch, group.baseCommit], [PROMPT, 'main', baseCommit]);
    for (const a of group.attempts) {
      const wt = await store.worktrees.get(a.worktreeId!);
      assert.deepEqual([wt.branch, wt.baseBranch, git(wt.path, 'rev-parse', 'HEAD')], [a.branch, 'main', baseCommit], `${a.branch} starts from the base`);
      assert.equal((await store.agents.get(a.agentId!)).worktreeId, wt.id);
    }
    await Promise.all(group.attempts.map((a) => turnsOver.get(a.agentId!)));
    for (const a of group.attempts) await runtime.settled(a.agentId!);

    // The same prompt reached each agent: stored as its first message, and sent to the API from each worktree.
    for (const a of group.attempts) {
      const first = (await store.messages.page(a.agentId!)).messages.at(-1);
      assert.deepEqual([first?.role, first?.content], ['user', PROMPT]);
    }
    const firstTurns = api.mainRequests.filter((r) => !lastUserBlocks(r.body).some((b) => b.type === 'tool_result') && lastUserText(r.body).includes(PROMPT));
    assert.deepEqual(paths.map((p) => firstTurns.filter((r) => r.rawBody.includes(p)).length), [1, 1, 1]);
    assert.deepEqual(api.mainRequests.map((r) => r.body?.model).filter((m) => m?.includes('sonnet-4-5') || m?.includes('haiku-4-5')).sort(), ['claude-haiku-4-5', 'claude-haiku-4-5', 'claude-sonnet-4-5', 'claude-sonnet-4-5']);

    const comparison = await bestOf.compare(group.id);
    assert.deepEqual(
      comparison.attempts.map((a) => ({ branch: a.branch, status: a.status, turns: a.turns, files: a.files.map((f) => [f.path, f.status, f.insertions, f.deletions]), added: a.added, deleted: a.deleted, last: a.lastMessage, kept: a.kept })),
      [
        { branch: 'try-1', status: 'waiting', turns: 2, files: [['feature.txt', 'A', 2, 0]], added: 2, deleted: 0, last: 'Attempt 1 is done.', kept: false },
        { branch: 'try-2', status: 'waiting', turns: 2, files: [['README.md', 'M', 3, 0]], added: 3, deleted: 0, last: 'Attempt 2 is done.', kept: false },
        { branch: 'try-3', status: 'waiting', turns: 2, files: [['feature.txt', 'A', 4, 0]], added: 4, deleted: 0, last: 'Attempt 3 is done.', kept: false },
      ],
    );
    assert.ok(comparison.attempts.every((a) => a.costUsd > 0), 'each attempt\'s cost is counted');

    // A committed change counts too, from the merge-base on (committed and not, together).
    const second = comparison.attempts[1]!;
    git(second.worktreePath!, 'rm', '--quiet', 'src/app.txt');
    git(second.worktreePath!, '-c', 'user.name=T', '-c', 'user.email=t@example.invalid', 'commit', '--quiet', '-m', 'drop app');
    const after = (await bestOf.compare(group.id)).attempts[1]!;
    assert.deepEqual(after.files.map((f) => [f.path, f.status, f.insertions, f.deletions]), [['README.md', 'M', 3, 0], ['src/app.txt', 'D', 0, 3]]);

    // Keep This One: its uncommitted work needs a message, then it is committed and merged into main.
    await assert.rejects(bestOf.keep(group.id, second.id), withCode('INVALID_INPUT', /uncommitted changes \(README\.md\)/));
    const kept = await bestOf.keep(group.id, second.id, { commitMessage: 'Better README (try 2)' });
    assert.equal(kept.status, 'clean');
    assert.equal(kept.group.keptAttemptId, second.id);
    assert.equal(readFileSync(join(repo.path, 'README.md'), 'utf8'), '# test repo\n\nBetter intro.\nUsage.\n', 'the main worktree has the kept work');
    assert.equal(git(repo.path, 'log', '-1', '--format=%P').split(' ').length, 2, 'a merge commit (--no-ff)');
    assert.match(git(repo.path, 'log', '-1', '--format=%s'), /^Merge branch 'try-2'/);

    const putAway = await bestOf.discardOthers(group.id, { removeWorktrees: true });
    assert.deepEqual(putAway.failed, []);
    assert.deepEqual(putAway.archived.sort(), [group.attempts[0]!.agentId!, group.attempts[2]!.agentId!].sort());
    assert.deepEqual(git(repo.path, 'branch', '--list', 'try-*').split('\n').map((b) => b.replace(/^[*+ ]+/, '')), ['try-2'], 'the others\' branches are gone');
    const final = await bestOf.compare(group.id);
    assert.deepEqual(final.attempts.map((a) => [a.branch, a.worktreeGone, a.kept]), [['try-1', true, false], ['try-2', false, true], ['try-3', true, false]]);
    assert.equal((await runtime.get(second.agentId!)).deletedAt, undefined, 'the kept attempt\'s agent stays');
  });

  it('keeping a second attempt that conflicts with the first returns the conflicts, leaves the merge in progress in the base\'s worktree, and keeps the first as kept', { timeout: 120_000 }, async () => {
    const turnsOver = new Map<string, Promise<Agent>>();
    const off = runtime.onDidChangeAgent((a) => {
      if (!turnsOver.has(a.id) && a.name.startsWith('clash ')) turnsOver.set(a.id, events.until(a.id, waitingForMessage, `the end of ${a.name}'s turn`));
    });
    // The mock's default reply: each agent answers and waits; the work is written here, as an agent would.
    const group = await bestOf.start({ workspaceId, name: 'clash', prompt: 'Rewrite the title', count: 2 });
    off();
    await Promise.all(group.attempts.map((a) => turnsOver.get(a.agentId!)));
    const [first, second] = await Promise.all(group.attempts.map(async (a) => ({ attempt: a, path: (await store.worktrees.get(a.worktreeId!)).path })));
    writeFileSync(join(first!.path, 'title.txt'), 'Uno\n');
    writeFileSync(join(second!.path, 'title.txt'), 'Eins\n');
    // Kept as one squashed commit: no merge commit on main.
    assert.equal((await bestOf.keep(group.id, first!.attempt.id, { commitMessage: 'Spanish', strategy: 'squash' })).status, 'clean');
    assert.equal(git(repo.path, 'log', '-1', '--format=%P').split(' ').length, 1, 'a squash leaves a commit with one parent');
    assert.equal(readFileSync(join(repo.path, 'title.txt'), 'utf8'), 'Uno\n');
    const clash = await bestOf.keep(group.id, second!.attempt.id, { commitMessage: 'German' });
    assert.equal(clash.status, 'conflicts');
    assert.deepEqual(clash.status === 'conflicts' && [clash.files, clash.worktreeId, clash.operation, clash.path], [['title.txt'], (await store.worktrees.findByPath(repo.path))?.id, 'merge', repo.path]);
    assert.equal(clash.group.keptAttemptId, first!.attempt.id, 'the first stays the kept one');
    assert.match(git(repo.path, 'status', '--porcelain'), /^AA title.txt$/m, 'the merge waits in the main worktree');
    git(repo.path, 'merge', '--abort');
    assert.equal(readFileSync(join(repo.path, 'title.txt'), 'utf8'), 'Uno\n');
  });
});
