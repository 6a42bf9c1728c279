import * as assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ClaudeManagerError } from '../../src/services/errors';
import { newId } from '../../src/services/ids';
import { MessageIndex, MessageStore, recordId, type StoredMessage } from '../../src/services/storage/messageStore';
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

  it('indexes many messages in insertion order, a later record of an id superseding the earlier in its place', () => {
    const index = new MessageIndex();
    const ids = Array.from({ length: 5000 }, (_, i) => `msg_${i}`);
    let offset = 0;
    for (const id of ids) {
      index.set(id, offset, 100);
      offset += 100;
    }
    // Newer versions of every third message, appended later, longer.
    for (let i = 0; i < ids.length; i += 3) {
      index.set(ids[i]!, offset, 250);
      offset += 250;
    }
    assert.equal(index.size, ids.length);
    assert.deepEqual([...index.ids()], ids);
    for (let i = 0; i < ids.length; i++) {
      assert.equal(index.idAt(i), ids[i]);
      assert.equal(index.positionOf(ids[i]!), i);
      const expected = i % 3 === 0 ? { offset: 500_000 + (i / 3) * 250, end: 500_000 + (i / 3) * 250 + 250 } : { offset: i * 100, end: i * 100 + 100 };
      assert.deepEqual(index.placeAt(i), expected, ids[i]);
      assert.equal(index.offsetOf(ids[i]!), expected.offset);
    }
    assert.equal(index.offsetOf('msg_unknown'), undefined);
    assert.equal(index.positionOf('msg_unknown'), undefined);
  });

  it('pages thousands of messages with newer versions of some, each once, newest version, in insertion order', async () => {
    const store = new MessageStore(root());
    const agent = newId('ag');
    const all = Array.from({ length: 3000 }, (_, i) => message(agent, `m${i} ${'y'.repeat(i % 400)}`));
    await store.putMany(agent, all);
    const edited = all.filter((_, i) => i % 5 === 0).map((m) => ({ ...m, content: `${m.content} (edited)` }));
    await store.putMany(agent, edited);
    assert.equal(await store.count(agent), all.length);
    const seen: StoredMessage[] = [];
    for (let cursor: string | undefined, first = true; first || cursor; first = false) {
      const page = await store.page(agent, { limit: 500, ...(cursor ? { before: cursor } : {}) });
      seen.push(...page.messages);
      cursor = page.nextCursor;
    }
    const expected = all.map((m, i) => (i % 5 === 0 ? { ...m, content: `${m.content} (edited)` } : m)).reverse();
    assert.deepEqual(seen, expected);
    const found = await store.search(agent, '(edited)', 10);
    assert.equal(found.total, edited.length);
    assert.deepEqual(found.ids, edited.slice(-10).map((m) => m.id).reverse());
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

  it('indexes a torn newer version of a message as nothing: the whole older one is still paged', async () => {
    const store = new MessageStore(root());
    const agent = newId('ag');
    const first = message(agent, 'whole', { createdAt: new Date().toISOString() });
    await store.put(first);
    // A crash while a longer version was written: the line stops just short of its end.
    const torn = JSON.stringify({ m: { ...first, content: 'whole, and more ,"createdAt":"2026-11-23T10:00:00.000Z"}' } });
    appendFileSync(join(root(), `${agent}.log`), `\n${torn.slice(0, -2)}\n`);
    assert.deepEqual((await store.page(agent)).messages, [first]);
    await store.close();
  });

  it('reads the id of a log line in place exactly as parsing it would, whatever the message holds', () => {
    const tricky = ['"}}', ',"createdAt":"2026-11-23T10:00:00.000Z"}}', '\\"}}', 'ünïcödé "quoted"', '{"m":{"id":"msg_fake"}}'];
    const lines: string[] = [];
    for (const content of tricky) {
      for (const createdAt of [new Date().toISOString(), '2026-11-23T10:00:00Z', '+275760-09-13T00:00:00.000Z']) {
        const m = message(newId('ag'), content, { createdAt, toolInput: { nested: { createdAt: content } } });
        const line = JSON.stringify({ m });
        lines.push(line, line.slice(0, -1), line.slice(0, -2), line.slice(0, line.length / 2), JSON.stringify({ x: m }));
      }
    }
    for (const line of lines) {
      const bytes = Buffer.from(`xx${line}yy`, 'utf8');
      let parsed: string | undefined;
      try {
        const id = (JSON.parse(line) as { m?: { id?: unknown } }).m?.id;
        parsed = typeof id === 'string' ? id : undefined;
      } catch {
        parsed = undefined;
      }
      assert.equal(recordId(bytes, 2, bytes.length - 2), parsed, line);
    }
  });

  it('keeps a subagent\'s message with its call\'s id and the call with how the subagent did; reads records stored before these fields', async () => {
    const dir = root();
    const store = new MessageStore(dir);
    const agent = newId('ag');
    // As an earlier version wrote it: none of the subagent fields.
    const before = message(agent, 'from before');
    appendFileSync(join(dir, `${agent}.log`), `${JSON.stringify({ m: before })}\n`);
    const call = message(agent, 'Agent: Look around', { role: 'tool', kind: 'tool', toolName: 'Agent', toolInput: { prompt: 'Look' }, isComplete: false, subagent: { status: 'running', background: true } });
    const inner = message(agent, 'Read a.txt', { role: 'tool', kind: 'tool', toolName: 'Read', parentId: call.id, isComplete: true });
    await store.put(call);
    await store.put(inner);
    await store.put({ ...call, isComplete: true, subagent: { status: 'completed', background: true, result: 'All good' } });
    const page = await store.page(agent);
    assert.deepEqual(page.messages.map((m) => [m.content, m.parentId, m.subagent]), [
      ['Read a.txt', call.id, undefined],
      ['Agent: Look around', undefined, { status: 'completed', background: true, result: 'All good' }],
      ['from before', undefined, undefined],
    ]);
    assert.deepEqual(await store.search(agent, 'all good'), { ids: [call.id], total: 1 }, "a subagent's report is found");
    // Each record still ends with its createdAt, which indexing reads in place.
    const last = readFileSync(join(dir, `${agent}.log`), 'utf8').trim().split('\n').at(-1)!;
    assert.match(last, /,"createdAt":"[^"]+"\}\}$/);
    await assert.rejects(store.put(message(agent, 'x', { parentId: 'not-a-message' })), invalidInput(/parentId/));
    await assert.rejects(store.put(message(agent, 'x', { subagent: { status: 'lost' as 'running' } })), invalidInput(/subagent\.status/));
    await store.close();
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

  it('finds text in the newest version of every message, newest first, in text, tool input and output', async () => {
    const store = new MessageStore(root());
    const agent = newId('ag');
    const old = message(agent, 'The Parser is slow');
    const tool = message(agent, 'Bash', { role: 'tool', kind: 'tool', toolName: 'Bash', toolInput: { command: 'grep parser src' }, isComplete: false });
    const grown = message(agent, 'nothing yet');
    await store.put(old);
    await store.put(tool);
    await store.put(grown);
    await store.put({ ...grown, content: 'nothing yet; now the PARSER "quoted"' });
    await store.put({ ...tool, toolOutput: 'src/parser.ts', isComplete: true });
    await store.put(message(agent, 'unrelated'));
    assert.deepEqual(await store.search(agent, 'parser'), { ids: [grown.id, tool.id, old.id], total: 3 });
    assert.deepEqual(await store.search(agent, 'parser', 2), { ids: [grown.id, tool.id], total: 3 });
    assert.deepEqual(await store.search(agent, '"quoted"'), { ids: [grown.id], total: 1 }, 'text that JSON escapes');
    assert.deepEqual(await store.search(agent, 'nothing yet;'), { ids: [grown.id], total: 1 });
    assert.deepEqual(await store.search(agent, 'slow parser'), { ids: [], total: 0 });
    await assert.rejects(store.search(agent, '  '), invalidInput(/Type some text/));
    await store.close();
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
