import * as assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ClaudeManagerError } from '../../src/services/errors';
import { newId } from '../../src/services/ids';
import { MessageStore, type StoredMessage } from '../../src/services/storage/messageStore';
import { suiteTempDir } from '../helpers/storage';

function message(agentId: string, content: string, extra: Partial<StoredMessage> = {}): StoredMessage {
  return {
    id: newId('msg'),
    agentId,
    role: 'assistant',
    kind: 'text',
    content,
    isComplete: true,
    // All in the same second: order must come from insertion, not from timestamps.
    createdAt: '2026-11-23T10:00:00Z',
    ...extra,
  };
}

function invalidInput(pattern: RegExp) {
  return (error: unknown) => error instanceof ClaudeManagerError && error.code === 'INVALID_INPUT' && pattern.test(error.message);
}

describe('MessageStore', () => {
  const root = suiteTempDir('cm-messages-');

  it('pages newest first by insertion order, through every edge', async () => {
    const store = new MessageStore(root());
    const agent = newId('ag');
    assert.deepEqual(await store.page(agent), { messages: [], hasMore: false }, 'an agent with no messages');
    for (let i = 0; i < 120; i++) await store.put(message(agent, `m${i}`));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.page(agent, { limit: 40, ...(cursor ? { before: cursor } : {}) });
      seen.push(...page.messages.map((m) => m.content));
      assert.equal(page.hasMore, page.nextCursor !== undefined);
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 3, 'exactly three pages of 40, no empty fourth');
    assert.deepEqual(seen, Array.from({ length: 120 }, (_, i) => `m${119 - i}`));
    const one = await store.page(agent, { limit: 1 });
    assert.deepEqual(one.messages.map((m) => m.content), ['m119']);
    const all = await store.page(agent, { limit: 500 });
    assert.equal(all.messages.length, 120);
    assert.equal(all.hasMore, false);
    assert.equal(await store.count(agent), 120);
    await store.close();
  });

  it('keeps a message in its place when a newer version of it is stored (streaming, tool results)', async () => {
    const store = new MessageStore(root());
    const agent = newId('ag');
    const tool = message(agent, '', { role: 'tool', kind: 'tool', toolName: 'Bash', toolInput: { command: 'ls' }, isComplete: false });
    await store.put(message(agent, 'before'));
    await store.put(tool);
    await store.put(message(agent, 'after'));
    await store.put({ ...tool, toolOutput: 'a.txt\nb.txt', isComplete: true });
    const page = await store.page(agent);
    assert.deepEqual(page.messages.map((m) => m.content || m.toolName), ['after', 'Bash', 'before']);
    assert.deepEqual(page.messages[1], { ...tool, toolOutput: 'a.txt\nb.txt', isComplete: true });
    assert.equal(await store.count(agent), 3);
    await store.close();
  });

  it('sees messages another process (another window) appended, and skips a torn line', async () => {
    const agent = newId('ag');
    const mine = new MessageStore(root());
    const theirs = new MessageStore(root());
    await mine.put(message(agent, 'one'));
    assert.equal(await theirs.count(agent), 1);
    await theirs.put(message(agent, 'two'));
    appendFileSync(join(root(), `${agent}.log`), '{"m":{"id":"msg_torn"');
    await mine.put(message(agent, 'three'));
    assert.deepEqual((await mine.page(agent)).messages.map((m) => m.content), ['three', 'two', 'one']);
    assert.deepEqual((await theirs.page(agent)).messages.map((m) => m.content), ['three', 'two', 'one']);
    await Promise.all([mine.close(), theirs.close()]);
  });

  it('leaves out a record that is JSON but no valid message, and pages on', async () => {
    const store = new MessageStore(root());
    const agent = newId('ag');
    await store.put(message(agent, 'before'));
    // A line another writer damaged: its id looks right, the rest does not.
    appendFileSync(join(root(), `${agent}.log`), `${JSON.stringify({ m: { id: newId('msg'), agentId: agent, role: 'robot', content: 7 } })}\n`);
    await store.put(message(agent, 'after'));
    const page = await store.page(agent);
    assert.deepEqual(page.messages.map((m) => m.content), ['after', 'before']);
  });

  it('refuses bad input with a clear error and stores nothing', async () => {
    const store = new MessageStore(root());
    const agent = newId('ag');
    await assert.rejects(store.put({ ...message(agent, 'x'), role: 'robot' as never }), invalidInput(/Invalid message: role/));
    await assert.rejects(store.put({ ...message(agent, 'x'), id: 'nope' }), invalidInput(/Invalid message: id/));
    await assert.rejects(store.page(agent, { limit: 0 }), invalidInput(/limit must be a whole number from 1 to 500/));
    await assert.rejects(store.page(agent, { limit: 501 }), invalidInput(/from 1 to 500/));
    await assert.rejects(store.page(agent, { before: 'garbage' }), invalidInput(/not a cursor/));
    await assert.rejects(store.page('../../etc/passwd'), invalidInput(/not an agent id/));
    assert.equal(await store.count(agent), 0);
    await store.close();
  });

  it('deletes an agent\'s messages for good', async () => {
    const store = new MessageStore(root());
    const agent = newId('ag');
    await store.put(message(agent, 'x'));
    await store.deleteAgent(agent);
    assert.equal(await store.count(agent), 0);
    await store.put(message(agent, 'y'));
    assert.deepEqual((await store.page(agent)).messages.map((m) => m.content), ['y']);
    await store.close();
  });
});
