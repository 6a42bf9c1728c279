import * as assert from 'node:assert/strict';
import { unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorktreeChangesService } from '../../src/services/git/changes';
import { findCollisions, parseDiffRawNumstat } from '../../src/services/git/changeList';
import { GitService } from '../../src/services/git/gitService';
import type { Store } from '../../src/services/storage/store';
import { WorkspaceService } from '../../src/services/workspaces/workspaceService';
import { WorktreeMonitor } from '../../src/services/workspaces/worktreeMonitor';
import { withCode } from '../helpers/errors';
import { commit, git, repository, write } from '../helpers/git';
import { RecordedAgents } from '../helpers/recordedAgents';
import { quiet, suiteTempDir } from '../helpers/storage';
import { openStore } from '../helpers/storeWorker';

/** `git diff --numstat <rev>` as path → [added, deleted] (binary: ['-', '-']), renames under their new path. */
function numstat(cwd: string, rev: string): Map<string, [string, string]> {
  const out = git(cwd, 'diff', '--numstat', '-z', '-M', rev);
  const tokens = out.split('\0');
  const map = new Map<string, [string, string]>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!t) continue;
    const [a = '', d = '', p = ''] = t.split('\t');
    if (p) map.set(p, [a, d]);
    else {
      i += 2;
      map.set(tokens[i]!, [a, d]);
    }
  }
  return map;
}

describe('WorktreeChangesService: what a worktree changed since its base', () => {
  const storeDir = suiteTempDir('cm-changes-store-');
  let store: Store;
  let git_: GitService;
  let service: WorkspaceService;
  let changes: WorktreeChangesService;

  before(async () => {
    store = await openStore(storeDir(), quiet);
    git_ = new GitService({ logger: quiet });
    service = new WorkspaceService({ store, git: git_, logger: quiet, agents: new RecordedAgents(store, 'this-window'), worktreesRoot: () => undefined });
    changes = new WorktreeChangesService({ git: git_, workspaces: service, logger: quiet });
  });
  after(() => {
    changes.dispose();
    return store.close();
  });

  it('lists committed, uncommitted, deleted, renamed, binary and untracked files, with the counts git diff --numstat gives', async () => {
    const repo = repository('listing');
    commit(repo, 'base files', { 'keep.txt': 'a\nb\nc\n', 'gone.txt': 'x\ny\n', 'old name.txt': Array.from({ length: 40 }, (_, i) => `line ${i}\n`).join(''), 'committed-gone.txt': '1\n2\n3\n', 'pic.bin': 'a\0b' });
    const ws = (await service.createWorkspace({ path: repo }))!;
    const wt = await service.createWorktree({ workspaceId: ws.id, branch: 'feature', newBranch: true });
    assert.equal(wt.baseBranch, 'main', 'a new branch off the main worktree records its branch as the base');
    // The base moves on after the worktree was made: its own commits are not the worktree's changes.
    commit(repo, 'later on main', { 'main-only.txt': 'm\n' });
    // Committed on the branch: a rename with an edit, a deletion, a new file.
    git(wt.path, 'mv', 'old name.txt', 'new name.txt');
    writeFileSync(join(wt.path, 'new name.txt'), Array.from({ length: 40 }, (_, i) => `line ${i}\n`).join('') + 'one more\n');
    git(wt.path, 'rm', '--quiet', 'committed-gone.txt');
    commit(wt.path, 'work', { 'added.txt': 'new\nfile\n' });
    // Not committed: an edit, a staged file, a deleted file, a binary edit, untracked files (one in a new folder).
    write(wt.path, { 'keep.txt': 'a\nB\nc\nd\n', 'staged.txt': 's\n', 'pic.bin': 'a\0c' });
    git(wt.path, 'add', 'staged.txt');
    unlinkSync(join(wt.path, 'gone.txt'));
    write(wt.path, { 'loose.txt': 'one\ntwo\nthree', 'new folder/deep/u.txt': 'u\n', 'new folder/v.txt': '' });

    const result = await changes.changes(wt.id);
    const mergeBase = git(wt.path, 'merge-base', 'HEAD', 'main');
    assert.equal(result.mergeBase, mergeBase);
    assert.equal(result.baseBranch, 'main');
    assert.equal(result.baseRecorded, true);
    const shown = result.files.map((f) => [f.path, f.status, f.oldPath ?? '', f.untracked ? 'untracked' : '', f.binary ? 'binary' : `${f.insertions}/${f.deletions}`]);
    assert.deepEqual(shown, [
      ['added.txt', 'A', '', '', '2/0'],
      ['committed-gone.txt', 'D', '', '', '0/3'],
      ['gone.txt', 'D', '', '', '0/2'],
      ['keep.txt', 'M', '', '', '2/1'],
      ['loose.txt', 'A', '', 'untracked', '3/0'],
      ['new folder/deep/u.txt', 'A', '', 'untracked', '1/0'],
      ['new folder/v.txt', 'A', '', 'untracked', '0/0'],
      ['new name.txt', 'R', 'old name.txt', '', '1/0'],
      ['pic.bin', 'M', '', '', 'binary'],
      ['staged.txt', 'A', '', '', '1/0'],
    ]);
    // The tracked counts are git's own.
    const expected = numstat(wt.path, mergeBase);
    for (const f of result.files.filter((f) => !f.untracked)) {
      assert.deepEqual(f.binary ? ['-', '-'] : [String(f.insertions), String(f.deletions)], expected.get(f.path), f.path);
    }
    assert.equal(expected.size, result.files.filter((f) => !f.untracked).length);
    assert.equal(result.insertions, 2 + 2 + 3 + 1 + 1 + 1);
    assert.equal(result.deletions, 3 + 2 + 1);
    assert.ok(!result.files.some((f) => f.path === 'main-only.txt'), 'the base\'s own later commits are not listed');
    // The old side of a diff: the file as it was at the merge-base.
    assert.equal(await changes.fileAt(wt.id, mergeBase, 'keep.txt'), 'a\nb\nc\n');
    assert.deepEqual(changes.knownChanges(wt.id)?.changes, result);
    await assert.rejects(changes.changes((await service.listWorktrees(ws.id)).find((w) => w.isMain)!.id), withCode('INVALID_INPUT', /main worktree/));
  });

  it('records the base at creation: baseRef when it is a local branch, else the main worktree\'s branch', async () => {
    const repo = repository('recorded');
    git(repo, 'branch', 'develop');
    const ws = (await service.createWorkspace({ path: repo }))!;
    const offDevelop = await service.createWorktree({ workspaceId: ws.id, branch: 'off-develop', newBranch: true, baseRef: 'develop' });
    assert.equal(offDevelop.baseBranch, 'develop');
    const offCommit = await service.createWorktree({ workspaceId: ws.id, branch: 'off-commit', newBranch: true, baseRef: git(repo, 'rev-parse', 'HEAD') });
    assert.equal(offCommit.baseBranch, 'main');
    git(repo, 'branch', 'existing');
    const existing = await service.createWorktree({ workspaceId: ws.id, branch: 'existing' });
    assert.equal(existing.baseBranch, 'main');
    assert.equal((await store.worktrees.get(offDevelop.id)).baseBranch, 'develop', 'kept in the store');
    // Set Base Branch: checked, then used.
    await assert.rejects(service.setBaseBranch(offDevelop.id, 'no-such-branch'), withCode('NOT_FOUND', /no branch "no-such-branch"/));
    await assert.rejects(service.setBaseBranch(offDevelop.id, 'off-develop'), withCode('INVALID_INPUT', /itself/));
    const main = (await service.listWorktrees(ws.id)).find((w) => w.isMain)!;
    await assert.rejects(service.setBaseBranch(main.id, 'develop'), withCode('INVALID_INPUT', /main worktree/));
    commit(repo, 'on main only', { 'm.txt': 'm\n' });
    git(offDevelop.path, 'merge', '--quiet', '--no-edit', 'main');
    assert.deepEqual((await changes.changes(offDevelop.id)).files.map((f) => f.path), ['m.txt'], 'against develop, the merged main commit is a change');
    assert.equal((await service.setBaseBranch(offDevelop.id, 'main')).baseBranch, 'main');
    const againstMain = await changes.changes(offDevelop.id);
    assert.deepEqual([againstMain.baseBranch, againstMain.files.length], ['main', 0]);
    assert.equal((await service.setBaseBranch(offDevelop.id, null)).baseBranch, undefined);
    assert.deepEqual(await changes.baseBranch(offDevelop.id), { branch: 'main', recorded: false }, 'forgotten: the repository\'s default');
  });

  it('gives worktrees made elsewhere the repository\'s default base: origin/HEAD, else main, else master, else the main worktree\'s branch', async () => {
    // A clone whose origin's HEAD is "trunk": origin/HEAD → trunk wins over main.
    const origin = repository('origin-repo');
    git(origin, 'switch', '--quiet', '-c', 'trunk');
    commit(origin, 'trunk work', { 't.txt': 't\n' });
    const clone = join(dirname(origin), 'clone');
    git(dirname(origin), 'clone', '--quiet', origin, clone);
    git(clone, 'branch', 'main', 'origin/main');
    const elsewhere = join(dirname(origin), 'clone-side');
    git(clone, 'worktree', 'add', '--quiet', '-b', 'side', elsewhere);
    const base = async (repo: string, path: string) => {
      const ws = (await service.createWorkspace({ path: repo }))!;
      const wt = (await service.listWorktrees(ws.id)).find((w) => w.path === path)!;
      assert.equal(wt.baseBranch, undefined, 'made elsewhere: nothing recorded');
      return changes.baseBranch(wt.id);
    };
    assert.deepEqual(await base(clone, elsewhere), { branch: 'trunk', recorded: false });

    const withMaster = repository('with-master');
    git(withMaster, 'branch', '-m', 'main', 'master');
    git(withMaster, 'switch', '--quiet', '-c', 'work');
    const masterSide = join(dirname(withMaster), 'master-side');
    git(withMaster, 'worktree', 'add', '--quiet', '-b', 'side', masterSide);
    assert.deepEqual(await base(withMaster, masterSide), { branch: 'master', recorded: false });

    const withMain = repository('with-main-and-master');
    git(withMain, 'branch', 'master');
    git(withMain, 'switch', '--quiet', 'master');
    const mainSide = join(dirname(withMain), 'main-side');
    git(withMain, 'worktree', 'add', '--quiet', '-b', 'side', mainSide);
    assert.deepEqual(await base(withMain, mainSide), { branch: 'main', recorded: false }, 'main before master, whatever the main worktree has');

    const neither = repository('neither');
    git(neither, 'branch', '-m', 'main', 'dev');
    const devSide = join(dirname(neither), 'dev-side');
    git(neither, 'worktree', 'add', '--quiet', '-b', 'side', devSide);
    assert.deepEqual(await base(neither, devSide), { branch: 'dev', recorded: false });
  });

  it('finds the files two active worktrees both changed, and not the ones they changed the same way', async () => {
    const repo = repository('colliding');
    commit(repo, 'shared', { 'shared.txt': 'base\n', 'same.txt': 'same\n', 'own-a.txt': 'a\n' });
    const ws = (await service.createWorkspace({ path: repo }))!;
    const a = await service.createWorktree({ workspaceId: ws.id, branch: 'a', newBranch: true });
    const b = await service.createWorktree({ workspaceId: ws.id, branch: 'b', newBranch: true });
    const c = await service.createWorktree({ workspaceId: ws.id, branch: 'c', newBranch: true });
    commit(a.path, 'a changes shared', { 'shared.txt': 'from a\n', 'same.txt': 'both\n', 'own-a.txt': 'a!\n' });
    // b: the same change of same.txt, committed; shared.txt changed differently and not committed.
    commit(b.path, 'b the same', { 'same.txt': 'both\n' });
    write(b.path, { 'shared.txt': 'from b\n', 'new.txt': 'b\n' });
    // c changes only a file of its own.
    write(c.path, { 'c-only.txt': 'c\n' });
    // The main worktree's edits never collide.
    write(repo, { 'shared.txt': 'main edit\n' });
    const collisions = await changes.collisions(ws.id);
    assert.deepEqual(collisions, [{ worktreeIds: [a.id, b.id], files: ['shared.txt'] }]);
    assert.deepEqual(changes.collisionsOf(a.id, ws.id), [{ worktreeId: b.id, files: ['shared.txt'] }]);
    assert.deepEqual(changes.collisionsOf(b.id, ws.id), [{ worktreeId: a.id, files: ['shared.txt'] }]);
    assert.deepEqual(changes.collisionsOf(c.id, ws.id), []);
    // b's change undone: no collision left.
    git(b.path, 'checkout', '--', 'shared.txt');
    await changes.changes(b.id);
    assert.deepEqual(await changes.collisions(ws.id), []);
  });

  it('reads a worktree\'s changes again when the monitor sees it change, and says so', { timeout: 60_000 }, async () => {
    const repo = repository('followed');
    const ws = (await service.createWorkspace({ path: repo }))!;
    const wt = await service.createWorktree({ workspaceId: ws.id, branch: 'followed', newBranch: true });
    const monitor = new WorktreeMonitor({ service, git: git_, logger: quiet, debounceMs: 20, pollIntervalMs: 200 });
    const followed = new WorktreeChangesService({ git: git_, workspaces: service, logger: quiet, monitor });
    after(() => {
      followed.dispose();
      monitor.dispose();
    });
    const counts = () => followed.knownChanges(wt.id)?.changes;
    const until = async (what: string, ok: () => boolean) => {
      const deadline = Date.now() + 30_000;
      while (!ok()) {
        if (Date.now() > deadline) assert.fail(`${what}: ${JSON.stringify(followed.knownChanges(wt.id))}`);
        await new Promise<void>((resolve) => {
          const off = followed.onDidChangeChanges(() => {
            off();
            resolve();
          });
          setTimeout(() => {
            off();
            resolve();
          }, 500);
        });
      }
    };
    await monitor.track([ws.id]);
    monitor.setPolling(true);
    await until('the first read', () => counts()?.files.length === 0);
    write(wt.path, { 'one.txt': '1\n' });
    await until('a new file', () => counts()?.insertions === 1);
    // Content changes that leave the status as it was (the file stays untracked) are caught too.
    write(wt.path, { 'one.txt': '1\n2\n3\n' });
    await until('more lines in the same file', () => counts()?.insertions === 3);
    // Committed: HEAD moves, the file is the branch's now (no longer untracked), its count the same.
    commit(wt.path, 'one', {});
    await until('the commit', () => counts()?.head === git(wt.path, 'rev-parse', 'HEAD'));
    assert.deepEqual(counts()!.files.map((f) => [f.path, f.status, f.untracked ?? false, f.insertions]), [['one.txt', 'A', false, 3]]);
    monitor.setPolling(false);
  });
});

describe('the change list\'s parsing and collisions', () => {
  it('parses raw and numstat records with renames and binary files', () => {
    const sha = (c: string) => c.repeat(40);
    const out = [
      `:100644 100644 ${sha('a')} ${sha('0')} M`, 'a b.txt',
      `:100644 100644 ${sha('b')} ${sha('c')} R090`, 'old/x.ts', 'new/x.ts',
      `:100644 000000 ${sha('d')} ${sha('0')} D`, 'gone\nname',
      `:100644 100644 ${sha('e')} ${sha('0')} M`, 'img.png',
      '3\t1\ta b.txt', '2\t0\t', 'old/x.ts', 'new/x.ts', '0\t4\tgone\nname', '-\t-\timg.png', '',
    ].join('\0');
    assert.deepEqual(parseDiffRawNumstat(out), [
      { path: 'a b.txt', status: 'M', insertions: 3, deletions: 1 },
      { path: 'new/x.ts', oldPath: 'old/x.ts', status: 'R', blob: sha('c'), insertions: 2, deletions: 0 },
      { path: 'gone\nname', status: 'D', insertions: 0, deletions: 4 },
      { path: 'img.png', status: 'M', binary: true },
    ]);
  });

  it('pairs worktrees by the files they share, a rename by both its paths', () => {
    const found = findCollisions([
      { worktreeId: 'w1', files: [{ path: 'src/b.ts', oldPath: 'src/a.ts', status: 'R' }, { path: 'x', status: 'M' }] },
      { worktreeId: 'w2', files: [{ path: 'src/a.ts', status: 'M' }, { path: 'x', status: 'M' }] },
      { worktreeId: 'w3', files: [{ path: 'x', status: 'D' }] },
      { worktreeId: 'w4', files: [{ path: 'x', status: 'D' }] },
    ]);
    assert.deepEqual(found, [
      { worktreeIds: ['w1', 'w2'], files: ['src/a.ts', 'x'] },
      { worktreeIds: ['w1', 'w3'], files: ['x'] },
      { worktreeIds: ['w1', 'w4'], files: ['x'] },
      { worktreeIds: ['w2', 'w3'], files: ['x'] },
      { worktreeIds: ['w2', 'w4'], files: ['x'] },
    ]);
  });
});
