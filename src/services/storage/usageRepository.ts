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
}

/** Usage of one day, week (Monday to Sunday) or month, in the user's local time. */
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

/** The first local day of the period holding `day`. */
function periodStart(period: UsagePeriod, day: Date): Date {
  if (period === 'daily') return new Date(day.getFullYear(), day.getMonth(), day.getDate());
  if (period === 'monthly') return new Date(day.getFullYear(), day.getMonth(), 1);
  const mondayOffset = (day.getDay() + 6) % 7;
  return new Date(day.getFullYear(), day.getMonth(), day.getDate() - mondayOffset);
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
  };
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
      created_at: new Date(entry.createdAt ?? this.now().toISOString()).toISOString(),
    });
  }

  /** The period holding `date` (default today). */
  get(period: UsagePeriod, date?: string, filter: UsageFilter = {}): UsageSummary {
    const start = periodStart(period, date ? parseLocalDate(date) : this.now());
    return this.summarise(period, start, nextPeriod(period, start), filter);
  }

  today(filter: UsageFilter = {}): UsageSummary {
    return this.get('daily', undefined, filter);
  }

  /** Every period from `from` to `to` (both included), oldest first, empty ones too. */
  history(options: { period: UsagePeriod; from?: string; to?: string } & UsageFilter): UsageSummary[] {
    const { period } = options;
    const last = periodStart(period, options.to ? parseLocalDate(options.to) : this.now());
    let first: Date;
    if (options.from) {
      first = periodStart(period, parseLocalDate(options.from));
    } else {
      first = last;
      const back = period === 'daily' ? 29 : 11;
      for (let i = 0; i < back; i++) first = periodStart(period, new Date(first.getFullYear(), first.getMonth(), first.getDate() - 1));
    }
    if (first > last) throw new ClaudeManagerError('INVALID_INPUT', `"from" (${options.from}) is after "to" (${options.to}).`);
    const out: UsageSummary[] = [];
    for (let start = first; start <= last && out.length < 1000; start = nextPeriod(period, start)) {
      out.push(this.summarise(period, start, nextPeriod(period, start), options));
    }
    return out;
  }

  /** Every recorded figure matching the filter, all time (an agent's `usage`). */
  totals(filter: UsageFilter = {}): UsageCounters {
    // The end is year 9999: a later Date's ISO string starts with "+", which sorts before every
    // stored time and would select nothing.
    const { period: _p, date: _d, byModel: _b, ...counters } = this.summarise('daily', new Date(0), new Date('9999-12-31T23:59:59.999Z'), filter);
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
      const rows = this.meta.query(
        `SELECT agent_id AS a, sum(input_tokens) AS i, sum(output_tokens) AS o, sum(cache_read_tokens) AS r, sum(cache_creation_tokens) AS c,
                sum(cost_usd) AS cost, sum(request_count) AS n, sum(error_count) AS e
         FROM usage_ledger WHERE agent_id IN (${chunk.map(() => '?').join(',')}) GROUP BY agent_id`,
        chunk,
      );
      for (const row of rows) out[String(row.a)] = countersOf(row);
    }
    return out;
  }

  private summarise(period: UsagePeriod, start: Date, end: Date, filter: UsageFilter): UsageSummary {
    const clauses = ['created_at >= ?', 'created_at < ?'];
    const params: SqlValue[] = [start.toISOString(), end.toISOString()];
    for (const [column, value] of [
      ['workspace_id', filter.workspaceId],
      ['worktree_id', filter.worktreeId],
      ['agent_id', filter.agentId],
    ] as const) {
      if (value) {
        clauses.push(`${column} = ?`);
        params.push(value);
      }
    }
    const rows = this.meta.query(
      `SELECT model, sum(input_tokens) AS i, sum(output_tokens) AS o, sum(cache_read_tokens) AS r, sum(cache_creation_tokens) AS c,
              sum(cost_usd) AS cost, sum(request_count) AS n, sum(error_count) AS e
       FROM usage_ledger WHERE ${clauses.join(' AND ')} GROUP BY model ORDER BY model`,
      params,
    );
    const byModel: Record<string, UsageCounters> = {};
    const total: UsageCounters = { ...ZERO };
    for (const row of rows) {
      const c = countersOf(row);
      byModel[String(row.model)] = c;
      for (const key of Object.keys(total) as (keyof UsageCounters)[]) total[key] += c[key];
    }
    return { period, date: localDate(start), ...total, byModel };
  }
}
