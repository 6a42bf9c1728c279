// Runs before extension.test.ts (files run in name order), whose last test deactivates the extension.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ClaudeManagerApi, ClaudeManagerExtension } from '../../src/extension/api/claudeManager';

const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env }).trim();

suite('Bringing work back through getAPI(1)', () => {
  let api: ClaudeManagerApi;
  let parent: string;
  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension<ClaudeManagerExtension>('claude-manager.claude-manager');
    assert.ok(ext);
    api = (await ext.activate()).getAPI(1);
    parent = realpathSync(mkdtempSync(join(tmpdir(), 'cm-host-merge-')));
  });
  suiteTeardown(() => rmSync(parent, { recursive: true, force: true }));

  test('commits, merges with a conflict as a result, aborts to the state before, then merges once resolved', async () => {
    const repo = join(parent, 'merge-api');
    mkdirSync(repo);
    git(repo, 'init', '--quiet', '--initial-branch=main');
    git(repo, 'config', 'user.name', 'Host Tests');
    git(repo, 'config', 'user.email', 'host@example.invalid');
    writeFileSync(join(repo, 'README.md'), '# one\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'initial');
    const ws = await api.workspaces.create({ path: repo });
    const wt = await api.worktrees.create({ workspaceId: ws.id, branch: 'feat', newBranch: true });
    const main = (await api.worktrees.list(ws.id)).find((w) => w.isMain)!;

    writeFileSync(join(wt.path, 'README.md'), '# feat\n');
    const committed = await api.worktrees.commit(wt.id, 'Feat edits the readme');
    assert.equal(committed.summary, 'Feat edits the readme');
    assert.equal(committed.commit, git(wt.path, 'rev-parse', 'HEAD'));
    await assert.rejects(api.worktrees.commit(wt.id, 'again'), (e: Error & { code?: string }) => e.code === 'NOTHING_TO_COMMIT');
    writeFileSync(join(repo, 'README.md'), '# main\n');
    git(repo, 'commit', '-qam', 'Main edits the readme');
    const head = git(repo, 'rev-parse', 'HEAD');

    const conflict = await api.worktrees.merge(wt.id, { strategy: 'merge' });
    assert.equal(conflict.status, 'conflicts');
    assert.ok(conflict.status === 'conflicts');
    assert.equal(conflict.worktreeId, main.id);
    assert.deepEqual(conflict.files, ['README.md']);
    await api.worktrees.abortMerge(main.id);
    assert.equal(git(repo, 'rev-parse', 'HEAD'), head);
    assert.equal(readFileSync(join(repo, 'README.md'), 'utf8'), '# main\n');
    assert.equal(git(repo, 'status', '--porcelain'), '');

    assert.equal((await api.worktrees.merge(wt.id, { strategy: 'merge' })).status, 'conflicts');
    writeFileSync(join(repo, 'README.md'), '# main and feat\n');
    const merged = await api.worktrees.continueMerge(wt.id);
    assert.equal(merged.status, 'merged');
    assert.equal(git(repo, 'rev-list', '--parents', '-n', '1', 'HEAD').split(' ').length, 3, 'a merge commit');
    await assert.rejects((api.worktrees.merge as (...a: unknown[]) => Promise<unknown>)(wt.id, { strategy: 'octopus' }), (e: Error & { code?: string }) => e.code === 'INVALID_INPUT');
    await api.workspaces.delete(ws.id);
  });
});
