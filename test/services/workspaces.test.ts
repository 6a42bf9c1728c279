import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { recordReliability } from '../helpers/reliability';
import { FileSnapshots } from '../../src/services/agents/fileSnapshots';
import { GitService } from '../../src/services/git/gitService';
import { newId } from '../../src/services/ids';
import { processIsAlive, spawnHere } from '../../src/services/processRunner';
import type { Store } from '../../src/services/storage/store';
import { RecordedAgents } from '../helpers/recordedAgents';
import { WorkspaceService } from '../../src/services/workspaces/workspaceService';
import { WorktreeMonitor } from '../../src/services/workspaces/worktreeMonitor';
import { commit, git, repository, write } from '../helpers/git';
import { withCode } from '../helpers/errors';
import { quiet, suiteTempDir } from '../helpers/storage';
import { openStore } from '../helpers/storeWorker';


describe('WorkspaceService: repositories and worktrees, stored and read from git', () => {
  const storeDir = suiteTempDir('cm-ws-store-');
  let store: Store;
  let service: WorkspaceService;
  let worktreesRoot: string | undefined;

  before(async () => {
    store = await openStore(storeDir(), quiet);
    service = new WorkspaceService({ store, git: new GitService({ logger: quiet }), logger: quiet, agents: new RecordedAgents(store, 'this-window'), worktreesRoot: () => worktreesRoot });
  });
  after(() => store.close());

  it('adds a repository once, from any folder of it or of its worktrees, with its worktrees', async () => {
    const repo = repository('adder');
    const side = join(dirname(repo), 'adder-side');
    git(repo, 'worktree', 'add', '-b', 'side', side);
    const ws = (await service.createWorkspace({ path: side }))!;
    assert.equal(ws.path, repo, 'a worktree folder belongs to its main repository');
    assert.equal(ws.name, 'adder');
    assert.equal((await service.createWorkspace({ path: join(repo) }))!.id, ws.id, 'a known repository returns the same workspace');
    const worktrees = await service.listWorktrees(ws.id);
    assert.deepEqual(
      worktrees.map((w) => [w.name, w.branch, w.path, w.isMain, w.missing, w.locked, w.head.length]),
      [
        ['adder', 'main', repo, true, false, false, 40],
        ['adder-side', 'side', side, false, false, false, 40],
      ],
    );
    await assert.rejects(service.createWorkspace({ path: dirname(repo) }), withCode('NOT_A_REPOSITORY'));
  });

  it('gives the stored worktree rows at once when asked not to wait for git, and announces git\'s answer', { timeout: 60_000 }, async () => {
    const repo = repository('stored-first');
    const side = join(dirname(repo), 'stored-first-side');
    git(repo, 'worktree', 'add', '-b', 'side', side);
    const ws = (await service.createWorkspace({ path: repo }))!;
    // A new window: the same store, git not read yet, and a git that waits for a gate to open.
    const scripts = mkdtempSync(join(tmpdir(), 'cm-gate-'));
    after(() => rmSync(scripts, { recursive: true, force: true }));
    const gate = join(scripts, 'open');
    const gated = join(scripts, 'git.sh');
    writeFileSync(gated, `#!/bin/sh\nwhile [ ! -e '${gate}' ]; do sleep 0.05; done\nexec git "$@"\n`, { mode: 0o755 });
    const fresh = new WorkspaceService({ store, git: new GitService({ logger: quiet, gitPath: gated }), logger: quiet, agents: new RecordedAgents(store, 'this-window'), worktreesRoot: () => undefined });
    const announced = new Promise<void>((resolve) => {
      const off = fresh.onDidChangeWorktrees((e) => {
        if (e.workspaceId !== ws.id) return;
        off();
        resolve();
      });
    });
    const listing = fresh.listWorktrees(ws.id, undefined, { waitForGit: false });
    // Had it waited for git, the gate would hold it: opened after a long while all the same.
    const waited = setTimeout(() => writeFileSync(gate, ''), 10_000);
    const rows = await listing;
    clearTimeout(waited);
    assert.deepEqual(
      rows.map((w) => [w.branch, w.path, w.missing, w.head]),
      [
        ['main', repo, false, ''],
        ['side', side, false, ''],
      ],
      'the stored rows, none marked missing, before git answered',
    );
    writeFileSync(gate, '');
    await announced;
    assert.deepEqual(
      (await fresh.listWorktrees(ws.id)).map((w) => [w.branch, w.head]),
      [
        ['main', git(repo, 'rev-parse', 'HEAD')],
        ['side', git(side, 'rev-parse', 'HEAD')],
      ],
    );
  });

  it('discovering a stored repository, from its folder or a worktree\'s, runs no git; a new one is read from git', async () => {
    const repo = repository('known-at-start');
    const side = join(dirname(repo), 'known-at-start-side');
    git(repo, 'worktree', 'add', '-b', 'side', side);
    const ws = (await service.createWorkspace({ path: repo }))!;
    const runs: string[][] = [];
    const counting = new WorkspaceService({
      store,
      git: new GitService({ logger: quiet, spawn: (request) => (runs.push([...request.args]), spawnHere(request)) }),
      logger: quiet,
      agents: new RecordedAgents(store, 'this-window'),
      worktreesRoot: () => undefined,
    });
    assert.equal((await counting.createWorkspace({ path: repo }, { discovered: true }))?.id, ws.id);
    assert.equal((await counting.createWorkspace({ path: side }, { discovered: true }))?.id, ws.id, 'a worktree of it');
    assert.deepEqual(runs, [], 'no git for what the store knows');
    const other = repository('new-at-start');
    assert.equal((await counting.createWorkspace({ path: other }, { discovered: true }))?.path, other);
    assert.ok(runs.length > 0, 'a repository the store does not know is read from git');
  });

  it('remove forgets a repository and touches no file; discovery skips it until it is added by hand', async () => {
    const repo = repository('forgettable');
    const ws = (await service.createWorkspace({ path: repo }))!;
    const worktreeIds = (await store.worktrees.list(ws.id)).map((w) => w.id);
    assert.ok(worktreeIds.length > 0, 'its main worktree is stored');
    const removed: string[] = [];
    const off = service.onDidRemoveWorktree((id) => removed.push(id));
    await service.deleteWorkspace(ws.id);
    off();
    assert.deepEqual(removed, worktreeIds, 'each of its worktrees is announced as removed');
    assert.ok(existsSync(join(repo, 'README.md')));
    assert.equal(await service.createWorkspace({ path: repo }, { discovered: true }), undefined);
    assert.ok(!(await service.listWorkspaces()).some((w) => w.path === repo));
    const again = (await service.createWorkspace({ path: repo }))!;
    assert.equal(again.path, repo);
    assert.ok(await service.createWorkspace({ path: repo }, { discovered: true }), 'added by hand: discovered again too');
  });

  it('remove deletes the copies of files kept for the repository\'s agents, and only theirs', async () => {
    const kept = join(storeDir(), 'snapshots');
    const snapshots = new FileSnapshots(kept);
    const removing = new WorkspaceService({ store, git: new GitService({ logger: quiet }), logger: quiet, agents: new RecordedAgents(store, 'this-window', snapshots), worktreesRoot: () => undefined });
    const agentsOf = async (name: string) => {
      const repo = repository(name);
      const ws = (await removing.createWorkspace({ path: repo }))!;
      const [wt] = await removing.listWorktrees(ws.id);
      const ids: string[] = [];
      for (const archived of [false, true]) {
        const agent = await store.agents.create({ worktreeId: wt!.id, name: `${name}-${archived}` });
        if (archived) await store.agents.archive(agent.id);
        await snapshots.capture(agent.id, newId('msg'), 'Edit', join(repo, 'README.md'), 'before', repo);
        ids.push(agent.id);
      }
      return { ws, ids };
    };
    const gone = await agentsOf('snapshotted');
    const stays = await agentsOf('snapshotted-other');
    assert.deepEqual(readdirSync(kept).sort(), [...gone.ids, ...stays.ids].sort());
    await removing.deleteWorkspace(gone.ws.id);
    assert.deepEqual(readdirSync(kept).sort(), stays.ids.sort(), 'the removed repository\'s agents (archived ones too) keep nothing');
  });

  it('creates worktrees under the configured root, named after the branch; sees ones added and removed outside', async () => {
    const repo = repository('creator');
    const ws = (await service.createWorkspace({ path: repo }))!;
    const created = await service.createWorktree({ workspaceId: ws.id, branch: 'feature/one', newBranch: true });
    assert.equal(created.path, join(dirname(repo), 'creator.worktrees', 'feature-one'));
    assert.deepEqual([created.branch, created.isMain, created.missing], ['feature/one', false, false]);
    worktreesRoot = join(dirname(repo), 'elsewhere');
    try {
      const other = await service.createWorktree({ workspaceId: ws.id, branch: 'two', newBranch: true });
      assert.equal(other.path, join(dirname(repo), 'elsewhere', 'creator', 'two'));
    } finally {
      worktreesRoot = undefined;
    }
    // Made and removed with the git CLI, outside the service.
    const outside = join(dirname(repo), 'made-outside');
    git(repo, 'worktree', 'add', '-b', 'outside', outside);
    git(repo, 'worktree', 'remove', join(dirname(repo), 'elsewhere', 'creator', 'two'));
    const changed = new Promise<{ workspaceId: string }>((resolve) => {
      const off = service.onDidChangeWorktrees((e) => {
        off();
        resolve(e);
      });
    });
    await service.refreshWorkspace(ws.id);
    assert.deepEqual(await changed, { workspaceId: ws.id });
    assert.deepEqual((await service.listWorktrees(ws.id)).map((w) => w.branch), ['main', 'feature/one', 'outside']);
    // A folder that vanished: listed as missing, then pruned away.
    rmSync(outside, { recursive: true, force: true });
    await service.refreshWorkspace(ws.id);
    assert.equal((await service.listWorktrees(ws.id)).find((w) => w.branch === 'outside')?.missing, true);
    assert.equal((await service.prune(ws.id)).pruned.length, 1);
    assert.deepEqual((await service.listWorktrees(ws.id)).map((w) => w.branch), ['main', 'feature/one']);
  });

  it('sorts worktrees: main first, then free order (persisted), name, or status', async () => {
    const repo = repository('sorter');
    const ws = (await service.createWorkspace({ path: repo }))!;
    const b = await service.createWorktree({ workspaceId: ws.id, branch: 'b-branch', newBranch: true });
    const a = await service.createWorktree({ workspaceId: ws.id, branch: 'a-branch', newBranch: true });
    const main = (await service.listWorktrees(ws.id))[0]!;
    assert.deepEqual((await service.listWorktrees(ws.id)).map((w) => w.name), ['sorter', 'b-branch', 'a-branch']);
    await service.reorderWorktrees(ws.id, [main.id, a.id, b.id]);
    assert.deepEqual((await service.listWorktrees(ws.id)).map((w) => w.name), ['sorter', 'a-branch', 'b-branch']);
    await service.reorderWorktrees(ws.id, [main.id, b.id, a.id]);
    await service.setWorktreeSortMode(ws.id, 'name');
    assert.equal(await service.worktreeSortMode(ws.id), 'name');
    assert.deepEqual((await service.listWorktrees(ws.id)).map((w) => w.name), ['sorter', 'a-branch', 'b-branch']);
    write(a.path, { 'dirty.txt': 'x' });
    await service.setWorktreeSortMode(ws.id, 'status');
    const statuses = new Map([[a.id, await service.gitStatus(a.id)], [b.id, await service.gitStatus(b.id)]]);
    assert.deepEqual((await service.listWorktrees(ws.id, (id) => statuses.get(id))).map((w) => w.name), ['sorter', 'a-branch', 'b-branch'], 'changed before clean');
    await assert.rejects(service.reorderWorktrees(ws.id, [a.id]), withCode('INVALID_INPUT', /exactly once/));
  });

  it('never removes the main worktree, nor a locked one; refuses with running agents unless forced, which stops them', async () => {
    const repo = repository('guarded');
    const ws = (await service.createWorkspace({ path: repo }))!;
    const [main] = await service.listWorktrees(ws.id);
    await assert.rejects(service.deleteWorktree(main!.id, { force: true }), withCode('INVALID_INPUT', /main worktree; it cannot be removed/));
    const locked = await service.createWorktree({ workspaceId: ws.id, branch: 'locked', newBranch: true });
    git(repo, 'worktree', 'lock', '--reason', 'keep me', locked.path);
    await service.refreshWorkspace(ws.id);
    await assert.rejects(service.deleteWorktree(locked.id, { force: true }), withCode('LOCKED', /"keep me"/));

    const busy = await service.createWorktree({ workspaceId: ws.id, branch: 'busy', newBranch: true });
    const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    const agent = await store.agents.create({ worktreeId: busy.id, name: 'worker' });
    await store.agents.update(agent.id, { pid: child.pid!, status: 'running', statusReason: 'thinking' });
    await assert.rejects(service.deleteWorktree(busy.id), withCode('AGENTS_RUNNING', /worker/));
    assert.ok(processIsAlive(child.pid!));
    const removed: string[] = [];
    const off = service.onDidRemoveWorktree((id) => removed.push(id));
    await service.deleteWorktree(busy.id, { force: true });
    off();
    assert.deepEqual(removed, [busy.id], 'its removal is announced once, for what was kept for it');
    assert.equal(processIsAlive(child.pid!), false, 'the agent process was stopped first');
    assert.equal(existsSync(busy.path), false);
    await assert.rejects(store.agents.get(agent.id), withCode('NOT_FOUND'), 'its agents went with it');
  });

  it('refuses to remove a worktree holding an unmerged commit or uncommitted changes, naming them; the work survives', async () => {
    const repo = repository('careful');
    const ws = (await service.createWorkspace({ path: repo }))!;
    const wt = await service.createWorktree({ workspaceId: ws.id, branch: 'precious', newBranch: true });
    const sha = commit(wt.path, 'irreplaceable work', { 'work.txt': 'w' });
    await assert.rejects(service.deleteWorktree(wt.id), withCode('UNSAFE_DELETE', new RegExp(`1 commit on no other branch, remote branch or tag: ${sha.slice(0, 8)} "irreplaceable work"`)));
    assert.ok(existsSync(join(wt.path, 'work.txt')), 'the worktree is still there');
    assert.equal(git(repo, 'cat-file', '-t', sha), 'commit', 'the commit is still there');
    assert.equal(git(repo, 'rev-parse', 'precious'), sha);

    git(repo, 'merge', '--quiet', 'precious');
    write(wt.path, { 'work.txt': 'edited', 'notes.md': 'n' });
    await assert.rejects(service.deleteWorktree(wt.id, { deleteBranch: true }), withCode('UNSAFE_DELETE', /2 uncommitted changes: modified: work\.txt, untracked: notes\.md/));
    assert.ok(existsSync(join(wt.path, 'notes.md')));

    await service.deleteWorktree(wt.id, { force: true, deleteBranch: true });
    assert.equal(existsSync(wt.path), false);
    assert.throws(() => git(repo, 'rev-parse', '--verify', 'refs/heads/precious'), 'the branch went too');
    assert.equal(git(repo, 'cat-file', '-t', sha), 'commit', 'merged into main: nothing was lost');
  });

  it('removes a clean merged worktree without asking; switches branches; reads status and branches', async () => {
    const repo = repository('plain');
    const ws = (await service.createWorkspace({ path: repo }))!;
    const wt = await service.createWorktree({ workspaceId: ws.id, branch: 'topic', newBranch: true });
    assert.deepEqual(await service.removalLoss(wt.id), { loss: { uncommitted: [], commits: [], commitCount: 0 } });
    const switched = await service.checkoutBranch(wt.id, 'topic-2', { create: true });
    assert.equal(switched.branch, 'topic-2');
    assert.equal((await service.gitStatus(wt.id)).branch, 'topic-2');
    assert.deepEqual((await service.listBranches(wt.id)).local.sort(), ['main', 'topic', 'topic-2']);
    await service.deleteWorktree(wt.id);
    assert.equal(existsSync(wt.path), false);
    assert.deepEqual((await service.listWorktrees(ws.id)).map((w) => w.branch), ['main']);
  });

  it('names the work of a detached worktree, and refuses a new branch in a repository without commits', async () => {
    const repo = repository('detached');
    const ws = (await service.createWorkspace({ path: repo }))!;
    const wt = await service.createWorktree({ workspaceId: ws.id, branch: 'temp', newBranch: true });
    git(wt.path, 'switch', '--quiet', '--detach');
    const sha = commit(wt.path, 'experiment', { 'e.txt': 'e' });
    await service.refreshWorkspace(ws.id);
    assert.equal((await service.getWorktree(wt.id)).branch, null);
    await assert.rejects(service.deleteWorktree(wt.id), withCode('UNSAFE_DELETE', new RegExp(`1 commit made on its detached HEAD, on no branch, remote branch or tag: ${sha.slice(0, 8)} "experiment"`)));

    const empty = join(dirname(repo), 'empty-repo');
    mkdirSync(empty);
    git(empty, 'init', '--quiet', '--initial-branch=main');
    const emptyWs = (await service.createWorkspace({ path: empty }))!;
    await assert.rejects(service.createWorktree({ workspaceId: emptyWs.id, branch: 'first', newBranch: true }), withCode('INVALID_INPUT', /no commit yet/));
  });

  it('creates from a remote branch, tracking it', async () => {
    const origin = repository('remote-origin');
    git(origin, 'branch', 'from-remote');
    const clone = join(dirname(origin), 'remote-clone');
    mkdirSync(clone);
    git(clone, 'clone', '--quiet', origin, '.');
    const ws = (await service.createWorkspace({ path: clone }))!;
    const wt = await service.createWorktree({ workspaceId: ws.id, branch: 'origin/from-remote' });
    assert.equal(wt.branch, 'from-remote');
    assert.equal((await service.gitStatus(wt.id)).upstream, 'origin/from-remote');
    await assert.rejects(service.createWorktree({ workspaceId: ws.id, branch: 'origin/nothing-here' }), withCode('NOT_FOUND', /no local branch "origin\/nothing-here" and no remote branch/));
  });
});

describe('A workspace the editor does not trust: no git process, ever', () => {
  const storeDir = suiteTempDir('cm-untrusted-store-');
  let store: Store;

  before(async () => {
    store = await openStore(storeDir(), quiet);
  });
  after(() => store.close());

  it('lists stored repositories from the store only and refuses whatever would run git; a repository\'s core.fsmonitor never runs', async () => {
    const repo = repository('booby-trapped');
    const other = repository('also-trapped');
    const wtPath = join(dirname(repo), 'booby-trapped-side');
    git(repo, 'worktree', 'add', '--quiet', '-b', 'side', wtPath);
    // `git status` and `git ls-files` run the program a repository names as core.fsmonitor.
    const scripts = mkdtempSync(join(tmpdir(), 'cm-fsmonitor-'));
    after(() => rmSync(scripts, { recursive: true, force: true }));
    const marker = join(scripts, 'ran');
    const hook = join(scripts, 'fsmonitor.sh');
    writeFileSync(hook, `#!/bin/sh\necho "$PWD $*" >> '${marker}'\nexit 1\n`, { mode: 0o755 });
    // Proof that the trap is live: git runs it.
    git(repo, 'config', 'core.fsmonitor', hook);
    git(other, 'config', 'core.fsmonitor', hook);
    git(repo, 'status');
    assert.ok(existsSync(marker), 'git status runs core.fsmonitor');
    rmSync(marker);

    let trusted = true;
    const gitService = new GitService({ logger: quiet, trusted: () => trusted });
    const service = new WorkspaceService({ store, git: gitService, logger: quiet, agents: new RecordedAgents(store, 'w'), worktreesRoot: () => undefined });
    // Stored while trusted (adding reads `rev-parse` and `worktree list`, which run no fsmonitor).
    const ws = (await service.createWorkspace({ path: repo }))!;
    assert.equal(existsSync(marker), false, 'adding a repository ran no fsmonitor');

    // The window opens in Restricted Mode with that repository stored.
    trusted = false;
    const fresh = new WorkspaceService({ store, git: gitService, logger: quiet, agents: new RecordedAgents(store, 'w'), worktreesRoot: () => undefined });
    const monitor = new WorktreeMonitor({ service: fresh, git: gitService, logger: quiet, pollIntervalMs: 50, debounceMs: 10 });
    after(() => monitor.dispose());
    const untrusted = withCode('UNTRUSTED_WORKSPACE', /runs no git while this workspace is not trusted.*Manage Workspace Trust/);

    assert.deepEqual((await fresh.listWorkspaces()).map((w) => w.path), [repo]);
    const rows = await fresh.listWorktrees(ws.id);
    assert.deepEqual(rows.map((w) => [w.path, w.branch, w.isMain]).sort(), [[repo, 'main', true], [wtPath, 'side', false]].sort(), 'the stored rows, as stored');
    const side = rows.find((w) => !w.isMain)!;
    assert.equal((await fresh.getWorktree(side.id)).path, wtPath);
    // The tree's watching and polling, and every command that reads or writes with git.
    monitor.setPolling(true);
    await monitor.track([ws.id]);
    await monitor.refreshAll();
    await monitor.refreshWorktree(side.id);
    assert.equal(existsSync(marker), false, `the tree's status reading ran the repository's fsmonitor: ${existsSync(marker) ? readFileSync(marker, 'utf8') : ''}`);
    assert.equal(monitor.watchCount, 0, 'nothing is watched: finding the git folder runs git');
    await assert.rejects(fresh.createWorkspace({ path: other }), untrusted);
    await assert.rejects(fresh.refreshWorkspace(ws.id), untrusted);
    await assert.rejects(fresh.gitStatus(side.id), untrusted);
    await assert.rejects(fresh.listBranches(side.id), untrusted);
    await assert.rejects(fresh.createWorktree({ workspaceId: ws.id, branch: 'new', newBranch: true }), untrusted);
    await assert.rejects(fresh.checkoutBranch(side.id, 'other', { create: true }), untrusted);
    await assert.rejects(fresh.removalLoss(side.id), untrusted);
    await assert.rejects(fresh.deleteWorktree(side.id, { force: true }), untrusted);
    await assert.rejects(fresh.prune(ws.id), untrusted);
    await assert.rejects(gitService.listFiles(repo), untrusted);
    await assert.rejects(gitService.status(other), untrusted);
    // Everything settled (the poll had time to run several times).
    await new Promise((resolve) => setTimeout(resolve, 300));
    monitor.dispose();
    assert.equal(existsSync(marker), false, `git ran a repository's fsmonitor in an untrusted workspace: ${existsSync(marker) ? readFileSync(marker, 'utf8') : ''}`);
    assert.ok(existsSync(wtPath), 'the worktree is untouched');
    recordReliability({ area: 'Git in an untrusted window', what: 'the tree\'s status reading, watching and polling, and 11 calls that would run git, on a repository whose core.fsmonitor writes a marker', count: 12, outcome: '0 git processes: the marker was never written; each call refused with UNTRUSTED_WORKSPACE', test: 'test/services/workspaces.test.ts' });
  });
});
