// Runs before extension.test.ts, whose last test turns the extension off (files run in name order).
// "Allow and Don't Ask Again…" in the real editor: the CLI's own rule for the call (a Bash command
// prefix) is what gets allowed, through the same runtime the API uses.
import * as assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Agent, ClaudeManagerApi, ClaudeManagerExtension, PermissionRequest } from '../../src/extension/api/claudeManager';
import type { ChatPanel } from '../../src/extension/webviews/chatPanels';
import type { ChatOpened, HostMessageEnvelope } from '../../src/webview/protocol';
import { findClaudeBinary } from '../helpers/claudeCli';
import { MockAnthropicApi, textReply, toolResults, toolUseReply } from '../mocks/anthropicApi';

suite('Permissions', () => {
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

  const mainWorktree = async () => {
    const repoPath = realpathSync(vscode.workspace.workspaceFolders![0]!.uri.fsPath);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ws = (await api.workspaces.list()).find((w) => w.path === repoPath);
      const main = ws && (await api.worktrees.list(ws.id)).find((w) => w.isMain);
      if (main) return main;
      assert.ok(Date.now() < deadline, 'the repository and its main worktree');
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const agentWhen = (id: string, test: (a: Agent) => boolean) =>
    new Promise<Agent>((resolve) => {
      const s = (api.onDidChangeAgent as vscode.Event<Agent>)((a) => {
        if (a.id === id && test(a)) {
          s.dispose();
          resolve(a);
        }
      });
    });

  test('the agent\'s question: the API carries it with its choices; "Answer…" (with answers given) reaches the agent, and a wrong answer is refused', async () => {
    const main = await mainWorktree();
    const agent = await api.agents.create({ worktreeId: main.id, name: 'asker', mode: 'regular' });
    const question = { question: 'Which database should we use?', header: 'Database', multiSelect: false, options: [{ label: 'SQLite', description: 'A file' }, { label: 'Postgres', description: 'A server' }] };
    const sent: string[] = [];
    mock.enqueue(toolUseReply([{ name: 'AskUserQuestion', input: { questions: [question] }, id: 'toolu_host_question' }]), (request) => {
      for (const block of toolResults(request.body)) if (block.tool_use_id === 'toolu_host_question') sent.push(JSON.stringify(block.content));
      return { kind: 'message', text: ['SQLite it is'] };
    });
    const asking = agentWhen(agent.id, (a) => a.pendingPermissions.length > 0);
    await api.agents.start(agent.id, { initialPrompt: 'ask me' });
    const asked = await asking;
    assert.deepEqual(asked.pendingPermissions[0]!.questions, [question]);
    assert.equal(asked.statusReason, 'asks: Which database should we use?');
    const requestId = asked.pendingPermissions[0]!.requestId;
    await assert.rejects(api.agents.answerQuestion(agent.id, requestId, { 'Which colour?': 'red' }), (e: Error & { code?: string }) => e.code === 'INVALID_INPUT' && /did not ask "Which colour\?"/.test(e.message));
    await assert.rejects(api.agents.respondToPermission(agent.id, requestId, { behavior: 'allow' }), (e: Error & { code?: string }) => e.code === 'INVALID_INPUT');
    const done = agentWhen(agent.id, (a) => a.status === 'waiting' && a.statusReason === 'waiting for your message');
    await vscode.commands.executeCommand('claudeManager.answerQuestion', { agentId: agent.id, answers: { 'Which database should we use?': 'SQLite' } });
    await done;
    assert.equal(sent.length, 1);
    assert.match(sent[0]!, /\\"Which database should we use\?\\"=\\"SQLite\\"/);
    await api.agents.stop(agent.id);
  });

  test('a waiting Edit: the chat\'s card carries its diff, and Open Diff shows the file now and as the Edit would leave it', async () => {
    const main = await mainWorktree();
    const agent = await api.agents.create({ worktreeId: main.id, name: 'Reviewed', mode: 'regular' });
    const notes = join(main.path, 'cm-review-notes.txt');
    writeFileSync(notes, 'alpha\nbeta\ngamma\n');
    mock.enqueue(
      toolUseReply([{ name: 'Read', input: { file_path: notes } }]),
      toolUseReply([{ name: 'Edit', input: { file_path: notes, old_string: 'beta', new_string: 'BETA' } }]),
      textReply('not edited'),
    );
    // Anything else the CLI asks about (the Read, in some setups) is allowed.
    const sub = (api.onDidRequestPermission as vscode.Event<{ agentId: string; request: PermissionRequest }>)((e) => {
      if (e.agentId === agent.id && e.request.toolName !== 'Edit') void api.agents.respondToPermission(agent.id, e.request.requestId, { behavior: 'allow' });
    });
    const chat = await vscode.commands.executeCommand<ChatPanel>('claudeManager.openChat', { agentId: agent.id });
    let id = 1;
    const ask = async (method: string, params: Record<string, unknown>) => {
      const response = (await chat.host.handleMessage({ kind: 'request', id: id++, method, params })) as HostMessageEnvelope;
      if ('error' in response) throw new Error(`${method}: ${response.error.code} ${response.error.message}`);
      return (response as { result: unknown }).result;
    };
    try {
      const asking = agentWhen(agent.id, (a) => a.pendingPermissions.some((r) => r.toolName === 'Edit'));
      await api.agents.start(agent.id, { initialPrompt: 'make beta loud' });
      const requestId = (await asking).pendingPermissions.find((r) => r.toolName === 'Edit')!.requestId;
      const opened: ChatOpened = await chat.opened();
      const permission = opened.agent.pendingPermissions.find((r) => r.requestId === requestId);
      assert.deepEqual(permission?.change, { path: 'cm-review-notes.txt', isNew: false, added: 1, removed: 1, more: 0, hunks: [{ oldStart: 1, newStart: 1, lines: [{ kind: ' ', text: 'alpha' }, { kind: '-', text: 'beta' }, { kind: '+', text: 'BETA' }, { kind: ' ', text: 'gamma' }] }] });
      assert.equal(permission?.cwd, main.path);
      await ask('chatOpenProposedDiff', { agentId: agent.id, requestId });
      const tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputTextDiff && t.label === 'cm-review-notes.txt (proposed by Reviewed)');
      assert.ok(tab, `the diff editor: ${vscode.window.tabGroups.all.flatMap((g) => g.tabs).map((t) => t.label).join(', ')}`);
      const input = tab.input as vscode.TabInputTextDiff;
      assert.equal((await vscode.workspace.openTextDocument(input.original)).getText(), 'alpha\nbeta\ngamma\n');
      assert.equal((await vscode.workspace.openTextDocument(input.modified)).getText(), 'alpha\nBETA\ngamma\n');
      await vscode.window.tabGroups.close(tab);
      await assert.rejects(ask('chatOpenProposedDiff', { agentId: agent.id, requestId: 'no-such-request' }), /No permission request no-such-request is waiting/);
      const done = agentWhen(agent.id, (a) => a.status === 'waiting' && a.statusReason === 'waiting for your message');
      await ask('chatRespond', { agentId: agent.id, requestId, behavior: 'deny' });
      await done;
    } finally {
      sub.dispose();
      chat.panel.dispose();
      await api.agents.stop(agent.id).catch(() => undefined);
      rmSync(notes, { force: true });
    }
  });

  test('"Allow and Don\'t Ask Again…" adds the rule the CLI offered: the same command prefix then runs unasked', async () => {
    const repoPath = realpathSync(vscode.workspace.workspaceFolders![0]!.uri.fsPath);
    const deadline = Date.now() + 30_000;
    let main;
    while (!main && Date.now() < deadline) {
      const ws = (await api.workspaces.list()).find((w) => w.path === repoPath);
      main = ws && (await api.worktrees.list(ws.id)).find((w) => w.isMain);
      if (!main) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(main, 'the repository and its main worktree');
    const agent = await api.agents.create({ worktreeId: main.id, name: 'rule keeper', mode: 'regular' });
    mock.enqueue(
      toolUseReply([{ name: 'Bash', input: { command: 'npm test --silent || true', description: 'Run the tests' } }]),
      toolUseReply([{ name: 'Bash', input: { command: 'npm test --silent --again || true', description: 'Again' } }]),
      textReply('tested twice'),
    );
    const requests: PermissionRequest[] = [];
    const sub = (api.onDidRequestPermission as vscode.Event<{ agentId: string; request: PermissionRequest }>)((e) => e.agentId === agent.id && requests.push(e.request));
    const waiting = new Promise<Agent>((resolve) => {
      const s = (api.onDidChangeAgent as vscode.Event<Agent>)((a) => {
        if (a.id === agent.id && a.pendingPermissions.length > 0) {
          s.dispose();
          resolve(a);
        }
      });
    });
    await api.agents.start(agent.id, { initialPrompt: 'run the tests twice' });
    const asked = await waiting;
    const suggestions = asked.pendingPermissions[0]!.suggestions ?? [];
    const choice = suggestions.findIndex((s) => /Bash\(npm test/.test(s.label));
    assert.ok(choice >= 0, `the CLI's rule is offered: ${JSON.stringify(suggestions)}`);
    const done = new Promise<void>((resolve) => {
      const s = (api.onDidChangeAgent as vscode.Event<Agent>)((a) => {
        if (a.id === agent.id && a.status === 'waiting' && a.statusReason === 'waiting for your message') {
          s.dispose();
          resolve();
        }
      });
    });
    await vscode.commands.executeCommand('claudeManager.allowPermissionRule', { agentId: agent.id, suggestion: choice });
    await done;
    sub.dispose();
    assert.equal(requests.length, 1, 'the second npm test was not asked for');
    const bash = (await api.agents.getMessages(agent.id)).messages.filter((m) => m.toolName === 'Bash');
    assert.deepEqual(bash.map((m) => m.isError), [false, false], 'both ran');
    await api.agents.stop(agent.id);
  });
});
