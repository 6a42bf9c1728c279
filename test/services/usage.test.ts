import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClaudeManagerError } from '../../src/services/errors';
import { LocalStore } from '../../src/services/storage/localStore';
import { migrationsDir, quiet, wasmPath } from '../helpers/storage';


/** A local time, as the user's clock shows it. */
const local = (y: number, m: number, d: number, h = 12) => new Date(y, m - 1, d, h).toISOString();

describe('usage ledger', () => {
  let root: string;
  let store: LocalStore;
  let ids: { ws: string; wt: string; a1: string; a2: string };
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'cm-usage-'));
    // "Now" is Wednesday 2026-11-18, noon local time.
    store = await LocalStore.open({ dir: root, wasmPath, migrationsDir, logger: quiet, now: () => local(2026, 11, 18) });
    const ws = await store.workspaces.create({ path: '/r' });
    const wt = await store.worktrees.create({ workspaceId: ws.id, name: 'r', branch: 'main', path: '/r', isMain: true });
    const a1 = await store.agents.create({ worktreeId: wt.id });
    const a2 = await store.agents.create({ worktreeId: wt.id });
    ids = { ws: ws.id, wt: wt.id, a1: a1.id, a2: a2.id };
    const entry = (messageId: string, agentId: string, createdAt: string, model = 'opus', extra = {}) =>
      store.usage.record({
        messageId, agentId, worktreeId: wt.id, workspaceId: ws.id, model, createdAt,
        inputTokens: 100, outputTokens: 10, cacheReadTokens: 1000, cacheCreationTokens: 50, costUsd: 0.01, ...extra,
      });
    await entry('m1', a1.id, local(2026, 11, 18, 0));
    await entry('m2', a1.id, local(2026, 11, 18, 23));
    await entry('m3', a2.id, local(2026, 11, 18), 'haiku', { costUsd: 0.001, isError: true });
    await entry('m4', a1.id, local(2026, 11, 16)); // Monday of the same week
    await entry('m5', a1.id, local(2026, 11, 15)); // Sunday: the week before
    await entry('m6', a2.id, local(2026, 10, 31)); // last month
    // The CLI can report one message twice: it counts once, with its newest figures.
    await entry('m2', a1.id, local(2026, 11, 18, 23), 'opus', { outputTokens: 20 });
  });
  after(async () => {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('sums a local day, by model, counting a repeated message once', () => {
    const today = store.usage.today();
    assert.equal(today.date, '2026-11-18');
    assert.equal(today.requestCount, 3);
    assert.equal(today.errorCount, 1);
    assert.equal(today.inputTokens, 300);
    assert.equal(today.outputTokens, 40);
    assert.equal(today.totalTokens, 300 + 40 + 3000 + 150);
    assert.equal(Math.round(today.costUsd * 1000), 21);
    assert.deepEqual(Object.keys(today.byModel), ['haiku', 'opus']);
    assert.equal(today.byModel.opus?.requestCount, 2);
  });

  it('weeks run Monday to Sunday, months by the calendar, in local time', () => {
    const week = store.usage.get('weekly', '2026-11-20');
    assert.equal(week.date, '2026-11-16');
    assert.equal(week.requestCount, 4);
    assert.equal(store.usage.get('weekly', '2026-11-15').date, '2026-11-09');
    const month = store.usage.get('monthly', '2026-11-02');
    assert.deepEqual([month.date, month.requestCount], ['2026-11-01', 5]);
    assert.equal(store.usage.get('monthly', '2026-10-31').requestCount, 1);
  });

  it('filters by workspace, worktree or agent', () => {
    assert.equal(store.usage.today({ agentId: ids.a2 }).requestCount, 1);
    assert.equal(store.usage.today({ agentId: ids.a1 }).requestCount, 2);
    assert.equal(store.usage.today({ worktreeId: ids.wt }).requestCount, 3);
    assert.equal(store.usage.today({ workspaceId: 'ws_other' }).requestCount, 0);
  });

  it('sums many agents in one query, each as its own all-time totals', async () => {
    const many = store.usage.totalsByAgent([ids.a1, ids.a2, 'ag_without_usage']);
    assert.deepEqual(Object.keys(many).sort(), [ids.a1, ids.a2].sort(), 'an agent without usage is absent');
    assert.deepEqual(many[ids.a1], store.usage.totals({ agentId: ids.a1 }));
    assert.deepEqual(many[ids.a2], store.usage.totals({ agentId: ids.a2 }));
    assert.equal(many[ids.a1]?.requestCount, 4);
    // More ids than one statement may carry are asked in chunks.
    const padded = [...Array.from({ length: 1200 }, (_, i) => `ag_none${i}`), ids.a2];
    assert.deepEqual(Object.keys(store.usage.totalsByAgent(padded)), [ids.a2]);
  });

  it('lists a history with every period, empty ones included', () => {
    const days = store.usage.history({ period: 'daily', from: '2026-11-14', to: '2026-11-18' });
    assert.deepEqual(days.map((d) => [d.date, d.requestCount]), [['2026-11-14', 0], ['2026-11-15', 1], ['2026-11-16', 1], ['2026-11-17', 0], ['2026-11-18', 3]]);
    assert.equal(store.usage.history({ period: 'daily' }).length, 30);
    assert.equal(store.usage.history({ period: 'monthly' }).at(-1)?.date, '2026-11-01');
    assert.throws(() => store.usage.history({ period: 'daily', from: '2026-11-19', to: '2026-11-18' }), (e: unknown) => e instanceof ClaudeManagerError && e.code === 'INVALID_INPUT');
    assert.throws(() => store.usage.get('daily', '2026-02-30'), /not a date of the form YYYY-MM-DD/);
  });

  it('refuses negative or missing figures', async () => {
    await assert.rejects(
      store.usage.record({ messageId: 'x', model: 'opus', inputTokens: -1, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0, costUsd: 0 }),
      /token counts and cost must be numbers ≥ 0/,
    );
  });
});
