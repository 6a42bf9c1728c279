import * as vscode from 'vscode';
import { locateClaudeCli, readCliVersion } from '../../services/cliLocator';
import { getConfig } from '../config';
import { buildWebviewHtml, webviewResourceRoots } from './webviewHtml';
import { WebviewHost } from './webviewHost';
import type { RequestResult } from '../../webview/protocol';

const VIEW_TYPE = 'claudeManager.panel';
const TITLE = 'Claude Manager';

/**
 * The editor panel. One at a time: opening it again reveals the existing one. A serializer
 * brings it back after a window reload; only UI state lives in the webview.
 */
export class ManagerPanel implements vscode.Disposable {
  private static current: ManagerPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  readonly host: WebviewHost;

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'claude-manager.svg');
    panel.webview.options = { enableScripts: true, localResourceRoots: webviewResourceRoots(context.extensionUri) };
    this.host = new WebviewHost(
      panel.webview,
      {
        getInfo: () => this.info(),
        echo: ({ text }) => ({ text, receivedAt: new Date().toISOString() }),
      },
      {
        log: ({ level, message }) => this.log[level](`webview: ${message}`),
      },
      log,
    );
    panel.webview.html = buildWebviewHtml(panel.webview, context.extensionUri, 'panel', TITLE);
    this.disposables.push(this.host, panel.onDidDispose(() => this.dispose()));
  }

  /** Opens the panel, or reveals it when it is already open. */
  static show(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): ManagerPanel {
    if (ManagerPanel.current) {
      ManagerPanel.current.panel.reveal();
      return ManagerPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, TITLE, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: webviewResourceRoots(context.extensionUri),
    });
    ManagerPanel.current = new ManagerPanel(panel, context, log);
    return ManagerPanel.current;
  }

  /** Restores panels that were open when the window reloaded. */
  static registerSerializer(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel) => {
        ManagerPanel.current?.dispose();
        ManagerPanel.current = new ManagerPanel(panel, context, log);
      },
    });
  }

  static disposeCurrent(): void {
    ManagerPanel.current?.dispose();
  }

  private async info(): Promise<RequestResult<'getInfo'>> {
    let cli: RequestResult<'getInfo'>['cli'];
    try {
      const location = await locateClaudeCli({ configured: getConfig().claudePath });
      cli = { found: true, path: location.path, version: await readCliVersion(location.path, this.log) };
    } catch (error) {
      cli = { found: false, message: (error as Error).message };
    }
    return {
      extensionVersion: String((this.context.extension.packageJSON as { version?: unknown }).version ?? 'unknown'),
      editorVersion: vscode.version,
      uiKind: vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop',
      remoteName: vscode.env.remoteName ?? null,
      cli,
    };
  }

  dispose(): void {
    if (ManagerPanel.current === this) ManagerPanel.current = undefined;
    const all = this.disposables.splice(0);
    this.panel.dispose();
    vscode.Disposable.from(...all).dispose();
  }
}
