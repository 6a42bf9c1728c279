import * as vscode from 'vscode';
import { attemptSummary, type Comparison } from '../../services/workspaces/bestOfN';
import type * as CompareProtocolModule from '../../webview/compareProtocol';
import type { CompareData, CompareNotificationMethod, CompareNotificationParams, CompareRequestMethod, CompareRequestParams, CompareRequestResult } from '../../webview/compareProtocol';
import type { Services } from '../services';
import { buildWebviewHtml, webviewResourceRoots } from './webviewHtml';
import { followPanel, type RequestHandlers, type WebviewContract, WebviewHost } from './webviewHost';

export const COMPARE_VIEW_TYPE = 'claudeManager.compare';
/** Changes that come in a burst (every agent of the group at once) are drawn once. */
const REFRESH_DELAY_MS = 300;

let contract: WebviewContract | undefined;
/** The Compare panel's schemas, loaded with its first message (the build puts them in `dist/lazy.js`). */
function compareContract(): WebviewContract {
  if (!contract) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const p = require('../../webview/compareProtocol') as typeof CompareProtocolModule;
    contract = { requestSchemas: p.compareRequestSchemas, commandSchemas: p.compareCommandSchemas, notificationSchemas: p.compareNotificationSchemas };
  }
  return contract;
}

/** What the Compare panels need from the rest of the extension. */
export interface ComparePanelsDeps {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  services: () => Promise<Services>;
  openChat: (agentId: string) => Promise<unknown>;
  /** Keep This One, with the questions it asks (attemptActions.ts). */
  keep: (groupId: string, attemptId: string) => Promise<CompareRequestResult<'compareKeep'>>;
  openDiff: (params: CompareRequestParams<'compareOpenDiff'>) => Promise<void>;
}

type CompareHandlers = { [M in CompareRequestMethod]: (params: CompareRequestParams<M>) => Promise<CompareRequestResult<M>> };

/** The comparison as the panel's protocol carries it. */
export function compareData(c: Comparison): CompareData {
  return {
    groupId: c.group.id,
    name: c.group.name,
    prompt: c.group.prompt,
    baseBranch: c.group.baseBranch,
    baseCommit: c.group.baseCommit,
    ...(c.group.keptAttemptId ? { keptAttemptId: c.group.keptAttemptId } : {}),
    createdAt: c.group.createdAt,
    attempts: c.attempts.map((a) => ({ ...attemptSummary(a), ...(a.worktreeName ? { worktreeName: a.worktreeName } : {}) })),
  };
}

/** One group's Compare panel: its webview, the host that serves it, and what it follows. */
export class ComparePanel implements vscode.Disposable {
  readonly host: WebviewHost;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;
  private timer: NodeJS.Timeout | undefined;
  private agentIds = new Set<string>();
  private worktreeIds = new Set<string>();

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly groupId: string,
    private readonly deps: ComparePanelsDeps,
  ) {
    const { context, log } = deps;
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'claude-manager.svg');
    panel.webview.options = { enableScripts: true, localResourceRoots: webviewResourceRoots(context.extensionUri) };
    const handlers: CompareHandlers = {
      compareLoad: async () => this.load(),
      compareOpenDiff: async (params) => {
        await deps.openDiff(params);
        return {};
      },
      compareKeep: ({ attemptId }) => deps.keep(groupId, attemptId),
      compareOpenChat: async ({ agentId }) => {
        await deps.openChat(agentId);
        return {};
      },
    };
    this.host = new WebviewHost(
      panel.webview,
      // The handlers are checked against the Compare panel's own schemas (compareContract), not the chat's.
      handlers as unknown as RequestHandlers,
      { log: ({ level, message }) => log[level](`compare webview: ${message}`), copy: () => undefined },
      log,
      compareContract,
    );
    panel.webview.html = buildWebviewHtml(panel.webview, context.extensionUri, 'compare', panel.title, { groupId });
    this.disposables.push(this.host, this.disposeEmitter, ...followPanel(panel, this.host, () => this.dispose()));
    void deps.services().then((s) => this.follow(s), (error: Error) => log.warn(`Compare panel: ${error.message}`));
  }

  private follow(s: Services): void {
    if (this.disposables.length === 0) return;
    const offs = [
      s.runtime.onDidChangeAgent((a) => this.agentIds.has(a.id) && this.refreshSoon()),
      s.bestOfN.onDidChangeGroup((e) => e.groupId === this.groupId && this.refreshSoon()),
      s.monitor.onDidChangeStatus((worktreeId) => this.worktreeIds.has(worktreeId) && this.refreshSoon()),
    ];
    this.disposables.push({ dispose: () => offs.forEach((off) => off()) });
  }

  private async load(): Promise<CompareData> {
    const s = await this.deps.services();
    const data = compareData(await s.bestOfN.compare(this.groupId));
    this.agentIds = new Set(data.attempts.flatMap((a) => (a.agentId ? [a.agentId] : [])));
    const group = await s.bestOfN.get(this.groupId);
    this.worktreeIds = new Set(group.attempts.flatMap((a) => (a.worktreeId ? [a.worktreeId] : [])));
    this.panel.title = `Compare: ${data.name}`;
    return data;
  }

  /** Reads the comparison again and sends it, once for a burst of changes. */
  refreshSoon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.load().then(
        (data) => this.notify('compareChanged', data),
        (error: Error) => this.deps.log.warn(`Compare panel: the comparison could not be read again: ${error.message}`),
      );
    }, REFRESH_DELAY_MS);
  }

  private notify<N extends CompareNotificationMethod>(method: N, params: CompareNotificationParams<N>): void {
    (this.host.notify as (m: string, p: unknown) => void)(method, params);
  }

  dispose(): void {
    const all = this.disposables.splice(0);
    if (all.length === 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.disposeEmitter.fire();
    this.panel.dispose();
    vscode.Disposable.from(...all).dispose();
  }
}

/** One Compare panel per group: opening it again reveals it; restored after a reload. */
export class ComparePanels implements vscode.Disposable {
  private readonly panels = new Map<string, ComparePanel>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly deps: ComparePanelsDeps) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
          const groupId = (state as { groupId?: unknown } | undefined)?.groupId;
          const known = typeof groupId === 'string' && !this.panels.has(groupId) && (await (await deps.services()).bestOfN.get(groupId).then(() => true, () => false));
          if (!known) {
            panel.dispose();
            return;
          }
          this.adopt(panel, groupId);
        },
      }),
    );
  }

  /** Opens the group's panel, or reveals it. */
  async open(groupId: string): Promise<ComparePanel> {
    const open = this.panels.get(groupId);
    if (open) {
      open.panel.reveal();
      return open;
    }
    const group = await (await this.deps.services()).bestOfN.get(groupId);
    const panel = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, `Compare: ${group.name}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: webviewResourceRoots(this.deps.context.extensionUri),
    });
    return this.adopt(panel, groupId);
  }

  private adopt(panel: vscode.WebviewPanel, groupId: string): ComparePanel {
    const managed = new ComparePanel(panel, groupId, this.deps);
    this.panels.set(groupId, managed);
    managed.onDidDispose(() => {
      if (this.panels.get(groupId) === managed) this.panels.delete(groupId);
    });
    return managed;
  }

  dispose(): void {
    for (const panel of [...this.panels.values()]) panel.dispose();
    vscode.Disposable.from(...this.disposables.splice(0)).dispose();
  }
}
