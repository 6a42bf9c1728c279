import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { type Agent, AgentRuntime, compareVersions, MIN_TESTED_CLI_VERSION } from '../../src/services/agents/agentRuntime';
import { versionWarning } from '../../src/services/agents/cliArgs';
import { ClaudeManagerError } from '../../src/services/errors';
import type { StoredMessage } from '../../src/services/storage/messageStore';
import type { Store } from '../../src/services/storage/store';
import { findClaudeBinary, makeCliEnv, makeSubscriptionCliEnv, makeTempGitRepo, makeTempHome } from '../helpers/claudeCli';
import { quiet, suiteTempDir } from '../helpers/storage';
import { openStore } from '../helpers/storeWorker';
import { errorReply, lastUserText, limitHeaders, MockAnthropicApi, textReply, toolUseReply } from '../mocks/anthropicApi';
import { agentStatuses } from '../helpers/agentEvents';
import { recordReliability } from '../helpers/reliability';

function code(c: string) {
  return (e: unknown) => e instanceof ClaudeManagerError && e.code === c;
}

/** A model the CLI gives a 200k context window in `modelUsage` (checked with 2.1.197 and 2.1.332). */
const WINDOW_200K_MODEL = 'claude-sonnet-4-5';

describe('AgentRuntime with the real claude CLI and the mock API', () => {
  const storeDir = suiteTempDir('cm-runtime-store-');
  let store: Store;
  let api: MockAnthropicApi;
  let runtime: AgentRuntime;
  const repo = makeTempGitRepo();
  const home = makeTempHome();
  let worktreeId: string;
  let workspaceId: string;
  const events = agentStatuses(() => runtime);
  const { statuses, until } = events;

  before(async () => {
    store = await openStore(storeDir(), quiet);
    api = await MockAnthropicApi.start();
    const ws = await store.workspaces.create({ path: repo.path });
    workspaceId = ws.id;
    worktreeId = (await store.worktrees.create({ workspaceId: ws.id, name: 'repo', branch: 'main', path: repo.path, isMain: true })).id;
    runtime = new AgentRuntime({
      store,
      logger: quiet,
      windowId: 'window-a',
      locateCli: async () => findClaudeBinary(),
      env: () => makeCliEnv({ home: home.path, baseUrl: api.url }),
    });
    runtime.onDidChangeAgent((a) => events.record(a));
  });
  afterEach(() => api.clearQueue());
  after(async () => {
    await runtime.stopAll(500);
    await api.close();
    await store.close();
    repo.cleanup();
    home.cleanup();
  });

  const waitingForMessage = (a: Agent) => a.status === 'waiting' && a.statusReason === 'waiting for your message';

  it('runs a whole turn: status with reasons, messages stored, usage and context from the mock\'s tokens', async () => {
    // A model whose context window the CLI reports as 200k (the default model's is 1M since 2.1.332).
    const agent = await store.agents.create({ worktreeId, name: 'turner', model: WINDOW_200K_MODEL });
    api.enqueue(textReply(['Hello ', 'there'], { chunks: 3, usage: { input: 1000, output: 50, cacheRead: 3000, cacheCreation: 1000 } }));
    const streamed: string[] = [];
    const off = runtime.onDidReceiveMessage((e) => e.agentId === agent.id && e.message.kind === 'text' && e.message.role === 'assistant' && streamed.push(e.message.id));
    const turnOver = until(agent.id, waitingForMessage, 'the end of the turn');
    const started = await runtime.start(agent.id, { initialPrompt: 'Say hello' });
    assert.equal(started.status, 'running');
    assert.ok(started.pid && started.sessionId, 'pid and session are set once start resolves');
    const done = await turnOver;
    off();
    await runtime.settled(agent.id);
    const reasons = statuses.filter((s) => s.id === agent.id).map((s) => `${s.status}: ${s.reason}`);
    assert.deepEqual(reasons.slice(0, 2), ['running: starting', 'running: thinking']);
    const page = await store.messages.page(agent.id);
    const texts = page.messages.reverse().map((m) => `${m.role}/${m.kind}: ${m.content}`);
    assert.deepEqual(texts, ['user/text: Say hello', 'assistant/text: Hello ', 'assistant/text: there']);
    assert.ok(page.messages.every((m) => m.isComplete));
    assert.ok(new Set(streamed).size >= 1 && streamed.length > new Set(streamed).size, 'streamed text re-emitted under the same id');
    const usage = await store.usage.today({ agentId: agent.id });
    assert.deepEqual([usage.inputTokens, usage.outputTokens, usage.cacheReadTokens, usage.cacheCreationTokens, usage.requestCount], [1000, 50, 3000, 1000, 1]);
    assert.ok(usage.costUsd > 0, 'the turn\'s cost is recorded');
    // The agent carries its all-time totals, one by one and in a list.
    const own = (await runtime.get(agent.id)).usage;
    assert.deepEqual([own.inputTokens, own.outputTokens, own.cacheReadTokens, own.cacheCreationTokens, own.costUsd], [1000, 50, 3000, 1000, usage.costUsd]);
    assert.deepEqual((await runtime.list()).find((a) => a.id === agent.id)?.usage, own);
    assert.equal(done.contextLevel, Math.round((5000 / 200_000) * 100));
    assert.equal((await store.sessions.latest(agent.id))?.id, started.sessionId);
  });

  it('an agent created without a name takes one from its first message; a given name, and later messages, change nothing', async () => {
    const unnamed = await store.agents.create({ worktreeId });
    assert.match(unnamed.name, /^Agent \d+$/);
    const named = await store.agents.create({ worktreeId, name: 'kept' });
    api.enqueue(textReply('one'), textReply('two'), textReply('three'));
    const renamed = until(unnamed.id, (a) => a.name !== unnamed.name, 'the new name');
    const firstOver = until(unnamed.id, waitingForMessage, 'the first turn');
    // Sent at once, as a person might: only the first names it.
    await runtime.start(unnamed.id, { initialPrompt: '## Fix the **login** redirect after a session expires, please\nmore detail' });
    const second = runtime.sendMessage(unnamed.id, 'And add a test');
    assert.equal((await renamed).name, 'Fix the login redirect after a session…');
    await firstOver;
    await second;
    const keptOver = until(named.id, waitingForMessage, 'the named agent\'s turn');
    await runtime.start(named.id, { initialPrompt: 'Something else entirely' });
    await keptOver;
    await runtime.settled(unnamed.id);
    await runtime.settled(named.id);
    assert.equal((await runtime.get(unnamed.id)).name, 'Fix the login redirect after a session…');
    assert.equal((await runtime.get(named.id)).name, 'kept');
    await runtime.stop(unnamed.id);
    await runtime.stop(named.id);
  });

  it('adds a notice when the context fills past the threshold, and when the mode changes', async () => {
    const warned = new AgentRuntime({ store, logger: quiet, windowId: 'window-a', locateCli: async () => findClaudeBinary(), env: () => makeCliEnv({ home: home.path, baseUrl: api.url }), contextWarningThreshold: () => 50 });
    const agent = await store.agents.create({ worktreeId, name: 'full', model: WINDOW_200K_MODEL });
    api.enqueue(textReply('small', { usage: { input: 1000, output: 5 } }), textReply('big', { usage: { input: 90_000, output: 5, cacheRead: 30_000 } }));
    const turn = (n: number) => new Promise<void>((resolve) => {
      const off = warned.onDidChangeAgent((a) => {
        if (a.id === agent.id && a.status === 'waiting' && ++seen >= n) {
          off();
          resolve();
        }
      });
    });
    let seen = 0;
    const first = turn(1);
    await warned.start(agent.id, { initialPrompt: 'one' });
    await first;
    seen = 0;
    const second = turn(1);
    await warned.sendMessage(agent.id, 'two');
    await second;
    await warned.setMode(agent.id, 'plan');
    await warned.settled(agent.id);
    const notices = (await store.messages.page(agent.id)).messages.filter((m) => m.kind === 'notice').map((m) => m.content).reverse();
    assert.deepEqual(notices, ['The context is 60% full. Consider /compact, or a fresh agent for the next task.', 'Mode changed to plan.']);
    assert.equal((await store.agents.get(agent.id)).contextLevel, 60);
    await warned.stopAll(1000);
  });

  it('keeps each file as an Edit or a Write found it and left it, read through the CLI\'s hooks', async () => {
    const snapshotsDir = suiteTempDir('cm-snapshots-')();
    const warnings: string[] = [];
    const logger = { ...quiet, warn: (message: string) => void warnings.push(message) };
    const kept = new AgentRuntime({ store, logger, windowId: 'window-a', locateCli: async () => findClaudeBinary(), env: () => makeCliEnv({ home: home.path, baseUrl: api.url }), snapshotsDir });
    const agent = await store.agents.create({ worktreeId, name: 'editor', mode: 'regular' });
    const notes = join(repo.path, 'notes.txt');
    const fresh = join(repo.path, 'fresh.txt');
    writeFileSync(notes, 'one\ntwo\nthree\n');
    // A link in the worktree to a folder outside it: what is written through it is not kept.
    const outside = join(snapshotsDir, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, join(repo.path, 'outside-link'));
    const leaked = join(repo.path, 'outside-link', 'leak.txt');
    api.enqueue(
      toolUseReply([{ name: 'Read', input: { file_path: notes } }]),
      toolUseReply([{ name: 'Edit', input: { file_path: notes, old_string: 'two', new_string: 'TWO' } }]),
      toolUseReply([{ name: 'Write', input: { file_path: fresh, content: 'new file\n' } }]),
      toolUseReply([{ name: 'Write', input: { file_path: leaked, content: 'written outside\n' } }]),
      textReply('edited'),
    );
    const offAsk = kept.onDidRequestPermission((e) => {
      if (e.agentId === agent.id) void kept.respondToPermission(agent.id, e.request.requestId, { behavior: 'allow' });
    });
    const turnOver = new Promise<void>((resolve) => {
      const off = kept.onDidChangeAgent((a) => {
        if (a.id === agent.id && waitingForMessage(a)) {
          off();
          resolve();
        }
      });
    });
    await kept.start(agent.id, { initialPrompt: 'edit the notes' });
    await turnOver;
    offAsk();
    await kept.settled(agent.id);
    assert.equal(readFileSync(notes, 'utf8'), 'one\nTWO\nthree\n', 'the Edit ran');
    const tools = (await store.messages.page(agent.id)).messages.filter((m) => m.kind === 'tool').reverse();
    assert.deepEqual(tools.map((t) => t.toolName), ['Read', 'Edit', 'Write', 'Write']);
    const [read, edit, write, outsideWrite] = tools as [StoredMessage, StoredMessage, StoredMessage, StoredMessage];
    assert.equal(readFileSync(join(outside, 'leak.txt'), 'utf8'), 'written outside\n', 'the CLI wrote through the link');
    assert.deepEqual([...(await kept.fileChangeIds(agent.id))].sort(), [edit.id, write.id].sort(), 'a Read keeps nothing, nor a Write outside the worktree');
    await assert.rejects(kept.getFileChange(agent.id, outsideWrite.id), code('NOT_FOUND'));
    assert.ok(warnings.some((w) => w.includes(leaked) && /is outside the agent's worktree/.test(w)), `the refusal is logged with its reason: ${warnings.join(' | ')}`);
    const editChange = await kept.getFileChange(agent.id, edit.id);
    assert.deepEqual([editChange.filePath, editChange.toolName, editChange.before?.state, editChange.after?.state], [notes, 'Edit', 'file', 'file']);
    assert.equal(editChange.before?.state === 'file' && editChange.before.content, 'one\ntwo\nthree\n');
    assert.equal(editChange.after?.state === 'file' && editChange.after.content, 'one\nTWO\nthree\n');
    const writeChange = await kept.getFileChange(agent.id, write.id);
    assert.deepEqual([writeChange.before?.state, writeChange.after?.state === 'file' && writeChange.after.content], ['absent', 'new file\n']);
    await assert.rejects(kept.getFileChange(agent.id, read.id), code('NOT_FOUND'));
    await kept.stopAll(1000);
    await kept.delete(agent.id, { archive: false });
    assert.equal((await kept.fileChangeIds(agent.id)).size, 0, 'deleting the agent for good deletes what was kept');
  });

  it('asks for a Write, and writes only what the user allowed', async () => {
    const agent = await store.agents.create({ worktreeId, name: 'writer', mode: 'regular' });
    api.enqueue(toolUseReply([{ name: 'Write', input: { file_path: join(repo.path, 'allowed.txt'), content: 'ok' } }]), textReply('written'));
    const asked = new Promise<{ requestId: string; summary: string }>((resolve) => {
      const off = runtime.onDidRequestPermission((e) => {
        if (e.agentId !== agent.id) return;
        off();
        resolve(e.request);
      });
    });
    await runtime.start(agent.id, { initialPrompt: 'write it' });
    const request = await asked;
    assert.equal(request.summary, 'Write allowed.txt');
    const waiting = await runtime.get(agent.id);
    assert.deepEqual([waiting.status, waiting.statusReason, waiting.pendingPermissions.length], ['waiting', 'needs permission: Write allowed.txt', 1]);
    const turnOver = until(agent.id, waitingForMessage, 'the end of the allowed turn');
    await runtime.respondToPermission(agent.id, request.requestId, { behavior: 'allow' });
    await turnOver;
    assert.equal(readFileSync(join(repo.path, 'allowed.txt'), 'utf8'), 'ok');
    await assert.rejects(runtime.respondToPermission(agent.id, request.requestId, { behavior: 'allow' }), code('NO_PENDING_PERMISSION'));
    await runtime.settled(agent.id);
    const tool = (await store.messages.page(agent.id)).messages.find((m) => m.kind === 'tool');
    assert.ok(tool && tool.toolName === 'Write' && tool.isComplete && tool.isError === false, JSON.stringify(tool));

    api.enqueue(toolUseReply([{ name: 'Write', input: { file_path: join(repo.path, 'denied.txt'), content: 'no' } }]), textReply('fine'));
    const askedAgain = new Promise<string>((resolve) => {
      const off = runtime.onDidRequestPermission((e) => {
        if (e.agentId !== agent.id) return;
        off();
        resolve(e.request.requestId);
      });
    });
    await runtime.sendMessage(agent.id, 'write the other one');
    const nextTurnOver = until(agent.id, waitingForMessage, 'the end of the denied turn');
    await runtime.respondToPermission(agent.id, await askedAgain, { behavior: 'deny', message: 'not that file' });
    await nextTurnOver;
    assert.equal(existsSync(join(repo.path, 'denied.txt')), false);
    await runtime.settled(agent.id);
    const denied = (await store.messages.page(agent.id)).messages.find((m) => m.kind === 'tool' && m.toolInput?.file_path === join(repo.path, 'denied.txt'));
    assert.equal(denied?.isError, true);
    await runtime.stop(agent.id);
  });

  it('interrupts a slow turn, keeps the session for the next one; stop ends the process', async () => {
    const agent = await store.agents.create({ worktreeId, name: 'interrupted' });
    api.enqueue(textReply(['slow '.repeat(50)], { chunks: 50, chunkDelayMs: 150 }), textReply('continued'));
    const started = await runtime.start(agent.id, { initialPrompt: 'be slow' });
    await new Promise((r) => setTimeout(r, 800));
    // Listening first: the status can change before the interrupt request is answered.
    const waiting = until(agent.id, (a) => a.status === 'waiting', 'waiting after the interrupt');
    await runtime.interrupt(agent.id);
    const after = await waiting;
    assert.match(after.statusReason, /interrupted/);
    const turnOver = until(agent.id, waitingForMessage, 'the next turn');
    const heard: string[] = [];
    const off = runtime.onDidReceiveMessage((e) => e.agentId === agent.id && e.message.role === 'user' && heard.push(e.message.content));
    await runtime.sendMessage(agent.id, 'go on');
    await turnOver;
    off();
    assert.deepEqual(heard, ['go on'], 'a message sent is announced, as every stored message is');
    assert.equal((await runtime.get(agent.id)).sessionId, started.sessionId, 'same session');
    await runtime.settled(agent.id);
    const kinds = (await store.messages.page(agent.id)).messages.reverse().map((m) => (m.kind === 'notice' ? m.content : m.role));
    assert.deepEqual(kinds.filter((k) => k !== 'assistant'), ['user', 'Interrupted.', 'user'], 'the interrupt is a notice in the conversation, between the two turns');
    const pid = started.pid!;
    const stopped = await runtime.stop(agent.id);
    assert.deepEqual([stopped.status, stopped.statusReason, stopped.pid], ['finished', 'stopped', undefined]);
    assert.throws(() => process.kill(-pid, 0), 'no process of its group is left');
    await assert.rejects(runtime.interrupt(agent.id), code('NOT_RUNNING'));
  });

  it('resumes its session after the process ended: the mock receives the earlier turns', async () => {
    const agent = await store.agents.create({ worktreeId, name: 'resumer' });
    api.enqueue(textReply('first answer'));
    const turnOver = until(agent.id, waitingForMessage, 'the first turn');
    const first = await runtime.start(agent.id, { initialPrompt: 'remember the word pineapple' });
    await turnOver;
    await runtime.stop(agent.id);
    let seen = '';
    api.enqueue((request) => {
      seen = JSON.stringify(request.body?.messages ?? []);
      return textReply('resumed answer');
    });
    const nextTurnOver = until(agent.id, waitingForMessage, 'the resumed turn');
    await runtime.sendMessage(agent.id, 'what was the word?');
    await nextTurnOver;
    assert.match(seen, /pineapple/, 'the earlier turn was sent again');
    assert.equal((await runtime.get(agent.id)).sessionId, first.sessionId);
    await runtime.stop(agent.id);
  });

  it('forks: a new agent with its own session and the shared history; the parent is unchanged', async () => {
    const parent = await store.agents.create({ worktreeId, name: 'parent' });
    api.enqueue(textReply('noted'));
    const turnOver = until(parent.id, waitingForMessage, 'the parent turn');
    const p = await runtime.start(parent.id, { initialPrompt: 'the secret is mango' });
    await turnOver;
    await runtime.stop(parent.id);
    await assert.rejects(runtime.fork((await store.agents.create({ worktreeId, name: 'empty' })).id), code('INVALID_INPUT'));
    const child = await runtime.fork(parent.id, { name: 'child' });
    assert.deepEqual([child.parentAgentId, child.status, child.sessionId], [parent.id, 'finished', undefined]);
    let seen = '';
    api.enqueue((request) => {
      seen = JSON.stringify(request.body?.messages ?? []);
      return textReply('the secret was mango');
    });
    const nextTurnOver = until(child.id, waitingForMessage, 'the child turn');
    const started = await runtime.start(child.id, { initialPrompt: 'what was the secret?' });
    await nextTurnOver;
    assert.ok(started.sessionId && started.sessionId !== p.sessionId, 'its own session');
    assert.match(seen, /mango/, 'the shared history reached the API');
    assert.equal((await runtime.get(parent.id)).sessionId, p.sessionId, 'the parent keeps its session');
    assert.equal((await store.messages.count(parent.id)), 2, 'the parent\'s messages are untouched');
    await runtime.stop(child.id);
  });

  it('knows its session from the start, before any turn', async () => {
    const agent = await store.agents.create({ worktreeId, name: 'quiet' });
    const started = await runtime.start(agent.id);
    assert.match(started.sessionId ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual([started.status, started.statusReason], ['waiting', 'waiting for your message']);
    await runtime.stop(agent.id);
    // No turn ran: the next start begins that session afresh rather than failing to resume it.
    api.enqueue(textReply('fresh start'));
    const turnOver = until(agent.id, waitingForMessage, 'the first turn');
    await runtime.sendMessage(agent.id, 'hello');
    const done = await turnOver;
    assert.equal(done.sessionId, started.sessionId);
    await runtime.stop(agent.id);
  });

  it('an API error after its retries is an error status with the reason; the process lives on', async () => {
    const agent = await store.agents.create({ worktreeId, name: 'failing' });
    api.enqueue(errorReply(500, 'api_error', 'boom'), errorReply(500, 'api_error', 'boom'), errorReply(500, 'api_error', 'boom'));
    const turnOver = until(agent.id, (a) => a.status === 'error', 'the error status');
    await runtime.start(agent.id, { initialPrompt: 'fail please' });
    const failed = await turnOver;
    assert.match(failed.statusReason, /^API error 500/);
    assert.ok(runtime.isRunning(agent.id));
    await runtime.stop(agent.id);
  });

  it('a CLI killed mid-turn is an error with the signal; the messages so far are kept', async () => {
    const agent = await store.agents.create({ worktreeId, name: 'killed' });
    api.enqueue(textReply(['partial '.repeat(40)], { chunks: 40, chunkDelayMs: 150 }));
    // Killed once some of the answer has streamed (not after a fixed time: a loaded machine starts the stream later).
    const streaming = new Promise<void>((resolve) => {
      const off = runtime.onDidReceiveMessage((e) => {
        if (e.agentId === agent.id && e.message.role === 'assistant' && e.message.content.length >= 'partial '.length * 3) {
          off();
          resolve();
        }
      });
    });
    const started = await runtime.start(agent.id, { initialPrompt: 'stream a while' });
    await streaming;
    process.kill(started.pid!, 'SIGKILL');
    const dead = await until(agent.id, (a) => a.status === 'error', 'the error after SIGKILL');
    assert.equal(dead.statusReason, 'CLI was killed (SIGKILL)');
    assert.equal(dead.pid, undefined);
    const messages = (await store.messages.page(agent.id)).messages;
    assert.ok(messages.some((m) => m.role === 'user' && m.content === 'stream a while'));
    assert.ok(messages.some((m) => m.role === 'assistant' && m.content.startsWith('partial')), 'the streamed part is kept');
    recordReliability({ area: 'Kills', what: 'the CLI SIGKILLed in the middle of a streamed answer', count: 1, outcome: 'status "CLI was killed (SIGKILL)"; the prompt and the part streamed kept', test: 'test/services/agentRuntime.test.ts' });
  });

  it('queues starts beyond the cap, showing each agent\'s place, and starts them as others stop', async () => {
    const capped = new AgentRuntime({ store, logger: quiet, windowId: 'window-cap', locateCli: async () => findClaudeBinary(), env: () => makeCliEnv({ home: home.path, baseUrl: api.url }), maxConcurrent: () => 1 });
    const a = await store.agents.create({ worktreeId, name: 'first' });
    const b = await store.agents.create({ worktreeId, name: 'second' });
    await capped.start(a.id);
    let bStarted = false;
    const startB = capped.start(b.id).then((agent) => {
      bStarted = true;
      return agent;
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(bStarted, false);
    assert.deepEqual(capped.queued, [b.id]);
    const queued = await store.agents.get(b.id);
    assert.deepEqual([queued.status, queued.statusReason], ['finished', 'queued: 1 in line (at most 1 agents run at once)']);
    await capped.stop(a.id);
    const started = await startB;
    assert.ok(started.pid && capped.isRunning(b.id));
    await capped.stopAll(1000);
    assert.equal(capped.isRunning(b.id), false);
  });

  it('another window sees the agent as running elsewhere and never touches its process', async () => {
    const other = new AgentRuntime({ store, logger: quiet, windowId: 'window-b', locateCli: async () => findClaudeBinary(), env: () => makeCliEnv({ home: home.path, baseUrl: api.url }) });
    const agent = await store.agents.create({ worktreeId, name: 'owned' });
    const started = await runtime.start(agent.id);
    const seen = await other.get(agent.id);
    assert.deepEqual([seen.ownedByThisWindow, seen.pid], [false, started.pid]);
    assert.equal((await runtime.get(agent.id)).ownedByThisWindow, true);
    await assert.rejects(other.start(agent.id), code('OWNED_BY_OTHER_WINDOW'));
    await assert.rejects(other.stop(agent.id), code('OWNED_BY_OTHER_WINDOW'));
    await assert.rejects(other.interrupt(agent.id), code('NOT_RUNNING'));
    assert.doesNotThrow(() => process.kill(started.pid!, 0), 'its process still runs');
    await runtime.stop(agent.id);
  });

  it('stopAll ends every agent process of the window, tools included', async () => {
    const agents = await Promise.all(['s1', 's2'].map((name) => store.agents.create({ worktreeId, name })));
    const pids = await Promise.all(agents.map(async (a) => (await runtime.start(a.id)).pid!));
    await runtime.stopAll(1000);
    for (const pid of pids) assert.throws(() => process.kill(-pid, 0), `group ${pid} is gone`);
    for (const a of agents) assert.equal((await store.agents.get(a.id)).statusReason, 'stopped');
    recordReliability({ area: 'Processes left behind', what: 'agents (real CLI) of a window stopped with stopAll, checked by process group', count: pids.length, outcome: '0 processes left', test: 'test/services/agentRuntime.test.ts' });
  });

  it('says how to log in when the CLI has no credentials', async () => {
    const loggedOut = new AgentRuntime({
      store,
      logger: quiet,
      windowId: 'window-a',
      locateCli: async () => findClaudeBinary(),
      env: () => {
        const env = makeCliEnv({ home: home.path, baseUrl: api.url });
        delete env.ANTHROPIC_API_KEY;
        return env;
      },
    });
    const agent = await store.agents.create({ worktreeId, name: 'logged-out' });
    await loggedOut.start(agent.id, { initialPrompt: 'hello?' });
    const deadline = Date.now() + 20_000;
    let current = await store.agents.get(agent.id);
    while (current.status !== 'error' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      current = await store.agents.get(agent.id);
    }
    assert.equal(current.status, 'error');
    assert.match(current.statusReason, /^not logged in: run "claude" in a terminal and log in/);
    assert.equal((await store.usage.today({ agentId: agent.id })).requestCount, 0, 'the CLI\'s own message is no API call');
    await loggedOut.stopAll(1000);
  });

  it('keeps the subscription\'s usage limits the CLI reports, across a restart; says why there are none before', async () => {
    // A subscription login (an OAuth token; the mock takes any): the CLI then reports the limits
    // the API's unified rate-limit headers carry. With an API key it reports none.
    const subscriber = () =>
      new AgentRuntime({
        store,
        logger: quiet,
        windowId: 'window-a',
        locateCli: async () => findClaudeBinary(),
        env: () => makeSubscriptionCliEnv({ home: home.path, baseUrl: api.url }),
      });
    const first = subscriber();
    const before = await first.limits();
    assert.ok(!before.available && /subscription/.test(before.reason), JSON.stringify(before));
    const reset = Math.floor(Date.now() / 1000) + 3600;
    api.enqueue(textReply('within limits', { headers: { 'anthropic-ratelimit-unified-status': 'allowed', 'anthropic-ratelimit-unified-reset': String(reset), 'anthropic-ratelimit-unified-representative-claim': 'five_hour' } }));
    const agent = await store.agents.create({ worktreeId, name: 'subscriber' });
    const reported = new Promise<void>((resolve) => first.onDidChangeUsage((e) => e.agentId === agent.id && resolve()));
    const done = new Promise<void>((resolve) => first.onDidChangeAgent((a) => a.id === agent.id && a.status === 'waiting' && resolve()));
    await first.start(agent.id, { initialPrompt: 'how much is left?' });
    await Promise.all([reported, done]);
    await first.settled(agent.id);
    const now = await first.limits();
    assert.ok(now.available, JSON.stringify(now));
    assert.deepEqual(now.limits.map((l) => [l.type, l.status, l.resetsAt]), [['five_hour', 'allowed', new Date(reset * 1000).toISOString()]]);
    await first.stopAll(1000);
    // Another runtime on the same store (a restart, or another window) knows them too.
    assert.deepEqual(await subscriber().limits(), now);
  });

  it('keeps each window of the limits the CLI lists (five-hour, seven-day) with its share used and reset', async () => {
    const runtime = new AgentRuntime({
      store,
      logger: quiet,
      windowId: 'window-a',
      locateCli: async () => findClaudeBinary(),
      env: () => makeSubscriptionCliEnv({ home: home.path, baseUrl: api.url }),
    });
    const reset5h = Math.floor(Date.now() / 1000) + 1800;
    const reset7d = reset5h + 3 * 86_400;
    api.enqueue(
      textReply('most of it used', {
        headers: limitHeaders('allowed', 'five_hour', {
          fiveHour: { status: 'allowed_warning', utilization: 0.83, reset: reset5h },
          sevenDay: { status: 'allowed', utilization: 0.41, reset: reset7d },
        }),
      }),
    );
    const agent = await store.agents.create({ worktreeId, name: 'windows' });
    const done = new Promise<void>((resolve) => runtime.onDidChangeAgent((a) => a.id === agent.id && a.status === 'waiting' && resolve()));
    await runtime.start(agent.id, { initialPrompt: 'how much of each window is left?' });
    await done;
    await runtime.settled(agent.id);
    const limits = await runtime.limits();
    assert.ok(limits.available, JSON.stringify(limits));
    const byType = new Map(limits.limits.map((l) => [l.type, l]));
    assert.deepEqual([byType.get('five_hour')?.status, byType.get('five_hour')?.utilization, byType.get('five_hour')?.resetsAt], ['allowed_warning', 0.83, new Date(reset5h * 1000).toISOString()]);
    assert.deepEqual([byType.get('seven_day')?.status, byType.get('seven_day')?.utilization, byType.get('seven_day')?.resetsAt], ['allowed', 0.41, new Date(reset7d * 1000).toISOString()]);
    await runtime.stopAll(1000);
  });

  it('bypasses permissions only when the user confirmed it: a Write then runs unasked; choosing a mode ends it', async () => {
    // The CLI refuses to bypass permissions as root, saying so, unless told it runs in a sandbox
    // (IS_SANDBOX=1), which this test machine is.
    const asRoot = process.getuid?.() === 0;
    const refusing = new AgentRuntime({ store, logger: quiet, windowId: 'window-a', locateCli: async () => findClaudeBinary(), env: () => makeCliEnv({ home: home.path, baseUrl: api.url }) });
    const runtime = new AgentRuntime({
      store,
      logger: quiet,
      windowId: 'window-a',
      locateCli: async () => findClaudeBinary(),
      env: () => makeCliEnv({ home: home.path, baseUrl: api.url, extra: asRoot ? { IS_SANDBOX: '1' } : {} }),
    });
    runtime.onDidChangeAgent((a) => events.record(a));
    const until = agentStatuses(() => runtime).until;
    const agent = await store.agents.create({ worktreeId, name: 'bypasser', mode: 'regular' });
    await assert.rejects(runtime.setBypassPermissions(agent.id, true), code('INVALID_INPUT'), 'never without the confirmation');
    assert.equal(await runtime.bypassing(agent.id), false);
    await runtime.setBypassPermissions(agent.id, true, { confirmed: true });
    assert.equal(await runtime.bypassing(agent.id), true);
    if (asRoot) {
      await assert.rejects(refusing.start(agent.id), (e: unknown) => code('NOT_RUNNING')(e) && /root/.test((e as Error).message), 'the CLI\'s reason reaches the caller');
      assert.match((await store.agents.get(agent.id)).statusReason, /root/);
    }
    api.enqueue(toolUseReply([{ name: 'Write', input: { file_path: join(repo.path, 'unasked.txt'), content: 'no prompt' } }]), textReply('wrote it'));
    const asked: string[] = [];
    const offAsk = runtime.onDidRequestPermission((e) => e.agentId === agent.id && asked.push(e.request.summary));
    const turnOver = until(agent.id, waitingForMessage, 'the bypassed turn');
    await runtime.start(agent.id, { initialPrompt: 'write without asking' });
    await turnOver;
    offAsk();
    assert.equal(readFileSync(join(repo.path, 'unasked.txt'), 'utf8'), 'no prompt');
    assert.deepEqual(asked, [], 'no permission was asked for');
    await runtime.stop(agent.id);
    await runtime.setMode(agent.id, 'regular');
    assert.equal(await runtime.bypassing(agent.id), false, 'choosing a mode ends the bypass');
    await runtime.stopAll(500);
    await refusing.stopAll(500);
  });

  it('at start, finishes agents whose window died, ending a left-over CLI process but never a reused pid', async () => {
    const spawnGroup = (args: string[]) => spawn(process.execPath, args, { detached: true, stdio: 'ignore' });
    // Looks like our CLI by its command line; and one that does not (a pid reused by something else).
    const orphanCli = spawnGroup(['-e', 'setInterval(() => {}, 1000)', '--', '-p', '--input-format', 'stream-json', '--permission-prompt-tool', 'stdio']);
    const stranger = spawnGroup(['-e', 'setInterval(() => {}, 1000)']);
    const [orphan, reused, elsewhere] = await Promise.all(['orphan', 'reused', 'elsewhere'].map((name) => store.agents.create({ worktreeId, name })));
    const old = '2026-01-01T00:00:00.000Z';
    await store.agents.update(orphan!.id, { pid: orphanCli.pid!, ownerWindow: 'gone-window', ownerHeartbeatAt: old, status: 'running', statusReason: 'thinking' });
    await store.agents.update(reused!.id, { pid: stranger.pid!, ownerWindow: 'gone-window', ownerHeartbeatAt: old, status: 'running', statusReason: 'thinking' });
    await store.agents.update(elsewhere!.id, { pid: stranger.pid!, ownerWindow: 'live-window', ownerHeartbeatAt: new Date().toISOString(), status: 'running', statusReason: 'thinking' });
    const result = await runtime.reconcileOrphans({ heartbeatStaleBefore: new Date(Date.now() - 90_000).toISOString() });
    assert.deepEqual(result.ended, [orphan!.id]);
    assert.deepEqual(result.cleared.sort(), [orphan!.id, reused!.id].sort());
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && (() => { try { process.kill(orphanCli.pid!, 0); return true; } catch { return false; } })()) await new Promise((r) => setTimeout(r, 50));
    assert.throws(() => process.kill(orphanCli.pid!, 0), 'the left-over CLI was ended');
    assert.doesNotThrow(() => process.kill(stranger.pid!, 0), 'a process that is not our CLI is never touched');
    for (const id of [orphan!.id, reused!.id]) {
      const a = await store.agents.get(id);
      assert.deepEqual([a.status, a.statusReason, a.pid, a.ownerWindow], ['finished', 'ended with the editor', undefined, undefined]);
    }
    assert.equal((await store.agents.get(elsewhere!.id)).pid, stranger.pid, 'a live window\'s agent is left alone');
    process.kill(-stranger.pid!, 'SIGKILL');
  });

  it('starts no agent in a workspace the editor does not trust, and says how to trust it', async () => {
    const untrusted = new AgentRuntime({ store, logger: quiet, windowId: 'window-a', locateCli: async () => findClaudeBinary(), env: () => makeCliEnv({ home: home.path, baseUrl: api.url }), trusted: () => false });
    const agent = await store.agents.create({ worktreeId, name: 'untrusted' });
    for (const attempt of [() => untrusted.start(agent.id), () => untrusted.sendMessage(agent.id, 'hi'), () => untrusted.openInTerminal(agent.id)]) {
      await assert.rejects(attempt(), (e: unknown) => code('UNTRUSTED_WORKSPACE')(e) && /Manage Workspace Trust/.test((e as Error).message));
    }
    const after = await store.agents.get(agent.id);
    assert.deepEqual([after.status, after.pid], ['finished', undefined], 'nothing started');
  });

  it('compares CLI versions', () => {
    assert.ok(compareVersions('2.1.96', '2.1.197') < 0);
    assert.ok(compareVersions('2.2.0', '2.1.197') > 0);
    assert.equal(compareVersions('2.1.197', '2.1.197'), 0);
  });

  it('warns below the CLI version the tests run, which is the one they pin', () => {
    const pinned = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')).devDependencies['@anthropic-ai/claude-code'];
    assert.equal(MIN_TESTED_CLI_VERSION, pinned, 'the oldest version said to be tested is the one the tests run');
    assert.match(versionWarning('2.1.197') ?? '', /older than 2\.1\.332/);
    assert.equal(versionWarning(pinned), undefined);
  });

  it('a missing CLI is an error status saying so', async () => {
    const missing = new AgentRuntime({
      store,
      logger: quiet,
      windowId: 'window-a',
      locateCli: async () => {
        throw new ClaudeManagerError('CLI_NOT_FOUND', 'Claude Code CLI not found. Install it with npm install -g @anthropic-ai/claude-code.');
      },
      env: () => process.env,
    });
    const agent = await store.agents.create({ worktreeId, name: 'no-cli' });
    await assert.rejects(missing.start(agent.id), code('CLI_NOT_FOUND'));
    const after = await store.agents.get(agent.id);
    assert.equal(after.status, 'error');
    assert.match(after.statusReason, /^could not start: Claude Code CLI not found/);
    void workspaceId;
    void lastUserText;
  });
});
