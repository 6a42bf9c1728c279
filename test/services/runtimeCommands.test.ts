/**
 * The CLI's slash commands: known from its `initialize` answer as soon as an agent has started
 * (before any turn, so a new chat can list them), kept with the session once it has a turn, and
 * read from there by another window. The lists' parsing, on the answer the real CLI gave.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { type Agent, AgentRuntime, type SlashCommand } from '../../src/services/agents/agentRuntime';
import { commandsOfInitialize, commandsOfSession, withInitNames } from '../../src/services/agents/slashCommands';
import type { Store } from '../../src/services/storage/store';
import { agentStatuses } from '../helpers/agentEvents';
import { findClaudeBinary, makeCliEnv, makeTempGitRepo, makeTempHome } from '../helpers/claudeCli';
import { quiet, suiteTempDir } from '../helpers/storage';
import { openStore } from '../helpers/storeWorker';
import { MockAnthropicApi, textReply } from '../mocks/anthropicApi';

/** The `initialize` answer of the recorded CLI 2.1.332 (its `commands` with their descriptions). */
function recordedInitialize(): unknown {
  const lines = readFileSync(join(__dirname, '..', 'fixtures', 'cli', '2.1.332', 'text.jsonl'), 'utf8').split('\n').filter(Boolean);
  for (const text of lines) {
    const line = (JSON.parse(text) as { line?: { type?: string; response?: { response?: { commands?: unknown } } } }).line;
    if (line?.type === 'control_response' && line.response?.response?.commands) return line.response.response;
  }
  throw new Error('no initialize answer in the recording');
}

describe('slash commands from the CLI\'s answers', () => {
  it('reads the commands of the initialize answer with their descriptions and argument hints, cut to a tooltip\'s length', () => {
    const commands = commandsOfInitialize(recordedInitialize())!;
    assert.ok(commands.length > 20, `${commands.length} commands`);
    const byName = new Map(commands.map((c) => [c.name, c]));
    assert.deepEqual(byName.get('compact'), { name: 'compact', description: 'Free up context by summarizing the conversation so far', argumentHint: '<optional custom summarization instructions>' });
    assert.deepEqual(byName.get('init'), { name: 'init', description: 'Initialize a new CLAUDE.md file with codebase documentation' });
    // A skill that describes itself in a page is cut at a word, marked as cut.
    const long = byName.get('dataviz')!.description!;
    assert.ok(long.length <= 201 && long.endsWith('…') && long.startsWith('Use this skill whenever'), long);
  });

  it('leaves out entries of another shape, not the list; says when there is no list at all', () => {
    assert.deepEqual(commandsOfInitialize({ commands: [{ name: 'ok' }, { name: 7 }, { description: 'no name' }, 'text', { name: 'has space' }, { name: 'ok' }, { name: 'two', description: '  spaced\n out ' }] }), [
      { name: 'ok' },
      { name: 'two', description: 'spaced out' },
    ]);
    assert.equal(commandsOfInitialize({}), undefined);
    assert.equal(commandsOfInitialize(undefined), undefined);
  });

  it('adds the names a system/init lists to the commands known; a session\'s data gives the list, or its names', () => {
    const known: SlashCommand[] = [{ name: 'compact', description: 'Free up context' }];
    assert.deepEqual(withInitNames(known, ['compact', 'review']), [{ name: 'compact', description: 'Free up context' }, { name: 'review' }]);
    assert.deepEqual(withInitNames(undefined, ['a']), [{ name: 'a' }]);
    assert.equal(withInitNames(undefined, undefined), undefined);
    assert.deepEqual(commandsOfSession({ slashCommands: ['a', 'b'] }), [{ name: 'a' }, { name: 'b' }]);
    assert.deepEqual(commandsOfSession({ commands: known, slashCommands: ['compact'] }), known);
    assert.deepEqual(commandsOfSession({ commands: 'not a list' }), []);
    assert.deepEqual(commandsOfSession(undefined), []);
  });
});

describe('slash commands with the real claude CLI and the mock API', () => {
  const storeDir = suiteTempDir('cm-runtime-commands-');
  let store: Store;
  let api: MockAnthropicApi;
  let runtime: AgentRuntime;
  const repo = makeTempGitRepo();
  const home = makeTempHome();
  let worktreeId: string;
  const events = agentStatuses(() => runtime);
  const makeRuntime = (windowId: string) =>
    new AgentRuntime({ store, logger: quiet, windowId, locateCli: async () => findClaudeBinary(), env: () => makeCliEnv({ home: home.path, baseUrl: api.url }) });

  before(async () => {
    store = await openStore(storeDir(), quiet);
    api = await MockAnthropicApi.start();
    const ws = await store.workspaces.create({ path: repo.path });
    worktreeId = (await store.worktrees.create({ workspaceId: ws.id, name: 'repo', branch: 'main', path: repo.path, isMain: true })).id;
    runtime = makeRuntime('window-a');
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

  it('knows the commands once the agent has started, before any turn; keeps them with the session its first turn makes', async () => {
    const agent = await store.agents.create({ worktreeId, name: 'commander' });
    assert.deepEqual(await runtime.slashCommands(agent.id), [], 'none before its first start');
    const announced: SlashCommand[][] = [];
    const off = runtime.onDidChangeCommands((e) => e.agentId === agent.id && announced.push(e.commands));
    const started = await runtime.start(agent.id);
    assert.deepEqual([started.status, started.statusReason], ['waiting', 'waiting for your message']);
    assert.equal(api.mainRequests.length, 0, 'no turn ran');
    const commands = await runtime.slashCommands(agent.id);
    const compact = commands.find((c) => c.name === 'compact');
    assert.ok(compact?.description, `compact, described: ${JSON.stringify(commands.slice(0, 5))}`);
    assert.deepEqual(announced, [commands], 'announced once, as they became known');
    // No session is stored before a turn (a stored one would be resumed, and the CLI has none).
    assert.equal(await store.sessions.latest(agent.id), undefined);

    const turnOver = events.until(agent.id, (a: Agent) => a.status === 'waiting' && api.mainRequests.length > 0, 'the first turn');
    api.enqueue(textReply('Hello'));
    await runtime.sendMessage(agent.id, 'Say hello');
    await turnOver;
    await runtime.settled(agent.id);
    off();
    const session = await store.sessions.latest(agent.id);
    assert.equal(session?.id, started.sessionId);
    const kept = commandsOfSession(session?.data);
    assert.deepEqual(kept.find((c) => c.name === 'compact'), compact, 'the session keeps them, described');
    assert.deepEqual(announced.length, 1, 'the turn\'s system/init named no other command');
    await runtime.stop(agent.id);

    // Another window, which never ran the agent, reads them from the session.
    const other = makeRuntime('window-b');
    assert.deepEqual(await other.slashCommands(agent.id), kept);
  });
});
