import * as assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { WorkspaceService } from '../../src/services/workspaces/workspaceService';
import { copyWorktreeIncludes } from '../../src/services/workspaces/worktreeInclude';
import { commit, git, repository, write } from '../helpers/git';
import { RecordingLogger, suiteTempDir } from '../helpers/storage';
import { workspacesSuite } from '../helpers/workspacesSuite';

describe('.worktreeinclude: the ignored files a new worktree gets copies of, on real repositories', () => {
  const log = new RecordingLogger();
  const suite = workspacesSuite('include', { logger: log });
  const outside = suiteTempDir('cm-include-outside-');
  const git0 = suite.git;
  let service: WorkspaceService;
  before(() => ({ service } = suite));

  it('copies what is both listed and ignored, keeps folders, and skips a tracked file, a link, a file the worktree has, and a pattern reaching out, saying why', async () => {
    const repo = repository('include');
    commit(repo, 'ignore rules', {
      '.gitignore': '.env\nsecrets/\n*.local.json\nlink.env\nnot-listed.txt\n',
      'tracked.env': 'tracked: never copied\n',
      'README.md': 'hello\n',
    });
    // A branch that tracks a file main ignores: its worktree has that file already.
    git(repo, 'switch', '--quiet', '-c', 'has-local');
    write(repo, { 'app.local.json': '{"from":"the branch"}\n' });
    git(repo, 'add', '--force', 'app.local.json');
    git(repo, 'commit', '--quiet', '-m', 'track a local file');
    git(repo, 'switch', '--quiet', 'main');
    write(repo, {
      '.worktreeinclude': '# local settings\n*.env\nsecrets/\n*.local.json\n../escape.txt\n',
      '.env': 'KEY=value\n',
      'secrets/deep/key.txt': 'secret\n',
      'app.local.json': '{"from":"main"}\n',
      'not-listed.txt': 'ignored but not listed\n',
      'listed-not-ignored.env': 'untracked, not ignored\n',
    });
    writeFileSync(join(outside(), 'target.txt'), 'outside the repository\n');
    symlinkSync(join(outside(), 'target.txt'), join(repo, 'link.env'));
    const ws = (await service.createWorkspace({ path: repo }))!;

    const wt = await service.createWorktree({ workspaceId: ws.id, branch: 'feature', newBranch: true });
    assert.equal(readFileSync(join(wt.path, '.env'), 'utf8'), 'KEY=value\n');
    assert.equal(readFileSync(join(wt.path, 'secrets', 'deep', 'key.txt'), 'utf8'), 'secret\n');
    assert.equal(readFileSync(join(wt.path, 'app.local.json'), 'utf8'), '{"from":"main"}\n');
    assert.equal(existsSync(join(wt.path, 'not-listed.txt')), false, 'ignored but not listed: not copied');
    assert.equal(existsSync(join(wt.path, 'listed-not-ignored.env')), false, 'listed but not ignored: not copied');
    assert.equal(existsSync(join(wt.path, 'link.env')), false, 'a link is not followed');
    assert.equal(readFileSync(join(wt.path, 'tracked.env'), 'utf8'), 'tracked: never copied\n');
    assert.equal(git(wt.path, 'status', '--porcelain'), '', 'nothing copied shows as a change');
    assert.ok(log.lines.some((l) => l.startsWith('info Copied 3 files listed in .worktreeinclude') && l.includes('.env') && l.includes('secrets/deep/key.txt')), log.lines.join('\n'));
    assert.ok(log.lines.some((l) => l.startsWith('warn .worktreeinclude: link.env was not copied') && l.includes('symbolic link')), log.lines.join('\n'));
    assert.ok(log.lines.some((l) => l.startsWith('warn .worktreeinclude: ../escape.txt was not copied') && l.includes('outside the worktree')), log.lines.join('\n'));
    assert.equal(existsSync(join(dirname(dirname(wt.path)), 'escape.txt')), false);

    // The branch that tracks app.local.json: its own copy stays.
    const other = await service.createWorktree({ workspaceId: ws.id, branch: 'has-local' });
    assert.equal(readFileSync(join(other.path, 'app.local.json'), 'utf8'), '{"from":"the branch"}\n');
    assert.ok(log.lines.some((l) => l.includes('app.local.json was not copied') && l.includes('has a file there already')), log.lines.join('\n'));
  });

  it('does not follow a folder of the new worktree that is a link, and writes nothing through it', async () => {
    const repo = repository('include-link');
    commit(repo, 'ignore rules', { '.gitignore': 'conf/local.txt\n' });
    write(repo, { '.worktreeinclude': 'conf/local.txt\n', 'conf/local.txt': 'local\n' });
    const target = join(dirname(repo), 'include-link-target');
    git(repo, 'worktree', 'add', '--quiet', '-b', 'linked', target);
    // In the new worktree, "conf" leads elsewhere.
    const elsewhere = outside();
    mkdirSync(join(elsewhere, 'conf-elsewhere'));
    symlinkSync(join(elsewhere, 'conf-elsewhere'), join(target, 'conf'));
    const report = await copyWorktreeIncludes(git0, repo, target);
    assert.deepEqual(report.copied, []);
    assert.deepEqual(report.skipped, [{ path: 'conf/local.txt', reason: 'conf in the worktree is a symbolic link (not followed)' }]);
    assert.equal(existsSync(join(elsewhere, 'conf-elsewhere', 'local.txt')), false);
    assert.ok(lstatSync(join(target, 'conf')).isSymbolicLink());
  });

  it('does nothing without a .worktreeinclude, and refuses one that is a link', async () => {
    const repo = repository('include-none');
    commit(repo, 'ignore rules', { '.gitignore': '.env\n' });
    write(repo, { '.env': 'KEY=1\n' });
    const target = join(dirname(repo), 'include-none-target');
    git(repo, 'worktree', 'add', '--quiet', '-b', 'none', target);
    assert.deepEqual(await copyWorktreeIncludes(git0, repo, target), { copied: [], skipped: [] });
    writeFileSync(join(outside(), 'list'), '.env\n');
    symlinkSync(join(outside(), 'list'), join(repo, '.worktreeinclude'));
    assert.deepEqual(await copyWorktreeIncludes(git0, repo, target), { copied: [], skipped: [{ path: '.worktreeinclude', reason: 'it is not a regular file (a symbolic link is not followed)' }] });
    assert.equal(existsSync(join(target, '.env')), false);
  });
});
