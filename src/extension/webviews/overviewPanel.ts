import { homedir } from 'node:os';
import * as vscode from 'vscode';
import { locateClaudeCli, readCliVersion } from '../../services/cliLocator';
import { type BudgetUse, BudgetWatch } from '../../services/usage/budgets';
import { overviewOf } from '../../services/usage/overviewData';
import { toCsv, toJson } from '../../services/usage/tableExport';
import { localDate } from '../../services/storage/usageRepository';
import type * as OverviewProtocolModule from '../../webview/overviewProtocol';
import type { OverviewBudget, OverviewCli, OverviewData, OverviewNotificationMethod, OverviewNotificationParams, OverviewRequestMethod, OverviewRequestParams, OverviewRequestResult } from '../../webview/overviewProtocol';
import { getConfig } from '../config';
import type { Services } from '../services';
import { buildWebviewHtml, webviewResourceRoots } from './webviewHtml';
import { followPanel, type RequestHandlers, type WebviewContract, WebviewHost } from './webviewHost';

export const OVERVIEW_VIEW_TYPE = 'claudeManager.overview';
/** The view type of the panel this one replaced: a panel of it restored after an update becomes the Overview. */
const FORMER_VIEW_TYPE = 'claudeManager.panel';
const TITLE = 'Claude Manager Overview';
/** Agent changes and usage come in bursts (every streamed message): the panel is told once per second at most. */
const REFRESH_DELAY_MS = 1000;

let contract: WebviewContract | undefined;
/** The Overview's schemas, loaded with its first message (the build puts them in `dist/lazy.js`). */
function overviewContract(): WebviewContract {
  if (!contract) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const p = require('../../webview/overviewProtocol') as typeof OverviewProtocolModule;
    contract = { requestSchemas: p.overviewRequestSchemas, commandSchemas: p.overviewCommandSchemas, notificationSchemas: p.overviewNotificationSchemas };
  }
  return contract;
}

/** What the Overview needs from the rest of the extension. */
export interface OverviewPanelDeps {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  services: () => Promise<Services>;
  openChat: (agentId: string) => Promise<unknown>;
}

type OverviewHandlers = { [M in OverviewRequestMethod]: (params: OverviewRequestParams<M>) => Promise<OverviewRequestResult<M>> };

async function describeCli(log: vscode.LogOutputChannel): Promise<OverviewCli> {
  try {
    const location = await locateClaudeCli({ configured: getConfig().claudePath });
    return { found: true, path: location.path, version: await readCliVersion(location.path, log) };
  } catch (error) {
    return { found: false, message: (error as Error).message };
  }
}

function budgetOf(u: BudgetUse): OverviewBudget {
  return { period: u.period === 'day' ? 'daily' : 'monthly', unit: u.unit === 'dollars' ? 'usd' : 'tokens', limit: u.budget, used: u.used };
}

/**
 * The Overview: every agent of every repository in one table, where the tokens and money went
 * (by period, model, repository, worktree, agent), the plan's limits and the budgets. Its data
 * is read on request and sent again, as a hint to reload, when agents or usage change.
 */
export class OverviewPanel implements vscode.Disposable {
  readonly host: WebviewHost;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;
  private timer: NodeJS.Timeout | undefined;
  /**
   * Which CLI would run, and the storage engine: read once (the CLI's version is a process of its
   * own, ~0.2 s), again when claudeManager.claudePath changes. Every load says them.
   */
  private cli: Promise<OverviewCli> | undefined;
  private storage: Promise<OverviewData['about']['storage']> | undefined;
  /** How long the last load took to read its data here. */
  private readMs = 0;
  /** How long the webview took to draw its last load, as it reported. */
  lastDrawn: { ms: number; sinceAsked: number; sinceAnswered: number; periods: number; agents: number } | undefined;
  /** Where to save an export: the save dialog (the extension's tests put their own folder here). */
  pickSaveUri: (suggested: vscode.Uri, format: 'csv' | 'json') => Thenable<vscode.Uri | undefined>;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly deps: OverviewPanelDeps,
  ) {
    const { context, log } = deps;
    this.pickSaveUri = (uri, format) => vscode.window.showSaveDialog({ defaultUri: uri, saveLabel: 'Export', filters: format === 'csv' ? { CSV: ['csv'] } : { JSON: ['json'] } });
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'claude-manager.svg');
    panel.title = TITLE;
    panel.webview.options = { enableScripts: true, localResourceRoots: webviewResourceRoots(context.extensionUri) };
    const handlers: OverviewHandlers = {
      overviewLoad: (params) => this.load(params),
      overviewOpenChat: async ({ agentId }) => {
        await deps.openChat(agentId);
        return {};
      },
      overviewExport: (params) => this.export(params),
    };
    this.host = new WebviewHost(
      panel.webview,
      // Checked against the Overview's own schemas (overviewContract), not the chat's.
      handlers as unknown as RequestHandlers,
      {
        log: ({ level, message }: { level: 'info' | 'warn' | 'error'; message: string }) => log[level](`overview webview: ${message}`),
        copy: () => undefined,
        drawn: (params: { ms: number; sinceAsked: number; sinceAnswered: number; periods: number; agents: number }) => {
          this.lastDrawn = params;
          log.info(
            `Overview drawn ${params.sinceAsked.toFixed(1)} ms after it asked for its data, ${params.ms.toFixed(1)} ms after its page started (${params.periods} periods, ${params.agents} agents; the data read in ${this.readMs.toFixed(1)} ms, drawn ${params.sinceAnswered.toFixed(1)} ms after it came)`,
          );
        },
      } as unknown as ConstructorParameters<typeof WebviewHost>[2],
      log,
      overviewContract,
    );
    panel.webview.html = buildWebviewHtml(panel.webview, context.extensionUri, 'overview', TITLE);
    this.disposables.push(
      this.host,
      this.disposeEmitter,
      ...followPanel(panel, this.host, () => this.dispose()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('claudeManager.claudePath')) {
          const cli = (this.cli = describeCli(log));
          void cli.then((found) => this.notify('didChangeCli', found));
        }
        if (['firstDayOfWeek', 'dailyBudget', 'monthlyBudget', 'budgetUnit'].some((k) => e.affectsConfiguration(`claudeManager.${k}`))) this.refreshSoon();
      }),
    );
    void deps.services().then(
      (s) => {
        if (this.disposables.length === 0) return;
        const offs = [s.runtime.onDidChangeAgent(() => this.refreshSoon()), s.runtime.onDidChangeUsage(() => this.refreshSoon()), s.workspaces.onDidChangeWorkspaces(() => this.refreshSoon())];
        this.disposables.push({ dispose: () => offs.forEach((off) => off()) });
      },
      (error: Error) => log.warn(`Overview: ${error.message}`),
    );
  }

  /** Everything the panel draws, for `span` periods up to today's. */
  async load({ period, span }: OverviewRequestParams<'overviewLoad'>): Promise<OverviewData> {
    const started = performance.now();
    const s = await this.deps.services();
    const config = getConfig();
    const weekStart = config.firstDayOfWeek;
    const now = new Date();
    const today = localDate(now);
    const workspaces = await s.workspaces.listWorkspaces();
    const [worktrees, everyAgent, report, todayReport, limits, budgets, cli, storage] = await Promise.all([
      Promise.all(workspaces.map((w) => s.workspaces.knownWorktrees(w.id))).then((lists) => lists.flat()),
      // The removed ones too, for the names their usage is listed under.
      s.runtime.list({ includeDeleted: true }),
      s.store.usage.report({ period, span, to: today, weekStart }),
      s.store.usage.report({ period: 'daily', from: today, to: today }),
      s.runtime.limits(),
      new BudgetWatch(s.store, () => config.budgets).uses(),
      (this.cli ??= describeCli(this.deps.log)),
      (this.storage ??= s.store.sqliteVersion().then(
        (sqliteVersion) => ({ ok: true as const, sqliteVersion }),
        (error: Error) => ({ ok: false as const, message: error.message }),
      )),
    ]);
    // A store that failed to open is asked again next time (it is reopened on its next use).
    if (!storage.ok) this.storage = undefined;
    const agents = everyAgent.filter((a) => !a.deletedAt);
    const removed = everyAgent.filter((a) => a.deletedAt);
    const made = overviewOf({ agents, workspaces, worktrees, removedAgents: removed, report, today: todayReport });
    this.readMs = performance.now() - started;
    return {
      today,
      weekStart,
      ...made,
      limits: limits.available
        ? {
            available: true,
            limits: limits.limits.map((l) => ({ type: l.type, status: l.status, ...(l.resetsAt ? { resetsAt: l.resetsAt } : {}), ...(l.utilization !== undefined ? { utilization: l.utilization } : {}), reportedAt: l.reportedAt })),
          }
        : { available: false, reason: limits.reason },
      budgets: budgets.map(budgetOf),
      about: {
        extensionVersion: String((this.deps.context.extension.packageJSON as { version?: unknown }).version ?? 'unknown'),
        editorVersion: `${vscode.version} (${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'}${vscode.env.remoteName ? `, remote: ${vscode.env.remoteName}` : ''})`,
        cli,
        storage,
      },
    };
  }

  /** Saves a table the panel shows, where the user says. */
  private async export(table: OverviewRequestParams<'overviewExport'>): Promise<OverviewRequestResult<'overviewExport'>> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(homedir());
    const suggested = vscode.Uri.joinPath(folder, `claude-manager-${table.name}-${localDate(new Date())}.${table.format}`);
    const target = await this.pickSaveUri(suggested, table.format);
    if (!target) return {};
    const text = table.format === 'csv' ? toCsv(table) : toJson(table);
    try {
      await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
    } catch (error) {
      throw new Error(`The ${table.name} table could not be saved to ${target.fsPath}: ${(error as Error).message}. Choose another place.`, { cause: error });
    }
    this.deps.log.info(`Overview: exported ${table.rows.length} rows of ${table.name} to ${target.fsPath}`);
    return { path: target.fsPath };
  }

  /** Tells the panel to load again, once for a burst of changes. */
  refreshSoon(): void {
    if (this.timer || this.disposables.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.notify('overviewChanged', {});
    }, REFRESH_DELAY_MS);
  }

  private notify<N extends OverviewNotificationMethod>(method: N, params: OverviewNotificationParams<N>): void {
    (this.host.notify as (m: string, p: unknown) => void)(method, params);
  }

  dispose(): void {
    const all = this.disposables.splice(0);
    if (all.length === 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.disposeEmitter.fire();
    this.panel.dispose();
    vscode.Disposable.from(...all).dispose();
  }
}

/** One Overview at a time: opening it again reveals it; restored after a window reload. */
export class OverviewPanels implements vscode.Disposable {
  private current: OverviewPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly deps: OverviewPanelDeps) {
    for (const viewType of [OVERVIEW_VIEW_TYPE, FORMER_VIEW_TYPE]) {
      this.disposables.push(
        vscode.window.registerWebviewPanelSerializer(viewType, {
          deserializeWebviewPanel: async (panel: vscode.WebviewPanel) => {
            this.adopt(panel);
          },
        }),
      );
    }
  }

  /** Opens the Overview, or reveals it when it is open. */
  show(): OverviewPanel {
    if (this.current) {
      this.current.panel.reveal();
      return this.current;
    }
    const panel = vscode.window.createWebviewPanel(OVERVIEW_VIEW_TYPE, TITLE, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: webviewResourceRoots(this.deps.context.extensionUri),
    });
    return this.adopt(panel);
  }

  private adopt(panel: vscode.WebviewPanel): OverviewPanel {
    this.current?.dispose();
    const managed = new OverviewPanel(panel, this.deps);
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
