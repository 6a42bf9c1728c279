import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { germanLocaleEnv } from '../../scripts/lib/testEnv.mjs';
import { GitService, worktreePathFor } from '../../src/services/git/gitService';
import { processIsAlive, type SpawnFn } from '../../src/services/processRunner';
import { parseStatus, parseWorktreeList } from '../../src/services/git/porcelain';
import { commit, git, repository, write } from '../helpers/git';
import { withCode } from '../helpers/errors';
import { spawnHost } from '../helpers/spawnWorker';
import { quiet } from '../helpers/storage';


const service = new GitService({ logger: quiet });
// The editor starts git from its spawn worker (a start forks the extension host).
const worker = spawnHost(quiet);
after(() => worker.dispose());

describe('git output parsers', () => {
  it('read worktree lists and status with odd paths, renames and every attribute', () => {
    const list = parseWorktreeList(
      'worktree /r\0HEAD aaa\0branch refs/heads/main\0\0worktree /w t\nx\0HEAD bbb\0detached\0locked reason here\0prunable gitdir file points to non-existent location\0\0',
    );
    assert.deepEqual(
      list.map((w) => [w.path, w.head, w.branch, w.detached, w.locked, w.prunable, w.isMain]),
      [
        ['/r', 'aaa', 'main', false, undefined, undefined, true],
        ['/w t\nx', 'bbb', null, true, 'reason here', 'gitdir file points to non-existent location', false],
      ],
    );
    const status = parseStatus(
      '# branch.oid abc\0# branch.head feature/x\0# branch.upstream origin/feature/x\0# branch.ab +2 -3\0' +
        '1 M. N... 100644 100644 100644 h1 h2 staged file.txt\0' +
        '1 .M N... 100644 100644 100644 h1 h2 dir/mod ified.txt\0' +
        '2 R. N... 100644 100644 100644 h1 h2 R100 new name.txt\0old name.txt\0' +
        'u UU N... 100644 100644 100644 100644 h1 h2 h3 both.txt\0' +
        '? new file.txt\0',
    );
    assert.deepEqual(status, {
      branch: 'feature/x',
      head: 'abc',
      upstream: 'origin/feature/x',
      ahead: 2,
      behind: 3,
      staged: ['staged file.txt', 'new name.txt'],
      modified: ['dir/mod ified.txt'],
      untracked: ['new file.txt'],
      conflicted: ['both.txt'],
      isClean: false,
    });
  });
});

describe('GitService on real repositories', () => {
  it('starts git through the spawn function it is given, with what it reads unchanged', async () => {
    const repo = repository('spawned');
    write(repo, { 'changed.txt': 'x' });
    const started: string[][] = [];
    const through = new GitService({ logger: quiet, spawn: (request) => (started.push([...request.args]), worker.spawn(request)) });
    assert.deepEqual(await through.status(repo), await service.status(repo));
    assert.deepEqual(await through.listWorktrees(repo), await service.listWorktrees(repo));
    assert.deepEqual(
      started.map((args) => args.find((a) => a === 'status' || a === 'worktree')),
      ['status', 'worktree'],
      'each command was started by the spawn function',
    );
    const noGit = new GitService({ logger: quiet, gitPath: 'git-that-is-not-installed', spawn: worker.spawn });
    await assert.rejects(noGit.status(repo), withCode('GIT_FAILED', /git was not found \("git-that-is-not-installed"\)/));
  });

  it('says git was lost, not missing, when the spawn worker stops under it, and frees its slot', { timeout: 60_000 }, async () => {
    const repo = repository('worker-lost');
    const scripts = mkdtempSync(join(tmpdir(), 'cm-lost-'));
    const pidFile = join(scripts, 'pid');
    const hookPid = () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0);
    after(() => {
      if (hookPid() > 0 && alive(hookPid())) process.kill(hookPid(), 'SIGKILL');
      rmSync(scripts, { recursive: true, force: true });
    });
    const hook = join(scripts, 'fsmonitor.sh');
    writeFileSync(hook, `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 300\n`, { mode: 0o755 });
    git(repo, 'config', 'core.fsmonitor', hook);
    const doomed = spawnHost(quiet);
    const one = new GitService({ logger: quiet, maxConcurrent: 1, spawn: doomed.spawn });
    const hung = one.status(repo);
    const deadline = Date.now() + 20_000;
    while (hookPid() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(hookPid() > 0, 'git ran its fsmonitor');
    await doomed.dispose();
    await assert.rejects(hung, withCode('GIT_FAILED', /Reading the status of .* failed: .*was lost: the spawn worker stopped/));
    // The next command starts a new worker and runs in the freed slot.
    git(repo, 'config', '--unset', 'core.fsmonitor');
    assert.equal((await one.status(repo)).isClean, true);
  });

  it('lists a worktree\'s files: tracked and untracked, not ignored, each once', async () => {
    const repo = repository('lister');
    mkdirSync(join(repo, 'src', 'deep'), { recursive: true });
    writeFileSync(join(repo, '.gitignore'), 'build/\n');
    writeFileSync(join(repo, 'src', 'deep', 'tracked é.ts'), 'x');
    git(repo, 'add', '.');
    git(repo, 'commit', '--quiet', '-m', 'files');
    writeFileSync(join(repo, 'src', 'deep', 'tracked é.ts'), 'changed');
    writeFileSync(join(repo, 'new.txt'), 'untracked');
    mkdirSync(join(repo, 'build'));
    writeFileSync(join(repo, 'build', 'out.js'), 'ignored');
    const files = (await service.listFiles(repo)).sort();
    assert.ok(files.includes('src/deep/tracked é.ts') && files.includes('new.txt') && files.includes('.gitignore'), JSON.stringify(files));
    assert.ok(!files.some((f) => f.startsWith('build/')), 'ignored files are left out');
    assert.equal(new Set(files).size, files.length, 'a modified file is listed once');
  });

  it('finds the main repository from a subfolder and from a worktree, and refuses what is not one', async () => {
    const repo = repository('finder');
    mkdirSync(join(repo, 'sub', 'deeper'), { recursive: true });
    const wt = join(dirname(repo), 'finder-wt');
    git(repo, 'worktree', 'add', '-b', 'side', wt);
    for (const from of [repo, join(repo, 'sub', 'deeper'), wt]) {
      const info = await service.repository(from);
      assert.equal(info.mainPath, repo, from);
      assert.equal(realpathSync(info.commonDir), join(repo, '.git'));
    }
    const plain = join(dirname(repo), 'plain-folder');
    mkdirSync(plain);
    await assert.rejects(service.repository(plain), withCode('NOT_A_REPOSITORY', /is not inside a git repository/));
    await assert.rejects(service.repository(join(dirname(repo), 'nowhere')), withCode('NOT_A_REPOSITORY', /is not a folder/));
    const bare = join(dirname(repo), 'bare.git');
    git(dirname(repo), 'clone', '--quiet', '--bare', repo, bare);
    await assert.rejects(service.repository(bare), withCode('NOT_A_REPOSITORY', /bare repository/));
  });

  it('creates worktrees from a new branch off a base, from a local branch, and from a remote branch with tracking', async () => {
    const origin = repository('origin-repo');
    commit(origin, 'on main', { 'a.txt': 'a' });
    git(origin, 'branch', 'remote-only');
    const parent = dirname(origin);
    const repo = join(parent, 'clone');
    git(parent, 'clone', '--quiet', origin, repo);
    const base = git(repo, 'rev-parse', 'HEAD~1');
    const root = join(parent, 'clone.worktrees');

    await service.addWorktree(repo, { path: join(root, 'feature-new'), branch: 'feature/new', newBranch: true, baseRef: base });
    assert.equal(git(join(root, 'feature-new'), 'rev-parse', 'HEAD'), base, 'the new branch starts at the base');
    assert.equal(git(join(root, 'feature-new'), 'branch', '--show-current'), 'feature/new');

    git(repo, 'branch', 'existing');
    await service.addWorktree(repo, { path: join(root, 'existing'), branch: 'existing' });
    assert.equal(git(join(root, 'existing'), 'branch', '--show-current'), 'existing');

    await service.addWorktree(repo, { path: join(root, 'remote-only'), branch: 'origin/remote-only', remoteBranch: true });
    assert.equal(git(join(root, 'remote-only'), 'rev-parse', '--abbrev-ref', '@{upstream}'), 'origin/remote-only');

    const list = await service.listWorktrees(repo);
    assert.deepEqual(list[0]?.isMain && list[0].path, repo, 'the main worktree comes first');
    assert.deepEqual(
      list.map((w) => [w.path, w.branch, w.isMain]).sort(),
      [
        [repo, 'main', true],
        [join(root, 'feature-new'), 'feature/new', false],
        [join(root, 'existing'), 'existing', false],
        [join(root, 'remote-only'), 'remote-only', false],
      ].sort(),
    );
    const branches = await service.branches(repo);
    assert.equal(branches.current, 'main');
    assert.deepEqual(branches.local.sort(), ['existing', 'feature/new', 'main', 'remote-only']);
    assert.deepEqual(branches.remote.sort(), ['origin/main', 'origin/remote-only']);
  });

  it('refuses with a clear error: branch in use, path taken, bad names, unknown branches, a missing git', async () => {
    const repo = repository('refusals');
    const root = join(dirname(repo), 'refusals.worktrees');
    await assert.rejects(service.addWorktree(repo, { path: join(root, 'x'), branch: 'main' }), withCode('BRANCH_IN_USE', /"main" is already checked out in the worktree at/));
    mkdirSync(join(root, 'taken'), { recursive: true });
    writeFileSync(join(root, 'taken', 'file'), 'x');
    await assert.rejects(service.addWorktree(repo, { path: join(root, 'taken'), branch: 'taken', newBranch: true }), withCode('PATH_EXISTS', /already exists and is not empty/));
    for (const bad of ['a..b', 'has space', '-dash', 'end/', 'x.lock', '']) {
      await assert.rejects(service.addWorktree(repo, { path: join(root, 'bad'), branch: bad, newBranch: true }), withCode('INVALID_INPUT', /not a valid branch name/), bad);
    }
    await assert.rejects(service.addWorktree(repo, { path: join(root, 'n'), branch: 'main', newBranch: true }), withCode('INVALID_INPUT', /already exists/));
    await assert.rejects(service.addWorktree(repo, { path: join(root, 'n'), branch: 'nope' }), withCode('NOT_FOUND', /no local branch "nope"/));
    await assert.rejects(service.addWorktree(repo, { path: join(root, 'n'), branch: 'nope', newBranch: true, baseRef: 'no-such-base' }), withCode('INVALID_INPUT'));
    assert.equal(existsSync(join(root, 'n')), false, 'a refused create leaves no folder');
    const noGit = new GitService({ logger: quiet, gitPath: 'git-that-is-not-installed' });
    await assert.rejects(noGit.status(repo), withCode('GIT_FAILED', /git was not found \("git-that-is-not-installed"\)/));
  });

  it('reads status: staged, modified, untracked, conflicted, and ahead/behind the upstream', async () => {
    const origin = repository('status-origin');
    const parent = dirname(origin);
    const repo = join(parent, 'status-clone');
    git(parent, 'clone', '--quiet', origin, repo);
    assert.deepEqual(await service.status(repo), {
      branch: 'main', head: git(repo, 'rev-parse', 'HEAD'), upstream: 'origin/main', ahead: 0, behind: 0,
      staged: [], modified: [], untracked: [], conflicted: [], isClean: true,
    });
    commit(repo, 'local 1', { 'l1.txt': '1' });
    commit(repo, 'local 2', { 'l2.txt': '2' });
    commit(origin, 'remote 1', { 'r1.txt': '1' });
    git(repo, 'fetch', '--quiet');
    write(repo, { 'README.md': 'changed\n', 'staged.txt': 's', 'new dir/untracked file.txt': 'u' });
    git(repo, 'add', 'staged.txt');
    const status = await service.status(repo);
    assert.deepEqual(
      [status.ahead, status.behind, status.staged, status.modified, status.untracked, status.isClean],
      [2, 1, ['staged.txt'], ['README.md'], ['new dir/'], false],
    );
    // A conflict: both sides changed one line.
    git(repo, 'stash', '--include-untracked');
    commit(origin, 'remote edit', { 'README.md': 'theirs\n' });
    commit(repo, 'local edit', { 'README.md': 'ours\n' });
    git(repo, 'fetch', '--quiet');
    assert.throws(() => git(repo, 'merge', 'origin/main'));
    assert.deepEqual((await service.status(repo)).conflicted, ['README.md']);
  });

  it('lists locked and missing worktrees, refuses to remove a locked one, prunes a missing one', async () => {
    const repo = repository('locks');
    const root = join(dirname(repo), 'locks.worktrees');
    await service.addWorktree(repo, { path: join(root, 'held'), branch: 'held', newBranch: true });
    git(repo, 'worktree', 'lock', '--reason', 'on a USB disk', join(root, 'held'));
    await service.addWorktree(repo, { path: join(root, 'gone'), branch: 'gone', newBranch: true });
    rmSync(join(root, 'gone'), { recursive: true, force: true });
    const list = await service.listWorktrees(repo);
    assert.equal(list.find((w) => w.path.endsWith('held'))?.locked, 'on a USB disk');
    assert.ok(list.find((w) => w.path.endsWith('gone'))?.prunable, 'the worktree whose folder vanished is prunable');
    await assert.rejects(service.removeWorktree(repo, join(root, 'held')), withCode('LOCKED', /locked/));
    assert.ok(existsSync(join(root, 'held')));
    assert.deepEqual(await service.prune(repo), [join(root, 'gone')]);
    assert.deepEqual((await service.listWorktrees(repo)).map((w) => w.path), [repo, join(root, 'held')]);
  });

  it('switches a worktree to another branch or a new one, and refuses when local changes would be overwritten', async () => {
    const repo = repository('switching');
    commit(repo, 'two', { 'f.txt': 'main version\n' });
    git(repo, 'branch', 'other', 'HEAD~1');
    await service.checkout(repo, 'other');
    assert.equal(git(repo, 'branch', '--show-current'), 'other');
    await service.checkout(repo, 'brand-new', { create: true });
    assert.equal(git(repo, 'branch', '--show-current'), 'brand-new');
    write(repo, { 'f.txt': 'uncommitted\n' });
    await assert.rejects(service.checkout(repo, 'main'), withCode('GIT_FAILED', /would be overwritten|Commit or stash/));
    assert.equal(git(repo, 'branch', '--show-current'), 'brand-new');
  });

  it('finds the commits only one branch or a detached HEAD holds, and the uncommitted files', async () => {
    const repo = repository('losses');
    const wt = join(dirname(repo), 'losses-wt');
    git(repo, 'worktree', 'add', '-b', 'work', wt);
    assert.deepEqual(await service.unmergedCommits(repo, 'work', 'work'), { commits: [], count: 0 }, 'a branch at main holds nothing of its own');
    const sha = commit(wt, 'only on work', { 'w.txt': 'w' });
    const only = await service.unmergedCommits(repo, 'work', 'work');
    assert.deepEqual(only, { commits: [{ sha, subject: 'only on work' }], count: 1 });
    git(repo, 'merge', '--quiet', 'work');
    assert.equal((await service.unmergedCommits(repo, 'work', 'work')).count, 0, 'merged into main: held by main too');
    write(wt, { 'w.txt': 'changed', 'n.txt': 'new' });
    const report = await service.lossReport(wt);
    assert.deepEqual(report.uncommitted, ['modified: w.txt', 'untracked: n.txt']);
    git(wt, 'checkout', '--quiet', '--detach');
    git(wt, 'stash', '--include-untracked');
    const detachedSha = commit(wt, 'detached work', { 'd.txt': 'd' });
    assert.deepEqual((await service.lossReport(wt)).commits, [{ sha: detachedSha, subject: 'detached work' }]);
  });

  it('puts worktrees under a root named after the repository, one folder per branch, never outside it', () => {
    assert.deepEqual(worktreePathFor('/src/app', 'feature/login'), { root: '/src/app.worktrees', path: '/src/app.worktrees/feature-login' });
    assert.deepEqual(worktreePathFor('/src/app', 'fix', '/data/trees'), { root: '/data/trees/app', path: '/data/trees/app/fix' });
    assert.deepEqual(worktreePathFor('/src/app', 'fix', 'trees'), { root: '/src/trees/app', path: '/src/trees/app/fix' });
    for (const hostile of ['..', '.', '../../etc', '..evil', '/abs/path', 'a/../../b', '\\\\server\\share']) {
      const { root, path } = worktreePathFor('/src/app', hostile);
      assert.equal(dirname(path), root, `${hostile} → ${path}`);
      assert.ok(!path.split('/').includes('..'), `${hostile} → ${path}`);
    }
  });
});

/** Whether a process lives (a zombie, ended but not yet reaped by its new parent, does not). */
function alive(pid: number): boolean {
  if (!processIsAlive(pid)) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Runs `body` with the extension host's environment replaced by `env`, then puts it back. */
async function withProcessEnv<T>(env: NodeJS.ProcessEnv, body: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  const replace = (next: NodeJS.ProcessEnv) => {
    for (const key of Object.keys(process.env)) delete process.env[key];
    Object.assign(process.env, next);
  };
  replace(env);
  try {
    return await body();
  } finally {
    replace(saved);
  }
}

for (const [where, spawn] of [['on this thread', undefined], ['from the spawn worker', worker.spawn]] as [string, SpawnFn | undefined][]) {
  describe(`git under the user's locale, and a git that hangs (started ${where})`, () => {
    const service = new GitService({ logger: quiet, spawn });
    it('reads git\'s errors whatever language the user\'s editor runs in (LANG=de_DE.UTF-8)', async () => {
      const german: NodeJS.ProcessEnv = germanLocaleEnv();
      const repo = repository('deutsch');
      const plain = mkdtempSync(join(tmpdir(), 'cm-plain-'));
      after(() => rmSync(plain, { recursive: true, force: true }));
      // The precondition: in this environment git itself speaks German.
      const said = spawnSync('git', ['status'], { cwd: plain, env: german, encoding: 'utf8' });
      assert.match(said.stderr, /Kein Git-Repository/, `git does not speak German here, so this test would prove nothing: ${said.stderr}`);
      await withProcessEnv(german, async () => {
        await assert.rejects(service.repository(plain), withCode('NOT_A_REPOSITORY', /is not inside a git repository/));
        await assert.rejects(
          service.addWorktree(repo, { path: join(dirname(repo), 'deutsch-wt'), branch: 'main' }),
          withCode('BRANCH_IN_USE', /"main" is already checked out in the worktree at/),
        );
      });
    });

    it('ends a git that hangs with everything it started, names the command and folder, and frees its slot', { timeout: 60_000 }, async () => {
      const repo = repository('hanging');
      const other = repository('answering');
      const scripts = mkdtempSync(join(tmpdir(), 'cm-hang-'));
      const pidFile = join(scripts, 'pid');
      const hookPid = () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0);
      after(() => {
        // Should the test fail, nothing it started is left behind.
        if (hookPid() > 0 && alive(hookPid())) process.kill(hookPid(), 'SIGKILL');
        rmSync(scripts, { recursive: true, force: true });
      });
      // The repository's own configuration makes `git status` run a program that never answers.
      const hook = join(scripts, 'fsmonitor.sh');
      writeFileSync(hook, `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 300\n`, { mode: 0o755 });
      git(repo, 'config', 'core.fsmonitor', hook);
      const one = new GitService({ logger: quiet, maxConcurrent: 1, timeoutMs: 1500, spawn });
      const hung = one.status(repo);
      // Waits for the only slot, which the hung git holds.
      const next = one.status(other);
      await assert.rejects(
        hung,
        withCode('GIT_FAILED', new RegExp(`"git status --porcelain=v2 --branch -z" in ${repo.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} did not finish within 1\\.5 s and was ended\\. .*Run that command in a terminal`)),
      );
      const pid = hookPid();
      assert.ok(pid > 0, 'the hook ran');
      assert.equal(alive(pid), false, 'the program git started was ended with it');
      assert.equal((await next).isClean, true, 'the slot is free again: the next command ran');
    });
  });
}
