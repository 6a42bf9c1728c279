/**
 * "Review before allowing" with the real CLI: the permission request it sends for a file tool is
 * worked out into the change the tool would make (as the chat's host does, with the agent's
 * worktree), and once allowed the CLI leaves the file exactly as proposed.
 */
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { Agent, AgentRuntime, PermissionRequest } from '../../src/services/agents/agentRuntime';
import { type ProposedChange, ProposedChanges } from '../../src/services/agents/proposedChange';
import type { Store } from '../../src/services/storage/store';
import { runtimeSuite } from '../helpers/runtimeSuite';
import { type MockAnthropicApi, textReply, toolUseReply } from '../mocks/anthropicApi';

describe('The change a file tool asks to make, from the real CLI\'s permission request', () => {
  const suite = runtimeSuite('proposed');
  const { repo, until } = suite;
  let store: Store;
  let api: MockAnthropicApi;
  let runtime: AgentRuntime;
  let worktreeId: string;
  before(() => ({ store, api, runtime, worktreeId } = suite));

  const waitingForMessage = (a: Agent) => a.status === 'waiting' && a.statusReason === 'waiting for your message';
  /** The agent's requests for these tools, one by one; any other tool's request is allowed at once. */
  const requestsFor = (agentId: string, ...tools: string[]) => {
    const queue: PermissionRequest[] = [];
    const waiters: ((r: PermissionRequest) => void)[] = [];
    const off = runtime.onDidRequestPermission((e) => {
      if (e.agentId !== agentId) return;
      if (!tools.includes(e.request.toolName)) return void runtime.respondToPermission(agentId, e.request.requestId, { behavior: 'allow' });
      const waiter = waiters.shift();
      if (waiter) waiter(e.request);
      else queue.push(e.request);
    });
    return { next: () => new Promise<PermissionRequest>((resolve) => (queue.length ? resolve(queue.shift()!) : waiters.push(resolve))), off };
  };
  const lines = (change: ProposedChange | undefined) => {
    assert.ok(change && !('problem' in change), `a diff: ${JSON.stringify(change)}`);
    return change.diff.hunks.flatMap((h) => h.lines.map((l) => `${l.kind}${l.text}`));
  };

  it('an Edit of a file in the worktree: its hunks, again once the user changed the file meanwhile; allowed, the file is what was proposed', async () => {
    const agent = await store.agents.create({ worktreeId, name: 'reviewed editor', mode: 'regular' });
    const notes = join(repo.path, 'review-notes.txt');
    writeFileSync(notes, 'one\ntwo\nthree\nfour\nfive\n');
    api.enqueue(
      toolUseReply([{ name: 'Read', input: { file_path: notes } }]),
      toolUseReply([{ name: 'Edit', input: { file_path: notes, old_string: 'two\n', new_string: 'TWO\n2\n' } }]),
      textReply('edited'),
    );
    const edits = requestsFor(agent.id, 'Edit');
    // As the chat's host does: the agent's worktree, from the store.
    const changes = new ProposedChanges(async () => (await store.worktrees.get((await store.agents.get(agent.id)).worktreeId)).path);
    try {
      const asked = edits.next();
      await runtime.start(agent.id, { initialPrompt: 'edit the notes' });
      const request = await asked;
      const change = await changes.get(request);
      assert.deepEqual(lines(change), [' one', '-two', '+TWO', '+2', ' three', ' four', ' five']);
      assert.ok(change && !('problem' in change));
      assert.deepEqual([change.path, change.isNew, change.diff.hunks[0]?.oldStart], ['review-notes.txt', false, 1]);
      // The user edits the file while the question waits: the change follows the file.
      writeFileSync(notes, 'zero\none\ntwo\nthree\nfour\nfive\n');
      const now = await changes.get(request);
      assert.deepEqual(lines(now), [' zero', ' one', '-two', '+TWO', '+2', ' three', ' four', ' five']);
      const turnOver = until(agent.id, waitingForMessage, 'the end of the turn');
      await runtime.respondToPermission(agent.id, request.requestId, { behavior: 'allow' });
      await turnOver;
      assert.equal(readFileSync(notes, 'utf8'), now && !('problem' in now) ? now.after : undefined, 'the CLI left the file as proposed');
    } finally {
      edits.off();
      await runtime.stop(agent.id);
    }
  });

  it('a Write of a new file: all of it added; an Edit the file no longer allows: "will fail" (the CLI refuses it too)', async () => {
    const agent = await store.agents.create({ worktreeId, name: 'reviewed writer', mode: 'regular' });
    const fresh = join(repo.path, 'review-fresh.md');
    api.enqueue(
      toolUseReply([{ name: 'Write', input: { file_path: fresh, content: '# Fresh\n\nbody\n' } }]),
      toolUseReply([{ name: 'Edit', input: { file_path: fresh, old_string: 'body', new_string: 'BODY' } }]),
      textReply('written'),
    );
    const asks = requestsFor(agent.id, 'Write', 'Edit');
    const changes = new ProposedChanges(async () => repo.path);
    try {
      const asked = asks.next();
      await runtime.start(agent.id, { initialPrompt: 'write a file' });
      const write = await asked;
      const change = await changes.get(write);
      assert.deepEqual(lines(change), ['+# Fresh', '+', '+body']);
      assert.equal(change && !('problem' in change) && change.isNew, true);
      const editAsked = asks.next();
      await runtime.respondToPermission(agent.id, write.requestId, { behavior: 'allow' });
      const edit = await editAsked;
      assert.deepEqual(lines(await changes.get(edit)), [' # Fresh', ' ', '-body', '+BODY']);
      // The file changes under the waiting question: the text to replace is gone.
      writeFileSync(fresh, '# Fresh\n\nrewritten\n');
      const failing = await changes.get(edit);
      assert.ok(failing && 'problem' in failing);
      assert.deepEqual([failing.problem, failing.fails], ['The edit will fail: the text to replace is not in the file.', true]);
      const turnOver = until(agent.id, waitingForMessage, 'the end of the turn');
      await runtime.respondToPermission(agent.id, edit.requestId, { behavior: 'allow' });
      await turnOver;
      await runtime.settled(agent.id);
      const tool = (await store.messages.page(agent.id)).messages.find((m) => m.toolName === 'Edit');
      assert.equal(tool?.isError, true, `the CLI refused the edit too: ${tool?.toolOutput}`);
      assert.equal(readFileSync(fresh, 'utf8'), '# Fresh\n\nrewritten\n');
    } finally {
      asks.off();
      await runtime.stop(agent.id);
    }
  });
});
