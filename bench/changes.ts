// Changes benchmark, run by scripts/bench.mjs (node --import tsx): prints one JSON line of rows.
// A repository with 50 linked worktrees, each with commits since its base, uncommitted edits and
// an untracked file; the changes and +/− counts of all of them read again through the extension's
// services (WorktreeChangesService → GitService, git started from the spawn worker as in the
// editor, the status from the monitor, merge-bases kept) against a bare
// `git diff --numstat <merge-base>` per worktree started the same way (from the spawn worker, 4 at a
// time), side by side, alternating; and
// the longest block of the event loop during our refresh.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { WorktreeChangesService } from '../src/services/git/changes';
import { GitService } from '../src/services/git/gitService';
import { WorkspaceService } from '../src/services/workspaces/workspaceService';
import { WorktreeMonitor } from '../src/services/workspaces/worktreeMonitor';
import { isolatedGitEnv, makeGitRepo } from '../scripts/lib/gitFixture.mjs';
import { RecordedAgents } from '../test/helpers/recordedAgents';
import { spawnHost } from '../test/helpers/spawnWorker';
import { quiet } from '../test/helpers/storage';
import { openStore } from '../test/helpers/storeWorker';
import { bareGit } from './bareGit';
import { median } from './median';

const WORKTREES = Number(process.env.CM_BENCH_WORKTREES ?? 50);
const ROUNDS = Number(process.env.CM_BENCH_ROUNDS ?? 7);
const CONCURRENCY = 4;

async function main(): Promise<void> {
  const files: Record<string, string> = {};
  for (let i = 0; i < 300; i++) files[`src/dir${i % 20}/file${i}.ts`] = Array.from({ length: 40 }, (_, l) => `export const v${i}_${l} = ${l};\n`).join('');
  const { repo, cleanup } = makeGitRepo({ name: 'bench-repo', files }) as { repo: string; cleanup: () => void };
  const storeDir = mkdtempSync(join(tmpdir(), 'cm-bench-changes-store-'));
  const store = await openStore(storeDir, quiet);
  const gitHere = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: { ...isolatedGitEnv(), GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@example.invalid', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@example.invalid' } });
  try {
    const paths: string[] = [];
    for (let i = 0; i < WORKTREES; i++) {
      const path = join(dirname(repo), 'trees', `wt${i}`);
      gitHere(repo, 'worktree', 'add', '--quiet', '-b', `b${i}`, path);
      // Work of its own: a commit of three files, two files edited and one new, not committed.
      const fileOf = (n: number) => `src/dir${n % 20}/file${n % 300}.ts`;
      for (let f = 0; f < 3; f++) writeFileSync(join(path, fileOf(i * 3 + f)), `export const changed${i} = ${f};\n`);
      gitHere(path, 'commit', '--quiet', '-am', `work ${i}`);
      for (let f = 0; f < 2; f++) writeFileSync(join(path, fileOf(150 + i * 2 + f)), `// edited\nexport const edited${i} = ${f};\n`);
      writeFileSync(join(path, `new-${i}.ts`), 'export const fresh = 1;\nexport const more = 2;\n');
      paths.push(path);
    }
    const spawner = spawnHost(quiet);
    const git = new GitService({ logger: quiet, maxConcurrent: CONCURRENCY, spawn: spawner.spawn });
    const service = new WorkspaceService({ store, git, logger: quiet, agents: new RecordedAgents(store, 'bench'), worktreesRoot: () => undefined });
    const ws = (await service.createWorkspace({ path: repo }))!;
    const monitor = new WorktreeMonitor({ service, git, logger: quiet, pollIntervalMs: 3_600_000 });
    await monitor.track([ws.id]);
    // Not subscribed to the monitor: the benchmark starts each refresh itself, as a pass would.
    const changes = new WorktreeChangesService({ git, workspaces: service, logger: quiet, monitor: { status: (id) => monitor.status(id), onDidChangeStatus: () => () => undefined, onDidRefreshWorkspace: () => () => undefined } });
    const linked = (await service.listWorktrees(ws.id)).filter((w) => !w.isMain);
    // The first read finds each merge-base (one git more per worktree).
    const cold = performance.now();
    const first = await Promise.all(linked.map((w) => changes.changes(w.id)));
    const coldPer = (performance.now() - cold) / linked.length;
    if (first.some((c) => c.files.length !== 6)) throw new Error(`expected 6 changed files in each worktree, found ${first.map((c) => c.files.length).join(', ')}`);
    const mergeBases = new Map(first.map((c) => [c.worktreeId, c.mergeBase]));

    // Started as ours is, from the spawn worker, 4 at a time (see bareGit).
    const bareRun = bareGit(spawner, CONCURRENCY);
    const bareDiff = (cwd: string, rev: string) => bareRun(cwd, ['diff', '--numstat', rev]);
    const bare: number[] = [];
    const ours: number[] = [];
    const blocks: number[] = [];
    const ourRound = async () => {
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      const t = performance.now();
      await changes.refreshWorkspace(ws.id);
      ours.push((performance.now() - t) / linked.length);
      delay.disable();
      blocks.push(delay.max / 1e6);
    };
    const bareRound = async () => {
      const t = performance.now();
      await Promise.all(linked.map((w) => bareDiff(w.path, mergeBases.get(w.id)!)));
      bare.push((performance.now() - t) / linked.length);
    };
    for (let round = 0; round < ROUNDS; round++) {
      // Which way goes first alternates.
      if (round % 2) {
        await ourRound();
        await bareRound();
      } else {
        await bareRound();
        await ourRound();
      }
      if (process.env.BENCH_VERBOSE) process.stderr.write(`round ${round}: ours ${ours.at(-1)!.toFixed(1)} ms, bare ${bare.at(-1)!.toFixed(1)} ms per worktree; block ${blocks.at(-1)!.toFixed(1)} ms\n`);
    }
    const counted = linked.filter((w) => changes.knownChanges(w.id)?.changes?.insertions).length;
    if (counted !== linked.length) throw new Error(`only ${counted} of ${linked.length} worktrees' changes were counted`);
    changes.dispose();
    monitor.dispose();
    await spawner.dispose();
    const rows = [
      {
        metric: `changes and +/− counts per worktree, ${WORKTREES} worktrees: ours vs bare git diff --numstat, ratio of medians`,
        value: median(ours) / median(bare),
        target: 1.5,
        unit: '×',
        note: `${median(ours).toFixed(1)} ms vs ${median(bare).toFixed(1)} ms per worktree, both started from the spawn worker ${CONCURRENCY} at a time, ${ROUNDS} rounds alternating; ours reads the branches' tips once, one git diff --raw --numstat per worktree, and counts the untracked files' lines; the first read (finding each merge-base) took ${coldPer.toFixed(1)} ms per worktree`,
      },
      {
        metric: `longest event-loop block while the changes of ${WORKTREES} worktrees refresh`,
        value: Math.max(...blocks),
        target: 50,
        unit: 'ms',
        note: `the longest of ${ROUNDS} refreshes (median ${median(blocks).toFixed(1)} ms), git started from the spawn worker`,
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
