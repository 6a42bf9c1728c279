// A long conversation stored where the extension keeps its store, before the editor starts (the
// store is one process's at a time): the same turns as the benchmark's (bench/seedTree.ts), in
// the store the journey's window then opens as it would a user's.
import { newId } from '../../src/services/ids';
import { GitService } from '../../src/services/git/gitService';
import type { StoredMessage } from '../../src/services/storage/messageStore';
import { WorkspaceService } from '../../src/services/workspaces/workspaceService';
import { RecordedAgents } from '../helpers/recordedAgents';
import { quiet } from '../helpers/storage';
import { openStore } from '../helpers/storeWorker';

/**
 * Adds `repo` as a repository and, on its main worktree, an agent named `agentName` with `count`
 * messages in turns of four: the user's "Step N: …", a reply with code, an Edit tool call, a
 * closing reply. The first message is "Step 1: make the parser handle case 0."
 */
export async function seedLongConversation(storeDir: string, repo: string, agentName: string, count: number): Promise<{ stored: number }> {
  const store = await openStore(storeDir, quiet);
  try {
    const service = new WorkspaceService({ store, git: new GitService({ logger: quiet }), logger: quiet, agents: new RecordedAgents(store, 'seed'), worktreesRoot: () => undefined });
    const ws = await service.createWorkspace({ path: repo });
    if (!ws) throw new Error(`${repo} was not added as a repository`);
    const main = (await service.listWorktrees(ws.id)).find((w) => w.isMain);
    if (!main) throw new Error(`${repo} has no main worktree`);
    const agent = await store.agents.create({ worktreeId: main.id, name: agentName });
    const start = Date.parse('2026-11-01T09:00:00Z');
    const messages: StoredMessage[] = [];
    for (let i = 0; i < count; i++) {
      const base = { id: newId('msg'), agentId: agent.id, isComplete: true, createdAt: new Date(start + i * 1000).toISOString() };
      const turn = i % 4;
      if (turn === 0) messages.push({ ...base, role: 'user', kind: 'text', content: `Step ${i / 4 + 1}: make the parser handle case ${i}.` });
      else if (turn === 1) messages.push({ ...base, role: 'assistant', kind: 'text', content: `Looking at **case ${i}**. The tokenizer needs a branch:\n\n\`\`\`ts\nif (c === '${i % 10}') return next();\n\`\`\`` });
      else if (turn === 2) messages.push({ ...base, role: 'tool', kind: 'tool', content: 'Edit src/parser.ts', toolName: 'Edit', toolInput: { file_path: 'src/parser.ts', old_string: 'a', new_string: 'b' }, toolOutput: 'The file was updated.' });
      else messages.push({ ...base, role: 'assistant', kind: 'text', content: `Done with case ${i}; the tests pass.` });
    }
    await store.messages.putMany(agent.id, messages);
    return { stored: await store.messages.count(agent.id) };
  } finally {
    await store.close();
  }
}
