/**
 * An agent's task list and its subagents, with the real CLI against the mock API: the list its
 * TodoWrite calls make reaches the runtime's agent (and the tree's progress, made from it) and
 * survives the store's reopening; a subagent's tool call is stored as a message of its call.
 */
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { type Agent, AgentRuntime } from '../../src/services/agents/agentRuntime';
import { progressLabel, taskProgress } from '../../src/services/agents/taskList';
import type { StoredMessage } from '../../src/services/storage/messageStore';
import type { Store } from '../../src/services/storage/store';
import { findClaudeBinary, makeCliEnv, makeTempGitRepo, makeTempHome } from '../helpers/claudeCli';
import { agentStatuses } from '../helpers/agentEvents';
import { quiet, suiteTempDir } from '../helpers/storage';
import { openStore } from '../helpers/storeWorker';
import { contentText, type MockRequestInfo, MockAnthropicApi, textReply, toolResults, toolUseReply } from '../mocks/anthropicApi';

/** With these the CLI offers TodoWrite (the default model gets no todo tools; `CLAUDE_CODE_ENABLE_TASKS=0` picks TodoWrite over TaskCreate). */
const TODO_WRITE_ENV = { CLAUDE_CODE_ENABLE_TODO_TOOLS: '1', CLAUDE_CODE_ENABLE_TASKS: '0' };

function todos(statuses: readonly string[]): Record<string, unknown> {
  const items = [
    ['Read the notes', 'Reading the notes'],
    ['Count the lines', 'Counting the lines'],
    ['Report the count', 'Reporting the count'],
  ];
  return { todos: items.map(([content, activeForm], i) => ({ content, status: statuses[i], activeForm })) };
}

describe('Task lists and subagents with the real claude CLI and the mock API', () => {
  const storeDir = suiteTempDir('cm-runtime-tasks-');
  let dir: string;
  let store: Store;
  let api: MockAnthropicApi;
  let runtime: AgentRuntime;
  const repo = makeTempGitRepo({ 'README.md': '# test repo\n', 'notes.txt': 'one\ntwo\nthree\n' });
  const home = makeTempHome();
  let worktreeId: string;
  const events = agentStatuses(() => runtime);
  const { until } = events;
  const makeRuntime = () =>
    new AgentRuntime({ store, logger: quiet, windowId: 'window-a', locateCli: async () => findClaudeBinary(), env: () => makeCliEnv({ home: home.path, baseUrl: api.url, extra: TODO_WRITE_ENV }) });

  before(async () => {
    dir = storeDir();
    store = await openStore(dir, quiet);
    api = await MockAnthropicApi.start();
    const ws = await store.workspaces.create({ path: repo.path });
    worktreeId = (await store.worktrees.create({ workspaceId: ws.id, name: 'repo', branch: 'main', path: repo.path, isMain: true })).id;
    runtime = makeRuntime();
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

  it('a todo list updated over three TodoWrite calls reaches the agent, its progress, and a reopened store', async () => {
    const agent = await store.agents.create({ worktreeId, name: 'planner' });
    api.enqueue(
      toolUseReply([{ name: 'TodoWrite', input: todos(['in_progress', 'pending', 'pending']) }]),
      toolUseReply([{ name: 'TodoWrite', input: todos(['completed', 'in_progress', 'pending']) }]),
      toolUseReply([{ name: 'TodoWrite', input: todos(['completed', 'completed', 'in_progress']) }]),
      textReply('Counted: three lines.'),
    );
    // What the tree would show of it, as each change is announced.
    const shown: string[] = [];
    const off = runtime.onDidChangeAgent((a) => {
      if (a.id !== agent.id) return;
      const label = progressLabel(a.tasks);
      const current = taskProgress(a.tasks)?.current?.activeForm;
      const entry = `${label}${current ? ` ${current}` : ''}`;
      if (label && shown.at(-1) !== entry) shown.push(entry);
    });
    const over = until(agent.id, waitingForMessage, 'the end of the turn', 60_000);
    await runtime.start(agent.id, { initialPrompt: 'Count the lines of the notes, with a todo list.' });
    await over;
    await runtime.settled(agent.id);
    off();
    assert.deepEqual(shown, ['0/3 Reading the notes', '1/3 Counting the lines', '2/3 Reporting the count']);
    const done = await runtime.get(agent.id);
    assert.deepEqual(done.tasks?.map((t) => `${t.status}: ${t.content}`), ['completed: Read the notes', 'completed: Count the lines', 'in_progress: Report the count']);
    assert.equal(progressLabel(done.tasks), '2/3');
    assert.equal((await runtime.list()).find((a) => a.id === agent.id)?.tasks?.length, 3, 'listed with the agent (the tree reads the list)');
    await runtime.stop(agent.id);

    // The list is the store's: a window opened afterwards reads it, with no message read.
    await runtime.stopAll(500);
    await store.close();
    store = await openStore(dir, quiet);
    runtime = makeRuntime();
    assert.deepEqual((await runtime.get(agent.id)).tasks, done.tasks);
  });

  it("a subagent's tool call is a message of its call, stored and shown while the subagent runs; its report goes on the call", async () => {
    const agent = await store.agents.create({ worktreeId, name: 'delegator' });
    const prompt = 'Read notes.txt and report how many lines it has.';
    let main = 0;
    const reply = (request: MockRequestInfo) => {
      const first = request.body?.messages?.find((m) => m.role === 'user');
      if (first && contentText(first.content).includes(prompt)) {
        return toolResults(request.body).length === 0 ? toolUseReply([{ name: 'Read', input: { file_path: join(repo.path, 'notes.txt') } }]) : textReply('The notes have three lines.');
      }
      return main++ === 0 ? toolUseReply([{ name: 'Agent', input: { description: 'Count the lines', prompt, subagent_type: 'general-purpose', run_in_background: false } }]) : textReply('The subagent counted three lines.');
    };
    api.enqueue(reply, reply, reply, reply);
    const seen: StoredMessage[] = [];
    const off = runtime.onDidReceiveMessage((e) => e.agentId === agent.id && seen.push(e.message));
    const over = until(agent.id, waitingForMessage, 'the end of the turn', 60_000);
    await runtime.start(agent.id, { initialPrompt: 'Ask a subagent to count the lines.' });
    await over;
    await runtime.settled(agent.id);
    off();
    const stored = (await store.messages.page(agent.id)).messages.reverse();
    const call = stored.find((m) => m.toolName === 'Agent');
    assert.ok(call, 'the Agent call is stored');
    const inner = stored.filter((m) => m.parentId === call.id);
    assert.deepEqual(inner.map((m) => `${m.toolName}: ${m.content} (${m.isComplete ? 'done' : 'running'})`), ['Read: Read notes.txt (done)']);
    assert.match(inner[0]!.toolOutput ?? '', /three/);
    assert.deepEqual(call.subagent, { status: 'completed', result: 'The notes have three lines.' });
    // Shown as it happened: the inner call came (running) before the call's own result.
    const innerShown = seen.findIndex((m) => m.id === inner[0]!.id);
    const callDone = seen.findIndex((m) => m.id === call.id && m.isComplete);
    assert.ok(innerShown >= 0 && innerShown < callDone, `the inner call at ${innerShown}, the call done at ${callDone}`);
    assert.equal(seen[innerShown]!.isComplete, false);
    // The subagent's API messages count in the agent's usage, as before: those the CLI reports (its
    // last, text only, is not sent to the app; its cost is in the turn's, a difference of totals).
    const usage = await store.usage.today({ agentId: agent.id });
    assert.equal(usage.requestCount, 3, "two of the agent's, the subagent's tool call");
    await runtime.stop(agent.id);
  });
});
