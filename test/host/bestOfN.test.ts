// Runs before extension.test.ts, whose last test turns the extension off (files run in name order).
// Best of N in the real editor: getAPI(1).attempts starts two agents from one prompt; the Compare
// panel's host answers its own protocol (and only it), opens a diff against the base, and the
// comparison follows the worktrees' files.
import * as assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Agent, ClaudeManagerApi, ClaudeManagerExtension } from '../../src/extension/api/claudeManager';
import type { ComparePanel } from '../../src/extension/webviews/comparePanels';
import type { CompareData } from '../../src/webview/compareProtocol';
import type { HostMessageEnvelope } from '../../src/webview/protocol';
import { findClaudeBinary } from '../helpers/claudeCli';
import { DEFAULT_REPLY_TEXT, MockAnthropicApi } from '../mocks/anthropicApi';

suite('Best of N', () => {
  let api: ClaudeManagerApi;
  let mock: MockAnthropicApi;
  const config = () => vscode.workspace.getConfiguration('claudeManager');
  suiteSetup(async () => {
    api = (await vscode.extensions.getExtension<ClaudeManagerExtension>('claude-manager.claude-manager')!.activate()).getAPI(1);
    mock = await MockAnthropicApi.start();
    const home = mkdtempSync(join(tmpdir(), 'cm-host-home-'));
    await config().update('claudePath', findClaudeBinary(), vscode.ConfigurationTarget.Global);
    await config().update('environment', { ANTHROPIC_BASE_URL: mock.url, ANTHROPIC_API_KEY: 'test-key', HOME: home, CLAUDE_CODE_MAX_RETRIES: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1' }, vscode.ConfigurationTarget.Global);
  });
  suiteTeardown(async () => {
    await config().update('environment', undefined, vscode.ConfigurationTarget.Global);
    await config().update('claudePath', undefined, vscode.ConfigurationTarget.Global);
    await mock.close();
  });

  const workspace = async () => {
    const repoPath = realpathSync(vscode.workspace.workspaceFolders![0]!.uri.fsPath);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ws = (await api.workspaces.list()).find((w) => w.path === repoPath);
      if (ws) return ws;
      assert.ok(Date.now() < deadline, 'the repository');
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const waiting = (id: string) =>
    new Promise<Agent>((resolve) => {
      const s = (api.onDidChangeAgent as vscode.Event<Agent>)((a) => {
        if (a.id === id && a.status === 'waiting' && a.statusReason === 'waiting for your message') {
          s.dispose();
          resolve(a);
        }
      });
    });

  test('starts two agents from one prompt through the API; the Compare panel answers its own protocol and opens a diff against the base', async () => {
    const ws = await workspace();
    await assert.rejects(api.attempts.start({ workspaceId: ws.id, name: 'host-try', prompt: 'Say hi', count: 7 }), (e: Error & { code?: string }) => e.code === 'INVALID_INPUT' && e.message === 'attempts.start: input.count: must be at most 5.');
    // The agents are known as they are made: wait for each one's turn from its first announcement.
    const turns: Promise<Agent>[] = [];
    const seen = new Set<string>();
    const sub = (api.onDidChangeAgent as vscode.Event<Agent>)((a) => {
      if (a.name.startsWith('host-try ') && !seen.has(a.id)) {
        seen.add(a.id);
        turns.push(waiting(a.id));
      }
    });
    const group = await api.attempts.start({ workspaceId: ws.id, name: 'host-try', prompt: 'Say hi', count: 2 });
    sub.dispose();
    assert.deepEqual(group.attempts.map((a) => a.branch), ['host-try-1', 'host-try-2']);
    await Promise.all(turns);
    assert.equal(turns.length, 2);

    const panel = (await vscode.commands.executeCommand('claudeManager.compareAttempts', { groupId: group.id })) as ComparePanel;
    let id = 1;
    const ask = async (method: string, params: unknown) => (await panel.host.handleMessage({ kind: 'request', id: id++, method, params })) as HostMessageEnvelope;
    const loaded = await ask('compareLoad', { groupId: group.id });
    assert.ok('result' in loaded, JSON.stringify(loaded));
    const data = loaded.result as CompareData;
    assert.deepEqual(data.attempts.map((a) => [a.branch, a.status, a.turns, a.lastMessage]), [['host-try-1', 'waiting', 1, DEFAULT_REPLY_TEXT], ['host-try-2', 'waiting', 1, DEFAULT_REPLY_TEXT]]);
    assert.equal(panel.panel.title, 'Compare: host-try');
    // Only its own protocol: a bad parameter, the chat's methods and a malformed message are refused.
    const bad = await ask('compareLoad', { groupId: 'grp_NOPE' });
    assert.ok('error' in bad && bad.error.code === 'INVALID_PARAMS', JSON.stringify(bad));
    const chatOnly = await ask('chatSend', { agentId: data.attempts[0]!.agentId, text: 'hi' });
    assert.ok('error' in chatOnly && chatOnly.error.code === 'UNKNOWN_METHOD', JSON.stringify(chatOnly));
    const malformed = (await panel.host.handleMessage({ kind: 'request', id: -1 })) as HostMessageEnvelope;
    assert.ok('error' in malformed && malformed.error.code === 'INVALID_MESSAGE');

    // The first attempt's new file: counted in the comparison, and its diff against the base opens.
    const first = await api.worktrees.get(group.attempts[0]!.worktreeId!);
    writeFileSync(join(first.path, 'notes.txt'), 'one\ntwo\n');
    const compared = await api.attempts.compare(group.id);
    assert.deepEqual(compared.attempts.map((a) => a.files.map((f) => [f.path, f.status, f.added, f.deleted])), [[['notes.txt', 'A', 2, 0]], []]);
    const opened = await ask('compareOpenDiff', { groupId: group.id, path: 'notes.txt', left: { base: true }, right: { attemptId: group.attempts[0]!.id } });
    assert.ok('result' in opened, JSON.stringify(opened));
    const label = `notes.txt (${group.baseBranch} ↔ host-try-1)`;
    const tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label === label);
    assert.ok(tab && tab.input instanceof vscode.TabInputTextDiff, `a diff tab "${label}"`);
    assert.equal((tab.input as vscode.TabInputTextDiff).original.scheme, 'claude-manager-base');
    assert.equal((await vscode.workspace.openTextDocument((tab.input as vscode.TabInputTextDiff).original)).getText(), '', 'the base has no such file');

    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const a of group.attempts) await api.worktrees.delete(a.worktreeId!, { force: true, deleteBranch: true });
    const after = await api.attempts.compare(group.id);
    assert.deepEqual(after.attempts.map((a) => a.worktreeGone), [true, true]);
  });
});
