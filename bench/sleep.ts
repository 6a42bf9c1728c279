// Sleep benchmark, run by scripts/bench.mjs (node --import tsx): prints one JSON line of rows.
// Ten agents of the real CLI (against the mock Messages API) each answer one turn and wait for
// the user; the resident memory of their process groups is read from /proc, then every agent is
// put to sleep and it is read again; then one message wakes one agent, timed to its answer.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AgentRuntime } from '../src/services/agents/agentRuntime';
import { findClaudeBinary, makeCliEnv, makeTempGitRepo, makeTempHome } from '../test/helpers/claudeCli';
import { quiet } from '../test/helpers/storage';
import { openStore } from '../test/helpers/storeWorker';
import { MockAnthropicApi, textReply } from '../test/mocks/anthropicApi';

const AGENTS = 10;

/** The resident memory of every process in the groups led by `pids`, in MB (Linux's /proc). */
function groupsRssMb(pids: readonly number[]): number {
  const groups = new Set(pids);
  let kb = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (!groups.has(pgrp)) continue;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${name}/status`, 'utf8'));
      kb += Number(rss?.[1] ?? 0);
    } catch {
      // gone while read
    }
  }
  return kb / 1024;
}

async function main(): Promise<void> {
  if (process.platform !== 'linux') throw new Error('The sleep benchmark reads /proc: Linux only.');
  const storeDir = mkdtempSync(join(tmpdir(), 'cm-bench-sleep-store-'));
  const repo = makeTempGitRepo();
  const home = makeTempHome();
  const store = await openStore(storeDir, quiet);
  const api = await MockAnthropicApi.start();
  const runtime = new AgentRuntime({ store, logger: quiet, windowId: 'bench-sleep', locateCli: async () => findClaudeBinary(), env: () => makeCliEnv({ home: home.path, baseUrl: api.url }), maxConcurrent: () => AGENTS });
  try {
    const ws = await store.workspaces.create({ path: repo.path });
    const wt = await store.worktrees.create({ workspaceId: ws.id, name: 'repo', branch: 'main', path: repo.path, isMain: true });
    const waiting = (id: string) =>
      new Promise<void>((resolve) => {
        const off = runtime.onDidChangeAgent((a) => {
          if (a.id === id && a.status === 'waiting' && a.statusReason === 'waiting for your message') {
            off();
            resolve();
          }
        });
      });
    const ids: string[] = [];
    for (let i = 0; i < AGENTS; i++) ids.push((await store.agents.create({ worktreeId: wt.id, name: `idle ${i}` })).id);
    for (let i = 0; i < AGENTS; i++) api.enqueue(textReply(`answer ${i}`));
    const turns = ids.map(waiting);
    const pids: number[] = [];
    for (const id of ids) pids.push((await runtime.start(id, { initialPrompt: 'hello' })).pid!);
    await Promise.all(turns);
    for (const id of ids) await runtime.settled(id);
    await new Promise((r) => setTimeout(r, 2000)); // idle: what a waiting agent holds
    const before = groupsRssMb(pids);
    for (const id of ids) await runtime.sleep(id);
    const after = groupsRssMb(pids);
    api.enqueue(textReply('awake'));
    const woke = waiting(ids[0]!);
    const t = performance.now();
    await runtime.sendMessage(ids[0]!, 'are you there?');
    await woke;
    const wakeMs = performance.now() - t;
    const rows = [
      {
        metric: `resident memory of ${AGENTS} idle agents' CLI processes, after they were put to sleep`,
        value: after,
        target: 10,
        unit: 'MB',
        note: `${before.toFixed(0)} MB before (${(before / AGENTS).toFixed(0)} MB an agent, their process groups read from /proc); a message woke one on its session and was answered in ${wakeMs.toFixed(0)} ms (a CLI start against the local mock)`,
      },
    ];
    process.stdout.write(`${JSON.stringify(rows)}\n`);
  } finally {
    await runtime.stopAll(500);
    await api.close();
    await store.close();
    rmSync(storeDir, { recursive: true, force: true });
    repo.cleanup();
    home.cleanup();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
