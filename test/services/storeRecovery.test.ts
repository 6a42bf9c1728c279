import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { type Agent, AgentRuntime } from '../../src/services/agents/agentRuntime';
import type { Logger } from '../../src/services/logger';
import type { Store } from '../../src/services/storage/store';
import { agentStatuses } from '../helpers/agentEvents';
import { findClaudeBinary, makeCliEnv, makeTempGitRepo, makeTempHome } from '../helpers/claudeCli';
import { quiet, suiteTempDir } from '../helpers/storage';
import { openStore } from '../helpers/storeWorker';
import { MockAnthropicApi, textReply } from '../mocks/anthropicApi';
import { recordReliability } from '../helpers/reliability';

/** The worker behind a store, reached the way only a test may; undefined while a new one opens. */
function workerOf(store: Store): Worker | undefined {
  return (store as unknown as { worker: Worker | undefined }).worker;
}

describe('the store\'s worker killed while an agent of the real CLI streams', () => {
  const storeDir = suiteTempDir('cm-store-recovery-');
  const repo = makeTempGitRepo();
  const home = makeTempHome();
  let api: MockAnthropicApi;

  before(async () => {
    api = await MockAnthropicApi.start();
  });
  after(async () => {
    await api.close();
    repo.cleanup();
    home.cleanup();
  });

  it('loses nothing: the turn\'s messages in their last version, its usage and the agent\'s last status are all stored', async () => {
    const errors: string[] = [];
    const logger: Logger = { ...quiet, error: (m) => void errors.push(String(m)) };
    const store = await openStore(storeDir(), logger);
    const ws = await store.workspaces.create({ path: repo.path });
    const wt = await store.worktrees.create({ workspaceId: ws.id, name: 'repo', branch: 'main', path: repo.path, isMain: true });
    const runtime = new AgentRuntime({ store, logger, windowId: 'window-a', locateCli: async () => findClaudeBinary(), env: () => makeCliEnv({ home: home.path, baseUrl: api.url }) });
    const events = agentStatuses(() => runtime);
    runtime.onDidChangeAgent((a) => events.record(a));
    const agent = await store.agents.create({ worktreeId: wt.id, name: 'streamer' });
    const words = Array.from({ length: 150 }, (_, i) => `w${i} `);
    api.enqueue(textReply([words.join('')], { chunks: 150, chunkDelayMs: 40, usage: { input: 700, output: 150 } }));
    const lost: Error[] = [];
    store.onDidLoseWorker((reason) => lost.push(reason));
    // The worker dies at the first streamed piece of the answer, and its replacement later in the stream.
    let streamed = 0;
    let killing: Promise<unknown> | undefined;
    runtime.onDidReceiveMessage((e) => {
      if (e.agentId !== agent.id || e.message.role !== 'assistant') return;
      streamed++;
      const worker = workerOf(store);
      if ((streamed === 1 || (lost.length === 1 && streamed >= 20)) && worker && !killing) {
        killing = worker.terminate().finally(() => (killing = undefined));
      }
    });
    const turnOver = events.until(agent.id, (a: Agent) => a.status === 'waiting' && a.statusReason === 'waiting for your message', 'the end of the turn', 60_000);
    await runtime.start(agent.id, { initialPrompt: 'Say many words' });
    await turnOver;
    await runtime.settled(agent.id);
    await runtime.stopAll(500);
    await runtime.settled(agent.id);
    assert.equal(lost.length, 2, `the worker died twice mid-stream (${streamed} pieces streamed)`);
    await store.close();

    // Read back by another store once everything has settled.
    const again = await openStore(storeDir(), quiet);
    const stored = (await again.messages.page(agent.id)).messages.reverse();
    assert.deepEqual(
      stored.filter((m) => m.kind === 'text').map((m) => `${m.role}: ${m.content}`),
      ['user: Say many words', `assistant: ${words.join('')}`],
    );
    assert.deepEqual(stored.filter((m) => !m.isComplete).map((m) => m.content.slice(0, 40)), [], 'every message is stored complete: no streamed copy came after its final version');
    const usage = await again.usage.totals({ agentId: agent.id });
    assert.deepEqual([usage.inputTokens, usage.outputTokens, usage.requestCount], [700, 150, 1]);
    const record = await again.agents.get(agent.id);
    assert.equal(record.status, 'finished', `the stop is recorded: ${record.status}: ${record.statusReason}`);
    assert.equal(record.pid, undefined);
    assert.deepEqual(errors.filter((e) => /failed/.test(e) && !/storage worker/.test(e)), [], 'no write failed');
    recordReliability({ area: 'Kills', what: 'the store\'s worker thread killed twice while the real CLI streamed an answer', count: 2, outcome: 'the turn\'s messages (complete, last version), usage and final status all stored; 0 lost', test: 'test/services/storeRecovery.test.ts' });
    await again.close();
  });
});
