// A worktree's changes since its base, through the API and the commands the tree's rows run.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ClaudeManagerApi, ClaudeManagerExtension, Worktree } from '../../src/extension/api/claudeManager';

async function until<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const last = await read();
    if (check(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: 'pipe' }).trim();
}

suite('Changes since the base branch', () => {
  let api: ClaudeManagerApi;
  let repo: string;
  const made: Worktree[] = [];
  suiteSetup(async () => {
    api = (await vscode.extensions.getExtension<ClaudeManagerExtension>('claude-manager.claude-manager')!.activate()).getAPI(1);
    repo = realpathSync(vscode.workspace.workspaceFolders![0]!.uri.fsPath);
  });
  suiteTeardown(async () => {
    for (const wt of made) await api.worktrees.delete(wt.id, { force: true, deleteBranch: true }).catch(() => undefined);
  });

  test('a new worktree records its base; its changes list committed, uncommitted, deleted and new files, and open as diffs against the merge-base', async () => {
    const ws = await until(async () => (await api.workspaces.list()).find((w) => w.path === repo), Boolean, 'the workspace');
    const wt = await vscode.commands.executeCommand<Worktree>('claudeManager.createWorktree', { workspaceId: ws!.id, branch: 'host/changes', newBranch: true, baseRef: 'main' });
    made.push(wt);
    assert.equal(wt.baseBranch, 'main');
    writeFileSync(join(wt.path, 'committed.txt'), 'one\ntwo\n');
    git(wt.path, 'add', 'committed.txt');
    git(wt.path, '-c', 'user.name=Host Tests', '-c', 'user.email=host@example.invalid', 'commit', '--quiet', '-m', 'a committed file');
    const tracked = git(wt.path, 'ls-files').split('\n')[0]!;
    const before = execFileSync('git', ['show', `HEAD:${tracked}`], { cwd: wt.path, encoding: 'utf8' });
    writeFileSync(join(wt.path, tracked), `${before}an added line\n`);
    writeFileSync(join(wt.path, 'new.txt'), 'new\n');
    const changes = await api.worktrees.changes(wt.id);
    assert.equal(changes.baseBranch, 'main');
    assert.equal(changes.mergeBase, git(repo, 'rev-parse', 'main'));
    const expected = [['committed.txt', 'A', false, 2, 0], [tracked, 'M', false, 1, 0], ['new.txt', 'A', true, 1, 0]].sort((x, y) => (String(x[0]) < String(y[0]) ? -1 : 1));
    assert.deepEqual(changes.files.map((f) => [f.path, f.status, f.untracked ?? false, f.insertions, f.deletions]), expected);
    assert.deepEqual([changes.insertions, changes.deletions], [4, 0]);

    // A file's diff: the merge-base's version ↔ the working file.
    const opened = await vscode.commands.executeCommand<{ left: string; right: string; title: string }>('claudeManager.openWorktreeChange', { worktreeId: wt.id, path: tracked });
    const tab = await until(async () => vscode.window.tabGroups.activeTabGroup.activeTab, (t) => t?.input instanceof vscode.TabInputTextDiff, 'the diff editor');
    const input = tab!.input as vscode.TabInputTextDiff;
    assert.equal(tab!.label, opened.title);
    assert.equal((await vscode.workspace.openTextDocument(input.original)).getText(), before);
    assert.equal(input.modified.fsPath, join(wt.path, tracked));
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    // An added file: empty ↔ file.
    const added = await vscode.commands.executeCommand<{ left: string }>('claudeManager.openWorktreeChange', { worktreeId: wt.id, path: 'committed.txt' });
    assert.equal((await vscode.workspace.openTextDocument(vscode.Uri.parse(added.left))).getText(), '');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');

    // Review All Changes: every file in the multi-file diff editor.
    const review = await vscode.commands.executeCommand<{ files: number; title: string; resources: (string | undefined)[][] }>('claudeManager.reviewWorktreeChanges', { worktreeId: wt.id });
    assert.equal(review.files, 3);
    assert.equal(review.title, 'host/changes: changes since main');
    const newFile = review.resources.find((r) => r[0]!.endsWith('/new.txt'))!;
    assert.equal(newFile[1], undefined, 'an added file has no old side');
    // (The editor adds the number of files to the title.)
    await until(async () => vscode.window.tabGroups.activeTabGroup.activeTab?.label, (l) => l?.startsWith(review.title) === true, 'the multi-file diff editor');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  test('the base branch is changed through the API, checked, and forgotten with null; collisions are found between worktrees', async () => {
    const ws = (await api.workspaces.list()).find((w) => w.path === repo)!;
    git(repo, 'branch', 'host/other-base', 'main');
    const a = await api.worktrees.create({ workspaceId: ws.id, branch: 'host/collide-a', newBranch: true });
    const b = await api.worktrees.create({ workspaceId: ws.id, branch: 'host/collide-b', newBranch: true });
    made.push(a, b);
    try {
      assert.equal((await api.worktrees.update(a.id, { baseBranch: 'host/other-base' })).baseBranch, 'host/other-base');
      assert.equal((await api.worktrees.changes(a.id)).baseBranch, 'host/other-base');
      await assert.rejects(api.worktrees.update(a.id, { baseBranch: 'host/nothing-here' }), (e: Error & { code?: string }) => e.code === 'NOT_FOUND' && /host\/nothing-here/.test(e.message));
      assert.equal((await api.worktrees.update(a.id, { baseBranch: null })).baseBranch, undefined);
      const main = (await api.worktrees.list(ws.id)).find((w) => w.isMain)!;
      await assert.rejects(api.worktrees.changes(main.id), (e: Error & { code?: string }) => e.code === 'INVALID_INPUT');
      writeFileSync(join(a.path, 'shared.txt'), 'from a\n');
      writeFileSync(join(b.path, 'shared.txt'), 'from b\n');
      const collisions = await api.worktrees.collisions(ws.id);
      assert.deepEqual(collisions.filter((c) => c.worktreeIds.includes(a.id)), [{ worktreeIds: [a.id, b.id], files: ['shared.txt'] }]);
      const compared = await vscode.commands.executeCommand<{ left: string; right: string; title: string }>('claudeManager.compareWithWorktree', { worktreeId: a.id, otherWorktreeId: b.id, path: 'shared.txt' });
      assert.equal(vscode.Uri.parse(compared.left).fsPath, join(b.path, 'shared.txt'));
      assert.equal(vscode.Uri.parse(compared.right).fsPath, join(a.path, 'shared.txt'));
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    } finally {
      rmSync(join(a.path, 'shared.txt'), { force: true });
      rmSync(join(b.path, 'shared.txt'), { force: true });
      git(repo, 'branch', '-D', 'host/other-base');
    }
  });
});
