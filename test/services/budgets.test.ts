import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Store } from '../../src/services/storage/store';
import { type Budgets, BudgetWatch, describeUse } from '../../src/services/usage/budgets';
import { quiet, suiteTempDir } from '../helpers/storage';
import { openStore } from '../helpers/storeWorker';

// Budgets against the real store's usage ledger, each told once per period.
describe('BudgetWatch', () => {
  const storeDir = suiteTempDir('cm-budgets-');
  let store: Store;
  let n = 0;
  /** One API message's usage, at a local time. */
  const spend = (at: Date, costUsd: number, tokens = 0) => store.usage.record({ messageId: `msg_${++n}`, model: 'claude-test', inputTokens: tokens, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0, costUsd, createdAt: at.toISOString() });
  before(async () => {
    store = await openStore(storeDir(), quiet);
  });
  after(async () => {
    await store.close();
  });

  it('tells 80% and then 100% of a daily budget once each, and again on the next local day', async () => {
    let now = new Date(2031, 2, 4, 9, 0);
    const budgets: Budgets = { daily: 5, monthly: 0, unit: 'dollars' };
    const watch = new BudgetWatch(store, () => budgets, () => now);
    assert.deepEqual(await watch.crossings(), []);
    await spend(new Date(2031, 2, 4, 8, 0), 3.9);
    assert.deepEqual(await watch.crossings(), [], '78%');
    await spend(new Date(2031, 2, 4, 8, 30), 0.2);
    const at80 = await watch.crossings();
    assert.deepEqual(at80.map((c) => [c.period, c.date, c.threshold, Number(c.share.toFixed(2))]), [['day', '2031-03-04', 80, 0.82]]);
    assert.equal(describeUse(at80[0]!), '$4.10 of $5.00');
    assert.deepEqual(await watch.crossings(), [], 'told once');
    // Another watch (a reload, another window) does not tell it again.
    assert.deepEqual(await new BudgetWatch(store, () => budgets, () => now).crossings(), []);
    await spend(new Date(2031, 2, 4, 10, 0), 1);
    assert.deepEqual((await watch.crossings()).map((c) => c.threshold), [100]);
    assert.deepEqual(await watch.crossings(), []);
    // The next local day starts from nothing.
    now = new Date(2031, 2, 5, 0, 5);
    assert.deepEqual(await watch.crossings(), []);
    await spend(new Date(2031, 2, 5, 0, 1), 6);
    assert.deepEqual((await watch.crossings()).map((c) => [c.date, c.threshold]), [['2031-03-05', 100]], 'past 100% at once: told as 100%, not 80% too');
  });

  it('counts a month\'s tokens, and a changed budget is told again', async () => {
    const now = new Date(2031, 6, 20, 12, 0);
    let budgets: Budgets = { daily: 0, monthly: 10_000, unit: 'tokens' };
    const watch = new BudgetWatch(store, () => budgets, () => now);
    await spend(new Date(2031, 5, 30, 23, 0), 0, 50_000);
    await spend(new Date(2031, 6, 1, 0, 30), 0, 4_000);
    await spend(new Date(2031, 6, 19, 0, 30), 0, 4_500);
    const uses = await watch.uses();
    assert.deepEqual(uses.map((u) => [u.period, u.date, u.used]), [['month', '2031-07-01', 8_500]], 'June\'s tokens are not July\'s');
    assert.deepEqual((await watch.crossings()).map((c) => [c.period, c.threshold]), [['month', 80]]);
    assert.equal(describeUse(uses[0]!), '8,500 of 10,000 tokens');
    budgets = { ...budgets, monthly: 9_000 };
    assert.deepEqual((await watch.crossings()).map((c) => [c.budget, c.threshold]), [[9_000, 80]]);
  });

  it('tells a threshold once however many checks run at once', async () => {
    const now = new Date(2031, 8, 9, 15, 0);
    const watch = new BudgetWatch(store, () => ({ daily: 1, monthly: 0, unit: 'dollars' }), () => now);
    await spend(new Date(2031, 8, 9, 14, 0), 0.9);
    const all = await Promise.all(Array.from({ length: 10 }, () => watch.crossings()));
    assert.equal(all.flat().length, 1);
  });

  it('has nothing to tell without a budget', async () => {
    const watch = new BudgetWatch(store, () => ({ daily: 0, monthly: 0, unit: 'dollars' }), () => new Date(2031, 2, 4, 9, 0));
    assert.deepEqual(await watch.uses(), []);
    assert.deepEqual(await watch.crossings(), []);
  });
});
