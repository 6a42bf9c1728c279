/**
 * The queue of an agent seen from two windows on one store (two runtimes, each its own store
 * connection, as two extension hosts): the window that runs the agent holds its queue, the other
 * asks it over the window channel and hears its changes while it watches; an agent no window runs
 * has its queue in the store, which the window that starts it delivers. Real CLI, mock API.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Agent, AgentRuntime } from '../../src/services/agents/agentRuntime';
import type { Store } from '../../src/services/storage/store';
import { OtherWindows, serveAgents } from '../../src/services/windows/agentWindows';
import type { ChannelServer } from '../../src/services/windows/windowChannel';
import { socketFolder, storeSecret } from '../../src/services/windows/windowChannel';
import { agentStatuses } from '../helpers/agentEvents';
import { findClaudeBinary, makeCliEnv, makeTempGitRepo, makeTempHome } from '../helpers/claudeCli';
import { quiet } from '../helpers/storage';
import { openStore } from '../helpers/storeWorker';
import { lastUserText, MockAnthropicApi, textReply } from '../mocks/anthropicApi';

const waitingForMessage = (a: Agent) => a.status === 'waiting' && a.statusReason === 'waiting for your message';

describe('Queued messages of an agent, seen from two windows', () => {
  const root = mkdtempSync(join(tmpdir(), 'cm-queue-windows-'));
  const storeDir = join(root, 'store');
  const repo = makeTempGitRepo();
  const home = makeTempHome();
  let api: MockAnthropicApi;
  let storeA: Store;
  let storeB: Store;
  let runtimeA: AgentRuntime;
  let runtimeB: AgentRuntime;
  let server: ChannelServer;
  let others: OtherWindows;
  let worktreeId: string;
  const eventsA = agentStatuses(() => runtimeA);
  const eventsB = agentStatuses(() => runtimeB);
  const runtime = (store: Store, windowId: string, extra: Partial<ConstructorParameters<typeof AgentRuntime>[0]> = {}) =>
    new AgentRuntime({ store, logger: quiet, windowId, locateCli: async () => findClaudeBinary(), env: () => makeCliEnv({ home: home.path, baseUrl: api.url }), ...extra });

  before(async () => {
    api = await MockAnthropicApi.start();
    storeA = await openStore(storeDir, quiet, { followIntervalMs: 100 });
    storeB = await openStore(storeDir, quiet, { followIntervalMs: 100 });
    const ws = await storeA.workspaces.create({ path: repo.path });
    worktreeId = (await storeA.worktrees.create({ workspaceId: ws.id, name: 'repo', branch: 'main', path: repo.path, isMain: true })).id;
    const secret = await storeSecret(storeDir);
    const folder = await socketFolder({ XDG_RUNTIME_DIR: root });
    const windowA = `${hostname()}:${process.pid}:window-a`;
    runtimeA = runtime(storeA, windowA);
    server = await serveAgents({ agents: runtimeA, folder, storeDir, windowId: windowA, secret, logger: quiet });
    others = new OtherWindows({ folder, storeDir, secret });
    runtimeB = runtime(storeB, `${hostname()}:${process.pid}:window-b`, { otherWindows: others });
    runtimeA.onDidChangeAgent((a) => eventsA.record(a));
    runtimeB.onDidChangeAgent((a) => eventsB.record(a));
  });
  after(async () => {
    others.dispose();
    await server.close();
    await runtimeA.stopAll(500);
    await runtimeB.stopAll(500);
    await api.close();
    await storeA.close();
    await storeB.close();
    repo.cleanup();
    home.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  /** Polls until `check` holds: another window's writes reach a store within its follow interval (100 ms here). */
  async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
    for (let i = 0; !(await check().catch(() => false)); i++) {
      assert.ok(i < 300, `not within 30 s: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Every main request recorded (the user's words in it) and answered; `first`'s answer waits for `open()`. */
  function script() {
    api.clearQueue();
    const requests: string[] = [];
    let open!: () => void;
    let began!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const begun = new Promise<void>((resolve) => (began = resolve));
    api.enqueue(
      ...Array.from({ length: 20 }, () => async (request: { body?: Parameters<typeof lastUserText>[0] }) => {
        const text = lastUserText(request.body).split('\n\n').at(-1)!.trim();
        requests.push(text);
        if (text === 'first') {
          began();
          await gate;
        }
        return textReply(`answer to ${text}`);
      }),
    );
    return { requests, open, begun };
  }

  it('window B queues, edits and removes messages of an agent window A runs, through A, and hears each change while it watches', async () => {
    const agent = await storeA.agents.create({ worktreeId, name: 'shared' });
    const { requests, open, begun } = script();
    await runtimeA.start(agent.id, { initialPrompt: 'first' });
    await begun;
    const stopWatching = await runtimeB.watch(agent.id);
    const heard: string[][] = [];
    const off = runtimeB.queue.onDidChange((e) => e.agentId === agent.id && heard.push(e.messages.map((m) => m.content)));

    const kept = await runtimeB.sendMessage(agent.id, 'from B');
    const dropped = await runtimeB.sendMessage(agent.id, 'from B, dropped');
    assert.equal((kept as { queued?: boolean }).queued, true, 'queued in window A, which runs the agent');
    await runtimeB.queue.edit(agent.id, kept.messageId, 'from B, edited');
    await runtimeB.queue.remove(agent.id, dropped.messageId);
    assert.deepEqual((await runtimeA.queue.list(agent.id)).map((m) => m.content), ['from B, edited'], 'window A holds the queue');
    assert.deepEqual((await runtimeB.queue.list(agent.id)).map((m) => m.content), ['from B, edited'], 'window B asks window A');

    const done = eventsA.until(agent.id, (a) => waitingForMessage(a) && requests.includes('from B, edited'), 'the queued message answered in window A');
    open();
    await done;
    await runtimeA.settled(agent.id);
    assert.deepEqual(requests, ['first', 'from B, edited']);
    // Changes come over the channel as they happen; the last one is the queue emptied as its message went.
    const last = await new Promise<string[]>((resolve) => (heard.at(-1)?.length === 0 ? resolve([]) : runtimeB.queue.onDidChange((e) => e.agentId === agent.id && resolve(e.messages.map((m) => m.content)))));
    assert.deepEqual(last, []);
    assert.deepEqual(heard.slice(0, 4), [['from B'], ['from B', 'from B, dropped'], ['from B, edited', 'from B, dropped'], ['from B, edited']]);
    off();
    stopWatching();
    await runtimeA.stop(agent.id);
  });

  it('an agent no window runs has its queue in the store: window B reads it afresh, and delivers it when it starts the agent', async () => {
    const agent = await storeA.agents.create({ worktreeId, name: 'handed over' });
    const { requests, open, begun } = script();
    await eventually(async () => Boolean(await storeB.agents.get(agent.id)), 'window B knows the agent');
    // Window B reads the (empty) queue first: what it read must not hide what window A does after.
    assert.deepEqual(await runtimeB.queue.list(agent.id), []);
    await runtimeA.start(agent.id, { initialPrompt: 'first' });
    await begun;
    await runtimeA.sendMessage(agent.id, 'left for later');
    await runtimeA.stop(agent.id);
    open();
    await runtimeA.settled(agent.id);
    // Window B sees window A's writes once its store has followed them.
    await eventually(async () => (await runtimeB.queue.list(agent.id)).length > 0, 'window B sees the queue window A left');
    assert.deepEqual((await runtimeB.queue.list(agent.id)).map((m) => m.content), ['left for later']);
    const done = eventsB.until(agent.id, (a) => waitingForMessage(a) && requests.includes('left for later'), 'the queue answered in window B');
    await runtimeB.start(agent.id);
    await done;
    assert.deepEqual(requests.slice(-1), ['left for later']);
    assert.deepEqual(await runtimeB.queue.list(agent.id), []);
    await runtimeB.stop(agent.id);
  });
});
