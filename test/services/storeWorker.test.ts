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

function code(c: string, pattern: RegExp = /./) {
  return (e: unknown) => e instanceof ClaudeManagerError && e.code === c && pattern.test(e.message);
}

/** The worker behind a store, reached the way only a test may. */
function workerOf(store: Store): Worker {
  return (store as unknown as { worker: Worker }).worker;
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

  it('a worker that dies fails the calls waiting on it with a clear error, and says it stopped', async () => {
    const errors: string[] = [];
    const logger: Logger = { ...quiet, error: (m) => void errors.push(String(m)) };
    const store = await openStore(dir(), logger);
    const stopped = new Promise<Error>((resolve) => store.onDidStop(resolve));
    const waiting = store.workspaces.list();
    await workerOf(store).terminate();
    const reason = await stopped;
    assert.ok(code('STORAGE_FAILED', /storage worker stopped \(exit code 1\)/)(reason), reason.message);
    // The call was either answered before the worker went, or failed with the same reason.
    await waiting.then(
      (value) => assert.deepEqual(value, []),
      (error: unknown) => assert.equal(error, reason),
    );
    await assert.rejects(store.workspaces.list(), (e) => e === reason);
    assert.ok(errors.some((e) => /storage worker stopped/.test(e)), errors.join('\n'));
    await store.close();
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
