// Storage benchmarks, run by scripts/bench.mjs (node --import tsx): prints one JSON line of rows.
// Builds stores of 1k and 300k messages in temp folders (300k both spread over 100 agents and with
// one agent holding 50k) and measures what persisting and reading messages costs in each, and what
// the Overview's reads of a year of usage cost.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { newId } from '../src/services/ids';
import { MessageStore, type StoredMessage } from '../src/services/storage/messageStore';
import type { Store } from '../src/services/storage/store';
import { quiet } from '../test/helpers/storage';
import { openStore } from '../test/helpers/storeWorker';
import { median } from './median';

const LEDGER_ROWS = 100_000;
/** Rows per write: a burst of a hundred agents' turns ending at once (the CLI reports one per API message). */
const LEDGER_BATCH = 100;
/** The time between two ledger rows: 100k of them fill the year 2026, its first day to its last. */
const LEDGER_SPACING_MS = 315_360;
/** Warm runs of what the Overview asks of the store. */
const OVERVIEW_RUNS = 10;

const SAVES = 200;
const BODY = 'lorem ipsum dolor sit amet '.repeat(18); // ~500 bytes, as in PLATFORM_NOTES' figures

function message(agentId: string, i: number): StoredMessage {
  return { id: newId('msg'), agentId, role: i % 2 ? 'assistant' : 'user', kind: 'text', content: `${i} ${BODY}`, isComplete: true, createdAt: new Date().toISOString() };
}

/** Writes the logs directly, as a long-lived store would have accumulated them. */
function preload(dir: string, counts: number[]): string[] {
  mkdirSync(dir, { recursive: true });
  return counts.map((count) => {
    const agent = newId('ag');
    const lines: string[] = [];
    for (let i = 0; i < count; i++) lines.push(`${JSON.stringify({ m: message(agent, i) })}\n`);
    writeFileSync(join(dir, `${agent}.log`), lines.join(''));
    return agent;
  });
}

async function measure(label: string, counts: number[]) {
  const dir = mkdtempSync(join(tmpdir(), 'cm-bench-store-'));
  try {
    const agents = preload(join(dir, 'messages'), counts);
    global.gc?.();
    const before = process.memoryUsage();
    const openStart = performance.now();
    const store = new MessageStore(join(dir, 'messages'));
    const openMs = performance.now() - openStart;
    const busiest = agents[counts.indexOf(Math.max(...counts))]!;
    // The first page of the busiest agent builds its index; later pages are warm.
    const coldStart = performance.now();
    await store.page(busiest);
    const coldPageMs = performance.now() - coldStart;
    const warm: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await store.page(busiest);
      warm.push(performance.now() - t);
    }
    // Saves: to the busiest agent, one at a time, each awaited until durable.
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const saves: number[] = [];
    for (let i = 0; i < SAVES; i++) {
      const t = performance.now();
      await store.put(message(busiest, i));
      saves.push(performance.now() - t);
    }
    delay.disable();
    // Every agent's latest page, as a sidebar full of chats would ask for.
    for (const agent of agents) await store.page(agent, { limit: 1 });
    global.gc?.();
    const after = process.memoryUsage();
    await store.close();
    return {
      label,
      saveMs: median(saves),
      saveMaxMs: Math.max(...saves),
      blockMaxMs: delay.max / 1e6,
      openMs,
      coldPageMs,
      warmPageMs: median(warm),
      growthMb: (after.rss - before.rss + (after.heapUsed - before.heapUsed)) / 1e6,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What the Overview asks of the store for a year of daily periods, over the thread boundary as
 * the extension asks it: the year's report, today's (here the year's last day), and every agent's
 * all-time totals. Once cold (the first read builds the ledger's copy in the worker's memory),
 * then warm. The answers are checked first, so that no figure is taken on wrong data.
 */
async function measureOverviewReads(store: Store, agents: readonly string[]) {
  const read = async () => {
    const started = performance.now();
    const [year, day, totals] = [
      await store.usage.report({ period: 'daily', from: '2026-01-01', to: '2026-12-31' }),
      await store.usage.report({ period: 'daily', from: '2026-12-31', to: '2026-12-31' }),
      await store.usage.totalsByAgent(agents),
    ];
    return { ms: performance.now() - started, year, day, totals };
  };
  const cold = await read();
  const { year, day, totals } = cold;
  const models = Object.keys(year.byModel).sort().join(', ');
  const agentRequests = Object.values(totals).reduce((sum, c) => sum + c.requestCount, 0);
  if (year.total.requestCount !== LEDGER_ROWS || year.periods.length !== 365 || year.periods.some((p) => p.requestCount === 0)) {
    throw new Error(`the year's report is wrong: ${year.total.requestCount} requests in ${year.periods.length} periods (${year.periods.filter((p) => p.requestCount === 0).length} empty)`);
  }
  if (models !== 'claude-haiku-4-5, claude-opus-4-5' || year.shares.length !== 2 * agents.length) throw new Error(`the year's report has models ${models} and ${year.shares.length} shares`);
  if (day.periods.length !== 1 || day.total.requestCount === 0) throw new Error(`the last day's report has ${day.periods.length} periods and ${day.total.requestCount} requests`);
  if (Object.keys(totals).length !== agents.length || agentRequests !== LEDGER_ROWS) throw new Error(`the agents' totals hold ${Object.keys(totals).length} agents and ${agentRequests} requests`);
  const warm: number[] = [];
  for (let i = 0; i < OVERVIEW_RUNS; i++) warm.push((await read()).ms);
  return { coldMs: cold.ms, warmMs: median(warm), minMs: Math.min(...warm), maxMs: Math.max(...warm), lastDayRequests: day.total.requestCount };
}

/**
 * The whole store at 300k messages, as the extension runs it (in a worker thread): 100 agents
 * whose metadata and a usage ledger of 100k API messages over the year 2026 with two models went
 * through the journal (compacting as it grew), and 300k messages in their logs. Measures the
 * longest block of this thread while the ledger was written, what the Overview asks of the store
 * for a year of daily periods once it is opened again with all of it, opening the store in fresh
 * processes, and memory.
 */
async function measureWholeStore() {
  const dir = mkdtempSync(join(tmpdir(), 'cm-bench-whole-'));
  try {
    const store = await openStore(dir, quiet);
    const ws = await store.workspaces.create({ path: '/bench/repo' });
    const wt = await store.worktrees.create({ workspaceId: ws.id, name: 'repo', branch: 'main', path: '/bench/repo', isMain: true });
    const agents: string[] = [];
    for (let i = 0; i < 100; i++) agents.push((await store.agents.create({ worktreeId: wt.id })).id);
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    // Local midnight, as the usage figures' days are local: the year's rows fall in its 365 days
    // whatever the machine's time zone.
    const t = new Date(2026, 0, 1).getTime();
    const writeStart = performance.now();
    for (let batch = 0; batch < LEDGER_ROWS / LEDGER_BATCH; batch++) {
      await Promise.all(
        Array.from({ length: LEDGER_BATCH }, (_, i) => {
          const n = batch * LEDGER_BATCH + i;
          const opus = n % 3 !== 0;
          return store.usage.record({
            messageId: `msg_api_${n}`, agentId: agents[n % 100]!, worktreeId: wt.id, workspaceId: ws.id, model: opus ? 'claude-opus-4-5' : 'claude-haiku-4-5',
            inputTokens: 1200, outputTokens: 300, cacheReadTokens: 20_000, cacheCreationTokens: 500, costUsd: opus ? 0.02 : 0.004,
            createdAt: new Date(t + n * LEDGER_SPACING_MS).toISOString(),
          });
        }),
      );
    }
    const writeSeconds = (performance.now() - writeStart) / 1000;
    delay.disable();
    await store.close();
    preload(join(dir, 'messages'), Array.from({ length: 100 }, () => 3000));
    // Opened again with its 300k messages, in a fresh worker: the Overview's first read is cold.
    const reopened = await openStore(dir, quiet);
    const overview = await measureOverviewReads(reopened, agents);
    const januaryRequests = (await reopened.usage.get('monthly', '2026-01-15')).requestCount;
    await reopened.close();
    const empty = mkdtempSync(join(tmpdir(), 'cm-bench-empty-'));
    try {
      const probe = (target: string) => {
        const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(__dirname, 'openProbe.ts'), target], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`open probe failed: ${r.stderr}`);
        return JSON.parse(r.stdout) as { openMs: number; firstQueryMs: number; rssMb: number; heapMb: number };
      };
      const runs = [1, 2, 3, 4, 5].map(() => ({ full: probe(dir), none: probe(empty) }));
      const growth = runs.map((r) => r.full.rssMb + r.full.heapMb - (r.none.rssMb + r.none.heapMb));
      return {
        openMs: median(runs.map((r) => r.full.openMs)),
        emptyOpenMs: median(runs.map((r) => r.none.openMs)),
        firstQueryMs: median(runs.map((r) => r.full.firstQueryMs)),
        ledgerBlockMs: delay.max / 1e6,
        ledgerP99Ms: delay.percentile(99) / 1e6,
        rowsPerSecond: LEDGER_ROWS / writeSeconds,
        growthMb: median(growth),
        januaryRequests,
        overview,
      };
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const small = await measure('1k', Array.from({ length: 10 }, () => 100));
  const spread = await measure('300k over 100 agents', Array.from({ length: 100 }, () => 3000));
  const oneBig = await measure('300k, one agent with 50k', [50_000, ...Array.from({ length: 99 }, () => Math.round(250_000 / 99))]);
  const rows: { metric: string; value: number; target: number; unit: string; note: string }[] = [];
  for (const big of [spread, oneBig]) {
    rows.push({
      metric: `persist one message: ${big.label} vs 1k, ratio of medians`,
      value: big.saveMs / small.saveMs,
      target: 2,
      unit: '×',
      note: `${big.saveMs.toFixed(2)} ms vs ${small.saveMs.toFixed(2)} ms, ${SAVES} saves each`,
    });
  }
  const worstBlock = Math.max(small.blockMaxMs, spread.blockMaxMs, oneBig.blockMaxMs);
  rows.push({ metric: 'longest event-loop block during saves', value: worstBlock, target: 50, unit: 'ms', note: 'all three stores' });
  const worstSave = Math.max(small.saveMaxMs, spread.saveMaxMs, oneBig.saveMaxMs);
  rows.push({ metric: 'write → durability report, slowest of all saves', value: worstSave, target: 1000, unit: 'ms', note: `medians ${small.saveMs.toFixed(1)} / ${spread.saveMs.toFixed(1)} / ${oneBig.saveMs.toFixed(1)} ms` });
  rows.push({ metric: 'latest-page query (50), warm, 300k / 50k agent, median', value: oneBig.warmPageMs, target: 20, unit: 'ms', note: `first page (builds the index): ${oneBig.coldPageMs.toFixed(0)} ms` });
  const whole = await measureWholeStore();
  rows.push({
    metric: 'open the store at 300k messages + 100k ledger rows',
    value: whole.openMs,
    target: 300,
    unit: 'ms',
    note: `median of 5 fresh processes: worker start, engine, snapshot, journal, migrations (empty store: ${whole.emptyOpenMs.toFixed(0)} ms); first query after it ${whole.firstQueryMs.toFixed(1)} ms; ledger check: ${whole.januaryRequests} January requests of ${LEDGER_ROWS / 1000}k over 2026`,
  });
  const { overview } = whole;
  rows.push({
    metric: 'usage history for the Overview: a year of daily periods, 100 agents, store at 300k messages + 100k ledger rows (warm), median',
    value: overview.warmMs,
    target: 50,
    unit: 'ms',
    note:
      `${OVERVIEW_RUNS} runs, min ${overview.minMs.toFixed(1)}, max ${overview.maxMs.toFixed(1)}; the year's report (365 days, 2 models), the last day's (${overview.lastDayRequests} requests) and the 100 agents' totals, from this thread to the store's worker; ` +
      `the cold first read after opening the store (it builds the ledger's copy in memory, in the worker) ${overview.coldMs.toFixed(0)} ms`,
  });
  rows.push({
    metric: 'longest event-loop block writing 100k ledger rows (with compactions)',
    value: whole.ledgerBlockMs,
    target: 50,
    unit: 'ms',
    note: `${LEDGER_BATCH} concurrent records at a time, ${whole.rowsPerSecond.toFixed(0)} rows/s; p99 ${whole.ledgerP99Ms.toFixed(1)} ms; database and compaction in the store's worker`,
  });
  rows.push({ metric: 'heap + RSS growth: store at 300k over an empty one, just opened', value: whole.growthMb, target: 150, unit: 'MB', note: 'fresh processes side by side, median of 5' });
  rows.push({ metric: 'heap + RSS growth at 300k messages, every agent paged once', value: Math.max(spread.growthMb, oneBig.growthMb), target: 150, unit: 'MB', note: `message indexes; 1k: ${small.growthMb.toFixed(1)} MB` });
  process.stdout.write(`${JSON.stringify(rows)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
