import * as assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import * as z from 'zod';
import { ClaudeManagerError } from '../../src/services/errors';
import type { Logger } from '../../src/services/logger';
import { newId } from '../../src/services/ids';
import type { Store } from '../../src/services/storage/store';
import { migrationsDir, quiet, seedWorktree, suiteTempDir } from '../helpers/storage';
import { openStore, startStoreWorker } from '../helpers/storeWorker';
import { recordReliability } from '../helpers/reliability';

function code(c: string, pattern: RegExp = /./) {
  return (e: unknown) => e instanceof ClaudeManagerError && e.code === c && pattern.test(e.message);
}

/** The worker behind a store, reached the way only a test may. */
function workerOf(store: Store): Worker | undefined {
  return (store as unknown as { worker: Worker | undefined }).worker;
}

describe('Store in a worker thread', () => {
  const root = suiteTempDir('cm-store-worker-');
  let n = 0;
  const dir = () => join(root(), `s${++n}`);

  it('serves the repositories across the thread boundary; errors keep their code and message', async () => {
    const store = await openStore(dir(), quiet);
    const { ws, wt } = await seedWorktree(store);
    const agent = await store.agents.create({ worktreeId: wt.id, name: 'first' });
    assert.match(agent.id, /^ag_/);
    assert.equal((await store.agents.update(agent.id, { name: 'renamed' })).name, 'renamed');
    assert.deepEqual((await store.agents.list({ worktreeId: wt.id })).map((a) => a.name), ['renamed']);
    assert.equal((await store.workspaces.get(ws.id)).agentCount, 1);
    await store.messages.put({ id: newId('msg'), agentId: agent.id, role: 'user', kind: 'text', content: 'hello', isComplete: true, createdAt: new Date().toISOString() });
    const page = await store.messages.page(agent.id);
    assert.deepEqual([page.messages.map((m) => m.content), page.hasMore], [['hello'], false]);
    await store.usage.record({ messageId: 'msg_api_1', agentId: agent.id, model: 'opus', inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheCreationTokens: 0, costUsd: 0.5 });
    assert.equal((await store.usage.today()).costUsd, 0.5);
    await assert.rejects(store.agents.get('ag_nope'), code('NOT_FOUND', /No agent with id ag_nope/));
    await assert.rejects(store.agents.reorder(wt.id, []), code('INVALID_INPUT', /exactly once/));
    assert.match(await store.sqliteVersion(), /^3\.\d+\.\d+$/);
    const info = await store.info();
    assert.ok(info.files >= 1 && info.bytes > 0, JSON.stringify(info));
    await store.close();
  });

  it('checks the shape of settings on this side: a value of the wrong shape reads as unset', async () => {
    const store = await openStore(dir(), quiet);
    await store.settings.set('view.sortMode', 'status');
    assert.equal(await store.getSetting('view.sortMode', z.enum(['free', 'status', 'name'])), 'status');
    assert.equal(await store.getSetting('view.sortMode', z.number()), undefined);
    assert.equal(await store.getSetting('missing', z.string()), undefined);
    await store.close();
  });

  it('refuses a call it does not serve, and one whose arguments cannot cross threads, and goes on working', async () => {
    const store = await openStore(dir(), quiet);
    const agents = store.agents as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const call = (name: string) => agents[name]!();
    await assert.rejects(call('nonsense'), code('INVALID_INPUT', /has no agents\.nonsense/));
    await assert.rejects(call('toString'), code('INVALID_INPUT', /has no agents\.toString/));
    const messages = store.messages as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    await assert.rejects(messages.close!(), code('INVALID_INPUT', /has no messages\.close/));
    await assert.rejects(agents.list!({ filter: () => true }), code('INVALID_INPUT', /agents\.list could not be sent/));
    assert.deepEqual(await store.workspaces.list(), []);
    await store.close();
  });

  it('a second window sees a new agent within a second, and says so', async () => {
    const shared = dir();
    const a = await openStore(shared, quiet, { followIntervalMs: 100 });
    const b = await openStore(shared, quiet, { followIntervalMs: 100 });
    const { wt } = await seedWorktree(a);
    const seen = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the second window did not see the agent within 5 s')), 5000);
      const off = b.onDidChange(() => {
        void b.agents.list().then((list) => {
          if (list.length > 0) {
            clearTimeout(timer);
            off();
            resolve();
          }
        });
      });
    });
    const agent = await a.agents.create({ worktreeId: wt.id, name: 'made in a' });
    await seen;
    assert.equal((await b.agents.get(agent.id)).name, 'made in a');
    await Promise.all([a.close(), b.close()]);
  });

  it('close lets the calls under way finish; later calls are refused', async () => {
    const folder = dir();
    const store = await openStore(folder, quiet);
    const { wt } = await seedWorktree(store);
    const writes = Array.from({ length: 20 }, (_, i) => store.agents.create({ worktreeId: wt.id, name: `a${i}` }));
    const closing = store.close();
    assert.equal((await Promise.all(writes)).length, 20);
    await closing;
    await assert.rejects(store.agents.list(), code('STORAGE_FAILED', /The store is closed/));
    const again = await openStore(folder, quiet);
    assert.equal((await again.agents.list()).length, 20, 'every write made before close is there');
    await again.close();
  });

  it('a worker killed twice mid-stream is replaced: every write sent before, while and after it died is there, in order, and each death is said once', async () => {
    const errors: string[] = [];
    const logger: Logger = { ...quiet, error: (m) => void errors.push(String(m)) };
    const folder = dir();
    const store = await openStore(folder, logger);
    const { wt } = await seedWorktree(store);
    const agent = await store.agents.create({ worktreeId: wt.id, name: 'streamer' });
    const lost: Error[] = [];
    store.onDidLoseWorker((reason) => lost.push(reason));
    const rounds = 300;
    const ids = Array.from({ length: rounds }, () => newId('msg'));
    // Each write's failure, if it failed: looked at together below.
    const writes: Promise<string | undefined>[] = [];
    const write = (sent: Promise<unknown>) => void writes.push(sent.then(() => undefined, (error: unknown) => (error as Error).message));
    const at = new Date().toISOString();
    let first: ReturnType<typeof workerOf>;
    // As the runtime streams: each message first incomplete, then grown and complete; the agent's
    // fields and the usage ledger written along; nothing awaited but a turn of the event loop now
    // and then, so that writes are in flight when the worker dies.
    for (let i = 0; i < rounds; i++) {
      const base = { id: ids[i]!, agentId: agent.id, role: 'assistant' as const, kind: 'text' as const, createdAt: at };
      write(store.messages.put({ ...base, content: `part ${i}`, isComplete: false }));
      write(store.agents.update(agent.id, { contextLevel: i % 100, statusReason: `step ${i}` }));
      write(store.messages.put({ ...base, content: `message ${i}`, isComplete: true }));
      write(store.usage.record({ messageId: `msg_api_${i}`, agentId: agent.id, model: 'opus', inputTokens: 1, outputTokens: i, cacheReadTokens: 0, cacheCreationTokens: 0, costUsd: 0 }));
      // Killed with writes in flight, and its replacement killed too once it is up.
      if (i === 100) {
        first = workerOf(store);
        void first!.terminate();
      }
      if (i === 200) {
        // The replacement, not the first one still on its way out (on a loaded machine it can be).
        while (!workerOf(store) || workerOf(store) === first) await new Promise((resolve) => setTimeout(resolve, 10));
        void workerOf(store)!.terminate();
      }
      if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const failed = (await Promise.all(writes)).filter((m) => m !== undefined);
    assert.deepEqual(failed.slice(0, 3), [], `${failed.length} of ${writes.length} writes failed`);
    assert.equal(lost.length, 2, 'each death is announced once');
    assert.ok(lost.every((e) => code('STORAGE_FAILED', /storage worker stopped \(exit code 1\)/)(e)), lost.map((e) => e.message).join('\n'));
    assert.equal(errors.filter((e) => /storage worker stopped/.test(e)).length, 2, errors.join('\n'));
    await store.close();

    // Read back by another store, once everything has settled.
    const again = await openStore(folder, quiet);
    const page = await again.messages.page(agent.id, { limit: rounds + 10 });
    const stored = page.messages.reverse();
    assert.deepEqual(stored.map((m) => m.id), ids, 'every message, in the order sent');
    assert.deepEqual(stored.filter((m) => !m.isComplete || m.content !== `message ${ids.indexOf(m.id)}`).map((m) => m.id), [], 'each one complete, in its last version');
    const record = await again.agents.get(agent.id);
    assert.deepEqual([record.statusReason, record.contextLevel], [`step ${rounds - 1}`, (rounds - 1) % 100], 'the last write of the agent\'s fields wins');
    const usage = await again.usage.totals({ agentId: agent.id });
    assert.deepEqual([usage.requestCount, usage.outputTokens], [rounds, (rounds * (rounds - 1)) / 2]);
    await again.close();
    recordReliability({ area: 'Kills', what: 'the store\'s worker thread killed twice while a writer streamed messages, agent updates and usage', count: 2, outcome: `${rounds} of ${rounds} messages read back in order and in their last version; last agent write and all usage kept; 0 lost`, test: 'test/services/storeWorker.test.ts' });
  });

  it('a worker that died while idle is replaced by the next call; a create it had not answered is said to be uncertain', async () => {
    const store = await openStore(dir(), quiet);
    const { wt } = await seedWorktree(store);
    await workerOf(store)!.terminate();
    assert.equal((await store.worktrees.get(wt.id)).id, wt.id, 'the next call opens a new worker');
    const creating = store.agents.create({ worktreeId: wt.id, name: 'maybe' });
    await workerOf(store)!.terminate();
    await creating.then(
      (made) => assert.equal(made.name, 'maybe'),
      (error: unknown) => assert.ok(code('STORAGE_FAILED', /agents\.create was under way: it may or may not have been done/)(error), String(error)),
    );
    const names = (await store.agents.list({ worktreeId: wt.id })).map((a) => a.name);
    assert.ok(names.length <= 1, `made at most once: ${names.join(', ')}`);
    await store.close();
    await assert.rejects(store.agents.list(), code('STORAGE_FAILED', /The store is closed/));
  });

  it('a store that cannot open rejects with why, naming the file, and leaves no worker behind', async () => {
    const migrations = join(root(), 'bad-migrations');
    cpSync(migrationsDir, migrations, { recursive: true });
    writeFileSync(join(migrations, '003_broken.sql'), 'CREATE TABLE oops (;');
    let started: Worker | undefined;
    await assert.rejects(
      openStore(dir(), quiet, {
        migrationsDir: migrations,
        startWorker: (data) => {
          started = startStoreWorker(data);
          return started;
        },
      }),
      (e: unknown) => e instanceof ClaudeManagerError && /003_broken\.sql/.test(e.message),
    );
    assert.ok(started);
    assert.equal(started.threadId, -1, 'the worker was stopped');
  });
});
