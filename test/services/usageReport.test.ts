import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalStore } from '../../src/services/storage/localStore';
import { NO_USAGE } from '../../src/services/storage/usageRepository';
import { overviewOf } from '../../src/services/usage/overviewData';
import { toCsv, toJson } from '../../src/services/usage/tableExport';
import { migrationsDir, quiet, wasmPath } from '../helpers/storage';

// Node reads TZ again whenever it changes: each block below runs in the time zone it names.
const originalTz = process.env.TZ;

/** A store in a temp folder whose clock says `now` (an ISO time). */
async function openStore(now: string): Promise<{ store: LocalStore; close: () => Promise<void> }> {
  const root = mkdtempSync(join(tmpdir(), 'cm-usage-report-'));
  const store = await LocalStore.open({ dir: root, wasmPath, migrationsDir, logger: quiet, now: () => now });
  return {
    store,
    close: async () => {
      await store.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

let n = 0;
/** One API message of 100 input tokens and $0.01 (each gets its own id unless given one). */
function entry(createdAt: string, extra: Record<string, unknown> = {}) {
  n += 1;
  return { messageId: `msg_${n}`, model: 'claude-opus-4-5', inputTokens: 100, outputTokens: 10, cacheReadTokens: 0, cacheCreationTokens: 0, costUsd: 0.01, createdAt, ...extra };
}

describe('usage report: local days across a daylight-saving change (America/New_York)', () => {
  let s: Awaited<ReturnType<typeof openStore>>;
  before(async () => {
    process.env.TZ = 'America/New_York';
    // 2026-03-08: clocks go from 02:00 to 03:00, a 23-hour local day. 2026-11-01: back, 25 hours.
    s = await openStore('2026-11-02T17:00:00.000Z');
    for (const t of [
      '2026-03-08T04:59:00.000Z', // 23:59 on 7 March, EST
      '2026-03-08T05:00:00.000Z', // 00:00 on 8 March, EST
      '2026-03-09T03:59:00.000Z', // 23:59 on 8 March, EDT (the day was 23 hours)
      '2026-03-09T04:00:00.000Z', // 00:00 on 9 March, EDT
      '2026-11-01T04:00:00.000Z', // 00:00 on 1 November, EDT
      '2026-11-02T04:59:00.000Z', // 23:59 on 1 November, EST (the day was 25 hours)
      '2026-11-02T05:00:00.000Z', // 00:00 on 2 November, EST
    ]) {
      await s.store.usage.record(entry(t));
    }
  });
  after(async () => {
    await s.close();
    process.env.TZ = originalTz;
  });

  it('puts each message in the local day it happened on, the short and the long day included', () => {
    const march = s.store.usage.history({ period: 'daily', from: '2026-03-07', to: '2026-03-09' });
    assert.deepEqual(march.map((d) => [d.date, d.requestCount]), [['2026-03-07', 1], ['2026-03-08', 2], ['2026-03-09', 1]]);
    const november = s.store.usage.report({ period: 'daily', from: '2026-10-31', to: '2026-11-02' });
    assert.deepEqual(november.periods.map((d) => [d.date, d.requestCount]), [['2026-10-31', 0], ['2026-11-01', 2], ['2026-11-02', 1]]);
    assert.equal(november.total.requestCount, 3);
    assert.equal(november.from, '2026-10-31');
    assert.equal(november.to, '2026-11-02');
  });

  it('gives the same figures one period at a time as in one report', () => {
    const report = s.store.usage.report({ period: 'daily', from: '2026-03-01', to: '2026-03-31' });
    for (const p of report.periods) assert.equal(s.store.usage.get('daily', p.date).requestCount, p.requestCount, p.date);
    assert.equal(report.total.requestCount, 4);
  });
});

describe('usage report: a half-hour time zone (Asia/Kolkata, UTC+5:30)', () => {
  let s: Awaited<ReturnType<typeof openStore>>;
  before(async () => {
    process.env.TZ = 'Asia/Kolkata';
    s = await openStore('2026-01-01T06:30:00.000Z');
    await s.store.usage.record(entry('2025-12-31T18:29:00.000Z')); // 23:59 on 31 December
    await s.store.usage.record(entry('2025-12-31T18:30:00.000Z')); // 00:00 on 1 January
  });
  after(async () => {
    await s.close();
    process.env.TZ = originalTz;
  });

  it('splits the year at local midnight, not at a whole UTC hour', () => {
    const months = s.store.usage.report({ period: 'monthly', from: '2025-12-01', to: '2026-01-01' });
    assert.deepEqual(months.periods.map((m) => [m.date, m.requestCount]), [['2025-12-01', 1], ['2026-01-01', 1]]);
    assert.equal(months.to, '2026-01-31');
    const days = s.store.usage.history({ period: 'daily', from: '2025-12-31', to: '2026-01-01' });
    assert.deepEqual(days.map((d) => d.requestCount), [1, 1]);
  });
});

describe('usage report: weeks, shares and unpriced requests (UTC)', () => {
  let s: Awaited<ReturnType<typeof openStore>>;
  const id = { ws: '', wtA: '', wtB: '', one: '', two: '', three: '', term: '' };
  before(async () => {
    process.env.TZ = 'UTC';
    // "Now" is Wednesday 2026-12-30.
    s = await openStore('2026-12-30T12:00:00.000Z');
    id.ws = (await s.store.workspaces.create({ path: '/repo-a' })).id;
    id.wtA = (await s.store.worktrees.create({ workspaceId: id.ws, name: 'main', branch: 'main', path: '/repo-a', isMain: true })).id;
    id.wtB = (await s.store.worktrees.create({ workspaceId: id.ws, name: 'b', branch: 'b', path: '/repo-a-b', isMain: false })).id;
    for (const k of ['one', 'two', 'three'] as const) id[k] = (await s.store.agents.create({ worktreeId: id.wtA })).id;
    id.term = (await s.store.agents.create({ worktreeId: id.wtB })).id;
    const base = { workspaceId: id.ws, worktreeId: id.wtA };
    await s.store.usage.record(entry('2026-12-26T10:00:00.000Z', { ...base, agentId: id.one })); // Saturday
    await s.store.usage.record(entry('2026-12-27T10:00:00.000Z', { ...base, agentId: id.one })); // Sunday
    await s.store.usage.record(entry('2026-12-28T10:00:00.000Z', { ...base, agentId: id.two, model: 'claude-haiku-4-5' })); // Monday
    // An agent run in a terminal: tokens without a cost.
    await s.store.usage.record(entry('2026-12-30T10:00:00.000Z', { workspaceId: id.ws, worktreeId: id.wtB, agentId: id.term, costUsd: 0, costReported: false }));
    // The same message reported again (a streamed copy, then the final one) counts once.
    await s.store.usage.record(entry('2026-12-30T11:00:00.000Z', { ...base, agentId: id.two, messageId: 'msg_dup', outputTokens: 5 }));
    await s.store.usage.record(entry('2026-12-30T11:00:00.000Z', { ...base, agentId: id.two, messageId: 'msg_dup', outputTokens: 50 }));
    // A new year.
    await s.store.usage.record(entry('2027-01-01T00:00:00.000Z', { ...base, agentId: id.one }));
  });
  after(async () => {
    await s.close();
    process.env.TZ = originalTz;
  });

  it('begins weeks on the day asked for: Monday by default, Sunday or Saturday when chosen', () => {
    const weeks = (weekStart?: 0 | 1 | 6) => s.store.usage.report({ period: 'weekly', from: '2026-12-20', to: '2026-12-30', ...(weekStart === undefined ? {} : { weekStart }) }).periods.map((p) => [p.date, p.requestCount]);
    // The last week runs into the new year (its 1 January message included).
    assert.deepEqual(weeks(), [['2026-12-14', 0], ['2026-12-21', 2], ['2026-12-28', 4]]);
    assert.deepEqual(weeks(0), [['2026-12-20', 1], ['2026-12-27', 5]]);
    assert.deepEqual(weeks(6), [['2026-12-19', 0], ['2026-12-26', 6]]);
    assert.equal(s.store.usage.get('weekly', '2026-12-27', { weekStart: 0 }).date, '2026-12-27');
  });

  it('goes back N - 1 days, weeks (from the week’s first day) or months for a chart of N periods', () => {
    // "Now" is Wednesday 2026-12-30.
    const from = (period: 'daily' | 'weekly' | 'monthly', span: number, weekStart: 0 | 1 = 1, to?: string) => s.store.usage.report({ period, span, weekStart, ...(to ? { to } : {}) }).from;
    assert.equal(from('daily', 30), '2026-12-01');
    assert.equal(from('weekly', 1), '2026-12-28');
    assert.equal(from('weekly', 2, 0), '2026-12-20');
    assert.equal(from('monthly', 12), '2026-01-01');
    assert.equal(from('monthly', 2, 1, '2026-03-31'), '2026-02-01', 'not 3 March from 31 February');
    assert.equal(s.store.usage.report({ period: 'daily', span: 30 }).periods.length, 30);
  });

  it('counts a message reported twice once, with its last figures', () => {
    const day = s.store.usage.get('daily', '2026-12-30');
    assert.equal(day.requestCount, 2);
    assert.equal(day.outputTokens, 10 + 50);
  });

  it('runs across the year boundary', () => {
    const years = s.store.usage.report({ period: 'monthly', from: '2026-12-01', to: '2027-01-15' });
    assert.deepEqual(years.periods.map((p) => [p.date, p.requestCount]), [['2026-12-01', 5], ['2027-01-01', 1]]);
  });

  it('says which requests have no cost reported, and leaves them out of the cost only', () => {
    const day = s.store.usage.get('daily', '2026-12-30');
    assert.equal(day.unpricedRequestCount, 1);
    assert.equal(day.inputTokens, 200, 'the terminal agent’s tokens count');
    assert.equal(Math.round(day.costUsd * 100), 1, 'its cost is not made up');
    assert.equal(s.store.usage.totals({ agentId: id.term }).unpricedRequestCount, 1);
  });

  it('gives each agent’s share by model, which the Overview groups by repository, worktree and agent', () => {
    const report = s.store.usage.report({ period: 'daily', from: '2026-12-24', to: '2026-12-30' });
    const today = s.store.usage.report({ period: 'daily', from: '2026-12-30', to: '2026-12-30' });
    assert.equal(report.total.requestCount, 5);
    assert.deepEqual(Object.keys(report.byModel).sort(), ['claude-haiku-4-5', 'claude-opus-4-5']);
    // Each agent with its all-time usage, as the agents' catalogue gives it.
    const totals = s.store.usage.totalsByAgent([id.one, id.two, id.three]);
    const usage = (agentId: string) => totals[agentId] ?? { ...NO_USAGE };
    const made = overviewOf({
      agents: [
        { id: id.one, name: 'one', worktreeId: id.wtA, status: 'finished', statusReason: 'done', contextLevel: 10, updatedAt: '2026-12-30T09:00:00.000Z', ownedByThisWindow: true, usage: usage(id.one) },
        { id: id.two, name: 'two', worktreeId: id.wtA, status: 'running', statusReason: 'thinking', contextLevel: 20, updatedAt: '2026-12-30T11:00:00.000Z', ownedByThisWindow: true, usage: usage(id.two) },
        { id: id.three, name: 'three', worktreeId: id.wtA, status: 'waiting', statusReason: 'Allow Bash?', contextLevel: 0, updatedAt: '2026-12-29T09:00:00.000Z', ownedByThisWindow: false, usage: usage(id.three) },
      ],
      workspaces: [{ id: id.ws, name: 'repo-a' }],
      // The terminal agent's worktree and the agent were removed since: their usage keeps a label.
      worktrees: [{ id: id.wtA, name: 'main', workspaceId: id.ws }],
      removedAgents: [{ id: id.term, name: 'terminal helper' }],
      report,
      today,
    });
    assert.deepEqual(made.agents.map((a) => a.name), ['three', 'two', 'one'], 'waiting first, then running, then finished');
    const two = made.agents.find((a) => a.id === id.two);
    assert.equal(two?.repository, 'repo-a');
    assert.equal(two?.worktree, 'main');
    assert.equal(two?.turns, 2);
    assert.equal(Math.round((two?.costToday ?? 0) * 100), 1);
    assert.equal(Math.round((two?.costTotal ?? 0) * 100), 2);
    assert.deepEqual(made.usage.byWorktree.map((w) => [w.label, w.requestCount]).sort(), [['removed worktree', 1], ['repo-a / main', 4]]);
    assert.deepEqual(made.usage.byAgent.map((a) => [a.label, a.requestCount]).sort(), [['one', 2], ['terminal helper', 1], ['two', 2]]);
    assert.deepEqual(made.usage.byRepository.map((r) => [r.label, r.requestCount]), [['repo-a', 5]]);
    assert.equal(made.usage.total.unpricedRequestCount, 1);
    assert.equal(made.todayUsage.requestCount, 2);
    assert.equal(made.usage.periods.length, 7);
  });
});

describe('usage figures follow the ledger as it changes (they are summed in memory once read)', () => {
  let root: string;
  let a: LocalStore;
  let b: LocalStore;
  before(async () => {
    process.env.TZ = 'UTC';
    root = mkdtempSync(join(tmpdir(), 'cm-usage-follow-'));
    const now = () => '2026-06-15T12:00:00.000Z';
    a = await LocalStore.open({ dir: root, wasmPath, migrationsDir, logger: quiet, now });
    b = await LocalStore.open({ dir: root, wasmPath, migrationsDir, logger: quiet, now });
  });
  after(async () => {
    await a.close();
    await b.close();
    rmSync(root, { recursive: true, force: true });
    process.env.TZ = originalTz;
  });

  it('counts a message recorded after the first read, replaces one reported again, and forgets a removed agent’s name', async () => {
    const ws = await a.workspaces.create({ path: '/follow' });
    const wt = await a.worktrees.create({ workspaceId: ws.id, name: 'follow', branch: 'main', path: '/follow', isMain: true });
    const agent = await a.agents.create({ worktreeId: wt.id });
    assert.equal(a.usage.today().requestCount, 0, 'read once: the figures are now kept in memory');
    await a.usage.record(entry('2026-06-15T10:00:00.000Z', { messageId: 'msg_follow', agentId: agent.id, worktreeId: wt.id, workspaceId: ws.id }));
    assert.equal(a.usage.today().requestCount, 1);
    await a.usage.record(entry('2026-06-15T10:00:00.000Z', { messageId: 'msg_follow', agentId: agent.id, worktreeId: wt.id, workspaceId: ws.id, outputTokens: 99 }));
    assert.deepEqual([a.usage.today().requestCount, a.usage.today().outputTokens], [1, 99], 'replaced, not added');
    assert.equal(a.usage.totalsByAgent([agent.id])[agent.id]?.requestCount, 1);
    // Deleted for good: the ledger keeps the usage, no longer the agent's (its foreign key).
    await a.agents.delete(agent.id);
    assert.deepEqual(a.usage.totalsByAgent([agent.id]), {});
    assert.equal(a.usage.today().requestCount, 1, 'the usage itself stays');
  });

  it('counts what another window recorded, once it has read the journal', async () => {
    await b.meta.follow();
    assert.equal(b.usage.today().requestCount, 1, 'read once: kept in memory from here');
    await a.usage.record(entry('2026-06-15T11:00:00.000Z', { messageId: 'msg_from_a' }));
    await b.meta.follow();
    assert.equal(b.usage.today().requestCount, 2);
  });

  it('leaves out a record the database refused', async () => {
    const before = a.usage.today().requestCount;
    await assert.rejects(a.usage.record(entry('2026-06-15T11:30:00.000Z', { agentId: 'ag_missing' })), /refused by the database/);
    assert.equal(a.usage.today().requestCount, before);
  });
});

describe('table export', () => {
  const table = {
    columns: ['name', 'cost', 'note'],
    rows: [
      ['=HYPERLINK("http://x")', 1.5, 'a, "quoted" word'],
      ['plain', 0, null],
      ['-2+3', -2, 'line\nbreak'],
    ],
  };

  it('writes RFC 4180 CSV, with text a spreadsheet would run as a formula made inert', () => {
    const csv = toCsv(table);
    assert.equal(
      csv,
      ['name,cost,note', `"'=HYPERLINK(""http://x"")",1.5,"a, ""quoted"" word"`, 'plain,0,', `'-2+3,-2,"line\nbreak"`, ''].join('\r\n'),
    );
  });

  it('writes JSON objects keyed by the columns, numbers as numbers', () => {
    const parsed = JSON.parse(toJson(table)) as Record<string, unknown>[];
    assert.deepEqual(parsed[0], { name: '=HYPERLINK("http://x")', cost: 1.5, note: 'a, "quoted" word' });
    assert.deepEqual(parsed[1], { name: 'plain', cost: 0, note: null });
    assert.equal(parsed.length, 3);
  });
});
