import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { transcriptPath } from '../../src/services/agents/terminalProcess';
import { claudeOnce, makeCliEnv, sessionOf } from '../helpers/claudeCli';
import { withCode } from '../helpers/errors';
import { runtimeSuite } from '../helpers/runtimeSuite';
import { textReply, toolUseReply } from '../mocks/anthropicApi';

// Sessions the real CLI wrote against the mock API, outside the runtime (in the repository, and in a
// worktree `claude --worktree` made), listed and adopted; the adopted agent resumes its session.
describe('Adopting sessions the CLI started elsewhere', () => {
  const suite = runtimeSuite('adoption');
  const { repo, home, until } = suite;
  let env: NodeJS.ProcessEnv;
  let plain: string;
  let inCliWorktree: string;
  let broken: string;
  let cliWorktreeId: string;
  const cliWorktree = join(repo.path, '.claude', 'worktrees', 'wtone');

  before(async () => {
    writeFileSync(join(home.path, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true, projects: { [repo.path]: { hasTrustDialogAccepted: true } } }));
    env = makeCliEnv({ home: home.path, baseUrl: suite.api.url });
    suite.api.enqueue(toolUseReply([{ name: 'Bash', input: { command: 'echo from-bash', description: 'Say it' } }]), textReply('first answer'));
    plain = sessionOf(await claudeOnce(['-p', 'first question', '--allowedTools', 'Bash'], repo.path, env));
    suite.api.enqueue(textReply('answer in the worktree'));
    inCliWorktree = sessionOf(await claudeOnce(['-p', 'a question in a worktree', '--worktree', 'wtone'], repo.path, env));
    // A copy of the first transcript under another id, with lines no reader can parse.
    broken = '0b0b0b0b-1111-4222-8333-444444444444';
    const lines = readFileSync(transcriptPath(env, repo.path, plain), 'utf8').split('\n');
    lines.splice(3, 0, '{"type":"user","message":', 'not json at all');
    writeFileSync(transcriptPath(env, repo.path, broken), lines.join('\n'));
    const workspaceId = (await suite.store.worktrees.get(suite.worktreeId)).workspaceId;
    cliWorktreeId = (await suite.store.worktrees.create({ workspaceId, name: 'wtone', branch: 'worktree-wtone', path: cliWorktree, isMain: false })).id;
  });

  it('lists the sessions of each worktree\'s folder with the first prompt, the time and the count of messages; those of the CLI\'s worktree under it', async () => {
    const listed = await suite.runtime.adoptableSessions(suite.worktreeId);
    assert.deepEqual(listed.map((s) => s.sessionId).sort(), [plain, broken].sort());
    const first = listed.find((s) => s.sessionId === plain)!;
    assert.deepEqual([first.firstPrompt, first.messages, first.skippedLines, first.gitBranch], ['first question', 3, 0, 'main'], 'the prompt, the tool call\'s reply and the answer');
    assert.ok(first.startedAt < first.updatedAt && Date.now() - Date.parse(first.updatedAt) < 10 * 60_000, `${first.startedAt} .. ${first.updatedAt}`);
    assert.deepEqual(listed.find((s) => s.sessionId === broken)!.skippedLines, 2);
    const underCliWorktree = await suite.runtime.adoptableSessions(cliWorktreeId);
    assert.deepEqual(underCliWorktree.map((s) => [s.sessionId, s.firstPrompt, s.messages]), [[inCliWorktree, 'a question in a worktree', 2]]);
    // The CLI's own other files of the folder (its memory) are not sessions.
    assert.ok(readdirSync(join(transcriptPath(env, repo.path, plain), '..')).length >= 2);
  });

  it('adopts a session: an agent bound to it with its history; the next message resumes it, and the mock sees the earlier turns', async () => {
    const agent = await suite.runtime.adoptSession(suite.worktreeId, plain);
    assert.deepEqual([agent.name, agent.status, agent.sessionId, agent.pid], ['First question', 'finished', plain, undefined]);
    assert.match(agent.statusReason, /^adopted from the CLI: 3 messages$/);
    const history = (await suite.store.messages.page(agent.id)).messages.reverse();
    assert.deepEqual(history.map((m) => `${m.role}/${m.kind}: ${m.content}`), ['user/text: first question', 'tool/tool: Bash: echo from-bash', 'assistant/text: first answer']);
    assert.ok(history.every((m) => m.isComplete), 'every imported message is complete');
    assert.match(history[1]!.toolOutput ?? '', /from-bash/, 'the tool call joined to its result');
    assert.ok(history[0]!.createdAt < history[2]!.createdAt && Date.parse(history[0]!.createdAt) > 0, 'each at the time the transcript says');
    // Held now: listed no more, and not adopted twice.
    assert.ok(!(await suite.runtime.adoptableSessions(suite.worktreeId)).some((s) => s.sessionId === plain));
    await assert.rejects(suite.runtime.adoptSession(suite.worktreeId, plain), withCode('INVALID_INPUT', /held by the agent First question/));

    suite.api.enqueue(textReply('resumed answer'));
    const done = until(agent.id, (a) => a.status === 'waiting' && a.statusReason === 'waiting for your message', 'the resumed turn');
    await suite.runtime.sendMessage(agent.id, 'and then?');
    await done;
    await suite.runtime.settled(agent.id);
    const request = JSON.stringify(suite.api.mainRequests.at(-1)!.body!.messages);
    assert.ok(request.includes('first question') && request.includes('first answer') && request.includes('from-bash'), 'the earlier turns went with the message');
    assert.equal((await suite.store.agents.get(agent.id)).sessionId, plain, 'the same session, resumed');
    const after = (await suite.store.messages.page(agent.id)).messages.reverse().map((m) => `${m.role}/${m.kind}: ${m.content}`);
    assert.deepEqual(after.slice(3), ['user/text: and then?', 'assistant/text: resumed answer']);
    await suite.runtime.stop(agent.id);
  });

  it('adopts a session of the CLI\'s own worktree there, and it resumes in that worktree', async () => {
    const agent = await suite.runtime.adoptSession(cliWorktreeId, inCliWorktree, { name: 'From the CLI worktree' });
    assert.equal(agent.name, 'From the CLI worktree');
    suite.api.enqueue(textReply('still in the worktree'));
    const done = until(agent.id, (a) => a.status === 'waiting' && a.statusReason === 'waiting for your message', 'the resumed turn in the worktree');
    await suite.runtime.sendMessage(agent.id, 'where are we?');
    await done;
    const request = JSON.stringify(suite.api.mainRequests.at(-1)!.body!.messages);
    assert.ok(request.includes('a question in a worktree') && request.includes('answer in the worktree'), 'the worktree session\'s turn went with the message');
    await suite.runtime.stop(agent.id);
  });

  it('skips and counts unreadable lines; two adoptions of one session at once make one agent', async () => {
    const results = await Promise.allSettled([suite.runtime.adoptSession(suite.worktreeId, broken), suite.runtime.adoptSession(suite.worktreeId, broken)]);
    const made = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    assert.equal(made.length, 1, `one adoption made an agent: ${results.map((r) => r.status).join(', ')}`);
    const refused = results.find((r) => r.status === 'rejected');
    assert.match(String(refused && refused.reason), /held by the agent/);
    assert.match(made[0]!.statusReason, /^adopted from the CLI: 3 messages, 2 unreadable lines skipped$/);
    assert.equal((await suite.store.messages.page(made[0]!.id)).messages.length, 3);
    assert.equal((await suite.runtime.list({ worktreeId: suite.worktreeId })).filter((a) => a.sessionId === broken).length, 1);
  });

  it('refuses what is not a session with what went wrong', async () => {
    await assert.rejects(suite.runtime.adoptSession(suite.worktreeId, '../../etc/passwd'), withCode('INVALID_INPUT', /not a session id/));
    await assert.rejects(suite.runtime.adoptSession(suite.worktreeId, '12345678-1234-4234-8234-123456789abc'), withCode('NOT_FOUND', /recorded no session/));
    await assert.rejects(suite.runtime.adoptSession('wt_missing', plain), withCode('NOT_FOUND'));
  });
});
