import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadSqlJs } from '../../src/services/storage/sqlJs';
import * as vscode from 'vscode';
import type { Agent, ClaudeManagerApi, ClaudeManagerExtension, Worktree } from '../../src/extension/api/claudeManager';
import { imageBlocks, lastUserBlocks, lastUserText, MockAnthropicApi, textReply, toolUseReply } from '../mocks/anthropicApi';
import { makeBmp, makePng } from '../helpers/images';
import { commandIds } from '../../src/extension/commands/commandIds';
import type { OverviewPanel } from '../../src/extension/webviews/overviewPanel';
import type { OverviewData } from '../../src/webview/overviewProtocol';
import type { ChatPanel } from '../../src/extension/webviews/chatPanels';
import { buildWebviewHtml } from '../../src/extension/webviews/webviewHtml';
import type { HostMessageEnvelope } from '../../src/webview/protocol';
import { findClaudeBinary } from '../helpers/claudeCli';
import { recordReliability } from '../helpers/reliability';

const EXTENSION_ID = 'claude-manager.claude-manager';

function extension(): vscode.Extension<ClaudeManagerExtension> {
  const ext = vscode.extensions.getExtension<ClaudeManagerExtension>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed in the extension host`);
  return ext;
}

interface PackageJson {
  activationEvents?: string[];
  extensionKind?: string[];
  contributes: {
    commands: { command: string; category?: string }[];
    viewsContainers: { activitybar: { id: string }[] };
    views: Record<string, { id: string }[]>;
    viewsWelcome: { view: string }[];
    configuration: { properties: Record<string, { default?: unknown }> };
  };
}

function waitFor<T>(event: vscode.Event<T>, predicate: (value: T) => boolean, what: string, ms = 30_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    const sub = event((value) => {
      if (predicate(value)) {
        clearTimeout(timer);
        sub.dispose();
        resolve(value);
      }
    });
  });
}

suite('Extension', () => {
  test('activates in a real extension host and returns the versioned API', async () => {
    const ext = extension();
    const exports = await ext.activate();
    assert.equal(ext.isActive, true);
    const api = exports.getAPI(1);
    assert.equal(api.version, 1);
    assert.throws(
      () => (exports.getAPI as (v: number) => unknown)(2),
      (error: Error & { code?: string }) => error.code === 'INVALID_INPUT' && /version 2/.test(error.message),
    );
    // Inputs are checked before anything is done, with the method and parameter named.
    const before = (await api.workspaces.list()).length;
    await assert.rejects(api.workspaces.create({ path: '  ' }), (e: Error & { code?: string }) => e.code === 'INVALID_INPUT' && e.message === 'workspaces.create: input.path: path cannot be empty.');
    await assert.rejects(
      (api.agents.start as (...args: unknown[]) => Promise<unknown>)('ag_0000000001', { initalPrompt: 'hi' }),
      (e: Error & { code?: string }) => e.code === 'INVALID_INPUT' && e.message === 'agents.start: options: unknown key "initalPrompt".',
    );
    assert.equal((await api.workspaces.list()).length, before);
  });

  test('runs as a workspace extension in a remote host, never on "*"', () => {
    const pkg = extension().packageJSON as PackageJson;
    assert.deepEqual(pkg.extensionKind, ['workspace']);
    assert.ok(!(pkg.activationEvents ?? []).includes('*'));
    assert.equal(extension().extensionKind, vscode.ExtensionKind.Workspace);
  });

  test('asks the editor for its API once: the bundle the editor loaded requires \'vscode\' in one place', () => {
    // Each require('vscode') goes through the editor's module interceptor (a fraction of a
    // millisecond each, paid at activation): the build routes every import of it to one module.
    const bundle = readFileSync(join(extension().extensionPath, 'dist', 'extension.js'), 'utf8');
    assert.equal(bundle.match(/require\(\s*["']vscode["']\s*\)/g)?.length, 1);
  });

  test('contributes the view container, the tree view and its welcome view', () => {
    const pkg = extension().packageJSON as PackageJson;
    assert.ok(pkg.contributes.viewsContainers.activitybar.some((c) => c.id === 'claudeManager'));
    assert.deepEqual(pkg.contributes.views.claudeManager?.map((v) => v.id), ['claudeManager.agents']);
    assert.ok(pkg.contributes.viewsWelcome.some((w) => w.view === 'claudeManager.agents'));
    assert.equal(pkg.contributes.configuration.properties['claudeManager.claudePath']?.default, 'claude');
  });

  test('registers exactly the commands package.json declares', async () => {
    const pkg = extension().packageJSON as PackageJson;
    const declared = pkg.contributes.commands.map((c) => c.command).sort();
    assert.deepEqual(declared, [...commandIds].sort());
    assert.ok(pkg.contributes.commands.every((c) => c.category === 'Claude Manager'));
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const id of commandIds) assert.ok(registered.has(id), `${id} is not registered`);
  });
});

suite('Storage', () => {
  test('opens its store under globalStorage and says where it is', async () => {
    await extension().activate();
    const info = await vscode.commands.executeCommand<{ dir: string; files: number; bytes: number }>('claudeManager.showStorageInfo');
    assert.ok(info, 'no storage info returned');
    assert.match(info.dir, /claude-manager\.claude-manager[\\/]store$/);
    assert.ok(existsSync(info.dir), `${info.dir} does not exist`);
    assert.equal(typeof info.bytes, 'number');
  });

  test('imports a database of the earlier app, then finds nothing new in it', async () => {
    const SQL = await loadSqlJs(join(extension().extensionPath, 'dist', 'sql-wasm.wasm'));
    const db = new SQL.Database();
    db.exec(readFileSync(join(__dirname, '..', '..', '..', 'test', 'fixtures', 'legacySchema.sql'), 'utf8'));
    db.exec(`INSERT INTO workspaces (id, name, path) VALUES ('w1', 'imported', '/imported/repo');
      INSERT INTO worktrees (id, workspace_id, name, branch, path, is_main) VALUES ('t1', 'w1', 'repo', 'main', '/imported/repo', 1);
      INSERT INTO agents (id, worktree_id, name, status, mode) VALUES ('a1', 't1', 'Old agent', 'finished', 'regular');
      INSERT INTO messages (id, agent_id, role, content) VALUES ('m1', 'a1', 'user', 'hello from before');`);
    const file = join(mkdtempSync(join(tmpdir(), 'cm-import-host-')), 'claude-manager.db');
    writeFileSync(file, db.export());
    db.close();
    const first = await vscode.commands.executeCommand('claudeManager.importDatabase', vscode.Uri.file(file));
    assert.deepEqual(first, { workspaces: 1, worktrees: 1, agents: 1, messages: 1, usageDays: 0 });
    const again = await vscode.commands.executeCommand('claudeManager.importDatabase', vscode.Uri.file(file));
    assert.deepEqual(again, { workspaces: 0, worktrees: 0, agents: 0, messages: 0, usageDays: 0 });
    writeFileSync(file, 'not a database');
    assert.equal(await vscode.commands.executeCommand('claudeManager.importDatabase', vscode.Uri.file(file)), undefined, 'refused, with an error message');
  });

  test('prunes old archived agents when asked with an age, with the copies of their files, and refuses a bad one', async () => {
    const api = (await extension().activate()).getAPI(1);
    const info = await vscode.commands.executeCommand<{ dir: string }>('claudeManager.showStorageInfo');
    const kept = join(dirname(info.dir), 'snapshots');
    const repo = realpathSync(vscode.workspace.workspaceFolders![0]!.uri.fsPath);
    const ws = (await until(() => api.workspaces.list(), (list) => list.some((w) => w.path === repo), `a workspace for ${repo}`)).find((w) => w.path === repo)!;
    const agent = await api.agents.create({ worktreeId: (await api.worktrees.list(ws.id))[0]!.id, name: 'to be pruned' });
    await api.agents.delete(agent.id);
    // What the runtime keeps of a file tool call of the agent.
    mkdirSync(join(kept, agent.id), { recursive: true });
    writeFileSync(join(kept, agent.id, 'msg_0000000001.json'), '{}');
    const result = await vscode.commands.executeCommand<{ deleted: number }>('claudeManager.pruneArchivedAgents', { olderThanDays: 30 });
    assert.deepEqual(result, { deleted: 0 });
    assert.ok(existsSync(join(kept, agent.id)), 'an agent not pruned keeps its copies');
    await new Promise((resolve) => setTimeout(resolve, 10));
    const pruned = await vscode.commands.executeCommand<{ deleted: number }>('claudeManager.pruneArchivedAgents', { olderThanDays: 0 });
    assert.ok(pruned.deleted >= 1, `deleted ${pruned.deleted}`);
    assert.ok(!existsSync(join(kept, agent.id)), 'the copies of the pruned agent\'s files are deleted with it');
    // A bad argument becomes an error message, not an exception thrown at the caller.
    assert.equal(await vscode.commands.executeCommand('claudeManager.pruneArchivedAgents', { olderThanDays: -1 }), undefined);
  });
});

suite('Overview webview', () => {
  let panel: OverviewPanel;

  suiteSetup(async () => {
    await extension().activate();
  });

  suiteTeardown(async () => {
    await vscode.workspace.getConfiguration('claudeManager').update('claudePath', undefined, vscode.ConfigurationTarget.Global);
    panel?.panel.dispose();
  });

  test('the webview starts, loads the overview from the host and reports that it drew it', async () => {
    const opened = await vscode.commands.executeCommand<OverviewPanel>('claudeManager.openOverview');
    assert.ok(opened, 'claudeManager.openOverview returned no panel');
    panel = opened;
    // The webview's script sends `ready`, requests overviewLoad, draws it and says so (`drawn`):
    // seeing that command proves a full round trip through the real webview.
    const drawn = panel.lastDrawn
      ? { message: { params: panel.lastDrawn } }
      : await waitFor(
          panel.host.onDidHandleMessage,
          (h) => {
            const m = h.message as { kind?: string; command?: string };
            return m.kind === 'command' && m.command === 'drawn';
          },
          'the webview to report that it drew the overview',
        );
    const params = (drawn.message as { params: { ms: number; periods: number } }).params;
    assert.ok(params.periods >= 1, JSON.stringify(params));
    assert.equal(panel.host.ready, true);
    assert.equal(panel.panel.title, 'Claude Manager Overview');
  });

  test('opening it again reveals the same panel', async () => {
    const again = await vscode.commands.executeCommand<OverviewPanel>('claudeManager.openOverview');
    assert.equal(again, panel);
  });

  test('serves a page with a strict Content-Security-Policy and assets only through asWebviewUri', () => {
    const webview = panel.panel.webview;
    const html = webview.html;
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1]?.replace(/&#39;|&quot;/g, "'");
    assert.ok(csp, 'no CSP meta tag');
    const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
    assert.deepEqual(directives.get('default-src'), ["'none'"]);
    const scriptSrc = directives.get('script-src') ?? [];
    assert.equal(scriptSrc.length, 1);
    const nonce = /^'nonce-([A-Za-z0-9+/=]{16,})'$/.exec(scriptSrc[0] ?? '')?.[1];
    assert.ok(nonce, `script-src is not a single nonce: ${scriptSrc.join(' ')}`);
    assert.deepEqual(directives.get('style-src'), webview.cspSource.split(/\s+/));
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1] ?? '');
    assert.equal(scripts.length, 1);
    assert.ok(scripts[0]?.includes(`nonce="${nonce}"`));
    const root = extension().extensionUri;
    const expectedScript = webview.asWebviewUri(vscode.Uri.joinPath(root, 'dist', 'webview', 'overview.js')).toString();
    assert.ok(scripts[0]?.includes(`src="${expectedScript.replace(/&/g, '&amp;')}"`), scripts[0]);
    const roots = (webview.options.localResourceRoots ?? []).map((u) => u.toString()).sort();
    assert.deepEqual(roots, [vscode.Uri.joinPath(root, 'dist', 'webview').toString(), vscode.Uri.joinPath(root, 'media').toString()].sort());
    // Each page gets a fresh nonce.
    const again = buildWebviewHtml(webview, root, 'overview', 'x');
    assert.notEqual(/nonce-([^']+)'/.exec(again)?.[1], nonce);
  });

  test('holds messages while the panel is hidden and its webview torn down, and resumes when it reloads', async () => {
    const doc = await vscode.workspace.openTextDocument({ content: 'cover the panel' });
    await vscode.window.showTextDocument(doc, { viewColumn: panel.panel.viewColumn, preview: false });
    if (panel.panel.visible) {
      await waitFor(panel.panel.onDidChangeViewState, (e) => !e.webviewPanel.visible, 'the panel to be hidden');
    }
    assert.equal(panel.host.ready, false, 'a hidden panel must not be sent messages');
    const reloaded = waitFor(
      panel.host.onDidHandleMessage,
      (h) => (h.message as { kind?: string; command?: string }).command === 'ready',
      'the webview to load again and say ready',
    );
    panel.panel.reveal();
    await reloaded;
    assert.equal(panel.host.ready, true);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const reopened = await vscode.commands.executeCommand<OverviewPanel>('claudeManager.openOverview');
    assert.ok(reopened);
    panel = reopened;
    if (!panel.host.ready) await waitFor(panel.host.onDidBecomeReady, () => true, 'the reopened panel to be ready');
  });

  test('answers a load with as many periods as asked, today last, and the host facts', async () => {
    const response = await panel.host.handleMessage({ kind: 'request', id: 41, method: 'overviewLoad', params: { period: 'daily', span: 7 } });
    assert.ok(response && 'result' in response, JSON.stringify(response));
    const data = response.result as OverviewData;
    assert.equal(data.usage.periods.length, 7);
    assert.equal(data.usage.periods.at(-1)?.date, data.today);
    assert.equal(data.usage.to, data.today);
    assert.equal(data.weekStart, 1, 'Monday unless the user chose another day');
    assert.equal(data.about.extensionVersion, '0.0.1');
    assert.ok(data.about.editorVersion.startsWith(vscode.version), data.about.editorVersion);
    // The extension found sql.js's .wasm in its own install folder and ran SQL with it.
    assert.equal(data.about.storage.ok, true, JSON.stringify(data.about.storage));
    const months = await panel.host.handleMessage({ kind: 'request', id: 42, method: 'overviewLoad', params: { period: 'monthly', span: 12 } });
    assert.ok(months && 'result' in months);
    const m = months.result as OverviewData;
    assert.equal(m.usage.periods.length, 12);
    assert.ok(m.usage.periods.every((p) => p.date.endsWith('-01')), 'months begin on the first');
  });

  test('begins weeks on the day claudeManager.firstDayOfWeek names', async () => {
    const config = vscode.workspace.getConfiguration('claudeManager');
    await config.update('firstDayOfWeek', 'sunday', vscode.ConfigurationTarget.Global);
    try {
      const response = await panel.host.handleMessage({ kind: 'request', id: 43, method: 'overviewLoad', params: { period: 'weekly', span: 4 } });
      assert.ok(response && 'result' in response);
      const data = response.result as OverviewData;
      assert.equal(data.weekStart, 0);
      assert.ok(data.usage.periods.every((p) => new Date(`${p.date}T12:00:00`).getDay() === 0), JSON.stringify(data.usage.periods.map((p) => p.date)));
    } finally {
      await config.update('firstDayOfWeek', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('exports a table as CSV and JSON where the user says, and nothing when they cancel', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cm-export-'));
    const table = { name: 'agents', columns: ['name', 'costTotal'], rows: [['=cmd', 1.25], ['plain, "quoted"', 0]] };
    try {
      const suggested: string[] = [];
      panel.pickSaveUri = async (uri, format) => {
        suggested.push(uri.path);
        return vscode.Uri.file(join(dir, `out.${format}`));
      };
      const csv = await panel.host.handleMessage({ kind: 'request', id: 44, method: 'overviewExport', params: { format: 'csv', ...table } });
      assert.ok(csv && 'result' in csv, JSON.stringify(csv));
      assert.equal((csv.result as { path?: string }).path, join(dir, 'out.csv'));
      assert.equal(readFileSync(join(dir, 'out.csv'), 'utf8'), `name,costTotal\r\n'=cmd,1.25\r\n"plain, ""quoted""",0\r\n`);
      assert.match(suggested[0] ?? '', /claude-manager-agents-\d{4}-\d\d-\d\d\.csv$/);
      const json = await panel.host.handleMessage({ kind: 'request', id: 45, method: 'overviewExport', params: { format: 'json', ...table } });
      assert.ok(json && 'result' in json);
      assert.deepEqual(JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')), [{ name: '=cmd', costTotal: 1.25 }, { name: 'plain, "quoted"', costTotal: 0 }]);
      panel.pickSaveUri = async () => undefined;
      const cancelled = await panel.host.handleMessage({ kind: 'request', id: 46, method: 'overviewExport', params: { format: 'csv', ...table } });
      assert.ok(cancelled && 'result' in cancelled);
      assert.deepEqual(cancelled.result, {});
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('answers malformed and unknown messages with an error and changes nothing', async () => {
    const cases: [unknown, string, number | null][] = [
      [{ hello: 'world' }, 'INVALID_MESSAGE', null],
      ['just a string', 'INVALID_MESSAGE', null],
      [{ kind: 'request', id: 7, method: 'deleteEverything', params: {} }, 'UNKNOWN_METHOD', 7],
      // The chat's methods are not the Overview's.
      [{ kind: 'request', id: 8, method: 'chatSend', params: {} }, 'UNKNOWN_METHOD', 8],
      [{ kind: 'request', id: 9, method: 'overviewLoad', params: { period: 'daily', span: 0 } }, 'INVALID_PARAMS', 9],
      [{ kind: 'request', id: 10, method: 'overviewLoad', params: { period: 'daily', span: 7, extra: true } }, 'INVALID_PARAMS', 10],
      [{ kind: 'request', id: 11, method: 'overviewExport', params: { format: 'csv', name: '../../etc/passwd', columns: ['a'], rows: [] } }, 'INVALID_PARAMS', 11],
      [{ kind: 'request', id: 12, method: 'overviewOpenChat', params: { agentId: 'not an id' } }, 'INVALID_PARAMS', 12],
      [{ kind: 'command', command: 'selfDestruct', params: {} }, 'UNKNOWN_METHOD', null],
      [{ kind: 'command', command: 'log', params: { level: 'fatal', message: 'x' } }, 'INVALID_PARAMS', null],
    ];
    for (const [message, code, id] of cases) {
      const response = (await panel.host.handleMessage(message)) as HostMessageEnvelope | undefined;
      assert.ok(response && 'error' in response, `no error for ${JSON.stringify(message)}`);
      assert.equal(response.error.code, code, JSON.stringify(message));
      assert.equal(response.id, id);
    }
    // Nothing was changed by them: the channel still works as before.
    assert.equal(panel.host.ready, true);
    const after = await panel.host.handleMessage({ kind: 'request', id: 60, method: 'overviewLoad', params: { period: 'daily', span: 1 } });
    assert.ok(after && 'result' in after);
    assert.equal((after.result as OverviewData).usage.periods.length, 1);
  });

  test('reports the Claude Code CLI named by claudeManager.claudePath, and a clear error when it is missing', async () => {
    const cli = findClaudeBinary();
    const config = vscode.workspace.getConfiguration('claudeManager');
    await config.update('claudePath', cli, vscode.ConfigurationTarget.Global);
    const found = await panel.host.handleMessage({ kind: 'request', id: 50, method: 'overviewLoad', params: { period: 'daily', span: 1 } });
    assert.ok(found && 'result' in found);
    const about = (found.result as OverviewData).about;
    assert.deepEqual(about.cli, { found: true, path: cli, version: about.cli.found ? about.cli.version : '' });
    assert.match(about.cli.found ? about.cli.version : '', /^\d+\.\d+\.\d+/);
    assert.match(about.storage.ok ? about.storage.sqliteVersion : '', /^3\.\d+\.\d+$/);

    await config.update('claudePath', '/nonexistent/claude', vscode.ConfigurationTarget.Global);
    const missing = await panel.host.handleMessage({ kind: 'request', id: 51, method: 'overviewLoad', params: { period: 'daily', span: 1 } });
    assert.ok(missing && 'result' in missing);
    const cliMissing = (missing.result as OverviewData).about.cli;
    assert.equal(cliMissing.found, false);
    assert.match(cliMissing.found ? '' : cliMissing.message, /claudeManager\.claudePath.*\/nonexistent\/claude/);
  });
});

/** Polls `read` until `check` holds, or fails after `ms`. */
async function until<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (check(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

suite('Repositories and worktrees', () => {
  let api: ClaudeManagerApi;
  let repo: string;
  suiteSetup(async () => {
    api = (await extension().activate()).getAPI(1);
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test window opens a repository');
    repo = realpathSync(folder.uri.fsPath);
  });

  test('the repository open in the window is discovered and saved as a workspace', async () => {
    const workspaces = await until(() => api.workspaces.list(), (list) => list.some((w) => w.path === repo), `a workspace for ${repo}`);
    const ws = workspaces.find((w) => w.path === repo)!;
    assert.match(ws.id, /^ws_/);
    const worktrees = await api.worktrees.list(ws.id);
    assert.deepEqual(worktrees.map((w) => [w.path, w.isMain, w.missing]), [[repo, true, false]]);
  });

  test('a worktree made by the command shows through the API; removing it with work in it is refused, naming the work', async () => {
    const ws = (await api.workspaces.list()).find((w) => w.path === repo)!;
    const changed = waitFor(api.onDidChangeWorktrees as vscode.Event<{ workspaceId: string }>, (e) => e.workspaceId === ws.id, 'onDidChangeWorktrees');
    const created = await vscode.commands.executeCommand<Worktree>('claudeManager.createWorktree', { workspaceId: ws.id, branch: 'host/test-branch', newBranch: true });
    assert.ok(created, 'the command returns the worktree');
    await changed;
    assert.equal(created.branch, 'host/test-branch');
    assert.ok(existsSync(created.path), created.path);
    assert.deepEqual((await api.worktrees.list(ws.id)).map((w) => w.branch), ['main', 'host/test-branch']);
    assert.equal((await api.worktrees.gitStatus(created.id)).isClean, true);

    writeFileSync(join(created.path, 'unsaved-work.txt'), 'work');
    await assert.rejects(api.worktrees.delete(created.id), (e: Error & { code?: string }) => e.code === 'UNSAFE_DELETE' && /untracked: unsaved-work\.txt/.test(e.message));
    assert.ok(existsSync(join(created.path, 'unsaved-work.txt')), 'nothing was removed');
    const main = (await api.worktrees.list(ws.id)).find((w) => w.isMain)!;
    await assert.rejects(api.worktrees.delete(main.id, { force: true }), (e: Error & { code?: string }) => e.code === 'INVALID_INPUT');
    await api.worktrees.delete(created.id, { force: true, deleteBranch: true });
    assert.equal(existsSync(created.path), false);
    assert.deepEqual((await api.worktrees.list(ws.id)).map((w) => w.branch), ['main']);
    assert.throws(() => execFileSync('git', ['rev-parse', '--verify', 'refs/heads/host/test-branch'], { cwd: repo, stdio: 'pipe' }));
  });

  test('a folder that is not a repository is refused with NOT_A_REPOSITORY', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'cm-not-a-repo-'));
    await assert.rejects(api.workspaces.create({ path: folder }), (e: Error & { code?: string }) => e.code === 'NOT_A_REPOSITORY' && e.message.includes(folder));
  });
});

suite('Agents', () => {
  let api: ClaudeManagerApi;
  let mock: MockAnthropicApi;
  let home: string;
  const config = () => vscode.workspace.getConfiguration('claudeManager');
  suiteSetup(async () => {
    api = (await extension().activate()).getAPI(1);
    mock = await MockAnthropicApi.start();
    home = mkdtempSync(join(tmpdir(), 'cm-host-home-'));
    await config().update('claudePath', findClaudeBinary(), vscode.ConfigurationTarget.Global);
    // The CLI runs offline against the mock, with a home of its own.
    await config().update(
      'environment',
      { ANTHROPIC_BASE_URL: mock.url, ANTHROPIC_API_KEY: 'test-key', HOME: home, CLAUDE_CODE_MAX_RETRIES: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1' },
      vscode.ConfigurationTarget.Global,
    );
  });
  suiteTeardown(async () => {
    await config().update('environment', undefined, vscode.ConfigurationTarget.Global);
    await config().update('claudePath', undefined, vscode.ConfigurationTarget.Global);
    await mock.close();
  });

  test('an agent runs a turn with the real CLI through the API: status with reasons, messages, usage; stop ends its process', async () => {
    const repoPath = realpathSync(vscode.workspace.workspaceFolders![0]!.uri.fsPath);
    const ws = await until(() => api.workspaces.list(), (list) => list.some((w) => w.path === repoPath), 'the workspace');
    const main = (await api.worktrees.list(ws.find((w) => w.path === repoPath)!.id)).find((w) => w.isMain)!;
    const created = await api.agents.create({ worktreeId: main.id, name: 'host agent' });
    assert.deepEqual([created.status, created.statusReason, created.ownedByThisWindow], ['finished', 'not started', true]);
    mock.enqueue(textReply('Hello from the mock, through the editor', { usage: { input: 200, output: 20 } }));
    const reasons: string[] = [];
    const sub = (api.onDidChangeAgent as vscode.Event<Agent>)((a) => a.id === created.id && reasons.push(`${a.status}: ${a.statusReason}`));
    const turnOver = waitFor(api.onDidChangeAgent as vscode.Event<Agent>, (a) => a.id === created.id && a.status === 'waiting' && a.statusReason === 'waiting for your message', 'the end of the turn', 60_000);
    const started = await api.agents.start(created.id, { initialPrompt: 'Say hello' });
    assert.ok(started.pid && started.sessionId, JSON.stringify(started));
    await turnOver;
    sub.dispose();
    assert.deepEqual(reasons.slice(0, 2), ['running: starting', 'running: thinking']);
    const page = await until(() => api.agents.getMessages(created.id), (p) => p.messages.some((m) => m.role === 'assistant'), 'the stored reply');
    assert.deepEqual(page.messages.map((m) => `${m.role}: ${m.content}`).reverse(), ['user: Say hello', 'assistant: Hello from the mock, through the editor']);
    const usage = await api.usage.today({ agentId: created.id });
    assert.deepEqual([usage.inputTokens, usage.outputTokens, usage.requestCount], [200, 20, 1]);
    const limits = await api.usage.limits();
    assert.ok(!limits.available && /API key/.test(limits.reason), 'an API key login reports no subscription limits, and says so');
    const stopped = await api.agents.stop(created.id);
    assert.deepEqual([stopped.status, stopped.statusReason, stopped.pid], ['finished', 'stopped', undefined]);
    assert.throws(() => process.kill(-started.pid!, 0), 'no process of the agent\'s group is left');
    await assert.rejects(api.agents.interrupt(created.id), (e: Error & { code?: string }) => e.code === 'NOT_RUNNING');
  });

  test('an image goes to the agent through the API: the mock gets its bytes, the message refers to its file, the chat shows it from its webview URI; a BMP is refused', async () => {
    const repoPath = realpathSync(vscode.workspace.workspaceFolders![0]!.uri.fsPath);
    const ws = (await api.workspaces.list()).find((w) => w.path === repoPath)!;
    const main = (await api.worktrees.list(ws.id)).find((w) => w.isMain)!;
    const created = await api.agents.create({ worktreeId: main.id, name: 'viewer' });
    const png = makePng(6, 4, { seed: 7 });
    mock.enqueue(textReply('A tiny gradient'));
    const turnOver = waitFor(api.onDidChangeAgent as vscode.Event<Agent>, (a) => a.id === created.id && a.status === 'waiting', 'the reply', 60_000);
    const { messageId } = await api.agents.sendMessage(created.id, 'What is this?', { images: [{ data: png.toString('base64'), mediaType: 'image/png', name: 'tiny.png' }] });
    await turnOver;
    const sentImages = imageBlocks(lastUserBlocks(mock.mainRequests.at(-1)?.body));
    assert.deepEqual(sentImages.map((i) => i.mediaType), ['image/png']);
    assert.ok(sentImages[0]!.data.equals(png), 'the image\'s bytes reached the API');
    const page = await until(() => api.agents.getMessages(created.id), (p) => p.messages.some((m) => m.id === messageId), 'the stored message');
    const sent = page.messages.find((m) => m.id === messageId)!;
    assert.deepEqual(sent.images?.map((i) => [i.mediaType, i.bytes, i.name]), [['image/png', png.length, 'tiny.png']]);
    assert.equal((await api.agents.getImage(created.id, sent.images![0]!.id)).data, png.toString('base64'));
    // The chat may load this agent's images, and shows this one from its file.
    const chat = await vscode.commands.executeCommand<ChatPanel>('claudeManager.openChat', { agentId: created.id });
    const shown = (await chat.opened()).page.messages.find((m) => m.id === messageId)!.images![0]!;
    assert.ok(shown.src?.includes(`/images/${created.id}/${sent.images![0]!.id}.png`), shown.src);
    const roots = chat.panel.webview.options.localResourceRoots ?? [];
    assert.ok(roots.some((r) => r.path.endsWith(`/images/${created.id}`)), roots.map(String).join(', '));
    // Refused before anything is sent.
    const asked = mock.mainRequests.length;
    await assert.rejects(api.agents.sendMessage(created.id, 'And this?', { images: [{ data: makeBmp().toString('base64'), name: 'diagram.bmp' }] }), (e: Error & { code?: string }) => e.code === 'INVALID_INPUT' && /^"diagram\.bmp" is not a PNG, JPEG, GIF or WebP image/.test(e.message));
    assert.equal(mock.mainRequests.length, asked);
    await api.agents.stop(created.id);
    chat.panel.dispose();
  });

  test('the agent commands rename, change mode, archive, restore, fork and delete through the same services as the API', async () => {
    const repoPath = realpathSync(vscode.workspace.workspaceFolders![0]!.uri.fsPath);
    const ws = (await api.workspaces.list()).find((w) => w.path === repoPath)!;
    const main = (await api.worktrees.list(ws.id)).find((w) => w.isMain)!;
    const created = await api.agents.create({ worktreeId: main.id, name: 'managed' });
    const run = <T>(command: string, arg: Record<string, unknown>) => vscode.commands.executeCommand<T>(command, { agentId: created.id, ...arg });
    assert.equal((await run<Agent>('claudeManager.renameAgent', { name: 'renamed' }))?.name, 'renamed');
    assert.equal((await api.agents.get(created.id)).name, 'renamed');
    assert.equal((await run<Agent>('claudeManager.changeAgentMode', { mode: 'plan' }))?.mode, 'plan');
    assert.equal(await run('claudeManager.renameAgent', { name: '   ' }), undefined, 'an empty name is refused (with an error message)');
    assert.equal((await api.agents.get(created.id)).name, 'renamed');
    // Fork needs a conversation: refused with a clear error, nothing created.
    const before = (await api.agents.list({ includeDeleted: true })).length;
    assert.equal(await run('claudeManager.forkAgent', {}), undefined);
    assert.equal((await api.agents.list({ includeDeleted: true })).length, before);
    assert.ok((await run<Agent>('claudeManager.archiveAgent', {}))?.deletedAt, 'archived');
    assert.ok(!(await api.agents.list()).some((a) => a.id === created.id), 'gone from the active list');
    assert.equal((await run<Agent>('claudeManager.restoreAgent', {}))?.deletedAt, undefined, 'restored');
    assert.equal(await run('claudeManager.deleteAgent', { confirmed: true }), true);
    await assert.rejects(api.agents.get(created.id), (e: Error & { code?: string }) => e.code === 'NOT_FOUND');
  });

  test('"New Agent…" with arguments starts the agent in its mode; code from the editor reaches it with its file and lines', async () => {
    const repoPath = realpathSync(vscode.workspace.workspaceFolders![0]!.uri.fsPath);
    const ws = (await api.workspaces.list()).find((w) => w.path === repoPath)!;
    const main = (await api.worktrees.list(ws.id)).find((w) => w.isMain)!;
    const started = await vscode.commands.executeCommand<Agent>('claudeManager.newAgent', { worktreeId: main.id, name: 'editor helper', mode: 'plan', prompt: '' });
    assert.ok(started, 'the command returns the started agent');
    assert.deepEqual([started.name, started.mode, started.status], ['editor helper', 'plan', 'waiting']);
    // A file of the worktree, three lines selected (the third ends at the start of line 4: not included).
    const file = join(repoPath, 'src', 'pick.ts');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, 'const a = 1;\nconst b = 2;\nconst c = 3;\nconst d = 4;\n');
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(file));
    editor.selection = new vscode.Selection(1, 0, 3, 0);
    mock.enqueue(textReply('b and c are constants'));
    const turnOver = waitFor(api.onDidChangeAgent as vscode.Event<Agent>, (a) => a.id === started.id && a.status === 'waiting' && mock.mainRequests.length > 0, 'the reply', 60_000);
    const requestsBefore = mock.mainRequests.length;
    const sent = await vscode.commands.executeCommand<{ agentId: string; text: string }>('claudeManager.sendSelectionToAgent', { agentId: started.id, request: 'What are these?' });
    assert.equal(sent?.text, 'What are these?\n\nFrom src/pick.ts lines 2-3:\n```typescript\nconst b = 2;\nconst c = 3;\n```');
    await turnOver;
    // The CLI adds context of its own (a system reminder) before the user's text.
    assert.ok(lastUserText(mock.mainRequests[requestsBefore]?.body).endsWith(sent.text), 'the CLI sent the message as composed');
    // "Ask Agent About File" names the file relative to the worktree; an empty question is refused.
    const asked = await vscode.commands.executeCommand<{ text: string }>('claudeManager.askAgentAboutFile', vscode.Uri.file(file), { agentId: started.id, request: '' });
    assert.equal(asked, undefined, 'nothing is sent without a question');
    mock.enqueue(textReply('It defines four constants'));
    const secondOver = waitFor(api.onDidChangeAgent as vscode.Event<Agent>, (a) => a.id === started.id && a.status === 'waiting' && mock.mainRequests.length > requestsBefore + 1, 'the second reply', 60_000);
    const second = await vscode.commands.executeCommand<{ text: string }>('claudeManager.askAgentAboutFile', { agentId: started.id, request: 'What does it define?' });
    assert.equal(second?.text, 'What does it define?\n\nFile: src/pick.ts');
    await secondOver;
    await api.agents.stop(started.id);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('"New Agent…" without a first message starts the agent and ends in its chat, in front, which knows the CLI\'s commands before any turn; the first message sent there names the agent', async () => {
    const repoPath = realpathSync(vscode.workspace.workspaceFolders![0]!.uri.fsPath);
    const ws = (await api.workspaces.list()).find((w) => w.path === repoPath)!;
    const main = (await api.worktrees.list(ws.id)).find((w) => w.isMain)!;
    const turnsBefore = mock.mainRequests.length;
    const started = await vscode.commands.executeCommand<Agent>('claudeManager.newAgent', { worktreeId: main.id, mode: 'regular' });
    assert.ok(started, 'the command returns the started agent');
    assert.deepEqual([started.status, started.statusReason], ['waiting', 'waiting for your message']);
    assert.equal(mock.mainRequests.length, turnsBefore, 'no turn ran');
    // Its chat is the editor in front, with the focus (the webview puts it in the composer).
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputWebview && tab.label.startsWith(`${started.name} · `), `the active tab: ${tab?.label}`);
    const chat = (await vscode.commands.executeCommand<ChatPanel>('claudeManager.openChat', { agentId: started.id }))!;
    assert.ok(chat.panel.active && chat.panel.visible, 'the chat is the active editor');
    const opened = await chat.opened();
    assert.deepEqual(opened.page.messages, [], 'an empty conversation (the webview shows what to type)');
    const compact = opened.slashCommands.find((c) => c.name === 'compact');
    assert.ok(compact?.description, `the CLI's commands, described: ${JSON.stringify(opened.slashCommands.slice(0, 3))}`);
    // The first message, sent from the chat, is the first turn and names the agent.
    if (!chat.host.ready) await waitFor(chat.host.onDidBecomeReady, () => true, 'the webview to start');
    mock.enqueue(textReply('On it'));
    const turnOver = waitFor(api.onDidChangeAgent as vscode.Event<Agent>, (a) => a.id === started.id && a.status === 'waiting' && mock.mainRequests.length > turnsBefore, 'the first turn', 60_000);
    const sent = await chat.host.handleMessage({ kind: 'request', id: 1, method: 'chatSend', params: { agentId: started.id, text: 'Tidy the release notes' } });
    assert.ok(sent && 'result' in sent, JSON.stringify(sent));
    await turnOver;
    assert.ok(lastUserText(mock.mainRequests[turnsBefore]?.body).endsWith('Tidy the release notes'));
    assert.equal((await api.agents.get(started.id)).name, 'Tidy the release notes');
    await api.agents.stop(started.id);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('"Open Chat" opens one panel per agent; the webview shows the conversation and sends through the runtime; bad messages change nothing', async () => {
    const repoPath = realpathSync(vscode.workspace.workspaceFolders![0]!.uri.fsPath);
    const ws = (await api.workspaces.list()).find((w) => w.path === repoPath)!;
    const main = (await api.worktrees.list(ws.id)).find((w) => w.isMain)!;
    const created = await api.agents.create({ worktreeId: main.id, name: 'chatty' });
    const chat = await vscode.commands.executeCommand<ChatPanel>('claudeManager.openChat', { agentId: created.id });
    assert.ok(chat, 'the command returns the panel (in test mode)');
    assert.equal(await vscode.commands.executeCommand<ChatPanel>('claudeManager.openChat', { agentId: created.id }), chat, 'opening it again reveals the same panel');
    // The real webview runs (its conversation came in its page).
    if (!chat.host.ready) await waitFor(chat.host.onDidBecomeReady, () => true, 'the webview to start');
    mock.enqueue(textReply('Hello from the chat panel'));
    const turnOver = waitFor(api.onDidChangeAgent as vscode.Event<Agent>, (a) => a.id === created.id && a.status === 'waiting', 'the reply', 60_000);
    const sent = await chat.host.handleMessage({ kind: 'request', id: 1, method: 'chatSend', params: { agentId: created.id, text: 'Hello?' } });
    assert.ok(sent && 'result' in sent && typeof (sent.result as { messageId?: unknown }).messageId === 'string', JSON.stringify(sent));
    await turnOver;
    assert.match(chat.panel.title, /^chatty · waiting$/);
    // The reply's write may still be on its way to the store when the status turns: ask until it is there.
    // What a page made now holds (the chat's first page comes only in its page).
    const chatPage = async () => (await chat.opened()).page;
    const page = await until(chatPage, (p) => p.messages.some((m) => m.role === 'assistant'), 'the reply in the chat\'s page');
    assert.deepEqual(page.messages.map((m) => `${m.role}: ${m.content}`).reverse(), ['user: Hello?', 'assistant: Hello from the chat panel']);
    // "Export Chat as Markdown" writes the conversation, oldest first.
    const file = join(mkdtempSync(join(tmpdir(), 'cm-export-')), 'chat.md');
    const exported = await vscode.commands.executeCommand<{ path: string; messages: number }>('claudeManager.exportChat', { agentId: created.id, path: file });
    assert.deepEqual(exported, { path: file, messages: 2 });
    assert.match(readFileSync(file, 'utf8'), /^# chatty\n\nAgent in [^\n]+, exported [^\n]+\n\n## You \([^)]+\)\n\nHello\?\n\n## Claude \([^)]+\)\n\nHello from the chat panel\n$/);
    // Malformed, unknown, or aimed at another agent: an error each, and nothing sent.
    const before = mock.mainRequests.length;
    const other = await api.agents.create({ worktreeId: main.id, name: 'other' });
    const bad: [unknown, string][] = [
      [{ kind: 'request', id: 3, method: 'chatSend', params: { agentId: other.id, text: 'not mine' } }, 'FAILED'],
      [{ kind: 'request', id: 4, method: 'chatSend', params: { agentId: created.id, text: '' } }, 'INVALID_PARAMS'],
      [{ kind: 'request', id: 5, method: 'chatSend', params: { agentId: 'ag_x', text: 'hi', extra: 1 } }, 'INVALID_PARAMS'],
      [{ kind: 'request', id: 6, method: 'getInfo', params: {} }, 'UNKNOWN_METHOD'],
      [{ kind: 'request', id: 7, method: 'chatRespond', params: { agentId: created.id, requestId: 'nope', behavior: 'maybe' } }, 'INVALID_PARAMS'],
    ];
    for (const [message, code] of bad) {
      const response = (await chat.host.handleMessage(message)) as HostMessageEnvelope | undefined;
      assert.ok(response && 'error' in response, JSON.stringify(message));
      assert.equal(response.error.code, code, JSON.stringify(message));
    }
    // 10,000 fuzzed messages: random shapes, methods, parameters (some aimed at the other agent).
    const agentBefore = await api.agents.get(created.id);
    const messagesBefore = (await api.agents.getMessages(created.id, { limit: 500 })).messages.length;
    const methods = ['chatOpen', 'chatPage', 'chatSend', 'chatInterrupt', 'chatRespond', 'chatSetMode', 'chatSetModel', 'chatStart', 'chatOpenDiff', 'chatFiles', 'chatFind', 'getInfo', 'echo', '__proto__', 'constructor', ''];
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const junk = (): unknown => pick<() => unknown>([() => null, () => 42, () => -1, () => 'x'.repeat(Math.floor(random() * 50)), () => [], () => ({}), () => true, () => ({ __proto__: { agentId: created.id } }), () => other.id, () => 'ag_', () => Number.POSITIVE_INFINITY])();
    let answered = 0;
    for (let i = 0; i < 10_000; i++) {
      const params: Record<string, unknown> = {};
      for (const key of ['agentId', 'text', 'before', 'limit', 'requestId', 'behavior', 'mode', 'model', 'always', 'message', 'messageId', 'query', 'extra'].filter(() => random() < 0.4)) params[key] = junk();
      // Valid-looking but aimed elsewhere or incomplete: the agent id is never this panel's own with all else valid.
      if (random() < 0.3) params.agentId = other.id;
      const message = pick<() => unknown>([
        () => ({ kind: 'request', id: i, method: pick(methods), params }),
        () => ({ kind: 'command', command: pick(['ready2', 'log', 'copy', 'chatReload', 'run', '']), params: junk() }),
        () => ({ kind: pick(['request', 'response', 'notification', 7]), id: junk(), method: junk(), params }),
        () => junk(),
      ])();
      const response = (await chat.host.handleMessage(message)) as HostMessageEnvelope | undefined;
      if (response && 'error' in response) answered++;
    }
    assert.equal(mock.mainRequests.length, before, 'no fuzzed message reached the CLI');
    const agentAfter = await api.agents.get(created.id);
    assert.deepEqual([agentAfter.status, agentAfter.mode, agentAfter.model, agentAfter.name, agentAfter.pendingPermissions.length], [agentBefore.status, agentBefore.mode, agentBefore.model, agentBefore.name, 0]);
    assert.ok(!vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputTextDiff)), 'no diff was opened');
    assert.equal((await api.agents.getMessages(created.id, { limit: 500 })).messages.length, messagesBefore, 'no message was added');
    assert.equal((await api.agents.getMessages(other.id)).messages.length, 0);
    assert.ok(answered > 9_000, `${answered} of 10,000 answered with an error (the rest are valid log/copy commands, which answer nothing)`);
    recordReliability({ area: 'Fuzzed and wrong inputs', what: 'fuzzed messages from a chat webview to the host, in the real editor', count: 10_000, outcome: `${answered} answered with an error, the rest harmless commands; 0 reached the CLI; no message, mode, model, name or diff changed`, test: 'test/host/extension.test.ts' });
    await api.agents.stop(created.id);
    chat.panel.dispose();
  });

  test('"Open Chat" twice at once (a double click) opens one panel', async () => {
    const repoPath = realpathSync(vscode.workspace.workspaceFolders![0]!.uri.fsPath);
    const ws = (await api.workspaces.list()).find((w) => w.path === repoPath)!;
    const main = (await api.worktrees.list(ws.id)).find((w) => w.isMain)!;
    const created = await api.agents.create({ worktreeId: main.id, name: 'double clicked' });
    const chatTabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.label.startsWith('double clicked')).length;
    const [first, second] = await Promise.all([
      vscode.commands.executeCommand<ChatPanel>('claudeManager.openChat', { agentId: created.id }),
      vscode.commands.executeCommand<ChatPanel>('claudeManager.openChat', { agentId: created.id }),
    ]);
    try {
      // Each panel made has loaded its page (its tab is in the editor by then).
      for (const chat of new Set([first, second])) if (!chat.host.ready) await waitFor(chat.host.onDidBecomeReady, () => true, 'the chat\'s page', 60_000);
      await until(async () => chatTabs(), (n) => n > 0, 'the chat\'s tab', 60_000);
      assert.equal(chatTabs(), 1, 'one chat tab for the agent');
      assert.ok(first === second, 'both opens give the same panel');
    } finally {
      first.panel.dispose();
      second.panel.dispose();
    }
    await until(async () => chatTabs(), (n) => n === 0, 'the chat\'s tab to close');
  });

  test('A chat closed as it opens, or before its agent is renamed, throws nothing', async () => {
    const repoPath = realpathSync(vscode.workspace.workspaceFolders![0]!.uri.fsPath);
    const ws = (await api.workspaces.list()).find((w) => w.path === repoPath)!;
    const main = (await api.worktrees.list(ws.id)).find((w) => w.isMain)!;
    const created = await api.agents.create({ worktreeId: main.id, name: 'closed at once' });
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      for (const name of ['closed at once, renamed', 'closed at once, renamed again']) {
        // Closed as soon as it opened (its title is still being read), then the agent renamed.
        const chat = await vscode.commands.executeCommand<ChatPanel>('claudeManager.openChat', { agentId: created.id });
        chat.panel.dispose();
        await api.agents.update(created.id, { name });
      }
      // Whatever was still on its way (the titles' reads, the events) has run.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.deepEqual(rejections.map((r) => String((r as Error)?.message ?? r)), [], 'no unhandled rejection');
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });

  test('A file tool\'s card opens the diff editor on the file before and after it ran; find, @ paths and the model go through the chat\'s protocol', async () => {
    const repoPath = realpathSync(vscode.workspace.workspaceFolders![0]!.uri.fsPath);
    const ws = (await api.workspaces.list()).find((w) => w.path === repoPath)!;
    const main = (await api.worktrees.list(ws.id)).find((w) => w.isMain)!;
    const created = await api.agents.create({ worktreeId: main.id, name: 'differ', mode: 'auto' });
    const notes = join(repoPath, 'cm-diff-notes.txt');
    writeFileSync(notes, 'alpha\nbeta\ngamma\n');
    const chat = await vscode.commands.executeCommand<ChatPanel>('claudeManager.openChat', { agentId: created.id });
    let id = 100;
    const ask = async <R>(method: string, params: Record<string, unknown>): Promise<R> => {
      const response = (await chat.host.handleMessage({ kind: 'request', id: id++, method, params })) as HostMessageEnvelope;
      if ('error' in response) throw new Error(`${method}: ${response.error.code} ${response.error.message}`);
      return (response as { result: R }).result;
    };
    try {
      mock.enqueue(
        toolUseReply([{ name: 'Read', input: { file_path: notes } }]),
        toolUseReply([{ name: 'Edit', input: { file_path: notes, old_string: 'beta', new_string: 'BETA' } }]),
        textReply('Edited the notes.'),
      );
      const turnOver = waitFor(api.onDidChangeAgent as vscode.Event<Agent>, (a) => a.id === created.id && a.status === 'waiting', 'the edit turn', 60_000);
      await ask('chatSend', { agentId: created.id, text: 'Make beta loud in the notes' });
      await turnOver;
      assert.equal(readFileSync(notes, 'utf8'), 'alpha\nBETA\ngamma\n');
      type Msg = { id: string; toolName?: string; fileChange?: boolean };
      const page = await until(
        async () => (await chat.opened()).page as { messages: Msg[] },
        (p) => p.messages.some((m) => m.toolName === 'Edit' && m.fileChange === true),
        'the Edit card offering its diff',
      );
      const edit = page.messages.find((m) => m.toolName === 'Edit')!;
      assert.equal(page.messages.find((m) => m.toolName === 'Read')?.fileChange, undefined, 'a Read offers no diff');
      // Open Diff: the diff editor, on what the file was before the Edit and after it.
      await ask('chatOpenDiff', { agentId: created.id, messageId: edit.id });
      const tab = await until(async () => vscode.window.tabGroups.activeTabGroup.activeTab, (t) => t?.input instanceof vscode.TabInputTextDiff, 'the diff editor');
      const input = tab!.input as vscode.TabInputTextDiff;
      assert.equal(tab!.label, 'cm-diff-notes.txt (before ↔ after Edit)');
      assert.equal((await vscode.workspace.openTextDocument(input.original)).getText(), 'alpha\nbeta\ngamma\n');
      assert.equal((await vscode.workspace.openTextDocument(input.modified)).getText(), 'alpha\nBETA\ngamma\n');
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      // Find searches the whole conversation, newest first.
      const found = await ask<{ ids: string[]; total: number }>('chatFind', { agentId: created.id, query: 'beta' });
      assert.equal(found.total, found.ids.length);
      assert.ok(found.ids.includes(edit.id) && found.total >= 2, JSON.stringify(found));
      assert.deepEqual(await ask('chatFind', { agentId: created.id, query: 'no such text anywhere' }), { ids: [], total: 0 });
      // `@` completion: the worktree's files, best match first (untracked ones too).
      const files = await ask<{ paths: string[] }>('chatFiles', { agentId: created.id, query: 'diff-no' });
      assert.equal(files.paths[0], 'cm-diff-notes.txt');
      // The model selector: the agent's model, live.
      const opened = await chat.opened();
      assert.ok(opened.models.includes('sonnet'), JSON.stringify(opened.models));
      await ask('chatSetModel', { agentId: created.id, model: 'sonnet' });
      assert.equal((await api.agents.get(created.id)).model, 'sonnet');
      // Another agent's message, or a made-up one: refused, nothing opened.
      const other = await api.agents.create({ worktreeId: main.id, name: 'not the differ' });
      await assert.rejects(ask('chatOpenDiff', { agentId: other.id, messageId: edit.id }), /INVALID_PARAMS|FAILED/);
      await assert.rejects(ask('chatSetModel', { agentId: created.id, model: 'sonnet; rm -rf' }), /INVALID_PARAMS/);
    } finally {
      await api.agents.stop(created.id);
      chat.panel.dispose();
      rmSync(notes, { force: true });
    }
  });

  test('"Sort By…" applies to every repository\'s worktrees and every worktree\'s agents, and refuses an unknown mode', async () => {
    const repoPath = realpathSync(vscode.workspace.workspaceFolders![0]!.uri.fsPath);
    const ws = (await api.workspaces.list()).find((w) => w.path === repoPath)!;
    assert.equal(await vscode.commands.executeCommand('claudeManager.sortTree', { mode: 'name' }), 'name');
    assert.ok((await api.worktrees.list(ws.id)).every((w) => w.sortMode === 'name'));
    assert.equal(await vscode.commands.executeCommand('claudeManager.sortTree', { mode: 'sideways' }), undefined);
    assert.ok((await api.worktrees.list(ws.id)).every((w) => w.sortMode === 'name'), 'nothing changed');
    assert.equal(await vscode.commands.executeCommand('claudeManager.sortTree', { mode: 'free' }), 'free');
    assert.ok((await api.worktrees.list(ws.id)).every((w) => w.sortMode === 'free'));
  });

  test('"Check Claude Code CLI" finds the CLI the setting names', async () => {
    assert.equal(await vscode.commands.executeCommand('claudeManager.checkCli'), true);
  });

  test('"Open Agent in Terminal" runs the CLI\'s own UI in an integrated terminal, and the status follows it through the CLI\'s hooks', async () => {
    const repoPath = realpathSync(vscode.workspace.workspaceFolders![0]!.uri.fsPath);
    // What a user who has run the CLI before has: onboarding done, this folder trusted, the key accepted.
    writeFileSync(join(home, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true, projects: { [repoPath]: { hasTrustDialogAccepted: true } }, customApiKeyResponses: { approved: ['test-key'], rejected: [] } }));
    const ws = (await api.workspaces.list()).find((w) => w.path === repoPath)!;
    const main = (await api.worktrees.list(ws.id)).find((w) => w.isMain)!;
    const created = await api.agents.create({ worktreeId: main.id, name: 'terminal agent' });
    const terminal = await vscode.commands.executeCommand<vscode.Terminal>('claudeManager.openAgentInTerminal', { agentId: created.id });
    assert.ok(terminal, 'the command returns the terminal it opened');
    const pid = await terminal.processId;
    let agent = await until(() => api.agents.get(created.id), (a) => a.pid === pid, 'the terminal\'s process recorded');
    assert.deepEqual([agent.status, agent.statusReason, agent.ownedByThisWindow], ['waiting', 'waiting for your message in the terminal', true]);
    mock.enqueue(textReply('Hello from the CLI in an editor terminal', { usage: { input: 150, output: 15 } }));
    const turnOver = waitFor(api.onDidChangeAgent as vscode.Event<Agent>, (a) => a.id === created.id && a.status === 'waiting' && a.statusReason === 'waiting for your message in the terminal' && mock.mainRequests.length > 0, 'the end of the terminal turn', 60_000);
    const submitted = waitFor(api.onDidChangeAgent as vscode.Event<Agent>, (a) => a.id === created.id && a.statusReason === 'thinking (in the terminal)', 'the prompt submitted', 60_000);
    // Typed as a person would: the text, then Enter on its own (text and Enter in one write reads as a paste).
    // The UI may still be starting: Enter is pressed again until the CLI reports the prompt.
    terminal.sendText('say hello', false);
    let seen = false;
    void submitted.then(() => (seen = true), () => undefined);
    for (let i = 0; i < 40 && !seen; i++) {
      await new Promise((r) => setTimeout(r, 1500));
      if (!seen) terminal.sendText('\r', false);
    }
    await submitted;
    await turnOver;
    const page = await until(() => api.agents.getMessages(created.id), (p) => p.messages.some((m) => m.role === 'assistant'), 'the reply read from the transcript');
    assert.deepEqual(page.messages.map((m) => `${m.role}: ${m.content}`).reverse(), ['user: say hello', 'assistant: Hello from the CLI in an editor terminal']);
    await assert.rejects(api.agents.sendMessage(created.id, 'from the API'), (e: Error & { code?: string }) => e.code === 'ALREADY_RUNNING' && /terminal/.test(e.message));
    const finished = waitFor(api.onDidChangeAgent as vscode.Event<Agent>, (a) => a.id === created.id && a.status === 'finished', 'the end of the terminal session', 30_000);
    terminal.dispose();
    agent = await finished;
    assert.equal(agent.pid, undefined);
    await until(async () => { try { process.kill(pid!, 0); return true; } catch { return false; } }, (alive) => !alive, 'the terminal\'s CLI gone');
  });

  // The last test of all: the extension is off after it.
  test('a budget used up stops this window\'s agents when claudeManager.budgetStopsAgents is on; their sessions stay', async () => {
    const repoPath = realpathSync(vscode.workspace.workspaceFolders![0]!.uri.fsPath);
    const ws = (await api.workspaces.list()).find((w) => w.path === repoPath)!;
    const main = (await api.worktrees.list(ws.id)).find((w) => w.isMain)!;
    // 100 tokens left today: one turn of 220 uses it up.
    const spent = (await api.usage.today()).totalTokens;
    try {
      await config().update('budgetUnit', 'tokens', vscode.ConfigurationTarget.Global);
      await config().update('budgetStopsAgents', true, vscode.ConfigurationTarget.Global);
      await config().update('dailyBudget', spent + 100, vscode.ConfigurationTarget.Global);
      const agent = await api.agents.create({ worktreeId: main.id, name: 'over budget' });
      mock.enqueue(textReply('This turn spends the rest of the budget', { usage: { input: 200, output: 20 } }));
      const stopped = waitFor(api.onDidChangeAgent as vscode.Event<Agent>, (a) => a.id === agent.id && a.status === 'finished' && a.statusReason === 'stopped', 'the agent stopped for the budget', 60_000);
      await api.agents.start(agent.id, { initialPrompt: 'Spend it' });
      await stopped;
      assert.ok((await api.usage.today()).totalTokens >= spent + 220);
      // Its session stays: Start resumes it.
      assert.ok((await api.agents.get(agent.id)).sessionId);
    } finally {
      for (const key of ['budgetUnit', 'budgetStopsAgents', 'dailyBudget']) await config().update(key, undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('deactivate returns a promise that settles once every agent\'s processes are gone and the store is closed', async () => {
    const repoPath = realpathSync(vscode.workspace.workspaceFolders![0]!.uri.fsPath);
    const ws = (await api.workspaces.list()).find((w) => w.path === repoPath)!;
    const main = (await api.worktrees.list(ws.id)).find((w) => w.isMain)!;
    const created = await api.agents.create({ worktreeId: main.id, name: 'left running' });
    // Mid-turn when the window closes: the answer takes 20 s.
    mock.enqueue(textReply('late', { initialDelayMs: 20_000 }));
    const started = await api.agents.start(created.id, { initialPrompt: 'Take your time' });
    const pid = started.pid!;
    assert.doesNotThrow(() => process.kill(-pid, 0), 'the agent runs');
    // The module the editor loaded: its deactivate is what the editor calls, and waits on, when the window closes.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require(join(extension().extensionPath, 'dist', 'extension.js')) as { deactivate(): unknown };
    const result = loaded.deactivate();
    assert.equal(typeof (result as Promise<void> | undefined)?.then, 'function', 'deactivate returns a promise for the editor to wait on');
    await result;
    assert.throws(() => process.kill(-pid, 0), 'no process of the agent\'s group is left once it settled');
    await assert.rejects(api.agents.list(), /The store is closed/);
  });
});
