// Seeds the editor benchmark's data, run by scripts/bench.mjs (node --import tsx): a repository
// with 50 worktrees (the main one and 49 made with git) and 20 agents in each, stored where the
// extension keeps its store. The extension then opens that store as it would a user's.
//   node --import tsx bench/seedTree.ts <repository> <store folder>
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { GitService } from '../src/services/git/gitService';
import { WorkspaceService } from '../src/services/workspaces/workspaceService';
import { isolatedGitEnv } from '../scripts/lib/gitFixture.mjs';
import { RecordedAgents } from '../test/helpers/recordedAgents';
import { quiet } from '../test/helpers/storage';
import { openStore } from '../test/helpers/storeWorker';

export const WORKTREES = 50;
export const AGENTS_PER_WORKTREE = 20;

async function main(): Promise<void> {
  const [repo, storeDir] = process.argv.slice(2);
  if (!repo || !storeDir) throw new Error('usage: seedTree.ts <repository> <store folder>');
  for (let i = 1; i < WORKTREES; i++) {
    execFileSync('git', ['worktree', 'add', '--quiet', '-b', `task-${i}`, join(dirname(repo), 'trees', `task-${i}`)], { cwd: repo, env: isolatedGitEnv() });
  }
  const store = await openStore(storeDir, quiet);
  try {
    const service = new WorkspaceService({ store, git: new GitService({ logger: quiet }), logger: quiet, agents: new RecordedAgents(store, 'seed'), worktreesRoot: () => undefined });
    const ws = (await service.createWorkspace({ path: repo }))!;
    const worktrees = await service.listWorktrees(ws.id);
    if (worktrees.length !== WORKTREES) throw new Error(`expected ${WORKTREES} worktrees, found ${worktrees.length}`);
    const modes = ['regular', 'plan', 'auto'] as const;
    for (const wt of worktrees) {
      for (let i = 0; i < AGENTS_PER_WORKTREE; i++) {
        await store.agents.create({ worktreeId: wt.id, name: `${wt.branch} agent ${i + 1}`, mode: modes[i % 3]! });
      }
    }
    process.stdout.write(`${JSON.stringify({ worktrees: worktrees.length, agents: (await store.agents.list({})).length })}\n`);
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
