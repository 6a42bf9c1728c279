import type { SqlValue } from 'sql.js';
import { ClaudeManagerError } from '../errors';
import type { MetaStore } from './metaStore';

export type UsagePeriod = 'daily' | 'weekly' | 'monthly';

/** Token and cost counters, for a period or one model within it. */
export interface UsageCounters {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
  /** All four token counts added up: what the requests processed. */
  totalTokens: number;
  costUsd: number;
  requestCount: number;
  errorCount: number;
  /**
   * Requests whose cost the CLI did not report (an agent run in a terminal: its transcript gives
   * tokens, not cost). Their tokens are counted; `costUsd` leaves them out.
   */
  unpricedRequestCount: number;
}

/** The first day of a week: 0 Sunday, 1 Monday (the default), … 6 Saturday. */
export type WeekStart = 0 | 1 | 2 | 3 | 4 | 5 | 6;

/** Usage of one day, week (Monday to Sunday unless told otherwise) or month, in the user's local time. */
export interface UsageSummary extends UsageCounters {
  period: UsagePeriod;
  /** The local date of the period's first day, YYYY-MM-DD. */
  date: string;
  byModel: Record<string, UsageCounters>;
}

export interface UsageFilter {
  workspaceId?: string;
  worktreeId?: string;
  agentId?: string;
}

/** One API message's usage, as the CLI reported it. */
export interface UsageEntry {
  /** The API message id: a message reported twice is counted once. */
  messageId: string;
  agentId?: string;
  worktreeId?: string;
  workspaceId?: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
  costUsd: number;
  isError?: boolean;
  /** When the API answered; defaults to now. */
  createdAt?: string;
  /** Requests this row stands for: 1 for a message the CLI reported; more for imported daily totals. */
  requestCount?: number;
  /** Failed requests among them; defaults to 1 when `isError`, else 0. */
  errorCount?: number;
  /** False when the CLI reported no cost for it (a terminal's transcript): `costUsd` is then 0, not known. */
  costReported?: boolean;
}

/** What a report covers: periods from `from` to `to` (both included; default the last 30 days or 12 weeks or months). */
export interface UsageReportOptions extends UsageFilter {
  period: UsagePeriod;
  from?: string;
  to?: string;
  weekStart?: WeekStart;
}

/** The usage of one agent with one model over a report's range, with where the agent ran. */
export interface UsageShare extends UsageCounters {
  workspaceId: string | null;
  worktreeId: string | null;
  agentId: string | null;
  model: string;
}

/** Every period of a range (empty ones too), their sum, and who spent it. */
export interface UsageReport {
  period: UsagePeriod;
  weekStart: WeekStart;
  /** The local dates of the first period's first day and the last period's last day. */
  from: string;
  to: string;
  periods: UsageSummary[];
  total: UsageCounters;
  byModel: Record<string, UsageCounters>;
  /** One row per agent and model (agent, worktree, workspace absent for rows recorded without them). */
  shares: UsageShare[];
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The local date of `d`, YYYY-MM-DD: the usage figures' days. */
export function localDate(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function parseLocalDate(date: string): Date {
  const m = DATE.exec(date);
  const parsed = m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : undefined;
  if (!parsed || localDate(parsed) !== date) throw new ClaudeManagerError('INVALID_INPUT', `"${date}" is not a date of the form YYYY-MM-DD.`);
  return parsed;
}

/** The first local day of the period holding `day`; weeks begin on `weekStart`. */
function periodStart(period: UsagePeriod, day: Date, weekStart: WeekStart = 1): Date {
  if (period === 'daily') return new Date(day.getFullYear(), day.getMonth(), day.getDate());
  if (period === 'monthly') return new Date(day.getFullYear(), day.getMonth(), 1);
  const offset = (day.getDay() - weekStart + 7) % 7;
  return new Date(day.getFullYear(), day.getMonth(), day.getDate() - offset);
}

function nextPeriod(period: UsagePeriod, start: Date): Date {
  if (period === 'daily') return new Date(start.getFullYear(), start.getMonth(), start.getDate() + 1);
  if (period === 'weekly') return new Date(start.getFullYear(), start.getMonth(), start.getDate() + 7);
  return new Date(start.getFullYear(), start.getMonth() + 1, 1);
}

/** The counters of one row of sums (columns i, o, r, c, cost, n, e). */
function countersOf(row: Record<string, unknown>): UsageCounters {
  return {
    inputTokens: Number(row.i),
    outputTokens: Number(row.o),
    cacheReadTokens: Number(row.r),
    cacheCreationTokens: Number(row.c),
    totalTokens: Number(row.i) + Number(row.o) + Number(row.r) + Number(row.c),
    costUsd: Number(row.cost),
    requestCount: Number(row.n),
    errorCount: Number(row.e),
    unpricedRequestCount: Number(row.u),
  };
}

/** The sums every usage query selects, as countersOf reads them. */
const SUMS = `sum(input_tokens) AS i, sum(output_tokens) AS o, sum(cache_read_tokens) AS r, sum(cache_creation_tokens) AS c,
  sum(cost_usd) AS cost, sum(request_count) AS n, sum(error_count) AS e, sum(CASE WHEN cost_reported = 0 THEN request_count ELSE 0 END) AS u`;

function add(into: UsageCounters, c: UsageCounters): void {
  for (const key of Object.keys(ZERO) as (keyof UsageCounters)[]) into[key] += c[key];
}

const ZERO: UsageCounters = {
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheCreationTokens: 0,
  totalTokens: 0,
  costUsd: 0,
  requestCount: 0,
  errorCount: 0,
  unpricedRequestCount: 0,
};

/**
 * The usage ledger: one row per API message, from which every day, week and month is computed,
 * for everything or for one workspace, worktree or agent.
 */
export class UsageRepository {
  constructor(
    private readonly meta: MetaStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async record(entry: UsageEntry): Promise<void> {
    const counts = [entry.inputTokens, entry.outputTokens, entry.cacheReadTokens, entry.cacheCreationTokens, entry.costUsd, entry.requestCount ?? 0, entry.errorCount ?? 0];
    if (!entry.messageId || !entry.model || counts.some((n) => !Number.isFinite(n) || n < 0)) {
      throw new ClaudeManagerError('INVALID_INPUT', `Invalid usage entry for message "${entry.messageId}": token counts and cost must be numbers ≥ 0, with a model.`);
    }
    await this.meta.put('usage_ledger', {
      message_id: entry.messageId,
      agent_id: entry.agentId ?? null,
      worktree_id: entry.worktreeId ?? null,
      workspace_id: entry.workspaceId ?? null,
      model: entry.model,
      input_tokens: entry.inputTokens,
      output_tokens: entry.outputTokens,
      cache_read_tokens: entry.cacheReadTokens,
      cache_creation_tokens: entry.cacheCreationTokens,
      cost_usd: entry.costUsd,
      is_error: entry.isError ? 1 : 0,
      request_count: entry.requestCount ?? 1,
      error_count: entry.errorCount ?? (entry.isError ? 1 : 0),
      cost_reported: entry.costReported === false ? 0 : 1,
      created_at: new Date(entry.createdAt ?? this.now().toISOString()).toISOString(),
    });
  }

  /** The period holding `date` (default today). */
  get(period: UsagePeriod, date?: string, filter: UsageFilter & { weekStart?: WeekStart } = {}): UsageSummary {
    const start = periodStart(period, date ? parseLocalDate(date) : this.now(), filter.weekStart);
    return this.summarise(period, [start, nextPeriod(period, start)], filter)[0] as UsageSummary;
  }

  today(filter: UsageFilter = {}): UsageSummary {
    return this.get('daily', undefined, filter);
  }

  /** Every period from `from` to `to` (both included), oldest first, empty ones too. */
  history(options: UsageReportOptions): UsageSummary[] {
    return this.summarise(options.period, this.bounds(options), options);
  }

  /**
   * A range's periods, its sums by model, and each agent's share by model: what the Overview
   * draws. Two queries whatever the range (one for the periods, one for the shares).
   */
  report(options: UsageReportOptions): UsageReport {
    const weekStart = options.weekStart ?? 1;
    const bounds = this.bounds(options);
    const periods = this.summarise(options.period, bounds, options);
    const { clauses, params } = filterClauses(options);
    const rows = this.meta.query(
      `SELECT workspace_id AS ws, worktree_id AS wt, agent_id AS a, model, ${SUMS}
       FROM usage_ledger WHERE created_at >= ? AND created_at < ?${clauses} GROUP BY workspace_id, worktree_id, agent_id, model`,
      [(bounds[0] as Date).toISOString(), (bounds.at(-1) as Date).toISOString(), ...params],
    );
    const total: UsageCounters = { ...ZERO };
    const byModel: Record<string, UsageCounters> = {};
    const shares: UsageShare[] = rows.map((row) => {
      const c = countersOf(row);
      add(total, c);
      add((byModel[String(row.model)] ??= { ...ZERO }), c);
      return { workspaceId: row.ws === null ? null : String(row.ws), worktreeId: row.wt === null ? null : String(row.wt), agentId: row.a === null ? null : String(row.a), model: String(row.model), ...c };
    });
    const last = bounds.at(-1) as Date;
    return { period: options.period, weekStart, from: periods[0]?.date ?? '', to: localDate(new Date(last.getFullYear(), last.getMonth(), last.getDate() - 1)), periods, total, byModel, shares };
  }

  /** Every recorded figure matching the filter, all time (an agent's `usage`). */
  totals(filter: UsageFilter = {}): UsageCounters {
    // The end is year 9999: a later Date's ISO string starts with "+", which sorts before every
    // stored time and would select nothing.
    const { period: _p, date: _d, byModel: _b, ...counters } = this.summarise('daily', [new Date(0), new Date('9999-12-31T23:59:59.999Z')], filter)[0] as UsageSummary;
    return counters;
  }

  /**
   * All-time totals of many agents in one query (what a redraw of the tree needs), keyed by agent
   * id; an agent without usage is absent. Asked in chunks, under SQLite's parameter limit.
   */
  totalsByAgent(agentIds: readonly string[]): Record<string, UsageCounters> {
    const out: Record<string, UsageCounters> = {};
    for (let i = 0; i < agentIds.length; i += 500) {
      const chunk = agentIds.slice(i, i + 500);
      const rows = this.meta.query(`SELECT agent_id AS a, ${SUMS} FROM usage_ledger WHERE agent_id IN (${chunk.map(() => '?').join(',')}) GROUP BY agent_id`, chunk);
      for (const row of rows) out[String(row.a)] = countersOf(row);
    }
    return out;
  }

  /** The starts of the periods from `from` to `to`, then the end of the last: at most 1000 periods. */
  private bounds(options: UsageReportOptions): Date[] {
    const { period, weekStart } = options;
    const last = periodStart(period, options.to ? parseLocalDate(options.to) : this.now(), weekStart);
    let first: Date;
    if (options.from) {
      first = periodStart(period, parseLocalDate(options.from), weekStart);
    } else {
      first = last;
      const back = period === 'daily' ? 29 : 11;
      for (let i = 0; i < back; i++) first = periodStart(period, new Date(first.getFullYear(), first.getMonth(), first.getDate() - 1), weekStart);
    }
    if (first > last) throw new ClaudeManagerError('INVALID_INPUT', `"from" (${options.from}) is after "to" (${options.to}).`);
    const out: Date[] = [];
    for (let start = first; start <= last && out.length < 1000; start = nextPeriod(period, start)) out.push(start);
    out.push(nextPeriod(period, out.at(-1) as Date));
    return out;
  }

  /**
   * The summaries of the periods between consecutive `bounds`, in one query: the bounds as a
   * table joined to the ledger by time, so each period is an index range of \`created_at\`.
   */
  private summarise(period: UsagePeriod, bounds: readonly Date[], filter: UsageFilter): UsageSummary[] {
    const { clauses, params } = filterClauses(filter);
    const spans = bounds.slice(0, -1).map((start, i) => [i, start.toISOString(), (bounds[i + 1] as Date).toISOString()] as const);
    const rows = this.meta.query(
      `WITH b(p, s, e) AS (VALUES ${spans.map(() => '(?, ?, ?)').join(', ')})
       SELECT b.p AS p, model, ${SUMS}
       FROM b JOIN usage_ledger ON created_at >= b.s AND created_at < b.e${clauses} GROUP BY b.p, model ORDER BY b.p, model`,
      [...spans.flat(), ...params],
    );
    const out: UsageSummary[] = spans.map(([, s]) => ({ period, date: localDate(new Date(s)), ...ZERO, byModel: {} }));
    for (const row of rows) {
      const summary = out[Number(row.p)] as UsageSummary;
      const c = countersOf(row);
      summary.byModel[String(row.model)] = c;
      add(summary, c);
    }
    return out;
  }
}

/** The SQL conditions (each after " AND ") of a filter by workspace, worktree or agent. */
function filterClauses(filter: UsageFilter): { clauses: string; params: SqlValue[] } {
  let clauses = '';
  const params: SqlValue[] = [];
  for (const [column, value] of [
    ['workspace_id', filter.workspaceId],
    ['worktree_id', filter.worktreeId],
    ['agent_id', filter.agentId],
  ] as const) {
    if (value) {
      clauses += ` AND ${column} = ?`;
      params.push(value);
    }
  }
  return { clauses, params };
}
