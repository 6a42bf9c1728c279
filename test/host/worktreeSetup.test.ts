import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ClaudeManagerApi, ClaudeManagerExtension, Worktree } from '../../src/extension/api/claudeManager';

async function api(): Promise<ClaudeManagerApi> {
  const ext = vscode.extensions.getExtension<ClaudeManagerExtension>('claude-manager.claude-manager');
  assert.ok(ext);
  return (await ext.activate()).getAPI(1);
}

async function until<T>(read: () => T | Promise<T>, ok: (value: T) => boolean, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Replaces the whole text of the open editor's document and saves it, as a person editing it would. */
async function typeAndSave(document: vscode.TextDocument, text: string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.replace(document.uri, new vscode.Range(0, 0, document.lineCount, 0), text);
  assert.ok(await vscode.workspace.applyEdit(edit));
  assert.ok(await document.save(), 'the document was saved');
}

// The commands of a repository's worktree setup in a real editor (docs/worktrees.md): a setup kept
// by Claude Manager for a repository with no file, edited with the file's schema and stored when
// saved; Run starts the worktree's run command in a terminal of its own, with its ports.
suite('Worktree setup', () => {
  let cm: ClaudeManagerApi;
  let repo: string;
  let workspaceId: string;
  suiteSetup(async () => {
    cm = await api();
    repo = realpathSync(vscode.workspace.workspaceFolders![0]!.uri.fsPath);
    workspaceId = (await until(() => cm.workspaces.list(), (l) => l.some((w) => w.path === repo), 'the repository')).find((w) => w.path === repo)!.id;
  });
  suiteTeardown(async () => {
    // Forgotten again, for the suites after this one.
    const opened = await vscode.commands.executeCommand<{ path: string }>('claudeManager.configureWorktreeSetup', { workspaceId });
    await typeAndSave(await vscode.workspace.openTextDocument(opened.path), '');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('"Configure Worktree Setup…" edits a setup kept for a repository with no file, stored when saved; "Run" runs it in the worktree with its ports, once, and ends with the worktree', async () => {
    const opened = await vscode.commands.executeCommand<{ path: string; stored: boolean }>('claudeManager.configureWorktreeSetup', { workspaceId });
    assert.equal(opened.stored, true);
    assert.ok(opened.path.endsWith('.claude-manager.json') && !opened.path.startsWith(repo), `kept outside the repository, under the file's name (its schema applies): ${opened.path}`);
    const document = vscode.window.activeTextEditor?.document;
    assert.equal(document?.uri.fsPath, opened.path, 'the setup is open in the editor');
    const run = 'node -e "require(\'fs\').writeFileSync(\'ran.txt\', [process.env.PORT, process.env.CLAUDE_MANAGER_PORTS, process.cwd()].join(\' \'))"';
    await typeAndSave(document, JSON.stringify({ run, ports: { base: 4300, count: 2 } }, null, 2));

    // Invalid JSON saved: refused, and the stored setup stays as it was.
    await typeAndSave(document, '{ "run": ');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    const again = await vscode.commands.executeCommand<{ path: string }>('claudeManager.configureWorktreeSetup', { workspaceId });
    assert.deepEqual(JSON.parse(readFileSync(again.path, 'utf8')), { run, ports: { base: 4300, count: 2 } }, 'the stored setup, shown again');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');

    const worktree = await vscode.commands.executeCommand<Worktree>('claudeManager.createWorktree', { workspaceId, branch: 'host/run', newBranch: true });
    const ran = join(worktree.path, 'ran.txt');
    const started = await vscode.commands.executeCommand<{ command: string }>('claudeManager.runWorktree', { worktreeId: worktree.id });
    assert.equal(started.command, run);
    const [port, ports, cwd] = (await until(() => (existsSync(ran) ? readFileSync(ran, 'utf8') : ''), Boolean, 'the run command\'s file')).split(' ');
    assert.ok(Number(port) >= 4300, `PORT=${port}`);
    assert.equal(ports, `${port},${Number(port) + 1}`);
    assert.equal(realpathSync(cwd!), realpathSync(worktree.path));
    const runTerminals = () => vscode.window.terminals.filter((t) => t.name === 'Run: host/run');
    assert.equal(runTerminals().length, 1);
    // Run again: the same terminal, shown; nothing runs twice.
    rmSync(ran);
    assert.deepEqual(await vscode.commands.executeCommand('claudeManager.runWorktree', { worktreeId: worktree.id }), { worktreeId: worktree.id, reused: true });
    assert.equal(runTerminals().length, 1);
    // The worktree removed: its run ends with it.
    await cm.worktrees.delete(worktree.id, { force: true, deleteBranch: true });
    await until(() => runTerminals().length, (n) => n === 0, 'the run\'s terminal to close with its worktree');
  });

  test('"Configure Worktree Setup…" opens a repository\'s committed file when it has one', async () => {
    const file = join(repo, '.claude-manager.json');
    writeFileSync(file, '{ "ports": { "base": 5100, "count": 1 } }\n');
    try {
      const opened = await vscode.commands.executeCommand<{ path: string; stored: boolean }>('claudeManager.configureWorktreeSetup', { workspaceId });
      assert.deepEqual(opened, { path: file, stored: false });
      assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, file);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      rmSync(file);
    }
  });
});
