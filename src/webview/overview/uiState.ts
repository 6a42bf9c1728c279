/**
 * What the panel keeps across reloads of its page (the webview's state): the user's choices
 * only, never data, which is always asked of the host again. Whatever was stored is checked, as
 * it may come from an older version of the panel.
 */
import type { OverviewPeriodKind } from '../overviewProtocol';
import { PERIODS, SPANS } from './summary';
import { AGENT_COLUMNS, type AgentSort, type AgentStatus, STATUS_ORDER } from './table';
import type { UsageView } from './usage';

export interface OverviewUiState {
  period: OverviewPeriodKind;
  /** The span chosen for each kind of period, so going back to days brings back 90 days. */
  spans: Partial<Record<OverviewPeriodKind, number>>;
  /** Undefined: the default order. */
  sort?: AgentSort | undefined;
  query: string;
  status: AgentStatus | 'all';
  usageView: UsageView;
}

export const DEFAULT_UI_STATE: OverviewUiState = { period: 'daily', spans: {}, query: '', status: 'all', usageView: 'chart' };

/** The span shown for the chosen kind of period: the one chosen before, or its default. */
export function spanOf(ui: OverviewUiState): number {
  return ui.spans[ui.period] ?? SPANS[ui.period][0]!;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** The stored state, each part kept only if it is still a valid choice. */
export function restoreUiState(raw: unknown): OverviewUiState {
  if (!isObject(raw)) return DEFAULT_UI_STATE;
  const period = PERIODS.find((p) => p === raw.period) ?? DEFAULT_UI_STATE.period;
  const spans: OverviewUiState['spans'] = {};
  if (isObject(raw.spans)) {
    for (const p of PERIODS) {
      const n = raw.spans[p];
      if (typeof n === 'number' && SPANS[p].includes(n)) spans[p] = n;
    }
  }
  const s = raw.sort;
  const sort = isObject(s) && AGENT_COLUMNS.some((c) => c.key === s.key) && (s.dir === 'asc' || s.dir === 'desc') ? (s as unknown as AgentSort) : undefined;
  return {
    period,
    spans,
    sort,
    query: typeof raw.query === 'string' ? raw.query.slice(0, 200) : '',
    status: STATUS_ORDER.find((x) => x === raw.status) ?? 'all',
    usageView: raw.usageView === 'table' ? 'table' : 'chart',
  };
}
