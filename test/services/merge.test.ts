import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClaudeManagerError } from '../../src/services/errors';
import { GitService } from '../../src/services/git/gitService';
import { operationOf } from '../../src/services/git/operation';
import type { Store } from '../../src/services/storage/store';
import { MergeService } from '../../src/services/workspaces/merge';
import { WorkspaceService } from '../../src/services/workspaces/workspaceService';
import { WorktreeMonitor } from '../../src/services/workspaces/worktreeMonitor';
import { withCode } from '../helpers/errors';
import { commit, git, repository, write } from '../helpers/git';
import { RecordedAgents } from '../helpers/recordedAgents';
import { quiet, suiteTempDir } from '../helpers/storage';
import { openStore } from '../helpers/storeWorker';

/** Everything git holds of a worktree's state: HEAD, the index (stages and blobs), and every file's bytes, untracked ones included. */
function snapshot(path: string): { head: string; index: string; files: Record<string, string>; status: string } {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (name === '.git') continue;
      if (statSync(full).isDirectory()) walk(full);
      else files[relative(path, full)] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk(path);
  return { head: git(path, 'rev-parse', 'HEAD'), index: git(path, 'ls-files', '--stage'), files, status: git(path, 'status', '--porcelain=v2', '--branch') };
}

const parents = (cwd: string, rev = 'HEAD') => git(cwd, 'rev-list', '--parents', '-n', '1', rev).split(' ').slice(1);

describe('MergeService: commit, merge back (merge, squash, rebase), conflicts, continue and abort, on real repositories', () => {
  const storeDir = suiteTempDir('cm-merge-store-');
  let store: Store;
  let workspaces: WorkspaceService;
  let merges: MergeService;

  before(async () => {
    store = await openStore(storeDir(), quiet);
    const git = new GitService({ logger: quiet });
    workspaces = new WorkspaceService({ store, git, logger: quiet, agents: new RecordedAgents(store, 'this-window'), worktreesRoot: () => undefined });
    merges = new MergeService({ store, git, workspaces, logger: quiet, worktreesRoot: () => undefined });
  });
  after(() => store.close());

  /** A repository with a worktree on a new branch `feat` off main (its base); the main worktree is on main. */
  async function setup(name: string, options: { base?: string } = {}) {
    const repo = repository(name);
    const ws = (await workspaces.createWorkspace({ path: repo }))!;
    if (options.base) git(repo, 'branch', options.base);
    const wt = await workspaces.createWorktree({ workspaceId: ws.id, branch: 'feat', newBranch: true, ...(options.base ? { baseRef: options.base } : {}) });
    if (options.base) await store.worktrees.update(wt.id, { baseBranch: options.base });
    const main = (await workspaces.listWorktrees(ws.id)).find((w) => w.isMain)!;
    return { repo, ws, wt, main };
  }

  it('commits everything with the message, and says when there is nothing to commit', async () => {
    const { wt } = await setup('commit-all');
    write(wt.path, { 'a.txt': 'new\n', 'README.md': '# changed\n' });
    const done = await merges.commit(wt.id, 'Add a and change the readme');
    assert.equal(done.commit, git(wt.path, 'rev-parse', 'HEAD'));
    assert.equal(done.summary, 'Add a and change the readme');
    assert.equal(git(wt.path, 'status', '--porcelain'), '', 'tracked, untracked and modified files all committed');
    assert.deepEqual(git(wt.path, 'show', '--name-only', '--format=', 'HEAD').split('\n').sort(), ['README.md', 'a.txt']);
    await assert.rejects(merges.commit(wt.id, 'again'), withCode('NOTHING_TO_COMMIT'));
  });

  it('shows the output of a commit hook that refuses, and commits nothing', async () => {
    const { repo, wt } = await setup('hook-refuses');
    const hook = join(repo, '.git', 'hooks', 'pre-commit');
    writeFileSync(hook, '#!/bin/sh\necho "lint: 3 problems in a.txt" >&2\necho "run npm run lint" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    const before = git(wt.path, 'rev-parse', 'HEAD');
    write(wt.path, { 'a.txt': 'bad\n' });
    await assert.rejects(merges.commit(wt.id, 'Add a'), (error: unknown) => {
      withCode('HOOK_FAILED', /pre-commit hook: lint: 3 problems in a\.txt/)(error);
      assert.equal((error as ClaudeManagerError).detail, 'lint: 3 problems in a.txt\nrun npm run lint');
      return true;
    });
    assert.equal(git(wt.path, 'rev-parse', 'HEAD'), before, 'no commit was made');
    assert.equal(readFileSync(join(wt.path, 'a.txt'), 'utf8'), 'bad\n', 'the change is still there');
  });

  it('merges with a merge commit into the worktree where the base is checked out', async () => {
    const { repo, wt } = await setup('merge-commit');
    commit(repo, 'main moves on', { 'other.txt': 'x\n' });
    commit(wt.path, 'feature one', { 'f1.txt': '1\n' });
    commit(wt.path, 'feature two', { 'f2.txt': '2\n' });
    const featHead = git(wt.path, 'rev-parse', 'HEAD');
    const result = await merges.merge(wt.id, { strategy: 'merge' });
    assert.equal(result.status, 'merged');
    assert.ok(result.status === 'merged');
    assert.equal(result.commit, git(repo, 'rev-parse', 'main'));
    assert.equal(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD'), 'main', 'the main worktree stays on main');
    assert.deepEqual(parents(repo)[1], featHead, 'a merge commit with the branch as second parent');
    assert.equal(git(repo, 'log', '-1', '--format=%s'), "Merge branch 'feat'");
    assert.equal(readFileSync(join(repo, 'f2.txt'), 'utf8'), '2\n');
    assert.deepEqual(await merges.merge(wt.id, { strategy: 'merge' }), { status: 'up-to-date', worktreeId: wt.id, baseBranch: 'main' });
    // The safe-removal check passes now: every commit of the branch is on main.
    assert.equal((await workspaces.removalLoss(wt.id, { deleteBranch: true })).message, undefined);
  });

  it('squashes into one commit whose message lists the branch\'s commits', async () => {
    const { repo, wt } = await setup('squash');
    const before = git(repo, 'rev-parse', 'main');
    commit(wt.path, 'feature one', { 'f1.txt': '1\n' });
    commit(wt.path, 'feature two', { 'f2.txt': '2\n' });
    const result = await merges.merge(wt.id, { strategy: 'squash' });
    assert.equal(result.status, 'merged');
    assert.deepEqual(parents(repo), [before], 'one commit with one parent');
    const message = git(repo, 'log', '-1', '--format=%B');
    assert.match(message, /^Squash merge branch 'feat' into main\n\n\* [0-9a-f]+ feature one\n\* [0-9a-f]+ feature two$/);
    assert.deepEqual(git(repo, 'show', '--name-only', '--format=', 'HEAD').split('\n').sort(), ['f1.txt', 'f2.txt']);
    assert.equal(await operationOf(repo), undefined, 'no squash left pending');
  });

  it('rebases the branch in its own worktree, then fast-forwards the base', async () => {
    const { repo, wt } = await setup('rebase');
    commit(wt.path, 'feature one', { 'f1.txt': '1\n' });
    const mainTip = commit(repo, 'main moves on', { 'other.txt': 'x\n' });
    const result = await merges.merge(wt.id, { strategy: 'rebase' });
    assert.equal(result.status, 'merged');
    const featHead = git(wt.path, 'rev-parse', 'HEAD');
    assert.equal(git(repo, 'rev-parse', 'main'), featHead, 'main fast-forwarded to the rebased branch');
    assert.deepEqual(parents(repo), [mainTip], 'a straight line: the feature commit sits on main\'s tip');
    assert.equal(git(wt.path, 'rev-parse', '--abbrev-ref', 'HEAD'), 'feat');
    assert.equal(readFileSync(join(repo, 'f1.txt'), 'utf8'), '1\n');
  });

  it('refuses while the base\'s worktree or the worktree itself has uncommitted changes, and changes nothing', async () => {
    const { repo, wt } = await setup('dirty');
    commit(wt.path, 'feature', { 'f.txt': 'f\n' });
    write(repo, { 'README.md': '# edited on main, not committed\n' });
    const before = snapshot(repo);
    await assert.rejects(merges.merge(wt.id, { strategy: 'merge' }), withCode('DIRTY_WORKTREE', /worktree of main.*uncommitted changes \(README\.md\)\. Commit or stash them there/));
    assert.deepEqual(snapshot(repo), before);
    git(repo, 'checkout', '--', 'README.md');
    write(wt.path, { 'f.txt': 'changed\n' });
    await assert.rejects(merges.merge(wt.id, { strategy: 'squash' }), withCode('DIRTY_WORKTREE', /feat.*uncommitted changes \(f\.txt\)\. Commit them first \("Commit All…"\)/));
    // Untracked files in the base do not block.
    git(wt.path, 'checkout', '--', 'f.txt');
    write(repo, { 'notes.txt': 'mine\n' });
    assert.equal((await merges.merge(wt.id, { strategy: 'merge' })).status, 'merged');
    assert.equal(readFileSync(join(repo, 'notes.txt'), 'utf8'), 'mine\n');
  });

  it('leaves a conflict in progress, aborts to exactly the state before, then merges once it is resolved', async () => {
    const { repo, wt, main } = await setup('conflict');
    commit(repo, 'main edits the readme', { 'README.md': '# main\n' });
    commit(wt.path, 'feat edits the readme', { 'README.md': '# feat\n', 'f.txt': 'f\n' });
    write(repo, { 'scratch.txt': 'untracked, kept\n' });
    const before = snapshot(repo);
    const result = await merges.merge(wt.id, { strategy: 'merge' });
    assert.deepEqual(result, { status: 'conflicts', worktreeId: main.id, sourceWorktreeId: wt.id, operation: 'merge', files: ['README.md'], path: repo, baseBranch: 'main' });
    assert.equal(await operationOf(repo), 'merge', 'the merge stays in progress in the base\'s worktree');
    assert.match(readFileSync(join(repo, 'README.md'), 'utf8'), /^<<<<<<< /m);
    assert.deepEqual(await merges.state(main.id), { operation: 'merge', conflicted: ['README.md'] });
    // What the tree draws ("merging (1 conflict)"): the monitor reads it with the status.
    const monitor = new WorktreeMonitor({ service: workspaces, git: new GitService({ logger: quiet }), logger: quiet });
    after(() => monitor.dispose());
    await monitor.refreshWorktree(main.id);
    assert.equal(monitor.status(main.id)?.operation, 'merge');
    assert.deepEqual(monitor.status(main.id)?.status?.conflicted, ['README.md']);
    await monitor.refreshWorktree(wt.id);
    assert.equal(monitor.status(wt.id)?.operation, undefined, 'nothing waits in the worktree being merged');
    await assert.rejects(merges.merge(wt.id, { strategy: 'merge' }), withCode('MERGE_IN_PROGRESS'));

    await merges.abortMerge(main.id);
    assert.deepEqual(snapshot(repo), before, 'same HEAD, same index, same files');
    await monitor.refreshWorktree(main.id);
    assert.equal(monitor.status(main.id)?.operation, undefined);
    assert.equal(await operationOf(repo), undefined);
    await assert.rejects(merges.abortMerge(main.id), withCode('NO_MERGE_IN_PROGRESS'));

    assert.equal((await merges.merge(wt.id, { strategy: 'merge' })).status, 'conflicts');
    // Continuing with the markers still there changes nothing.
    const again = await merges.continueMerge(wt.id);
    assert.equal(again.status, 'conflicts');
    assert.equal(await operationOf(repo), 'merge');
    write(repo, { 'README.md': '# main and feat\n' });
    const done = await merges.continueMerge(main.id);
    assert.equal(done.status, 'merged');
    assert.ok(done.status === 'merged');
    assert.equal(done.worktreeId, wt.id, 'the merged worktree is named, for the offer to remove it');
    assert.equal(parents(repo).length, 2);
    assert.equal(git(repo, 'log', '-1', '--format=%B'), "Merge branch 'feat'", 'git\'s "# Conflicts" lines are not in the message');
    assert.equal(readFileSync(join(repo, 'README.md'), 'utf8'), '# main and feat\n');
    assert.equal(git(repo, 'status', '--porcelain'), '?? scratch.txt');
  });

  it('aborts a squash and a rebase stopped on conflicts to the state before, and continues a rebase to a fast-forward', async () => {
    const { repo, wt, main } = await setup('conflict-other');
    commit(repo, 'main edits the readme', { 'README.md': '# main\n' });
    commit(wt.path, 'feat edits the readme', { 'README.md': '# feat\n' });
    const mainBefore = snapshot(repo);
    const squash = await merges.merge(wt.id, { strategy: 'squash' });
    assert.equal(squash.status, 'conflicts');
    assert.ok(squash.status === 'conflicts');
    assert.equal(squash.operation, 'squash');
    assert.equal(await operationOf(repo), 'squash');
    await merges.abortMerge(wt.id);
    assert.deepEqual(snapshot(repo), mainBefore);

    const featBefore = snapshot(wt.path);
    const rebase = await merges.merge(wt.id, { strategy: 'rebase' });
    assert.ok(rebase.status === 'conflicts');
    assert.equal(rebase.worktreeId, wt.id, 'a rebase waits in the worktree itself');
    assert.equal(rebase.operation, 'rebase');
    await merges.abortMerge(wt.id);
    assert.deepEqual(snapshot(wt.path), featBefore);
    assert.equal(git(wt.path, 'rev-parse', '--abbrev-ref', 'HEAD'), 'feat');

    assert.equal((await merges.merge(wt.id, { strategy: 'rebase' })).status, 'conflicts');
    write(wt.path, { 'README.md': '# both\n' });
    const done = await merges.continueMerge(wt.id);
    assert.equal(done.status, 'merged');
    assert.equal(git(repo, 'rev-parse', 'main'), git(wt.path, 'rev-parse', 'feat'));
    assert.equal(readFileSync(join(repo, 'README.md'), 'utf8'), '# both\n');
    void main;
  });

  it('merges in a temporary worktree, removed afterwards, when the base is checked out nowhere', async () => {
    const { repo, ws, wt } = await setup('temporary', { base: 'release' });
    commit(wt.path, 'feature', { 'f.txt': 'f\n' });
    const mainBefore = snapshot(repo);
    const worktreesBefore = git(repo, 'worktree', 'list', '--porcelain');
    const result = await merges.merge(wt.id, { strategy: 'merge' });
    assert.ok(result.status === 'merged');
    assert.equal(result.baseBranch, 'release');
    assert.equal(git(repo, 'rev-parse', 'release'), result.commit);
    assert.deepEqual(parents(repo, 'release')[1], git(wt.path, 'rev-parse', 'HEAD'));
    assert.equal(git(repo, 'worktree', 'list', '--porcelain'), worktreesBefore, 'the temporary worktree is gone');
    assert.deepEqual(readdirSync(dirname(wt.path)), ['feat'], 'and its folder');
    assert.deepEqual(snapshot(repo), mainBefore, 'the main worktree was not touched');
    assert.equal((await workspaces.listWorktrees(ws.id)).length, 2);

    // A conflict keeps it (listed like any worktree) until it is aborted.
    commit(wt.path, 'feat edits the readme', { 'README.md': '# feat\n' });
    const tmp = join(dirname(wt.path), 'release-side');
    git(repo, 'worktree', 'add', tmp, 'release');
    commit(tmp, 'release edits the readme', { 'README.md': '# release\n' });
    git(repo, 'worktree', 'remove', tmp);
    await workspaces.sync(ws.id);
    const listedBefore = git(repo, 'worktree', 'list', '--porcelain');
    const conflict = await merges.merge(wt.id, { strategy: 'merge' });
    assert.ok(conflict.status === 'conflicts');
    assert.match(conflict.path, /merge-into-release-[0-9a-f]{6}$/);
    assert.ok(existsSync(conflict.path));
    const listed = await workspaces.listWorktrees(ws.id);
    assert.ok(listed.some((w) => w.id === conflict.worktreeId && w.path === conflict.path && w.branch === 'release'));
    await merges.abortMerge(conflict.worktreeId);
    assert.ok(!existsSync(conflict.path), 'removed after the abort');
    assert.equal(git(repo, 'worktree', 'list', '--porcelain'), listedBefore);
    assert.equal((await workspaces.listWorktrees(ws.id)).length, 2);
  });
});
