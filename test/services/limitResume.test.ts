import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LimitResume, RESUME_MESSAGE } from '../../src/services/agents/limitResume';
import { makeSubscriptionCliEnv } from '../helpers/claudeCli';
import { runtimeSuite } from '../helpers/runtimeSuite';
import { quiet } from '../helpers/storage';
import { errorReply, lastUserText, limitHeaders, textReply } from '../mocks/anthropicApi';

/** What the API answers a request over the plan's five-hour limit, resetting at `reset` (seconds). */
function overTheLimit(reset: number) {
  return errorReply(429, 'rate_limit_error', 'This request would exceed your account\'s rate limit. Please try again later.', limitHeaders('rejected', 'five_hour', { fiveHour: { status: 'rejected', reset } }));
}

// The real CLI logged in with a subscription (an OAuth token; the mock takes any), whose requests
// the mock refuses for the plan's limit with a reset a few seconds away.
describe('Resuming agents after a usage limit (real CLI, mock API)', () => {
  const suite = runtimeSuite('limit', {
    env: () => makeSubscriptionCliEnv({ home: suite.home.path, baseUrl: suite.api.url }),
  });
  const { until } = suite;

  it('marks agents limited until the reset, then resumes one once after it, and only those still limited', async () => {
    const { runtime, store, api, worktreeId } = suite;
    const resume = new LimitResume(runtime, () => true, quiet, 1500);
    try {
      // Far enough away that the third agent's turn, started after the other two, is still refused
      // before it on a busy machine (at 4 s it was not, twice, under load: the CLI then reported no
      // limit for it).
      const reset = Math.ceil(Date.now() / 1000) + 10;
      const agents = [];
      for (const name of ['first', 'second', 'third']) agents.push(await store.agents.create({ worktreeId, name }));
      // Each agent's turn is refused in turn; their "continue" gets an answer.
      const limited = agents.map((a) => until(a.id, (v) => v.status === 'error' && v.statusReason.endsWith('resumes by itself then'), `${a.name} limited`));
      for (const a of agents) {
        api.enqueue(overTheLimit(reset));
        await runtime.start(a.id, { initialPrompt: `work, ${a.name}` });
        await until(a.id, (v) => v.status === 'error', `${a.name}'s refused turn`);
      }
      const views = await Promise.all(limited);
      for (const v of views) assert.match(v.statusReason, /^limited until \d\d:\d\d; resumes by itself then$/);
      assert.equal(views[0]!.pid !== undefined, true, 'its process lives on, waiting');
      // The user goes on with the second by hand before the reset: it is not resumed too.
      api.enqueue(textReply('second, by hand'));
      await runtime.sendMessage(agents[1]!.id, 'go on now');
      await until(agents[1]!.id, (v) => v.status === 'waiting', 'the second\'s turn by hand');
      // The third is kept from resuming.
      assert.equal(await resume.cancel(agents[2]!.id), true);
      assert.match((await runtime.get(agents[2]!.id)).statusReason, /^limited until \d\d:\d\d$/);
      api.enqueue(textReply('first, resumed'));
      const requestsBefore = api.mainRequests.length;
      await until(agents[0]!.id, (v) => v.status === 'waiting', 'the first resumed after the reset', 30_000);
      const resumedAt = Date.now();
      assert.ok(resumedAt >= reset * 1000, `resumed after the reset (${new Date(resumedAt).toISOString()} ≥ ${new Date(reset * 1000).toISOString()})`);
      const sent = api.mainRequests.slice(requestsBefore);
      assert.equal(sent.length, 1, 'one request: the first\'s');
      // (The CLI sends the refused prompt again, with "continue" after it, as one user message.)
      assert.match(lastUserText(sent[0]!.body!), new RegExp(`work, first\\s+${RESUME_MESSAGE}$`));
      // Time for the others' turns, had they been scheduled: nothing more is sent.
      await new Promise((r) => setTimeout(r, 4000));
      assert.equal(api.mainRequests.length, requestsBefore + 1, 'neither the one continued by hand nor the cancelled one was resumed');
    } finally {
      resume.dispose();
    }
  });

  it('resumes agents limited together a stagger apart', async () => {
    const { runtime, store, api, worktreeId } = suite;
    const resume = new LimitResume(runtime, () => true, quiet, 2000);
    try {
      const reset = Math.ceil(Date.now() / 1000) + 3;
      const agents = [await store.agents.create({ worktreeId, name: 'a' }), await store.agents.create({ worktreeId, name: 'b' })];
      for (const a of agents) {
        api.enqueue(overTheLimit(reset));
        await runtime.start(a.id, { initialPrompt: `work, ${a.name}` });
        await until(a.id, (v) => v.status === 'error' && v.statusReason.endsWith('resumes by itself then'), `${a.name} limited`);
      }
      api.enqueue(textReply('resumed'), textReply('resumed'));
      const before = api.mainRequests.length;
      await Promise.all(agents.map((a) => until(a.id, (v) => v.status === 'waiting', `${a.name} resumed`, 30_000)));
      const times = api.allRequests.filter((r) => r.kind === 'main').slice(before).map((r) => r.receivedAt);
      assert.equal(times.length, 2);
      assert.ok(times[1]! - times[0]! >= 1500, `the second ${times[1]! - times[0]!} ms after the first`);
    } finally {
      resume.dispose();
    }
  });
});
