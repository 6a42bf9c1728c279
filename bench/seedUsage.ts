// Seeds the Overview benchmark's data, run by scripts/bench.mjs (node --import tsx): a repository
// with its main worktree, 100 agents in it, and a usage ledger of 100k API messages spread over the
// last 365 days up to now with two models, stored where the extension keeps its store. The
// Overview's "last 365 days" then holds every row, as a year of a busy user's work would.
//   node --import tsx bench/seedUsage.ts <repository> <store folder>
import { GitService } from '../src/services/git/gitService';
import { localDate } from '../src/services/storage/usageRepository';
import { WorkspaceService } from '../src/services/workspaces/workspaceService';
import { RecordedAgents } from '../test/helpers/recordedAgents';
import { quiet } from '../test/helpers/storage';
import { openStore } from '../test/helpers/storeWorker';

export const AGENTS = 100;
export const LEDGER_ROWS = 100_000;
/** The days the ledger covers, today included: the Overview's longest span of days. */
export const DAYS = 365;
/** Rows per write: a burst of a hundred agents' turns ending at once (the CLI reports one per API message). */
const BATCH = 100;

async function main(): Promise<void> {
  const [repo, storeDir] = process.argv.slice(2);
  if (!repo || !storeDir) throw new Error('usage: seedUsage.ts <repository> <store folder>');
  const store = await openStore(storeDir, quiet);
  try {
    const service = new WorkspaceService({ store, git: new GitService({ logger: quiet }), logger: quiet, agents: new RecordedAgents(store, 'seed'), worktreesRoot: () => undefined });
    const ws = (await service.createWorkspace({ path: repo }))!;
    const worktrees = await service.listWorktrees(ws.id);
    const main = worktrees.find((w) => w.isMain);
    if (worktrees.length !== 1 || !main) throw new Error(`expected the main worktree alone, found ${worktrees.length} worktrees`);
    const agents: string[] = [];
    for (let i = 0; i < AGENTS; i++) agents.push((await store.agents.create({ worktreeId: main.id, name: `agent ${i + 1}` })).id);
    // From local midnight 364 days ago to now: the rows fall in the Overview's last 365 days
    // (its days are local), today's included.
    const now = new Date();
    const start = new Date(now.getFullYear(), now.getMonth(), now.getDate() - (DAYS - 1)).getTime();
    const spacing = (now.getTime() - start) / LEDGER_ROWS;
    for (let batch = 0; batch < LEDGER_ROWS / BATCH; batch++) {
      await Promise.all(
        Array.from({ length: BATCH }, (_, i) => {
          const n = batch * BATCH + i;
          const opus = n % 3 !== 0;
          return store.usage.record({
            messageId: `msg_api_${n}`, agentId: agents[n % AGENTS]!, worktreeId: main.id, workspaceId: ws.id, model: opus ? 'claude-opus-4-5' : 'claude-haiku-4-5',
            inputTokens: 1200, outputTokens: 300, cacheReadTokens: 20_000, cacheCreationTokens: 500, costUsd: opus ? 0.02 : 0.004,
            createdAt: new Date(start + n * spacing).toISOString(),
          });
        }),
      );
    }
    // What the Overview will be asked for, checked here: every row in the last 365 days.
    const report = await store.usage.report({ period: 'daily', from: localDate(new Date(start)), to: localDate(now) });
    if (report.total.requestCount !== LEDGER_ROWS || report.periods.length !== DAYS) {
      throw new Error(`expected ${LEDGER_ROWS} requests over ${DAYS} days, found ${report.total.requestCount} over ${report.periods.length}`);
    }
    process.stdout.write(
      `${JSON.stringify({ worktrees: worktrees.length, agents: (await store.agents.list({})).length, ledgerRows: report.total.requestCount, days: report.periods.length, from: report.from, to: report.to, models: Object.keys(report.byModel).sort(), costUsd: Number(report.total.costUsd.toFixed(2)) })}\n`,
    );
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
