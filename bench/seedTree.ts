// Seeds the editor benchmark's data, run by scripts/bench.mjs (node --import tsx): a repository
// with 50 worktrees (the main one and 49 made with git) and 20 agents in each, stored where the
// extension keeps its store. The extension then opens that store as it would a user's.
//   node --import tsx bench/seedTree.ts <repository> <store folder>
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { GitService } from '../src/services/git/gitService';
import { newId } from '../src/services/ids';
import type { StoredMessage } from '../src/services/storage/messageStore';
import { WorkspaceService } from '../src/services/workspaces/workspaceService';
import { isolatedGitEnv } from '../scripts/lib/gitFixture.mjs';
import { RecordedAgents } from '../test/helpers/recordedAgents';
import { quiet } from '../test/helpers/storage';
import { openStore } from '../test/helpers/storeWorker';

export const WORKTREES = 50;
export const AGENTS_PER_WORKTREE = 20;
/** The long conversation the chat panel's figures are taken with. */
export const CHAT_MESSAGES = 10_000;
export const CHAT_AGENT = 'long conversation';

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
    // One agent of the main worktree with a long conversation: text, code, tool calls, in turns.
    const main = worktrees.find((w) => w.isMain)!;
    const chatty = await store.agents.create({ worktreeId: main.id, name: CHAT_AGENT });
    const start = Date.parse('2026-11-01T09:00:00Z');
    const messages: StoredMessage[] = [];
    for (let i = 0; i < CHAT_MESSAGES; i++) {
      const createdAt = new Date(start + i * 1000).toISOString();
      const base = { id: newId('msg'), agentId: chatty.id, isComplete: true, createdAt };
      const turn = i % 4;
      if (turn === 0) messages.push({ ...base, role: 'user', kind: 'text', content: `Step ${i / 4 + 1}: make the parser handle case ${i}.` });
      else if (turn === 1) messages.push({ ...base, role: 'assistant', kind: 'text', content: `Looking at **case ${i}**. The tokenizer needs a branch:\n\n\`\`\`ts\nif (c === '${i % 10}') return next();\n\`\`\`` });
      else if (turn === 2) messages.push({ ...base, role: 'tool', kind: 'tool', content: `Edit src/parser.ts`, toolName: 'Edit', toolInput: { file_path: 'src/parser.ts', old_string: 'a', new_string: 'b' }, toolOutput: 'The file was updated.' });
      else messages.push({ ...base, role: 'assistant', kind: 'text', content: `Done with case ${i}; the tests pass.` });
    }
    await store.messages.putMany(chatty.id, messages);
    process.stdout.write(`${JSON.stringify({ worktrees: worktrees.length, perWorktree: AGENTS_PER_WORKTREE, agents: (await store.agents.list({})).length, chatAgent: CHAT_AGENT, chatMessages: await store.messages.count(chatty.id) })}\n`);
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
