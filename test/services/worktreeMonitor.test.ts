import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GitService } from '../../src/services/git/gitService';
import type { Store } from '../../src/services/storage/store';
import { RecordedAgents } from '../helpers/recordedAgents';
import { WorkspaceService } from '../../src/services/workspaces/workspaceService';
import { WorktreeMonitor } from '../../src/services/workspaces/worktreeMonitor';
import { git, repository, write } from '../helpers/git';
import { quiet, suiteTempDir } from '../helpers/storage';
import { openStore } from '../helpers/storeWorker';

/** Resolves when `check` holds after a status or worktree event, or rejects after `ms`. */
function eventually(monitor: WorktreeMonitor, service: WorkspaceService, check: () => Promise<boolean>, ms: number, what: string): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      offStatus();
      offTrees();
      if (error) reject(error);
      else resolve(Date.now() - started);
    };
    const test = () => void check().then((ok) => ok && done(), done);
    const timer = setTimeout(() => done(new Error(`${what}: not seen within ${ms} ms`)), ms);
    const offStatus = monitor.onDidChangeStatus(test);
    const offTrees = service.onDidChangeWorktrees(test);
  });
}

/**
 * Counts the file watches the process holds open: every `fs.watch` made while `body` runs, until
 * it is closed. Counted at the source, whoever keeps (or loses) the watcher objects.
 */
async function countingWatches<T>(body: (open: () => number) => Promise<T>): Promise<T> {
  const real = fs.watch;
  const live = new Set<fs.FSWatcher>();
  fs.watch = ((...args: Parameters<typeof fs.watch>) => {
    const watcher = real(...args);
    live.add(watcher);
    // ('close' is emitted a tick after close() is called.)
    const close = watcher.close.bind(watcher);
    watcher.close = () => {
      live.delete(watcher);
      close();
    };
    watcher.on('close', () => live.delete(watcher));
    return watcher;
  }) as typeof fs.watch;
  try {
    return await body(() => live.size);
  } finally {
    fs.watch = real;
  }
}

/** Polls `condition` until it holds, or fails after `ms` saying what was awaited. */
async function until(condition: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('WorktreeMonitor: live status from git metadata, and a poll for the rest', () => {
  const storeDir = suiteTempDir('cm-monitor-store-');
  let store: Store;
  let git_: GitService;
  let service: WorkspaceService;
  const monitors: WorktreeMonitor[] = [];

  before(async () => {
    store = await openStore(storeDir(), quiet);
    git_ = new GitService({ logger: quiet });
    service = new WorkspaceService({ store, git: git_, logger: quiet, agents: new RecordedAgents(store, 'w'), worktreesRoot: () => undefined });
  });
  after(async () => {
    for (const m of monitors) m.dispose();
    await store.close();
  });
  const monitor = (pollIntervalMs: number) => {
    const m = new WorktreeMonitor({ service, git: git_, logger: quiet, pollIntervalMs, debounceMs: 100 });
    monitors.push(m);
    return m;
  };

  it('sees staging, commits and branch switches made with the git CLI, without polling', async () => {
    const repo = repository('watched');
    const ws = (await service.createWorkspace({ path: repo }))!;
    const wt = await service.createWorktree({ workspaceId: ws.id, branch: 'side', newBranch: true });
    const m = monitor(60_000);
    await m.track([ws.id]);
    assert.equal(m.status(wt.id)?.status?.isClean, true);
    // Staging touches the worktree's index: its own git folder's watch fires.
    write(wt.path, { 'new.txt': 'n' });
    git(wt.path, 'add', 'new.txt');
    await eventually(m, service, async () => (m.status(wt.id)?.status?.staged ?? []).includes('new.txt'), 5000, 'a staged file');
    git(wt.path, 'commit', '--quiet', '-m', 'side work');
    await eventually(m, service, async () => m.status(wt.id)?.status?.isClean === true, 5000, 'the commit');
    const mainId = (await service.listWorktrees(ws.id))[0]!.id;
    git(repo, 'switch', '--quiet', '-c', 'elsewhere');
    await eventually(m, service, async () => m.status(mainId)?.status?.branch === 'elsewhere', 5000, 'the main worktree switched branch');
  });

  it('sees worktrees added and removed with the git CLI, and a folder that vanished', async () => {
    const repo = repository('outside');
    const ws = (await service.createWorkspace({ path: repo }))!;
    const m = monitor(60_000);
    await m.track([ws.id]);
    const added = join(dirname(repo), 'outside-added');
    git(repo, 'worktree', 'add', '--quiet', '-b', 'added', added);
    const branches = async () => (await service.listWorktrees(ws.id)).map((w) => `${w.branch}${w.missing ? ' (missing)' : ''}`).sort();
    await eventually(m, service, async () => (await branches()).includes('added'), 5000, 'the added worktree');
    git(repo, 'worktree', 'remove', added);
    await eventually(m, service, async () => !(await branches()).some((b) => b.startsWith('added')), 5000, 'the removed worktree');
  });

  it('one refresh reads a worktree the list finds new and says a vanished folder is missing, while it reads the known ones', async () => {
    const repo = repository('one-refresh');
    const ws = (await service.createWorkspace({ path: repo }))!;
    const gone = join(dirname(repo), 'one-refresh-gone');
    git(repo, 'worktree', 'add', '--quiet', '-b', 'gone', gone);
    const m = monitor(60_000);
    await m.refreshWorkspace(ws.id);
    const before = await service.listWorktrees(ws.id);
    const goneId = before.find((w) => w.path === fs.realpathSync(gone))!.id;
    assert.ok(m.status(goneId)?.status, 'the worktree is read while it exists');
    const added = join(dirname(repo), 'one-refresh-added');
    git(repo, 'worktree', 'add', '--quiet', '-b', 'added', added);
    fs.rmSync(gone, { recursive: true, force: true });
    await m.refreshWorkspace(ws.id);
    const after = await service.listWorktrees(ws.id);
    const addedId = after.find((w) => w.branch === 'added')!.id;
    assert.equal(m.status(addedId)?.status?.branch, 'added');
    assert.deepEqual(m.status(goneId), { error: 'its folder is missing' });
    assert.equal(m.status(after.find((w) => w.isMain)!.id)?.status?.branch, 'main');
  });

  it('catches edits that touch no git metadata at the next poll', async () => {
    const repo = repository('polled');
    const ws = (await service.createWorkspace({ path: repo }))!;
    const [main] = await service.listWorktrees(ws.id);
    const m = monitor(300);
    await m.track([ws.id]);
    m.setPolling(true);
    write(repo, { 'README.md': 'edited in a terminal\n' });
    await eventually(m, service, async () => (m.status(main!.id)?.status?.modified ?? []).includes('README.md'), 5000, 'an edited file');
    m.setPolling(false);
  });

  it('keeps a few watches per repository plus one per worktree: 50 worktrees stay well under the system limits', async () => {
    const repo = repository('many');
    const ws = (await service.createWorkspace({ path: repo }))!;
    for (let i = 0; i < 50; i++) git(repo, 'worktree', 'add', '--quiet', '-b', `b${i}`, join(dirname(repo), 'many-trees', `b${i}`));
    await service.refreshWorkspace(ws.id);
    const m = monitor(60_000);
    await m.track([ws.id]);
    assert.equal((await service.listWorktrees(ws.id)).length, 51);
    assert.ok(m.watchCount <= 3 + 50, `${m.watchCount} watches`);
    assert.ok((await service.listWorktrees(ws.id)).every((w) => m.status(w.id)?.status?.isClean === true), 'every status was read');
  });

  it('builds one set of watches however many track() calls run at once, and closes a removed worktree\'s', async () => {
    const repo = repository('tracked-at-once');
    const ws = (await service.createWorkspace({ path: repo }))!;
    const a = join(dirname(repo), 'at-once-a');
    const b = join(dirname(repo), 'at-once-b');
    git(repo, 'worktree', 'add', '--quiet', '-b', 'a', a);
    git(repo, 'worktree', 'add', '--quiet', '-b', 'b', b);
    await service.refreshWorkspace(ws.id);
    await countingWatches(async (open) => {
      // What one track() opens: the shared git folder, refs/ (with what a recursive watch opens
      // under it), worktrees/, and each linked worktree's git folder.
      const single = monitor(60_000);
      await single.track([ws.id]);
      const one = open();
      const owned = single.watchCount;
      assert.equal(owned, 3 + 2);
      single.dispose();
      assert.equal(open(), 0, 'dispose closes every watch');

      const m = monitor(60_000);
      // Three at once, as the tree's redraws call it.
      await Promise.all([m.track([ws.id]), m.track([ws.id]), m.track([ws.id])]);
      assert.equal(open(), one, 'concurrent track() calls watch the repository once');
      assert.equal(m.watchCount, owned);

      // A worktree removed with the git CLI: its git folder's watch is closed.
      git(repo, 'worktree', 'remove', b);
      await until(() => open() === one - 1, 15_000, () => `${open()} watches open, ${one - 1} expected after the worktree was removed`);
      assert.equal(m.watchCount, owned - 1);
      // Untracked: nothing stays open.
      await m.track([]);
      assert.equal(open(), 0, 'untracking closes every watch');
      m.dispose();
    });
  });
});
