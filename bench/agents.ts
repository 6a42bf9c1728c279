// Agent benchmarks, run by scripts/bench.mjs (node --import tsx): prints one JSON line of rows.
// Records one turn of the real CLI (stream-json, partial messages, a tool call) against the mock
// API, then replays it through bench/replayCli.mjs, which stands in for the CLI: 20 real CLIs do
// not fit on two cores, and a replay makes the runs comparable.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { AgentRuntime } from '../src/services/agents/agentRuntime';
import { toCli } from '../src/services/agents/cliProtocol';
import type { Store } from '../src/services/storage/store';
import { findClaudeBinary, makeCliEnv, makeTempGitRepo, makeTempHome, STREAM_JSON_ARGS } from '../test/helpers/claudeCli';
import { spawnHost } from '../test/helpers/spawnWorker';
import { quiet } from '../test/helpers/storage';
import { openStore } from '../test/helpers/storeWorker';
import { MockAnthropicApi, textReply, toolUseReply } from '../test/mocks/anthropicApi';
import { median } from './median';

const REPLAY = join(__dirname, 'replayCli.mjs');
const RUNS = Number(process.env.CM_BENCH_RUNS ?? 5);
/** Turns per ingestion run: enough that starting a process is a small part of the time. */
const REPEAT = 20;
const AGENTS = 20;

/** One turn of the real CLI, as it wrote it: partial messages, a Read of the repository's README, a long streamed answer. */
async function record(file: string): Promise<number> {
  const api = await MockAnthropicApi.start();
  const home = makeTempHome();
  const repo = makeTempGitRepo();
  try {
    const words = Array.from({ length: 3000 }, (_, i) => `word${i}`).join(' ');
    api.enqueue(toolUseReply([{ name: 'Read', input: { file_path: join(repo.path, 'README.md') } }], { text: ['Let me look.'], chunks: 50 }));
    api.enqueue(textReply(words, { chunks: 1500, usage: { input: 2000, output: 1500, cacheRead: 10_000 } }));
    const child = spawn(findClaudeBinary(), [...STREAM_JSON_ARGS, '--permission-mode', 'default', '--allowedTools', 'Read'], { cwd: repo.path, env: makeCliEnv({ home: home.path, baseUrl: api.url }), stdio: ['pipe', 'pipe', 'ignore'] });
    const lines: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const type = (JSON.parse(line) as { type: string }).type;
        if (type !== 'control_response') lines.push(line);
        if (type === 'result') resolve();
      });
      child.on('exit', (code) => reject(new Error(`the CLI exited (${code}) before the turn ended`)));
    });
    child.stdin.write(`${toCli.control('init', { subtype: 'initialize' })}\n`);
    child.stdin.write(`${toCli.user('Read the README, then answer at length.')}\n`);
    await done;
    child.kill('SIGTERM');
    writeFileSync(file, `${lines.join('\n')}\n`);
    return lines.length;
  } finally {
    await api.close();
    home.cleanup();
    repo.cleanup();
  }
}

function replayEnv(file: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, CM_REPLAY_FILE: file, CM_REPLAY_REPEAT: String(REPEAT), ...extra };
}

/** The bare loop: the replayed stream read with readline and JSON.parse, nothing else. */
async function bare(file: string): Promise<{ ms: number; lines: number }> {
  const started = performance.now();
  const child = spawn(REPLAY, [], { env: replayEnv(file), stdio: ['pipe', 'pipe', 'inherit'] });
  let lines = 0;
  const ended = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const read = new Promise<void>((resolve) => {
    const rl = createInterface({ input: child.stdout });
    rl.on('line', (line) => {
      JSON.parse(line);
      lines++;
    });
    rl.on('close', () => resolve());
  });
  child.stdin.write(`${toCli.control('init', { subtype: 'initialize' })}\n`);
  child.stdin.write(`${toCli.user('go')}\n`);
  await Promise.all([read, ended]);
  return { ms: performance.now() - started, lines };
}

/** The extension's: one spawn worker for the window's lifetime. */
const host = spawnHost(quiet);

/** The runtime as the extension makes it: processes started from the spawn worker. */
async function withRuntime<T>(store: Store, worktreeId: string, env: NodeJS.ProcessEnv, fn: (runtime: AgentRuntime) => Promise<T>): Promise<T> {
  const runtime = new AgentRuntime({ store, logger: quiet, windowId: 'bench', locateCli: async () => REPLAY, env: () => env, maxConcurrent: () => AGENTS, spawn: host.spawn });
  try {
    return await fn(runtime);
  } finally {
    await runtime.stopAll(500);
  }
}

/** One agent through the runtime: parsed, validated, stored, emitted; until its process ended and all was stored. */
async function ingest(store: Store, worktreeId: string, file: string): Promise<{ ms: number; messages: number }> {
  return withRuntime(store, worktreeId, replayEnv(file), async (runtime) => {
    const agent = await store.agents.create({ worktreeId });
    let messages = 0;
    runtime.onDidReceiveMessage(() => messages++);
    const ended = new Promise<void>((resolve) => runtime.onDidChangeAgent((a) => a.id === agent.id && a.status === 'finished' && resolve()));
    const started = performance.now();
    await runtime.sendMessage(agent.id, 'go');
    await ended;
    await runtime.settled(agent.id);
    return { ms: performance.now() - started, messages };
  });
}

/**
 * 20 agents streaming at once at a steady pace: the extension host's event-loop delay, measured
 * from the moment all have started until the first has finished. The starts (twenty Node
 * processes booting on two cores, the replayed streams already flowing) are measured apart.
 */
async function twentyAgents(store: Store, worktreeId: string, file: string, linesPerTurn: number) {
  // 5 lines every 10 ms: ~500 lines a second per agent, 10,000 a second in all; a real CLI
  // streams a few dozen deltas a second.
  const turns = 6;
  const env = replayEnv(file, { CM_REPLAY_REPEAT: String(turns), CM_REPLAY_LINES_PER_TICK: '5', CM_REPLAY_TICK_MS: '10' });
  return withRuntime(store, worktreeId, env, async (runtime) => {
    const ids = await Promise.all(Array.from({ length: AGENTS }, async () => (await store.agents.create({ worktreeId })).id));
    let firstDone: () => void = () => undefined;
    const first = new Promise<void>((resolve) => (firstDone = resolve));
    const ended = ids.map((id) => new Promise<void>((resolve) => runtime.onDidChangeAgent((a) => {
      if (a.id !== id || a.status !== 'finished') return;
      firstDone();
      resolve();
    })));
    const starting = monitorEventLoopDelay({ resolution: 5 });
    starting.enable();
    const elu0 = performance.eventLoopUtilization();
    const started = performance.now();
    await Promise.all(ids.map((id) => runtime.sendMessage(id, 'go')));
    starting.disable();
    const startElu = performance.eventLoopUtilization(elu0).utilization;
    const startSeconds = (performance.now() - started) / 1000;
    const streaming = monitorEventLoopDelay({ resolution: 5 });
    streaming.enable();
    const streamStart = performance.now();
    await first;
    streaming.disable();
    const streamSeconds = (performance.now() - streamStart) / 1000;
    await Promise.all(ended);
    await Promise.all(ids.map((id) => runtime.settled(id)));
    const seconds = (performance.now() - started) / 1000;
    return {
      p99: streaming.percentile(99) / 1e6,
      max: streaming.max / 1e6,
      streamSeconds,
      startSeconds,
      startP99: starting.percentile(99) / 1e6,
      startMax: starting.max / 1e6,
      startElu,
      linesPerSecond: (AGENTS * turns * linesPerTurn) / seconds,
    };
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cm-bench-agents-'));
  try {
    const file = join(dir, 'recorded.jsonl');
    const linesPerTurn = await record(file);
    const store = await openStore(join(dir, 'store'), quiet);
    const ws = await store.workspaces.create({ path: dir });
    const wt = await store.worktrees.create({ workspaceId: ws.id, name: 'bench', branch: 'main', path: dir, isMain: true });
    const bareRuns: number[] = [];
    const runtimeRuns: number[] = [];
    let stored = 0;
    // Side by side, alternating, so that both see the same machine.
    await bare(file);
    await ingest(store, wt.id, file);
    for (let i = 0; i < RUNS; i++) {
      bareRuns.push((await bare(file)).ms);
      const r = await ingest(store, wt.id, file);
      runtimeRuns.push(r.ms);
      stored = r.messages;
    }
    const lines = linesPerTurn * REPEAT;
    const ratio = median(bareRuns) / median(runtimeRuns);
    const many = await twentyAgents(store, wt.id, file, linesPerTurn);
    await store.close();
    await host.dispose();
    const rows = [
      {
        metric: 'ingestion throughput of a recorded CLI stream vs bare readline + JSON.parse',
        value: ratio,
        target: 0.5,
        unit: '×',
        atLeast: true,
        note: `${lines} lines (${REPEAT} turns of ${linesPerTurn}) per run: runtime ${median(runtimeRuns).toFixed(0)} ms (${((lines / median(runtimeRuns)) * 1000).toFixed(0)} lines/s, ${stored} message events), bare ${median(bareRuns).toFixed(0)} ms; medians of ${RUNS}, alternating`,
      },
      {
        metric: `event-loop delay p99, ${AGENTS} agents streaming at once`,
        value: many.p99,
        target: 50,
        unit: 'ms',
        note: `all ${AGENTS} streaming for ${many.streamSeconds.toFixed(1)} s, ~${many.linesPerSecond.toFixed(0)} lines/s in all; max ${many.max.toFixed(1)} ms; the ${many.startSeconds.toFixed(1)} s of starts apart: p99 ${many.startP99.toFixed(0)} ms, max ${many.startMax.toFixed(0)} ms, this thread busy ${(many.startElu * 100).toFixed(0)}% of it (processes started from the spawn worker)`,
      },
    ];
    process.stdout.write(`${JSON.stringify(rows)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
