import * as assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ClaudeManagerError } from '../../src/services/errors';
import { newId } from '../../src/services/ids';
import { LocalStore } from '../../src/services/storage/localStore';
import { migrationsDir, quiet, seedWorktree, suiteTempDir, wasmPath } from '../helpers/storage';

function code(c: string, pattern: RegExp = /./) {
  return (e: unknown) => e instanceof ClaudeManagerError && e.code === c && pattern.test(e.message);
}

describe('LocalStore and its repositories', () => {
  const root = suiteTempDir('cm-store-');
  let n = 0;
  const open = (dir = join(root(), `s${++n}`), followIntervalMs = 1000) => LocalStore.open({ dir, wasmPath, migrationsDir, logger: quiet, followIntervalMs });

  it('workspaces: created once per path, counted, renamed, forgotten with everything under them', async () => {
    const store = await open();
    const ws = await store.workspaces.create({ path: '/repos/alpha' });
    assert.match(ws.id, /^ws_/);
    assert.equal(ws.name, 'alpha');
    assert.equal((await store.workspaces.create({ path: '/repos/alpha', name: 'other' })).id, ws.id, 'a known path returns the existing workspace');
    const wt = await store.worktrees.create({ workspaceId: ws.id, name: 'alpha', branch: 'main', path: '/repos/alpha', isMain: true });
    const ag = await store.agents.create({ worktreeId: wt.id });
    const archived = await store.agents.create({ worktreeId: wt.id });
    await store.agents.archive(archived.id);
    assert.deepEqual(
      { worktrees: store.workspaces.get(ws.id).worktreeCount, agents: store.workspaces.get(ws.id).agentCount },
      { worktrees: 1, agents: 1 },
    );
    assert.equal((await store.workspaces.rename(ws.id, 'Alpha')).name, 'Alpha');
    await store.messages.put({ id: newId('msg'), agentId: ag.id, role: 'user', kind: 'text', content: 'hi', isComplete: true, createdAt: new Date().toISOString() });
    await store.workspaces.delete(ws.id);
    assert.deepEqual(store.workspaces.list(), []);
    assert.throws(() => store.agents.get(ag.id), code('NOT_FOUND', /No agent with id/));
    assert.equal(await store.messages.count(ag.id), 0, 'its agents\' messages went with it');
    await assert.rejects(store.workspaces.delete(ws.id), code('NOT_FOUND'));
    await store.close();
  });

  it('worktrees: main first, detached allowed, reordered, updated, deleted', async () => {
    const store = await open();
    const { ws, wt: main } = await seedWorktree(store);
    const a = await store.worktrees.create({ workspaceId: ws.id, name: 'a', branch: 'feature/a', path: '/r-wt/a' });
    const b = await store.worktrees.create({ workspaceId: ws.id, name: 'b', branch: null, path: '/r-wt/b' });
    assert.equal(b.branch, null);
    assert.deepEqual(store.worktrees.list(ws.id).map((w) => w.name), ['r', 'a', 'b']);
    await store.worktrees.reorder(ws.id, [b.id, main.id, a.id]);
    assert.deepEqual(store.worktrees.list(ws.id).map((w) => w.name), ['r', 'b', 'a'], 'the main worktree stays on top');
    await assert.rejects(store.worktrees.reorder(ws.id, [a.id, b.id]), code('INVALID_INPUT', /each of the 3/));
    const updated = await store.worktrees.update(a.id, { sortMode: 'status', branch: 'feature/a2' });
    assert.deepEqual([updated.sortMode, updated.branch], ['status', 'feature/a2']);
    await store.worktrees.delete(a.id);
    assert.deepEqual(store.worktrees.list(ws.id).map((w) => w.name), ['r', 'b']);
    await store.close();
  });

  it('worktrees keep their base branch and pull request, and forget them when told (null)', async () => {
    const store = await open();
    const { ws } = await seedWorktree(store);
    const a = await store.worktrees.create({ workspaceId: ws.id, name: 'a', branch: 'feature/a', path: '/r-wt/a', baseBranch: 'develop' });
    const b = await store.worktrees.create({ workspaceId: ws.id, name: 'b', branch: 'feature/b', path: '/r-wt/b' });
    assert.equal(a.baseBranch, 'develop');
    assert.equal(b.baseBranch, undefined, 'made elsewhere: none recorded');
    await store.worktrees.update(a.id, { pullRequestUrl: 'https://example.test/pr/7' });
    await store.worktrees.update(a.id, { name: 'renamed' });
    assert.deepEqual([store.worktrees.get(a.id).baseBranch, store.worktrees.get(a.id).pullRequestUrl], ['develop', 'https://example.test/pr/7'], 'another change keeps both');
    await store.worktrees.update(a.id, { baseBranch: null, pullRequestUrl: null });
    assert.deepEqual([store.worktrees.get(a.id).baseBranch, store.worktrees.get(a.id).pullRequestUrl], [undefined, undefined]);
    await store.close();
  });

  it('attempt groups keep their prompt, base and attempts; a removed worktree or deleted agent leaves the attempt without it', async () => {
    const store = await open();
    const { ws } = await seedWorktree(store);
    const made = await Promise.all([1, 2].map(async (i) => {
      const wt = await store.worktrees.create({ workspaceId: ws.id, name: `try-${i}`, branch: `try-${i}`, path: `/r-wt/try-${i}`, baseBranch: 'main' });
      const agent = await store.agents.create({ worktreeId: wt.id, name: `try ${i}` });
      return { branch: `try-${i}`, worktreeId: wt.id, agentId: agent.id, model: i === 1 ? 'haiku' : undefined };
    }));
    const group = await store.attemptGroups.create({ workspaceId: ws.id, name: 'try', prompt: 'Fix it', baseBranch: 'main', baseCommit: 'a'.repeat(40), attempts: made });
    assert.match(group.id, /^grp_/);
    assert.deepEqual(group.attempts.map((a) => [a.position, a.branch, a.worktreeId, a.agentId, a.model]), made.map((m, i) => [i + 1, m.branch, m.worktreeId, m.agentId, m.model]));
    assert.deepEqual((await store.attemptGroups.list(ws.id)).map((g) => g.id), [group.id]);
    assert.equal(store.attemptGroups.findByWorktree(made[1]!.worktreeId)?.id, group.id);
    const kept = await store.attemptGroups.keep(group.id, group.attempts[1]!.id);
    assert.equal(kept.keptAttemptId, group.attempts[1]!.id);
    await assert.rejects(store.attemptGroups.keep(group.id, 'att_nope'), (e: Error & { code?: string }) => e.code === 'NOT_FOUND');
    await store.agents.delete(made[1]!.agentId);
    await store.worktrees.delete(made[0]!.worktreeId);
    const after = store.attemptGroups.get(group.id);
    assert.deepEqual(after.attempts.map((a) => [a.worktreeId, a.agentId]), [[undefined, undefined], [made[1]!.worktreeId, undefined]]);
    await store.workspaces.delete(ws.id);
    assert.throws(() => store.attemptGroups.get(group.id), (e: Error & { code?: string }) => e.code === 'NOT_FOUND');
    await store.close();
  });

  it('agents: defaults, updates, archive and restore, hard delete with messages, reorder, forks', async () => {
    const store = await open();
    const { wt } = await seedWorktree(store);
    const first = await store.agents.create({ worktreeId: wt.id });
    assert.deepEqual(
      { name: first.name, status: first.status, reason: first.statusReason, mode: first.mode, permissions: first.permissions, context: first.contextLevel },
      { name: 'Agent 1', status: 'finished', reason: 'not started', mode: 'regular', permissions: ['read'], context: 0 },
    );
    const second = await store.agents.create({ worktreeId: wt.id, name: 'Reviewer', mode: 'plan', permissions: ['read', 'write'], model: 'opus' });
    const fork = await store.agents.create({ worktreeId: wt.id, name: 'Fork', parentAgentId: second.id });
    const running = await store.agents.update(first.id, { status: 'running', statusReason: 'running Bash: npm test', pid: 4242, contextLevel: 37 });
    assert.deepEqual([running.status, running.statusReason, running.pid, running.contextLevel], ['running', 'running Bash: npm test', 4242, 37]);
    await assert.rejects(store.agents.update(first.id, { contextLevel: 140 }), code('INVALID_INPUT', /CHECK/));

    await store.agents.archive(second.id);
    assert.deepEqual(store.agents.list({ worktreeId: wt.id }).map((a) => a.name), ['Agent 1', 'Fork']);
    assert.equal(store.agents.list({ worktreeId: wt.id, includeDeleted: true }).length, 3);
    // Those recorded with a process only (what the orphan check reads), archived ones included.
    await store.agents.update(second.id, { pid: 4343 });
    assert.deepEqual(store.agents.list({ includeDeleted: true, withProcess: true }).map((a) => [a.name, a.pid]), [['Agent 1', 4242], ['Reviewer', 4343]]);
    assert.deepEqual(store.agents.list({ withProcess: true }).map((a) => a.name), ['Agent 1']);
    await store.agents.update(second.id, { pid: undefined });
    assert.equal((await store.agents.restore(second.id)).deletedAt, undefined);

    await store.agents.reorder(wt.id, [fork.id, second.id, first.id]);
    assert.deepEqual(store.agents.list({ worktreeId: wt.id }).map((a) => a.name), ['Fork', 'Reviewer', 'Agent 1']);

    await store.messages.put({ id: newId('msg'), agentId: second.id, role: 'user', kind: 'text', content: 'x', isComplete: true, createdAt: new Date().toISOString() });
    await store.agents.delete(second.id);
    assert.equal(await store.messages.count(second.id), 0);
    assert.equal(store.agents.get(fork.id).parentAgentId, undefined, 'a fork outlives its parent');
    await store.close();
  });

  it('finishes agents whose process died with the editor, leaving those another live window runs', async () => {
    const store = await open();
    const { wt } = await seedWorktree(store);
    const mine = await store.agents.update((await store.agents.create({ worktreeId: wt.id })).id, { status: 'running', statusReason: 'thinking', pid: 111, ownerWindow: 'w1' });
    const otherLive = await store.agents.update((await store.agents.create({ worktreeId: wt.id })).id, {
      status: 'waiting', statusReason: 'waiting for your message', pid: 222, ownerWindow: 'w2', ownerHeartbeatAt: '2026-11-23T10:00:30.000Z',
    });
    const otherDead = await store.agents.update((await store.agents.create({ worktreeId: wt.id })).id, {
      status: 'running', statusReason: 'thinking', pid: 333, ownerWindow: 'w3', ownerHeartbeatAt: '2026-11-23T09:00:00.000Z',
    });
    const cleared = await store.agents.clearStalePids({ window: 'w1', heartbeatStaleBefore: '2026-11-23T10:00:00.000Z' }, () => false);
    assert.deepEqual(cleared.map((a) => a.id).sort(), [mine.id, otherDead.id].sort());
    for (const a of cleared) assert.deepEqual([a.status, a.statusReason, a.pid], ['finished', 'ended with the editor', undefined]);
    assert.equal(store.agents.get(otherLive.id).pid, 222);
    await store.close();
  });

  it('settings keep the extension\'s own state as JSON', async () => {
    const store = await open();
    await store.settings.set('view.sortMode', 'status');
    assert.equal(store.settings.get('view.sortMode'), 'status');
    assert.equal(store.settings.get('missing'), undefined);
    await store.close();
  });

  it('a second window sees a new agent within a second, and says so', async () => {
    const dir = join(root(), `s${++n}`);
    const a = await open(dir, 100);
    const b = await open(dir, 100);
    const { wt } = await seedWorktree(a);
    const changed = new Promise<void>((resolve, reject) => {
      // (Also keeps the event loop alive: the store's own follow timer does not.)
      const timer = setTimeout(() => reject(new Error('the second window did not see the agent within 5 s')), 5000);
      const off = b.onDidChange(() => {
        if (b.agents.list().length > 0) {
          clearTimeout(timer);
          off();
          resolve();
        }
      });
    });
    const agent = await a.agents.create({ worktreeId: wt.id, name: 'made in a' });
    await changed;
    assert.equal(b.agents.get(agent.id).name, 'made in a');
    await Promise.all([a.close(), b.close()]);
  });
});

describe('LocalStore housekeeping', () => {
  const root = suiteTempDir('cm-store-hk-');

  it('reports its size while a compaction replaces files under it (a new store compacts right after its migrations)', async () => {
    const failures: string[] = [];
    for (let i = 0; i < 20; i++) {
      const store = await LocalStore.open({ dir: join(root(), `fresh-${i}`), wasmPath, migrationsDir, logger: quiet });
      for (let j = 0; j < 15; j++) {
        await store.info().then(
          (info) => assert.ok(info.files >= 0 && info.bytes >= 0 && info.dir.endsWith(`fresh-${i}`), JSON.stringify(info)),
          (error: unknown) => failures.push((error as Error).message),
        );
      }
      await store.close();
    }
    assert.deepEqual(failures, []);
  });

  it('fails to open when its migrations cannot be read, and leaves its files as they are (a damaged snapshot is not moved aside)', async () => {
    const dir = join(root(), 'no-migrations');
    const store = await LocalStore.open({ dir, wasmPath, migrationsDir, logger: quiet });
    await seedWorktree(store);
    await store.close();
    writeFileSync(join(dir, 'meta.sqlite'), 'this is not a database');
    const files = readdirSync(dir).sort();
    await assert.rejects(
      LocalStore.open({ dir, wasmPath, migrationsDir: join(root(), 'missing-migrations'), logger: quiet }),
      code('STORAGE_FAILED', /The database migrations .*missing-migrations.* could not be read/),
    );
    assert.deepEqual(readdirSync(dir).sort(), files);
  });

  it('prunes agents archived before a cutoff, with their messages, and reports its size', async () => {
    let clock = '2026-01-01T00:00:00.000Z';
    const store = await LocalStore.open({ dir: root(), wasmPath, migrationsDir, logger: quiet, now: () => clock });
    const { wt } = await seedWorktree(store);
    const oldArchived = await store.agents.create({ worktreeId: wt.id, name: 'old' });
    const active = await store.agents.create({ worktreeId: wt.id, name: 'active' });
    await store.messages.put({ id: newId('msg'), agentId: oldArchived.id, role: 'user', kind: 'text', content: 'x', isComplete: true, createdAt: clock });
    await store.agents.archive(oldArchived.id);
    clock = '2026-03-01T00:00:00.000Z';
    const recentArchived = await store.agents.create({ worktreeId: wt.id, name: 'recent' });
    await store.agents.archive(recentArchived.id);
    const pruned = await store.agents.pruneArchived('2026-02-01T00:00:00.000Z');
    assert.deepEqual(pruned.map((a) => a.name), ['old']);
    assert.deepEqual(store.agents.list({ includeDeleted: true }).map((a) => a.name).sort(), ['active', 'recent']);
    assert.equal(await store.messages.count(oldArchived.id), 0);
    assert.equal(store.agents.get(active.id).deletedAt, undefined);
    const info = await store.info();
    assert.equal(info.dir, root());
    assert.ok(info.files >= 1 && info.bytes > 0, JSON.stringify(info));
    await store.close();
  });
});

describe('LocalStore compaction in a worker thread', () => {
  const root = suiteTempDir('cm-store-worker-');

  it('folds the journal into a snapshot as it grows; this store and a reopened one see everything', async () => {
    const open = () => LocalStore.open({ dir: root(), wasmPath, migrationsDir, logger: quiet, compactAfterBytes: 3_000 });
    const store = await open();
    const { wt } = await seedWorktree(store);
    for (let i = 0; i < 40; i++) await store.agents.create({ worktreeId: wt.id, name: `agent ${i}` });
    await store.close();
    const files = readdirSync(root());
    assert.ok(files.includes('meta.sqlite'), `no snapshot: ${files.join(', ')}`);
    assert.ok(files.some((f) => /^meta-[1-9]\d*\.log$/.test(f)), `no newer journal generation: ${files.join(', ')}`);
    const again = await open();
    assert.equal(again.agents.list().length, 40);
    assert.ok(again.meta.report.replayed < 40, `most came from the snapshot (replayed ${again.meta.report.replayed})`);
    // The store goes on writing in the new generation.
    await again.agents.create({ worktreeId: wt.id, name: 'after' });
    await again.close();
    const third = await open();
    assert.equal(third.agents.list().length, 41);
    await third.close();
  });
});

describe('Agent sessions', () => {
  const root = suiteTempDir('cm-store-sessions-');

  it('keeps the sessions an agent ran, newest first, and goes with the agent', async () => {
    let clock = '2026-01-01T00:00:00.000Z';
    const store = await LocalStore.open({ dir: root(), wasmPath, migrationsDir, logger: quiet, now: () => clock });
    const { wt } = await seedWorktree(store);
    const agent = await store.agents.create({ worktreeId: wt.id });
    assert.equal(store.sessions.latest(agent.id), undefined);
    await store.sessions.save({ id: '0f4c-first', agentId: agent.id, data: { model: 'opus', cwd: '/r' } });
    clock = '2026-01-02T00:00:00.000Z';
    await store.sessions.save({ id: '9a1b-second', agentId: agent.id, data: { forkedFrom: '0f4c-first' } });
    const updated = await store.sessions.save({ id: '0f4c-first', agentId: agent.id, contextSnapshot: '42%' });
    assert.deepEqual([updated.data, updated.contextSnapshot, updated.createdAt, updated.updatedAt], [{ model: 'opus', cwd: '/r' }, '42%', '2026-01-01T00:00:00.000Z', clock]);
    assert.deepEqual(store.sessions.list(agent.id).map((s) => s.id), ['9a1b-second', '0f4c-first']);
    assert.equal(store.sessions.latest(agent.id)?.id, '9a1b-second');
    await assert.rejects(store.sessions.save({ id: ' ', agentId: agent.id }), /needs the id the CLI gave it/);
    await store.agents.delete(agent.id);
    assert.deepEqual(store.sessions.list(agent.id), []);
    await store.close();
  });

  it('keeps an agent\'s task list apart from its row: read with the agent, replaced, removed when empty, gone with the agent', async () => {
    const dir = join(root(), 'tasks');
    const open = () => LocalStore.open({ dir, wasmPath, migrationsDir, logger: quiet });
    const store = await open();
    const { wt } = await seedWorktree(store);
    const agent = await store.agents.create({ worktreeId: wt.id });
    const other = await store.agents.create({ worktreeId: wt.id });
    assert.equal(agent.tasks, undefined, 'no list at first');
    const tasks = [
      { content: 'Read the notes', status: 'completed' as const, activeForm: 'Reading the notes' },
      { id: '2', content: 'Report', status: 'in_progress' as const },
    ];
    await store.agents.setTasks(agent.id, tasks);
    assert.deepEqual(store.agents.get(agent.id).tasks, tasks);
    assert.deepEqual(store.agents.list({ worktreeId: wt.id }).map((a) => a.tasks), [tasks, undefined], 'listed with each agent');
    // A status change (the agent's row journaled whole) leaves the list alone.
    await store.agents.update(agent.id, { status: 'running', statusReason: 'thinking' });
    assert.deepEqual(store.agents.get(agent.id).tasks, tasks);
    await store.close();
    const again = await open();
    assert.deepEqual(again.agents.get(agent.id).tasks, tasks, 'kept across a reopen');
    await again.agents.setTasks(agent.id, []);
    assert.equal(again.agents.get(agent.id).tasks, undefined, 'an empty list is no list');
    await again.agents.setTasks(other.id, tasks);
    await again.agents.delete(other.id);
    assert.deepEqual(again.meta.query('SELECT agent_id FROM agent_tasks'), [], 'gone with its agent');
    await again.close();
  });
});
