/**
 * What the runtime stores and delivers when things race: streamed messages against their final
 * versions, messages sent while an agent starts, control requests too large to read. Every check
 * reads the store only after the runtime has settled, its timers included.
 */
import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Agent, AgentRuntime } from '../../src/services/agents/agentRuntime';
import type { Store } from '../../src/services/storage/store';
import { runtimeSuite } from '../helpers/runtimeSuite';
import { contentText, type MockAnthropicApi, textReply, toolUseReply } from '../mocks/anthropicApi';
import { recordReliability } from '../helpers/reliability';

const TEST = 'test/services/runtimeDelivery.test.ts';

/** Longer than any save the runtime puts off (streamed text is saved a few times a second). */
const PAST_ANY_TIMER_MS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('AgentRuntime delivery and storage under races (real CLI, mock API)', () => {
  const suite = runtimeSuite('delivery');
  const { repo, until } = suite;
  let store: Store;
  let api: MockAnthropicApi;
  let runtime: AgentRuntime;
  let worktreeId: string;
  before(() => ({ store, api, runtime, worktreeId } = suite));

  const waitingForMessage = (a: Agent) => a.status === 'waiting' && a.statusReason === 'waiting for your message';

  it('after a streamed turn, every stored message of it is complete and whole, timers included', async () => {
    const agent = await store.agents.create({ worktreeId, name: 'streamer' });
    // Slow enough that a save of the streaming copy is put off while the final one arrives.
    const text = 'one two three four five six seven eight nine ten eleven twelve';
    api.enqueue(textReply([text], { chunks: 12, chunkDelayMs: 40 }));
    const turnOver = until(agent.id, waitingForMessage, 'the end of the turn');
    await runtime.start(agent.id, { initialPrompt: 'stream it' });
    await turnOver;
    await runtime.settled(agent.id);
    await sleep(PAST_ANY_TIMER_MS);
    await runtime.settled(agent.id);
    const messages = (await store.messages.page(agent.id)).messages;
    const assistant = messages.filter((m) => m.role === 'assistant');
    assert.deepEqual(assistant.map((m) => [m.content, m.isComplete]), [[text, true]]);
    assert.ok(messages.every((m) => m.isComplete), `incomplete: ${JSON.stringify(messages.filter((m) => !m.isComplete))}`);
    recordReliability({ area: 'Messages', what: 'a streamed answer (12 deltas), read back after every timer ran', count: 1, outcome: 'stored whole and complete; no streamed copy written after it', test: TEST });
    await runtime.stop(agent.id);
  });

  it('after an interrupted stream, the part kept is stored complete, timers included', async () => {
    const agent = await store.agents.create({ worktreeId, name: 'cut short' });
    api.enqueue(textReply(['word '.repeat(60)], { chunks: 60, chunkDelayMs: 50 }));
    // Interrupted once a few pieces have streamed (and a save of them is put off).
    const streaming = new Promise<void>((resolve) => {
      const off = runtime.onDidReceiveMessage((e) => {
        if (e.agentId === agent.id && e.message.role === 'assistant' && e.message.content.length >= 'word '.length * 4) {
          off();
          resolve();
        }
      });
    });
    await runtime.start(agent.id, { initialPrompt: 'be slow' });
    await streaming;
    const waiting = until(agent.id, (a) => a.status === 'waiting', 'waiting after the interrupt');
    await runtime.interrupt(agent.id);
    await waiting;
    await runtime.settled(agent.id);
    await sleep(PAST_ANY_TIMER_MS);
    await runtime.settled(agent.id);
    const messages = (await store.messages.page(agent.id)).messages;
    assert.ok(messages.some((m) => m.role === 'assistant' && m.content.startsWith('word')), 'the streamed part is kept');
    assert.ok(messages.every((m) => m.isComplete), `incomplete: ${JSON.stringify(messages.filter((m) => !m.isComplete).map((m) => m.content.slice(0, 40)))}`);
    recordReliability({ area: 'Messages', what: 'an answer interrupted while it streamed, read back after every timer ran', count: 1, outcome: 'the part streamed kept, complete', test: TEST });
    await runtime.stop(agent.id);
  });

  it('messages sent at once to an agent that is not running are each delivered once, in the order sent', async () => {
    const agent = await store.agents.create({ worktreeId, name: 'rushed' });
    const bodies: string[][] = [];
    for (let i = 0; i < 6; i++) {
      api.enqueue((request) => {
        bodies.push((request.body?.messages ?? []).filter((m) => m.role === 'user').map((m) => contentText(m.content)));
        return textReply(`reply ${i}`);
      });
    }
    const sent = ['first', 'second', 'third', 'fourth'];
    // All four at once: the first starts the agent, the others arrive while it starts.
    const replies = await Promise.all(sent.map((text) => runtime.sendMessage(agent.id, text)));
    const ids = replies.map((r) => r.messageId);
    assert.ok(ids.every((id) => id.startsWith('msg')), `every message was taken: ${JSON.stringify(ids)}`);
    assert.equal(new Set(ids).size, ids.length, 'each its own id');
    // The CLI runs the messages that came during its first turn as one more turn, which it begins
    // by itself: the status must say so, and come back to waiting once it ends.
    await until(agent.id, (a) => waitingForMessage(a) && bodies.some((b) => b.join('\n').includes('fourth')), 'the last message answered');
    await runtime.settled(agent.id);
    await sleep(PAST_ANY_TIMER_MS);
    await runtime.settled(agent.id);
    const seen = bodies.at(-1)!.join('\n');
    const at = sent.map((text) => seen.indexOf(text));
    assert.ok(at.every((i) => i >= 0), `every message reached the API: ${seen}`);
    assert.deepEqual([...at].sort((a, b) => a - b), at, `in the order sent: ${seen}`);
    for (const text of sent) assert.equal(seen.split(text).length - 1, 1, `"${text}" delivered once: ${seen}`);
    const stored = (await store.messages.page(agent.id)).messages.reverse().filter((m) => m.role === 'user').map((m) => m.content);
    assert.deepEqual(stored, sent, 'stored once each, in order');
    recordReliability({ area: 'Delivery', what: 'messages sent at once to an agent not running (the first starts it)', count: sent.length, outcome: `${sent.length} of ${sent.length} taken, each reached the API once, in the order sent; 0 lost`, test: TEST });
    await runtime.stop(agent.id);
  });

  it('a message sent while a start with a first prompt is under way comes after that prompt', async () => {
    for (let round = 0; round < 3; round++) {
      // Replies a round left unused would answer the next round's requests.
      api.clearQueue();
      const agent = await store.agents.create({ worktreeId, name: `overtaken ${round}` });
      const bodies: string[][] = [];
      for (let i = 0; i < 3; i++) {
        api.enqueue((request) => {
          bodies.push((request.body?.messages ?? []).filter((m) => m.role === 'user').map((m) => contentText(m.content)));
          return textReply(`reply ${i}`);
        });
      }
      const starting = runtime.start(agent.id, { initialPrompt: 'prompt' });
      // Sent once the process exists (the status says "starting"), before `initialize` is answered.
      await until(agent.id, (a) => a.statusReason === 'starting', 'the start under way');
      await sleep(round * 30);
      const { messageId } = await runtime.sendMessage(agent.id, 'follow-up');
      assert.match(messageId, /^msg/);
      await starting;
      await until(agent.id, (a) => waitingForMessage(a) && bodies.some((b) => b.join('\n').includes('follow-up')), 'the follow-up answered').catch(() => undefined);
      await runtime.settled(agent.id);
      const seen = bodies.at(-1)?.join('\n') ?? '';
      assert.ok(seen.indexOf('prompt') >= 0 && seen.indexOf('prompt') < seen.indexOf('follow-up'), `the first prompt first (round ${round}): ${seen}`);
      const stored = (await store.messages.page(agent.id)).messages.reverse().filter((m) => m.role === 'user').map((m) => m.content);
      assert.deepEqual(stored, ['prompt', 'follow-up']);
      await runtime.stop(agent.id);
    }
    recordReliability({ area: 'Delivery', what: 'a message sent while a start with a first prompt was under way (before initialize was answered)', count: 3, outcome: '3 of 3 delivered after the first prompt; 0 lost, 0 overtook it', test: TEST });
  });

  it('a control request over the line cap is refused with an error the CLI reads, and a notice says why', async () => {
    const agent = await store.agents.create({ worktreeId, name: 'huge', mode: 'regular' });
    // A Write whose content makes its permission request a line of ~9 MB.
    const big = 'x'.repeat(9 * 1024 * 1024);
    api.enqueue(toolUseReply([{ name: 'Write', input: { file_path: `${repo.path}/huge.txt`, content: big } }]), textReply('understood'));
    const asked: string[] = [];
    const off = runtime.onDidRequestPermission((e) => e.agentId === agent.id && asked.push(e.request.toolName));
    const turnOver = until(agent.id, (a) => a.status === 'waiting' && a.statusReason === 'waiting for your message', 'the turn goes on after the refusal', 60_000);
    await runtime.start(agent.id, { initialPrompt: 'write a huge file' });
    await turnOver;
    off();
    await runtime.settled(agent.id);
    assert.deepEqual(asked, [], 'the request was never shown as answerable');
    const messages = (await store.messages.page(agent.id)).messages;
    const notice = messages.find((m) => m.kind === 'notice' && /too large/.test(m.content));
    assert.ok(notice, `a notice says why: ${JSON.stringify(messages.map((m) => m.content.slice(0, 80)))}`);
    // The turn went on to an answer (the current CLI may first compact the 9 MB it holds, which
    // takes a reply of the mock's: which answer comes last is the CLI's business).
    assert.ok(messages.some((m) => m.role === 'assistant' && m.kind === 'text'), `the turn went on: ${JSON.stringify(messages.map((m) => [m.role, m.kind, m.content.slice(0, 100)]))}`);
    recordReliability({ area: 'Delivery', what: 'a permission request from the CLI over the 8 MB line cap (a 9 MB Write)', count: 1, outcome: 'refused with an error the CLI read; a notice says why; the turn went on', test: TEST });
    await runtime.stop(agent.id);
  });
});
