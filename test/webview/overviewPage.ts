// The Overview panel's page in jsdom, and a stand-in for the host that talks to it through the
// page's own messages: it reads what the page asks (requests, commands) and answers as the
// extension would. Shared by the Overview's tests; import it first (it sets up the DOM).
import { testWindow } from './dom';
import { afterEach, beforeEach } from 'node:test';
import { h, render } from 'preact';
import { act } from 'preact/test-utils';
import type { OverviewAgent, OverviewCounters, OverviewData, OverviewNotificationMethod, OverviewNotificationParams, OverviewPeriod } from '../../src/webview/overviewProtocol';
import { App } from '../../src/webview/overview/app';
import { OverviewClient } from '../../src/webview/overview/client';
import type { OverviewUiState } from '../../src/webview/overview/uiState';

// Times are shown in the webview's local time: a zone an hour off UTC shows whether they are.
process.env.TZ = 'Europe/Paris';

export const doc = testWindow.document;
/** What the page posted to the host. */
export type Posted = { kind: string; id?: number; method?: string; command?: string; params?: unknown };
export const posted: Posted[] = [];
let state: unknown;
/** The webview state the page kept (what it last gave `setState`); `open` sets what a new page finds. */
export const uiState = { get: (): unknown => state };
Object.assign(globalThis, {
  document: doc,
  acquireVsCodeApi: () => ({ postMessage: (m: Posted) => posted.push(structuredClone(m)), getState: () => state, setState: (s: unknown) => (state = structuredClone(s)) }),
  requestAnimationFrame: (callback: (t: number) => void) => setTimeout(() => callback(performance.now()), 0),
});
export const client = new OverviewClient<OverviewUiState>();

export const MINUTE = 60_000;
export const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

export function agent(id: string, patch: Partial<OverviewAgent>): OverviewAgent {
  return {
    id,
    name: id,
    workspaceId: 'ws_1',
    repository: 'shop',
    worktreeId: 'wt_1',
    worktree: 'main',
    status: 'finished',
    statusReason: 'stopped',
    contextLevel: 10,
    turns: 1,
    costToday: 0,
    costTotal: 0,
    tokensTotal: 0,
    unpricedRequests: 0,
    unpricedRequestsToday: 0,
    lastActivity: ago(MINUTE),
    ownedByThisWindow: true,
    ...patch,
  };
}

export const AGENTS: OverviewAgent[] = [
  agent('ag_a1', { name: 'Fix login', worktree: 'fix-login', status: 'running', statusReason: 'running Bash: npm test', contextLevel: 42, turns: 14, costToday: 0.5, costTotal: 1.25, tokensTotal: 120_000, lastActivity: ago(10 * MINUTE) }),
  agent('ag_b2', { name: 'Docs', worktree: 'docs', status: 'waiting', statusReason: 'waiting for your message', turns: 3, costToday: 0.1, costTotal: 0.3, tokensTotal: 9_000, lastActivity: ago(120 * MINUTE) }),
  agent('ag_c3', { name: 'Refactor', repository: 'api', worktree: 'main', status: 'finished', statusReason: 'stopped', turns: 40, costTotal: 7.5, tokensTotal: 900_000, lastActivity: ago(1440 * MINUTE) }),
  agent('ag_d4', { name: 'Terminal', repository: 'api', worktree: 'term', status: 'waiting', statusReason: 'waiting for your message', turns: 3, tokensTotal: 5_000, unpricedRequests: 3, unpricedRequestsToday: 3, ownedByThisWindow: false, lastActivity: ago(5 * MINUTE) }),
  agent('ag_e5', { name: 'Broken', repository: 'web', worktree: 'wip', status: 'error', statusReason: 'the CLI exited with code 1', turns: 4, costTotal: 0.02, tokensTotal: 7_000, unpricedRequests: 2, lastActivity: ago(30 * MINUTE) }),
];

export const ZERO: OverviewCounters = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0, totalTokens: 0, costUsd: 0, requestCount: 0, errorCount: 0, unpricedRequestCount: 0 };

/** `n` days from 2026-01-01 (a year of them fits), each with its own figures; every seventh is idle. */
export function days(n: number): OverviewPeriod[] {
  return Array.from({ length: n }, (_, i) => {
    const date = new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10);
    if (i % 7 === 3) return { date, ...ZERO };
    const input = 1000 + i * 37;
    const output = 400 + i * 11;
    const read = 20_000 + i * 1500;
    const write = 300 + i;
    return { date, inputTokens: input, outputTokens: output, cacheReadTokens: read, cacheCreationTokens: write, totalTokens: input + output + read + write, costUsd: Math.round(i * 1.7) / 100, requestCount: 10 + (i % 13), errorCount: i % 5 === 0 ? 1 : 0, unpricedRequestCount: 0 };
  });
}

export function sum(periods: readonly OverviewPeriod[]): OverviewCounters {
  const total = { ...ZERO };
  for (const p of periods) for (const k of Object.keys(ZERO) as (keyof OverviewCounters)[]) total[k] += p[k];
  return total;
}

export function overview(patch: Partial<OverviewData> = {}, periods = days(30)): OverviewData {
  const total = sum(periods);
  return {
    today: '2026-01-30',
    weekStart: 1,
    agents: AGENTS,
    usage: {
      period: 'daily',
      from: periods[0]!.date,
      to: periods.at(-1)!.date,
      periods,
      total,
      byModel: [
        { key: 'claude-opus', label: 'claude-opus', ...total, totalTokens: total.totalTokens * 0.75, costUsd: 3 },
        { key: 'claude-haiku', label: 'claude-haiku', ...total, totalTokens: total.totalTokens * 0.25, costUsd: 0, unpricedRequestCount: 2 },
      ],
      byRepository: [{ key: 'ws_1', label: 'shop', ...total }],
      byWorktree: [{ key: 'wt_1', label: 'shop / main', ...total }],
      byAgent: [],
    },
    todayUsage: { inputTokens: 1200, outputTokens: 800, cacheReadTokens: 30_000, cacheCreationTokens: 500, totalTokens: 32_500, costUsd: 3.2, requestCount: 21, errorCount: 2, unpricedRequestCount: 0 },
    limits: { available: true, limits: [{ type: 'five_hour', status: 'allowed', utilization: 0.4, resetsAt: ago(-60 * MINUTE), reportedAt: ago(MINUTE) }] },
    budgets: [{ period: 'daily', unit: 'usd', limit: 10, used: 3.2 }],
    about: { extensionVersion: '0.0.1', editorVersion: '1.107.0 (desktop)', cli: { found: true, path: '/usr/local/bin/claude', version: '2.1.332' }, storage: { ok: true, sqliteVersion: '3.49.1' } },
    ...patch,
  };
}

// The stand-in host: it reads the page's requests and answers them as the extension would.
export const requests = (method: string) => posted.filter((m) => m.kind === 'request' && m.method === method);
export const last = (method: string) => requests(method).at(-1)!;
export const commands = (command: string) => posted.filter((m) => m.kind === 'command' && m.command === command);

/** Lets promises, timers (frames) and effects run. */
export const settle = () => act(() => new Promise<void>((resolve) => setTimeout(resolve, 5)));

export async function post(data: unknown): Promise<void> {
  await act(() => {
    testWindow.dispatchEvent(new testWindow.MessageEvent('message', { data }));
  });
  await settle();
}
export const reply = (request: Posted, result: unknown) => post({ kind: 'response', id: request.id, result });
export const refuse = (request: Posted, message: string) => post({ kind: 'response', id: request.id, error: { code: 'internal', message } });
export const notify = <N extends OverviewNotificationMethod>(method: N, params: OverviewNotificationParams<N>) => post({ kind: 'notification', method, params });

let root: HTMLElement;
/** The page's #root, made again for each test. */
export const page = () => root;

/** Opens the panel's page (finding `kept` as the webview's state) and answers its first load with `data`, unless null. */
export async function open(data: OverviewData | null = overview(), kept?: unknown): Promise<HTMLElement> {
  state = kept;
  await act(() => render(h(App, { client }), root));
  await settle();
  if (data) await reply(last('overviewLoad'), data);
  return root;
}

export const $ = <E extends Element = HTMLElement>(selector: string) => root.querySelector<E & HTMLElement>(selector);
export const $$ = <E extends Element = HTMLElement>(selector: string) => [...root.querySelectorAll<E & HTMLElement>(selector)];
export const byTestId = (id: string) => $(`[data-testid="${id}"]`);
export const rowIds = () => $$('[data-testid="agent-row"]').map((r) => r.dataset.agentId);
export const text = (el: Element | null | undefined) => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
export const click = (el: Element | null | undefined) => act(() => (el as HTMLElement).click());
export const header = (label: string) => $$('[data-testid="agents-table"] thead th').find((th) => text(th).startsWith(label))!;

export async function type(el: HTMLInputElement | null, value: string): Promise<void> {
  await act(() => {
    el!.value = value;
    el!.dispatchEvent(new testWindow.Event('input', { bubbles: true }));
  });
}

export async function choose(el: HTMLSelectElement | null, value: string): Promise<void> {
  await act(() => {
    el!.value = value;
    el!.dispatchEvent(new testWindow.Event('change', { bubbles: true }));
  });
  await settle();
}

export async function press(el: Element | null | undefined, key: string): Promise<void> {
  await act(() => {
    el!.dispatchEvent(new testWindow.KeyboardEvent('keydown', { key, bubbles: true }));
  });
}

/** Gives each test a fresh page, and takes the app down after it. */
export function freshPageForEachTest(): void {
  beforeEach(() => {
    doc.body.innerHTML = '<div id="root"></div>';
    root = doc.getElementById('root')!;
  });

  afterEach(async () => {
    await act(() => render(null, root));
    posted.length = 0;
  });
}
