import * as vscode from 'vscode';
import { locateClaudeCli, readCliVersion } from '../../services/cliLocator';
import type { CliInfo, RequestResult } from '../../webview/protocol';
import { getConfig } from '../config';
import { buildWebviewHtml, webviewResourceRoots } from './webviewHtml';
import { followPanel, WebviewHost } from './webviewHost';

const VIEW_TYPE = 'claudeManager.panel';
const TITLE = 'Claude Manager';

/** What the panel needs from the rest of the extension. */
export interface ManagerPanelDeps {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  /** The SQLite version of the engine the extension loaded, or why it could not load it. */
  sqliteVersion(): Promise<string>;
}

async function describeCli(log: vscode.LogOutputChannel): Promise<CliInfo> {
  try {
    const location = await locateClaudeCli({ configured: getConfig().claudePath });
    return { found: true, path: location.path, version: await readCliVersion(location.path, log) };
  } catch (error) {
    return { found: false, message: (error as Error).message };
  }
}

/** One open panel: its webview and the message host that serves it. */
export class ManagerPanel implements vscode.Disposable {
  readonly host: WebviewHost;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly deps: ManagerPanelDeps,
  ) {
    const { context, log } = deps;
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'claude-manager.svg');
    panel.webview.options = { enableScripts: true, localResourceRoots: webviewResourceRoots(context.extensionUri) };
    this.host = new WebviewHost(
      panel.webview,
      {
        getInfo: () => this.info(),
        echo: ({ text }) => ({ text, receivedAt: new Date().toISOString() }),
      },
      { log: ({ level, message }) => log[level](`webview: ${message}`), copy: ({ text }) => void vscode.env.clipboard.writeText(text) },
      log,
    );
    panel.webview.html = buildWebviewHtml(panel.webview, context.extensionUri, 'panel', TITLE);
    this.disposables.push(this.host, this.disposeEmitter, ...followPanel(panel, this.host, () => this.dispose()));
  }

  /** Tells the webview which CLI would run now. */
  async refreshCli(): Promise<void> {
    this.host.notify('didChangeCli', await describeCli(this.deps.log));
  }

  private async info(): Promise<RequestResult<'getInfo'>> {
    const [cli, storage] = await Promise.all([
      describeCli(this.deps.log),
      this.deps.sqliteVersion().then(
        (sqliteVersion) => ({ ok: true as const, sqliteVersion }),
        (error: Error) => ({ ok: false as const, message: error.message }),
      ),
    ]);
    return {
      extensionVersion: String((this.deps.context.extension.packageJSON as { version?: unknown }).version ?? 'unknown'),
      editorVersion: vscode.version,
      uiKind: vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop',
      remoteName: vscode.env.remoteName ?? null,
      cli,
      storage,
    };
  }

  dispose(): void {
    const all = this.disposables.splice(0);
    if (all.length === 0) return;
    this.disposeEmitter.fire();
    this.panel.dispose();
    vscode.Disposable.from(...all).dispose();
  }
}

/**
 * Owns the editor panel: one at a time (opening it again reveals it), restored after a window
 * reload by a serializer, told when the CLI setting changes.
 */
export class ManagerPanels implements vscode.Disposable {
  private current: ManagerPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly deps: ManagerPanelDeps) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
        deserializeWebviewPanel: async (panel: vscode.WebviewPanel) => {
          this.adopt(panel);
        },
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('claudeManager.claudePath')) void this.current?.refreshCli();
      }),
    );
  }

  /** Opens the panel, or reveals it when it is already open. */
  show(): ManagerPanel {
    if (this.current) {
      this.current.panel.reveal();
      return this.current;
    }
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, TITLE, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: webviewResourceRoots(this.deps.context.extensionUri),
    });
    return this.adopt(panel);
  }

  private adopt(panel: vscode.WebviewPanel): ManagerPanel {
    this.current?.dispose();
    const managed = new ManagerPanel(panel, this.deps);
    this.current = managed;
    managed.onDidDispose(() => {
      if (this.current === managed) this.current = undefined;
    });
    return managed;
  }

  dispose(): void {
    this.current?.dispose();
    vscode.Disposable.from(...this.disposables.splice(0)).dispose();
  }
}
