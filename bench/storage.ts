// Storage benchmarks, run by scripts/bench.mjs (node --import tsx): prints one JSON line of rows.
// Builds stores of 1k and 300k messages in temp folders (300k both spread over 100 agents and with
// one agent holding 50k) and measures what persisting and reading messages costs in each.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { newId } from '../src/services/ids';
import { MessageStore, type StoredMessage } from '../src/services/storage/messageStore';

const SAVES = 200;
const BODY = 'lorem ipsum dolor sit amet '.repeat(18); // ~500 bytes, as in PLATFORM_NOTES' figures

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

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
  rows.push({ metric: 'open the message store at 300k', value: Math.max(spread.openMs, oneBig.openMs), target: 300, unit: 'ms', note: 'no log is read at open' });
  rows.push({ metric: 'heap + RSS growth at 300k, every agent paged once', value: Math.max(spread.growthMb, oneBig.growthMb), target: 150, unit: 'MB', note: `1k: ${small.growthMb.toFixed(1)} MB` });
  process.stdout.write(`${JSON.stringify(rows)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
