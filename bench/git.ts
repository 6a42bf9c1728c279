// Git benchmark, run by scripts/bench.mjs (node --import tsx): prints one JSON line of rows.
// A repository with 50 worktrees; the status refresh of all of them through the extension's
// services (WorktreeMonitor → GitService, bounded concurrency, git started from the spawn worker as
// in the editor) against a bare `git status --porcelain=v2 --branch` per worktree started the
// same way (from the spawn worker, 4 at a time), side by side, alternating; and the same refresh
// with git started on this thread, for the longest block of the event loop each way.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { GitService } from '../src/services/git/gitService';
import { RecordedAgents } from '../test/helpers/recordedAgents';
import { WorkspaceService } from '../src/services/workspaces/workspaceService';
import { WorktreeMonitor } from '../src/services/workspaces/worktreeMonitor';
import { isolatedGitEnv, makeGitRepo } from '../scripts/lib/gitFixture.mjs';
import { spawnHost } from '../test/helpers/spawnWorker';
import { quiet } from '../test/helpers/storage';
import { openStore } from '../test/helpers/storeWorker';
import { bareGit } from './bareGit';
import { median } from './median';

/**
 * This thread's time on a core and waiting for one, in ms (Linux's schedstat; undefined elsewhere):
 * on a busy machine a block is mostly the wait, which no design of ours shortens.
 */
function threadTimes(): { onCpu: number; waiting: number } | undefined {
  try {
    const [onCpu, waiting] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ').map(Number);
    return onCpu === undefined || waiting === undefined ? undefined : { onCpu: onCpu / 1e6, waiting: waiting / 1e6 };
  } catch {
    return undefined;
  }
}

const WORKTREES = 50;
const ROUNDS = 7;
const CONCURRENCY = 4;

async function main(): Promise<void> {
  const files: Record<string, string> = {};
  for (let i = 0; i < 300; i++) files[`src/dir${i % 20}/file${i}.ts`] = `export const v${i} = ${i};\n`;
  const { repo, cleanup } = makeGitRepo({ name: 'bench-repo', files }) as { repo: string; cleanup: () => void };
  const storeDir = mkdtempSync(join(tmpdir(), 'cm-bench-git-store-'));
  const store = await openStore(storeDir, quiet);
  try {
    const paths: string[] = [repo];
    for (let i = 0; i < WORKTREES - 1; i++) {
      const path = join(dirname(repo), 'trees', `wt${i}`);
      execFileSync('git', ['worktree', 'add', '--quiet', '-b', `b${i}`, path], { cwd: repo, env: isolatedGitEnv() });
      paths.push(path);
    }
    // As in the editor: git started from the spawn worker.
    const spawner = spawnHost(quiet);
    const git = new GitService({ logger: quiet, maxConcurrent: CONCURRENCY, spawn: spawner.spawn });
    const service = new WorkspaceService({ store, git, logger: quiet, agents: new RecordedAgents(store, 'bench'), worktreesRoot: () => undefined });
    const ws = (await service.createWorkspace({ path: repo }))!;
    const monitor = new WorktreeMonitor({ service, git, logger: quiet, pollIntervalMs: 3_600_000 });
    await monitor.track([ws.id]);
    // The same services with git started on this thread (as before), to compare the blocks.
    const gitHere = new GitService({ logger: quiet, maxConcurrent: CONCURRENCY });
    const serviceHere = new WorkspaceService({ store, git: gitHere, logger: quiet, agents: new RecordedAgents(store, 'bench'), worktreesRoot: () => undefined });
    const monitorHere = new WorktreeMonitor({ service: serviceHere, git: gitHere, logger: quiet, pollIntervalMs: 3_600_000 });

    // Started as ours is, from the spawn worker, 4 at a time (see bareGit).
    const bareRun = bareGit(spawner, CONCURRENCY);
    const bareStatus = (cwd: string) => bareRun(cwd, ['status', '--porcelain=v2', '--branch']);
    /** A refresh of every worktree; resolves with the longest event-loop block during it, in ms. */
    const timedRefresh = async (m: WorktreeMonitor, per: number[], cpu: { onCpu: number[]; waiting: number[] }): Promise<number> => {
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      const before = threadTimes();
      const t = performance.now();
      await m.refreshWorkspace(ws.id);
      per.push((performance.now() - t) / paths.length);
      const after = threadTimes();
      delay.disable();
      if (before && after) {
        cpu.onCpu.push(after.onCpu - before.onCpu);
        cpu.waiting.push(after.waiting - before.waiting);
      }
      return delay.max / 1e6;
    };
    const cpuThere = { onCpu: [] as number[], waiting: [] as number[] };
    const cpuHere = { onCpu: [] as number[], waiting: [] as number[] };
    const bare: number[] = [];
    const ours: number[] = [];
    const oursHere: number[] = [];
    const blocks: number[] = [];
    const blocksHere: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const t = performance.now();
      await Promise.all(paths.map(bareStatus));
      bare.push((performance.now() - t) / paths.length);
      // Which way goes first alternates too.
      if (round % 2) blocksHere.push(await timedRefresh(monitorHere, oursHere, cpuHere));
      blocks.push(await timedRefresh(monitor, ours, cpuThere));
      if (!(round % 2)) blocksHere.push(await timedRefresh(monitorHere, oursHere, cpuHere));
      if (process.env.BENCH_VERBOSE) process.stderr.write(`round ${round}: block ${blocks.at(-1)!.toFixed(1)} ms (git started on this thread: ${blocksHere.at(-1)!.toFixed(1)} ms)\n`);
    }
    const blockMax = Math.max(...blocks);
    const known = (await service.listWorktrees(ws.id)).filter((w) => monitor.status(w.id)?.status).length;
    if (known !== WORKTREES) throw new Error(`only ${known} of ${WORKTREES} statuses were read`);
    const watches = monitor.watchCount;
    monitor.dispose();
    monitorHere.dispose();
    await spawner.dispose();
    const rows = [
      {
        metric: `status refresh per worktree, ${WORKTREES} worktrees: ours vs bare git status, ratio of medians`,
        value: median(ours) / median(bare),
        target: 1.5,
        unit: '×',
        note: `${median(ours).toFixed(1)} ms vs ${median(bare).toFixed(1)} ms per worktree, both started from the spawn worker ${CONCURRENCY} at a time, ${ROUNDS} rounds alternating; ours includes the worktree list and the store (${median(oursHere).toFixed(1)} ms with git started on this thread); ${watches} file watches`,
      },
      {
        metric: `longest event-loop block during a refresh of ${WORKTREES} worktrees`,
        value: blockMax,
        target: 50,
        unit: 'ms',
        note: `the longest of ${ROUNDS} refreshes (median ${median(blocks).toFixed(1)} ms), git started from the spawn worker; started on this thread instead, in the same rounds: longest ${Math.max(...blocksHere).toFixed(1)} ms, median ${median(blocksHere).toFixed(1)} ms` +
          (cpuThere.onCpu.length
            ? `; per refresh this thread ran a median ${median(cpuThere.onCpu).toFixed(0)} ms (${median(cpuHere.onCpu).toFixed(0)} ms with git started on it) and waited for a core ${median(cpuThere.waiting).toFixed(0)} ms`
            : ''),
      },
    ];
    process.stdout.write(`${JSON.stringify(rows)}\n`);
  } finally {
    await store.close();
    rmSync(storeDir, { recursive: true, force: true });
    cleanup();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
