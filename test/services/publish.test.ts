import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GitService } from '../../src/services/git/gitService';
import type { Store } from '../../src/services/storage/store';
import { MergeService } from '../../src/services/workspaces/merge';
import { compareUrl, PublishService } from '../../src/services/workspaces/publish';
import { WorkspaceService } from '../../src/services/workspaces/workspaceService';
import { withCode } from '../helpers/errors';
import { commit, git, repository } from '../helpers/git';
import { RecordedAgents } from '../helpers/recordedAgents';
import { quiet, suiteTempDir } from '../helpers/storage';
import { openStore } from '../helpers/storeWorker';

describe('compareUrl: the host\'s page for a pull request', () => {
  it('knows GitHub and GitLab remotes in https, ssh and scp-like forms, and no other host', () => {
    assert.equal(compareUrl('https://github.com/acme/app.git', 'main', 'feat/x'), 'https://github.com/acme/app/compare/main...feat/x?expand=1');
    assert.equal(compareUrl('git@github.com:acme/app.git', 'main', 'feat'), 'https://github.com/acme/app/compare/main...feat?expand=1');
    assert.equal(compareUrl('ssh://git@github.com/acme/app', 'dev', 'feat'), 'https://github.com/acme/app/compare/dev...feat?expand=1');
    assert.equal(
      compareUrl('git@gitlab.com:group/sub/app.git', 'main', 'feat/x'),
      'https://gitlab.com/group/sub/app/-/merge_requests/new?merge_request%5Bsource_branch%5D=feat%2Fx&merge_request%5Btarget_branch%5D=main',
    );
    assert.equal(compareUrl('https://git.example.org/acme/app.git', 'main', 'feat'), undefined);
    assert.equal(compareUrl('/srv/git/app.git', 'main', 'feat'), undefined);
  });
});

describe('PublishService: push with upstream, then a pull request through gh when it is there', () => {
  const storeDir = suiteTempDir('cm-publish-store-');
  let store: Store;
  let workspaces: WorkspaceService;
  let publish: PublishService;
  const savedPath = process.env.PATH;

  before(async () => {
    store = await openStore(storeDir(), quiet);
    const git = new GitService({ logger: quiet });
    workspaces = new WorkspaceService({ store, git, logger: quiet, agents: new RecordedAgents(store, 'this-window'), worktreesRoot: () => undefined });
    const merges = new MergeService({ store, git, workspaces, logger: quiet, worktreesRoot: () => undefined });
    publish = new PublishService({ store, git, workspaces, logger: quiet, baseBranch: (id) => merges.baseBranch(id) });
  });
  after(async () => {
    process.env.PATH = savedPath;
    await store.close();
  });

  /** A repository whose origin reads as GitHub but pushes to a local bare repository. */
  async function setup(name: string) {
    const repo = repository(name);
    const bare = join(dirname(repo), `${name}-remote.git`);
    git(dirname(repo), 'init', '--quiet', '--bare', bare);
    git(repo, 'remote', 'add', 'origin', 'https://github.com/acme/app.git');
    git(repo, 'remote', 'set-url', '--push', 'origin', bare);
    const ws = (await workspaces.createWorkspace({ path: repo }))!;
    const wt = await workspaces.createWorktree({ workspaceId: ws.id, branch: 'fix-login', newBranch: true });
    return { repo, bare, wt };
  }

  it('pushes the branch to its remote and sets its upstream', async () => {
    const { bare, wt } = await setup('push');
    commit(wt.path, 'Fix the login form', { 'login.txt': 'fixed\n' });
    assert.deepEqual(await publish.push(wt.id), { remote: 'origin', branch: 'fix-login', upstream: 'origin/fix-login' });
    assert.equal(git(bare, 'rev-parse', 'refs/heads/fix-login'), git(wt.path, 'rev-parse', 'HEAD'));
    assert.equal(git(wt.path, 'rev-parse', '--abbrev-ref', '@{upstream}'), 'origin/fix-login');
  });

  it('refuses to push without a remote, saying how to add one', async () => {
    const repo = repository('no-remote');
    const ws = (await workspaces.createWorkspace({ path: repo }))!;
    const wt = await workspaces.createWorktree({ workspaceId: ws.id, branch: 'lonely', newBranch: true });
    await assert.rejects(publish.push(wt.id), withCode('NO_REMOTE', /git remote add origin/));
  });

  it('drafts the pull request from the branch\'s commits', async () => {
    const { wt } = await setup('draft');
    commit(wt.path, 'Fix the login form\n\nThe button was hidden.', { 'a.txt': 'a\n' });
    assert.deepEqual(await publish.draft(wt.id), { title: 'Fix the login form', body: 'The button was hidden.', base: 'main', head: 'fix-login' });
    commit(wt.path, 'Test the login form', { 'b.txt': 'b\n' });
    assert.deepEqual(await publish.draft(wt.id), { title: 'Fix login', body: '- Fix the login form\n- Test the login form', base: 'main', head: 'fix-login' });
  });

  it('without gh on PATH says so and offers the host\'s compare page; nothing is recorded', async () => {
    const { wt } = await setup('no-gh');
    commit(wt.path, 'Fix', { 'a.txt': 'a\n' });
    await publish.push(wt.id);
    // PATH holds git and nothing else, so there is no gh whatever the machine has.
    const bin = mkdtempSync(join(tmpdir(), 'cm-nogh-'));
    after(() => rmSync(bin, { recursive: true, force: true }));
    symlinkSync(execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim(), join(bin, 'git'));
    const draft = await publish.draft(wt.id);
    process.env.PATH = bin;
    try {
      const outcome = await publish.createPullRequest(wt.id, draft);
      assert.deepEqual(outcome, {
        status: 'no-gh',
        reason: 'The GitHub CLI (gh) is not installed, so no pull request was created. Open it on the host\'s page instead.',
        compareUrl: 'https://github.com/acme/app/compare/main...fix-login?expand=1',
      });
    } finally {
      process.env.PATH = savedPath;
    }
    assert.equal((await store.worktrees.get(wt.id)).pullRequestUrl, undefined);
  });

  it('with gh logged in, creates the pull request with the edited title and body, and keeps its address', async () => {
    const { wt } = await setup('with-gh');
    commit(wt.path, 'Fix', { 'a.txt': 'a\n' });
    await publish.push(wt.id);
    // A stand-in for gh (the real one cannot reach a host here): it records its arguments, one per line.
    const bin = mkdtempSync(join(tmpdir(), 'cm-gh-'));
    after(() => rmSync(bin, { recursive: true, force: true }));
    const record = join(bin, 'calls.txt');
    writeFileSync(join(bin, 'gh'), `#!/bin/sh\nprintf '%s\\n' "$@" "--" >> '${record}'\n[ "$1" = pr ] && echo "https://github.com/acme/app/pull/7"\nexit 0\n`, { mode: 0o755 });
    process.env.PATH = `${bin}${delimiter}${savedPath}`;
    try {
      const outcome = await publish.createPullRequest(wt.id, { title: 'Fix the login', body: 'Edited body\nsecond line', base: 'main', head: 'fix-login' });
      assert.deepEqual(outcome, { status: 'created', url: 'https://github.com/acme/app/pull/7' });
    } finally {
      process.env.PATH = savedPath;
    }
    assert.equal(readFileSync(record, 'utf8'), ['auth', 'status', '--', 'pr', 'create', '--head', 'fix-login', '--base', 'main', '--title', 'Fix the login', '--body', 'Edited body', 'second line', '--', ''].join('\n'));
    assert.equal((await store.worktrees.get(wt.id)).pullRequestUrl, 'https://github.com/acme/app/pull/7');
  });
});
