/**
 * The Overview's tables as data: the agents table's columns (one list for its headers, its
 * order and its export), its default order, filter and sort, and the usage table's rows. An
 * export is made from here, from exactly what the screen shows.
 */
import type { OverviewAgent, OverviewExport, OverviewPeriod, OverviewPeriodKind } from '../overviewProtocol';

export type AgentStatus = OverviewAgent['status'];
export type SortDir = 'asc' | 'desc';
export type AgentColumnKey = 'repository' | 'worktree' | 'name' | 'status' | 'context' | 'turns' | 'tokens' | 'costToday' | 'costTotal' | 'lastActivity';

/** A chosen order: a column and a direction. None chosen is the default order (defaultOrder). */
export interface AgentSort {
  key: AgentColumnKey;
  dir: SortDir;
}

export type Cell = string | number | null;

/** Waiting agents need the user, so they come first; then running, failed, finished. */
export const STATUS_ORDER: readonly AgentStatus[] = ['waiting', 'running', 'error', 'finished'];

/** The words for a status, in the table and its filter. */
export const STATUS_WORDS: Record<AgentStatus, string> = { waiting: 'Waiting', running: 'Running', error: 'Error', finished: 'Finished' };

const time = (iso: string) => {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
};

/** The default order: by status (waiting first), then the newest activity first. */
export function defaultOrder(a: OverviewAgent, b: OverviewAgent): number {
  return STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) || time(b.lastActivity) - time(a.lastActivity);
}

const text = (pick: (a: OverviewAgent) => string) => (a: OverviewAgent, b: OverviewAgent) => pick(a).localeCompare(pick(b), undefined, { sensitivity: 'base', numeric: true });
const number = (pick: (a: OverviewAgent) => number) => (a: OverviewAgent, b: OverviewAgent) => pick(a) - pick(b);

/** A column of the agents table: its header, how it sorts, and the raw cells it exports. */
export interface AgentColumn {
  key: AgentColumnKey;
  label: string;
  /** Right-aligned figures. */
  numeric: boolean;
  /** The direction of a first click: A–Z for words, the largest or newest first for figures and times. */
  firstDir: SortDir;
  /** Ascending. */
  compare: (a: OverviewAgent, b: OverviewAgent) => number;
  /** The export's columns for this one (a status and its reason apart, say) and their raw values. */
  exports: readonly { column: string; value: (a: OverviewAgent) => Cell }[];
}

export const AGENT_COLUMNS: readonly AgentColumn[] = [
  { key: 'repository', label: 'Repository', numeric: false, firstDir: 'asc', compare: text((a) => a.repository), exports: [{ column: 'Repository', value: (a) => a.repository }] },
  { key: 'worktree', label: 'Worktree', numeric: false, firstDir: 'asc', compare: text((a) => a.worktree), exports: [{ column: 'Worktree', value: (a) => a.worktree }] },
  {
    key: 'name',
    label: 'Agent',
    numeric: false,
    firstDir: 'asc',
    compare: text((a) => a.name),
    exports: [
      { column: 'Agent', value: (a) => a.name },
      { column: 'Window', value: (a) => (a.ownedByThisWindow ? 'this window' : 'another window') },
    ],
  },
  {
    key: 'status',
    label: 'Status',
    numeric: false,
    firstDir: 'asc',
    // Ascending by status is the default order (waiting first, newest activity first within each).
    compare: defaultOrder,
    exports: [
      { column: 'Status', value: (a) => a.status },
      { column: 'Reason', value: (a) => a.statusReason },
    ],
  },
  { key: 'context', label: 'Context', numeric: true, firstDir: 'desc', compare: number((a) => a.contextLevel), exports: [{ column: 'Context %', value: (a) => a.contextLevel }] },
  { key: 'turns', label: 'Turns', numeric: true, firstDir: 'desc', compare: number((a) => a.turns), exports: [{ column: 'Turns', value: (a) => a.turns }] },
  { key: 'tokens', label: 'Tokens', numeric: true, firstDir: 'desc', compare: number((a) => a.tokensTotal), exports: [{ column: 'Tokens', value: (a) => a.tokensTotal }] },
  { key: 'costToday', label: 'Cost today', numeric: true, firstDir: 'desc', compare: number((a) => a.costToday), exports: [{ column: 'Cost today (USD)', value: (a) => a.costToday }] },
  {
    key: 'costTotal',
    label: 'Cost total',
    numeric: true,
    firstDir: 'desc',
    compare: number((a) => a.costTotal),
    exports: [
      { column: 'Cost total (USD)', value: (a) => a.costTotal },
      { column: 'Requests without cost', value: (a) => a.unpricedRequests },
    ],
  },
  { key: 'lastActivity', label: 'Last activity', numeric: false, firstDir: 'desc', compare: (a, b) => time(a.lastActivity) - time(b.lastActivity), exports: [{ column: 'Last activity', value: (a) => a.lastActivity }] },
];

export function agentColumn(key: AgentColumnKey): AgentColumn {
  return AGENT_COLUMNS.find((c) => c.key === key) ?? AGENT_COLUMNS[0]!;
}

/** The agents a filter lets through: the text in the name, repository, worktree, status or reason (any case), and the status if one is chosen. */
export function filterAgents(agents: readonly OverviewAgent[], query: string, status: AgentStatus | 'all'): OverviewAgent[] {
  const needle = query.trim().toLowerCase();
  return agents.filter(
    (a) =>
      (status === 'all' || a.status === status) &&
      (!needle || [a.name, a.repository, a.worktree, a.status, STATUS_WORDS[a.status], a.statusReason].some((field) => field.toLowerCase().includes(needle))),
  );
}

/** The agents in the chosen order; ties (and no choice) in the default order. */
export function sortAgents(agents: readonly OverviewAgent[], sort: AgentSort | undefined): OverviewAgent[] {
  if (!sort) return [...agents].sort(defaultOrder);
  const { compare } = agentColumn(sort.key);
  const sign = sort.dir === 'asc' ? 1 : -1;
  return [...agents].sort((a, b) => sign * compare(a, b) || defaultOrder(a, b));
}

/** The next order after a click on a column's header: its first direction, then the other one. */
export function nextSort(current: AgentSort | undefined, key: AgentColumnKey): AgentSort {
  if (current?.key === key) return { key, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  return { key, dir: agentColumn(key).firstDir };
}

/** The agents table as shown (these rows, in this order), with raw values, for an export. */
export function agentsTable(shown: readonly OverviewAgent[]): { columns: string[]; rows: Cell[][] } {
  const cells = AGENT_COLUMNS.flatMap((c) => c.exports);
  return { columns: cells.map((c) => c.column), rows: shown.map((a) => cells.map((c) => c.value(a))) };
}

/** The per-period figures, in the order the usage table shows them (its first column apart). */
export const USAGE_FIGURES: readonly { column: string; value: (p: OverviewPeriod) => number; usd?: true }[] = [
  { column: 'Input tokens', value: (p) => p.inputTokens },
  { column: 'Output tokens', value: (p) => p.outputTokens },
  { column: 'Cache read tokens', value: (p) => p.cacheReadTokens },
  { column: 'Cache write tokens', value: (p) => p.cacheCreationTokens },
  { column: 'Total tokens', value: (p) => p.totalTokens },
  { column: 'Cost (USD)', value: (p) => p.costUsd, usd: true },
  { column: 'Requests', value: (p) => p.requestCount },
  { column: 'Errors', value: (p) => p.errorCount },
  { column: 'Requests without cost', value: (p) => p.unpricedRequestCount },
];

/** The first column of the usage table: what a period is, by its kind. */
export const PERIOD_COLUMN: Record<OverviewPeriodKind, string> = { daily: 'Day', weekly: 'Week starting', monthly: 'Month starting' };

/** The usage table as an export: one row per period, its first local day as text, then its figures. */
export function usageTable(period: OverviewPeriodKind, periods: readonly OverviewPeriod[], format: OverviewExport['format']): OverviewExport {
  return {
    format,
    name: `usage-${period}`,
    columns: [PERIOD_COLUMN[period], ...USAGE_FIGURES.map((f) => f.column)],
    rows: periods.map((p) => [p.date, ...USAGE_FIGURES.map((f) => f.value(p))]),
  };
}
