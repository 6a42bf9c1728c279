/**
 * Idle agents put to sleep, with the real CLI against the mock API: the process ends, the session
 * stays, and the next message wakes the agent there; never while a permission waits; a message
 * sent as the agent falls asleep is delivered once.
 */
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Agent, AgentRuntime } from '../../src/services/agents/agentRuntime';
import { AgentSleep, ASLEEP } from '../../src/services/agents/sleep';
import type { Store } from '../../src/services/storage/store';
import { runtimeSuite } from '../helpers/runtimeSuite';
import { quiet } from '../helpers/storage';
import { contentText, type MockAnthropicApi, textReply, toolUseReply } from '../mocks/anthropicApi';

const groupGone = (pid: number) => {
  try {
    process.kill(-pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
};
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Agents put to sleep when idle (real CLI, mock API)', () => {
  const suite = runtimeSuite('sleep');
  const { until } = suite;
  let store: Store;
  let api: MockAnthropicApi;
  let runtime: AgentRuntime;
  let worktreeId: string;
  let afterMs = 0;
  let sleeper: AgentSleep;
  before(() => {
    ({ store, api, runtime, worktreeId } = suite);
    sleeper = new AgentSleep(runtime, () => afterMs, quiet);
  });
  after(() => sleeper.dispose());

  const waitingForMessage = (a: Agent) => a.status === 'waiting' && a.statusReason === 'waiting for your message';
  const asleep = (a: Agent) => a.status === 'finished' && a.statusReason === ASLEEP;

  it('ends the process of an agent that waited too long, keeps its session, and wakes it there with the next message, saying so', async () => {
    afterMs = 600;
    const agent = await store.agents.create({ worktreeId, name: 'dozy' });
    api.enqueue(textReply('The word is tangerine.'));
    const slept = until(agent.id, asleep, 'asleep', 15_000);
    const started = await runtime.start(agent.id, { initialPrompt: 'Remember the word tangerine.' });
    const pid = started.pid!;
    const view = await slept;
    await runtime.settled(agent.id);
    assert.equal(view.pid, undefined);
    assert.equal(view.sessionId, started.sessionId, 'the session is kept');
    assert.ok(groupGone(pid), 'the CLI\'s process group is gone');
    assert.equal(runtime.isRunning(agent.id), false);

    afterMs = 0; // not asleep again before the checks below
    sleeper.reschedule();
    api.enqueue(textReply('It was tangerine.'));
    const woke = until(agent.id, waitingForMessage, 'the turn after waking');
    await runtime.sendMessage(agent.id, 'What was the word?');
    const awake = await woke;
    await runtime.settled(agent.id);
    assert.equal(awake.sessionId, started.sessionId, 'woken on the same session');
    assert.notEqual(awake.pid, pid);
    const sent = JSON.stringify(api.mainRequests.at(-1)?.body?.messages);
    assert.ok(sent.includes('Remember the word tangerine.') && sent.includes('What was the word?'), 'the CLI sent the earlier turn with the new message');
    const history = (await store.messages.page(agent.id)).messages.reverse().map((m) => `${m.role}/${m.kind}: ${m.content}`);
    const notice = history.findIndex((m) => /^system\/notice: Woke up after less than a minute asleep: the conversation goes on in the same session\.$/.test(m));
    assert.ok(notice > 0, history.join('\n'));
    assert.equal(history[notice + 1], 'user/text: What was the word?', 'the notice comes before the message that woke it');
    await runtime.stop(agent.id);
  });

  it('never puts to sleep an agent a permission waits on', async () => {
    afterMs = 300;
    sleeper.reschedule();
    const agent = await store.agents.create({ worktreeId, name: 'asking', permissions: ['read'] });
    api.enqueue(toolUseReply([{ name: 'Write', input: { file_path: join(suite.repo.path, 'asked.txt'), content: 'hi\n' } }]));
    const asking = until(agent.id, (a) => a.status === 'waiting' && a.pendingPermissions.length > 0, 'the permission request');
    const started = await runtime.start(agent.id, { initialPrompt: 'write it' });
    await asking;
    await pause(1500);
    const view = await runtime.get(agent.id);
    assert.equal(view.status, 'waiting');
    assert.equal(view.pendingPermissions.length, 1);
    assert.equal(view.pid, started.pid, 'the process still runs');
    await runtime.stop(agent.id);
    afterMs = 0;
    sleeper.reschedule();
  });

  for (const gapMs of [0, 30, 150]) it(`delivers once a message sent ${gapMs} ms after the agent began to fall asleep`, async () => {
    const agent = await store.agents.create({ worktreeId, name: 'between' });
    api.enqueue(textReply('first'));
    const ready = until(agent.id, waitingForMessage, 'the first turn');
    await runtime.start(agent.id, { initialPrompt: 'one' });
    await ready;
    await runtime.settled(agent.id);
    const before = api.mainRequests.length;
    api.enqueue(textReply('second'));
    const answered = until(agent.id, (a) => waitingForMessage(a) && a.pid !== undefined, 'the turn of the message sent as it fell asleep', 30_000);
    // Put to sleep, and a message sent while its process ends: whichever comes first, the message
    // is delivered once (a sleep that finds the message on its way does not happen).
    const sleeping = runtime.sleep(agent.id);
    await pause(gapMs);
    const [slept, sent] = await Promise.allSettled([sleeping, runtime.sendMessage(agent.id, 'two')]);
    assert.equal(sent.status, 'fulfilled', String((sent as PromiseRejectedResult).reason));
    if (slept.status === 'rejected') assert.match(String(slept.reason), /not put to sleep/);
    await answered;
    await runtime.settled(agent.id);
    const asked = api.mainRequests.slice(before).map((r) => contentText((r.body?.messages as { content: unknown }[] | undefined)?.at(-1)?.content));
    assert.deepEqual(asked.filter((t) => t.includes('two')).length, 1, `the message reached the API once: ${JSON.stringify(asked)}`);
    const users = (await store.messages.page(agent.id)).messages.filter((m) => m.role === 'user').map((m) => m.content);
    assert.deepEqual(users.reverse(), ['one', 'two']);
    await runtime.stop(agent.id);
  });
});
