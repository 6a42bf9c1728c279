// Git benchmark, run by scripts/bench.mjs (node --import tsx): prints one JSON line of rows.
// A repository with 50 worktrees; the status refresh of all of them through the extension's
// services (WorktreeMonitor → GitService, bounded concurrency) against a bare
// `git status --porcelain=v2 --branch` per worktree run the same way, side by side, alternating.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { GitService } from '../src/services/git/gitService';
import { Limiter } from '../src/services/limiter';
import { RecordedAgents } from '../test/helpers/recordedAgents';
import { WorkspaceService } from '../src/services/workspaces/workspaceService';
import { WorktreeMonitor } from '../src/services/workspaces/worktreeMonitor';
import { isolatedGitEnv, makeGitRepo } from '../scripts/lib/gitFixture.mjs';
import { quiet } from '../test/helpers/storage';
import { openStore } from '../test/helpers/storeWorker';
import { median } from './median';

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
    const git = new GitService({ logger: quiet, maxConcurrent: CONCURRENCY });
    const service = new WorkspaceService({ store, git, logger: quiet, agents: new RecordedAgents(store, 'bench'), worktreesRoot: () => undefined });
    const ws = (await service.createWorkspace({ path: repo }))!;
    const monitor = new WorktreeMonitor({ service, git, logger: quiet, pollIntervalMs: 3_600_000 });
    await monitor.track([ws.id]);

    const limiter = new Limiter(CONCURRENCY);
    const bareStatus = (cwd: string) =>
      limiter.run(
        () =>
          new Promise<void>((resolve, reject) => {
            execFile('git', ['status', '--porcelain=v2', '--branch'], { cwd }, (error) => (error ? reject(error) : resolve()));
          }),
      );
    const bare: number[] = [];
    const ours: number[] = [];
    let blockMax = 0;
    for (let round = 0; round < ROUNDS; round++) {
      let t = performance.now();
      await Promise.all(paths.map(bareStatus));
      bare.push((performance.now() - t) / paths.length);
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      t = performance.now();
      await monitor.refreshWorkspace(ws.id);
      ours.push((performance.now() - t) / paths.length);
      delay.disable();
      blockMax = Math.max(blockMax, delay.max / 1e6);
      if (process.env.BENCH_VERBOSE) process.stderr.write(`round ${round}: block ${(delay.max / 1e6).toFixed(1)} ms\n`);
    }
    const known = (await service.listWorktrees(ws.id)).filter((w) => monitor.status(w.id)?.status).length;
    if (known !== WORKTREES) throw new Error(`only ${known} of ${WORKTREES} statuses were read`);
    const watches = monitor.watchCount;
    monitor.dispose();
    const rows = [
      {
        metric: `status refresh per worktree, ${WORKTREES} worktrees: ours vs bare git status, ratio of medians`,
        value: median(ours) / median(bare),
        target: 1.5,
        unit: '×',
        note: `${median(ours).toFixed(1)} ms vs ${median(bare).toFixed(1)} ms per worktree, ${CONCURRENCY} at a time, ${ROUNDS} rounds alternating; ours includes the worktree list and the store; ${watches} file watches`,
      },
      { metric: `longest event-loop block during a refresh of ${WORKTREES} worktrees`, value: blockMax, target: 50, unit: 'ms', note: `${ROUNDS} refreshes` },
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
