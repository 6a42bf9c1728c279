// Storage benchmarks, run by scripts/bench.mjs (node --import tsx): prints one JSON line of rows.
// Builds stores of 1k and 300k messages in temp folders (300k both spread over 100 agents and with
// one agent holding 50k) and measures what persisting and reading messages costs in each.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { newId } from '../src/services/ids';
import { MessageStore, type StoredMessage } from '../src/services/storage/messageStore';
import { quiet } from '../test/helpers/storage';
import { openStore } from '../test/helpers/storeWorker';
import { median } from './median';

const LEDGER_ROWS = 100_000;
/** Rows per write: a burst of a hundred agents' turns ending at once (the CLI reports one per API message). */
const LEDGER_BATCH = 100;

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
 * The whole store at 300k messages, as the extension runs it (in a worker thread): 100 agents
 * whose metadata and a usage ledger of 100k API messages went through the journal (compacting as
 * it grew), and 300k messages in their logs. Measures the longest block of this thread while the
 * ledger was written, opening the store again in fresh processes, and memory.
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
    const t = new Date('2026-01-01T00:00:00Z').getTime();
    const writeStart = performance.now();
    for (let batch = 0; batch < LEDGER_ROWS / LEDGER_BATCH; batch++) {
      await Promise.all(
        Array.from({ length: LEDGER_BATCH }, (_, i) => {
          const n = batch * LEDGER_BATCH + i;
          return store.usage.record({
            messageId: `msg_api_${n}`, agentId: agents[n % 100]!, worktreeId: wt.id, workspaceId: ws.id, model: 'claude-opus',
            inputTokens: 1200, outputTokens: 300, cacheReadTokens: 20_000, cacheCreationTokens: 500, costUsd: 0.02,
            createdAt: new Date(t + n * 60_000).toISOString(),
          });
        }),
      );
    }
    const writeSeconds = (performance.now() - writeStart) / 1000;
    delay.disable();
    const januaryRequests = (await store.usage.get('monthly', '2026-01-15')).requestCount;
    await store.close();
    preload(join(dir, 'messages'), Array.from({ length: 100 }, () => 3000));
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
    note: `median of 5 fresh processes: worker start, engine, snapshot, journal, migrations (empty store: ${whole.emptyOpenMs.toFixed(0)} ms); first query after it ${whole.firstQueryMs.toFixed(1)} ms; ledger check: ${whole.januaryRequests} January requests`,
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
