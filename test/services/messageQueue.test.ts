/**
 * Messages sent while the agent works (docs/agents.md, "Messages sent during a turn"), with the real
 * CLI against the mock API: queued, kept out of the CLI until the turn ends, delivered in order as
 * turns of their own, edited and removed before that, sent at once with Send Now, kept through a
 * failed turn and a stop. A turn lasts as long as a test wants: its reply waits for the test to
 * open a gate. Every check of what was stored reads it after the runtime settled.
 */
import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as z from 'zod';
import type { Agent, AgentRuntime } from '../../src/services/agents/agentRuntime';
import { MessageQueue } from '../../src/services/agents/messageQueue';
import { ClaudeManagerError } from '../../src/services/errors';
import type { Store } from '../../src/services/storage/store';
import { recordReliability } from '../helpers/reliability';
import { runtimeSuite } from '../helpers/runtimeSuite';
import { quiet } from '../helpers/storage';
import { errorReply, imageBlocks, lastUserBlocks, lastUserText, type MockAnthropicApi, textReply } from '../mocks/anthropicApi';
import { makePng } from '../helpers/images';
import { existsSync, readdirSync } from 'node:fs';

const TEST = 'test/services/messageQueue.test.ts';

const code = (c: string) => (e: unknown) => e instanceof ClaudeManagerError && e.code === c;
const waitingForMessage = (a: Agent) => a.status === 'waiting' && a.statusReason === 'waiting for your message';
const nextTick = () => new Promise((resolve) => setImmediate(resolve));

/**
 * The user's own words in a request: its last user message after the text the CLI puts before it
 * (context reminders, an interrupt's note), which it sets apart with a blank line. Messages the
 * CLI took during a turn come joined by a single newline, so a join shows.
 */
function asked(request: { body?: Parameters<typeof lastUserText>[0] }): string {
  // (After a message's text the CLI notes where it put each of its images: "[Image: source: …]".)
  return lastUserText(request.body).split('\n\n').filter((part) => !part.startsWith('[Image: ')).at(-1)!.trim();
}

describe('Messages sent while the agent works (real CLI, mock API)', () => {
  const suite = runtimeSuite('queue');
  const { until } = suite;
  let store: Store;
  let api: MockAnthropicApi;
  let runtime: AgentRuntime;
  let worktreeId: string;
  before(() => ({ store, api, runtime, worktreeId } = suite));

  /**
   * Scripts the mock for one test: every main request is recorded (what the user asked in it) and
   * answered "answer to <it>"; the request asking `hold` waits until `open()`; `fail` is answered
   * with an API error.
   */
  function script(options: { hold?: string; fail?: string } = {}) {
    // Replies another test (or round) left would answer this one's requests.
    api.clearQueue();
    const requests: string[] = [];
    let open!: () => void;
    let began!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const begun = new Promise<void>((resolve) => (began = resolve));
    const reply = async (request: Parameters<typeof asked>[0]) => {
      const text = asked(request);
      requests.push(text);
      if (text === options.hold) {
        began();
        await gate;
      }
      return text === options.fail ? errorReply(500, 'api_error', 'boom') : textReply(`answer to ${text}`);
    };
    api.enqueue(...Array.from({ length: 40 }, () => reply));
    return { requests, open, begun };
  }

  /** The conversation as stored, oldest first: "you: …" and "claude: …". */
  async function conversation(agentId: string): Promise<string[]> {
    await runtime.settled(agentId);
    const messages = (await store.messages.page(agentId, { limit: 500 })).messages.reverse();
    return messages.filter((m) => m.kind === 'text').map((m) => `${m.role === 'user' ? 'you' : 'claude'}: ${m.content}`);
  }

  const queuedTexts = async (agentId: string) => (await runtime.queue.list(agentId)).map((m) => m.content);
  const storedQueue = (agentId: string) => store.getSetting(`agents.queue.${agentId}`, z.array(z.object({ id: z.string(), content: z.string() })));

  /** Starts an agent on `first`, whose reply waits for the test. */
  async function inTurn(name: string, options: { hold?: string; fail?: string } = {}) {
    const agent = await store.agents.create({ worktreeId, name });
    const mock = script({ hold: 'first', ...options });
    await runtime.start(agent.id, { initialPrompt: 'first' });
    await mock.begun;
    return { agent, ...mock };
  }

  it('a message sent during a turn is queued, kept out of the CLI until the turn ends, then sent as a turn of its own and answered', async () => {
    const { agent, requests, open } = await inTurn('queued');
    const second = await runtime.sendMessage(agent.id, 'second');
    const third = await runtime.sendMessage(agent.id, 'third');
    assert.equal(second.queued, true);
    assert.equal(third.queued, true);
    assert.match(second.messageId, /^msg_/);
    assert.deepEqual(await queuedTexts(agent.id), ['second', 'third']);
    assert.deepEqual(await conversation(agent.id), ['you: first'], 'nothing queued is in the conversation yet');
    assert.deepEqual((await storedQueue(agent.id))?.map((m) => m.content), ['second', 'third'], 'the queue is in the store');
    assert.equal((await runtime.get(agent.id)).status, 'running');

    const done = until(agent.id, (a) => waitingForMessage(a) && requests.includes('third'), 'both queued messages answered');
    open();
    await done;
    // Had the CLI had them during the first turn, it would have run them joined, as one turn ("second\nthird").
    assert.deepEqual(requests, ['first', 'second', 'third'], 'each queued message was a turn of its own, after the first');
    assert.deepEqual(await conversation(agent.id), ['you: first', 'claude: answer to first', 'you: second', 'claude: answer to second', 'you: third', 'claude: answer to third']);
    const stored = (await store.messages.page(agent.id)).messages;
    assert.equal(stored.find((m) => m.content === 'second')?.id, second.messageId, 'stored under the id it was queued with');
    assert.deepEqual(await queuedTexts(agent.id), []);
    assert.deepEqual(await storedQueue(agent.id), []);
    await runtime.stop(agent.id);
  });

  it('a queued message can be edited or removed until it is sent, and not after', async () => {
    const { agent, requests, open } = await inTurn('edited');
    const a = await runtime.sendMessage(agent.id, 'message A');
    const b = await runtime.sendMessage(agent.id, 'message B');
    await runtime.sendMessage(agent.id, 'message C');
    const edited = await runtime.queue.edit(agent.id, b.messageId, 'message B, edited');
    assert.deepEqual([edited.id, edited.content], [b.messageId, 'message B, edited']);
    await runtime.queue.remove(agent.id, a.messageId);
    await assert.rejects(runtime.queue.edit(agent.id, b.messageId, '  \n'), code('INVALID_INPUT'));
    assert.deepEqual(await queuedTexts(agent.id), ['message B, edited', 'message C']);
    assert.deepEqual((await storedQueue(agent.id))?.map((m) => m.content), ['message B, edited', 'message C']);

    const done = until(agent.id, (x) => waitingForMessage(x) && requests.includes('message C'), 'the queue answered');
    open();
    await done;
    assert.deepEqual(requests, ['first', 'message B, edited', 'message C']);
    assert.ok(!JSON.stringify(api.requests).includes('message A'), 'the removed message never reached the API');
    assert.deepEqual(await conversation(agent.id), ['you: first', 'claude: answer to first', 'you: message B, edited', 'claude: answer to message B, edited', 'you: message C', 'claude: answer to message C']);
    await assert.rejects(runtime.queue.edit(agent.id, b.messageId, 'too late'), code('NOT_FOUND'));
    await assert.rejects(runtime.queue.remove(agent.id, b.messageId), code('NOT_FOUND'));
    await assert.rejects(runtime.queue.sendNow(agent.id, a.messageId), code('NOT_FOUND'));
    await runtime.stop(agent.id);
  });

  it('Send Now writes a queued message during the turn: the CLI runs it right after, and the rest of the queue waits for that turn', async () => {
    const { agent, requests, open } = await inTurn('urgent');
    await runtime.sendMessage(agent.id, 'later');
    const urgent = await runtime.sendMessage(agent.id, 'urgent');
    assert.deepEqual(await runtime.queue.sendNow(agent.id, urgent.messageId), { messageId: urgent.messageId });
    assert.deepEqual(await queuedTexts(agent.id), ['later']);
    assert.deepEqual(await conversation(agent.id), ['you: first', 'you: urgent'], 'written to the CLI (and stored) while the first turn runs');

    const done = until(agent.id, (a) => waitingForMessage(a) && requests.includes('later'), 'the queue answered');
    open();
    await done;
    // "later" waited for the turn the CLI began for "urgent": written at the first turn's end, the CLI would have joined the two.
    assert.deepEqual(requests, ['first', 'urgent', 'later']);
    assert.deepEqual(await conversation(agent.id), ['you: first', 'you: urgent', 'claude: answer to first', 'claude: answer to urgent', 'you: later', 'claude: answer to later']);
    await runtime.stop(agent.id);
  });

  it('Interrupt ends the turn, and the queue goes on after it', async () => {
    const { agent, requests, open } = await inTurn('interrupted');
    await runtime.sendMessage(agent.id, 'instead');
    const done = until(agent.id, (a) => waitingForMessage(a) && requests.includes('instead'), 'the queued message answered after the interrupt');
    await runtime.interrupt(agent.id);
    await done;
    open();
    assert.deepEqual(requests, ['first', 'instead']);
    const talk = await conversation(agent.id);
    assert.deepEqual(talk.slice(-2), ['you: instead', 'claude: answer to instead']);
    assert.ok(!talk.includes('claude: answer to first'), 'the first turn was cut short');
    await runtime.stop(agent.id);
  });

  it('after a failed turn the queue waits; Send Now goes on with it', async () => {
    const { agent, requests, open } = await inTurn('failing', { fail: 'first' });
    await runtime.sendMessage(agent.id, 'after the failure');
    const failed = until(agent.id, (a) => a.status === 'error', 'the failed turn');
    open();
    await failed;
    await runtime.settled(agent.id);
    assert.deepEqual(await queuedTexts(agent.id), ['after the failure'], 'kept: the same failure would likely meet it');
    assert.ok(!requests.includes('after the failure'));
    const [queued] = await runtime.queue.list(agent.id);
    const done = until(agent.id, (a) => waitingForMessage(a) && requests.includes('after the failure'), 'the queued message answered');
    await runtime.queue.sendNow(agent.id, queued!.id);
    await done;
    assert.deepEqual((await conversation(agent.id)).slice(-2), ['you: after the failure', 'claude: answer to after the failure']);
    assert.deepEqual(await queuedTexts(agent.id), []);
    await runtime.stop(agent.id);
  });

  it('a stopped agent keeps its queue, in the store too (a new window reads it), and its next start sends it in order', async () => {
    const { agent, requests, open } = await inTurn('stopped');
    await runtime.sendMessage(agent.id, 'kept 1');
    await runtime.sendMessage(agent.id, 'kept 2');
    await runtime.stop(agent.id);
    open();
    assert.equal((await runtime.get(agent.id)).status, 'finished');
    assert.deepEqual(await queuedTexts(agent.id), ['kept 1', 'kept 2']);
    // What another window (or this one after a reload) reads.
    const reread = new MessageQueue(store, quiet, { live: () => undefined, starting: () => undefined, start: () => Promise.reject(new Error('not here')), readImages: () => Promise.reject(new Error('not here')), dropImages: async () => undefined, track: () => undefined });
    assert.deepEqual((await reread.list(agent.id)).map((m) => m.content), ['kept 1', 'kept 2']);

    const done = until(agent.id, (a) => waitingForMessage(a) && requests.includes('kept 2'), 'the queue answered after the start');
    await runtime.start(agent.id);
    await done;
    assert.deepEqual(requests.slice(-2), ['kept 1', 'kept 2']);
    assert.deepEqual((await conversation(agent.id)).slice(-4), ['you: kept 1', 'claude: answer to kept 1', 'you: kept 2', 'claude: answer to kept 2']);
    await runtime.stop(agent.id);
  });

  it('a message sent to a stopped agent with a queue goes after the queue, and starts it', async () => {
    const { agent, requests, open } = await inTurn('resumed by a message');
    await runtime.sendMessage(agent.id, 'queued before the stop');
    await runtime.stop(agent.id);
    open();
    const done = until(agent.id, (a) => waitingForMessage(a) && requests.includes('sent after the stop'), 'both answered');
    const sent = await runtime.sendMessage(agent.id, 'sent after the stop');
    assert.equal(sent.queued, true, 'it waits behind the message queued before it');
    await done;
    assert.deepEqual(requests.slice(-2), ['queued before the stop', 'sent after the stop']);
    await runtime.stop(agent.id);
  });

  it('a queued message keeps its images as files and sends them when it goes; a removed one\'s files go with it', async () => {
    const { agent, requests, open } = await inTurn('pictures');
    const files = () => (existsSync(runtime.images.agentDir(agent.id)) ? readdirSync(runtime.images.agentDir(agent.id)) : []);
    const picture = makePng(6, 4, { seed: 3 });
    const kept = await runtime.sendMessage(agent.id, 'with a picture', { images: [{ data: picture.toString('base64'), name: 'shot.png' }] });
    const dropped = await runtime.sendMessage(agent.id, 'another picture', { images: [{ data: makePng(3, 3, { seed: 4 }).toString('base64'), name: 'other.png' }] });
    assert.equal(kept.queued, true);
    await runtime.settled(agent.id);
    assert.deepEqual((await runtime.queue.list(agent.id)).map((m) => m.images?.map((i) => i.name)), [['shot.png'], ['other.png']]);
    assert.equal(files().length, 2);
    await runtime.queue.remove(agent.id, dropped.messageId);
    assert.equal(files().length, 1, 'the removed message\'s image is gone');

    const withPicture = (text: string) => text === 'with a picture';
    const done = until(agent.id, (a) => waitingForMessage(a) && requests.some(withPicture), 'the queued message answered');
    open();
    await done;
    await runtime.settled(agent.id);
    const request = api.mainRequests.find((r) => withPicture(asked(r)));
    const sent = imageBlocks(lastUserBlocks(request?.body));
    assert.equal(sent.length, 1);
    assert.ok(sent[0]!.data.equals(picture), 'its bytes reached the API');
    const stored = (await store.messages.page(agent.id)).messages.find((m) => m.id === kept.messageId);
    assert.deepEqual(stored?.images?.map((i) => i.name), ['shot.png']);
    assert.ok((await runtime.images.find(agent.id, stored!.images![0]!.id)).data.equals(picture));
    assert.ok(!requests.includes('another picture'));
    await runtime.stop(agent.id);
  });

  it('messages sent at once and around the end of a turn keep the order they were sent in', async () => {
    let delivered = 0;
    for (let round = 0; round < 3; round++) {
      const { agent, requests, open } = await inTurn(`racing ${round}`);
      const sent: string[] = [];
      const replies: Promise<{ messageId: string; queued?: true }>[] = [];
      const send = (text: string) => {
        sent.push(text);
        replies.push(runtime.sendMessage(agent.id, text));
      };
      // Three in one tick during the turn; then one a tick, the turn let go at a different point each round.
      send(`r${round} m0`);
      send(`r${round} m1`);
      send(`r${round} m2`);
      for (let i = 3; i < 10; i++) {
        if (i === 3 + round * 2) open();
        await nextTick();
        send(`r${round} m${i}`);
      }
      const last = sent.at(-1)!;
      const done = until(agent.id, (a) => waitingForMessage(a) && requests.includes(last), `round ${round}: the last message answered`, 60_000);
      await Promise.all(replies);
      await done;
      const mine = (await conversation(agent.id)).filter((line) => line.startsWith('you: ')).map((line) => line.slice('you: '.length));
      assert.deepEqual(mine, ['first', ...sent], `round ${round}: stored once each, in the order sent`);
      const asked = requests.slice(1).flatMap((r) => r.split('\n'));
      assert.deepEqual(asked, sent, `round ${round}: reached the API once each, in the order sent`);
      assert.deepEqual(await queuedTexts(agent.id), []);
      delivered += sent.length;
      await runtime.stop(agent.id);
    }
    recordReliability({ area: 'Delivery', what: 'messages sent during a turn and around its end (three in one tick, then one a tick)', count: delivered, outcome: `${delivered} of ${delivered} delivered once each, in the order sent; 0 lost`, test: TEST });
  });
});
