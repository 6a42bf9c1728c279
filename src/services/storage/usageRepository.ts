import { ClaudeManagerError } from '../errors';
import { COUNTERS, LedgerCache, LEDGER_SELECT, type Place } from './ledgerCache';
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
  /** Without `from`: how many periods, up to `to`'s (default 30 days, or 12 weeks or months). */
  span?: number;
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

/** The counters at `at` of the cache's sums (LedgerCache's counter order). */
function countersAt(sums: Float64Array, at: number): UsageCounters {
  const i = sums[at] as number;
  const o = sums[at + 1] as number;
  const r = sums[at + 2] as number;
  const c = sums[at + 3] as number;
  return {
    inputTokens: i,
    outputTokens: o,
    cacheReadTokens: r,
    cacheCreationTokens: c,
    totalTokens: i + o + r + c,
    costUsd: sums[at + 4] as number,
    requestCount: sums[at + 5] as number,
    errorCount: sums[at + 6] as number,
    unpricedRequestCount: sums[at + 7] as number,
  };
}

/** Whether any row was added up at `at` (the last of the cache's counters counts them). */
function anyRows(sums: Float64Array, at: number): boolean {
  return (sums[at + COUNTERS - 1] as number) > 0;
}

/** All time: from before the first record to after the last. */
const ALL_TIME = [-8.64e15, 8.64e15];

/** The tokens and cost of some usage: what the API publishes of an agent's, and the chat's header shows. */
export function tokensAndCost(u: UsageCounters): Pick<UsageCounters, 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheCreationTokens' | 'costUsd'> {
  return { inputTokens: u.inputTokens, outputTokens: u.outputTokens, cacheReadTokens: u.cacheReadTokens, cacheCreationTokens: u.cacheCreationTokens, costUsd: u.costUsd };
}

/** Adds `c` into `into`, counter by counter. */
export function addUsage(into: UsageCounters, c: UsageCounters): void {
  for (const key of Object.keys(NO_USAGE) as (keyof UsageCounters)[]) into[key] += c[key];
}

/** Every counter at 0: copied (`{ ...NO_USAGE }`) to add into. */
export const NO_USAGE: Readonly<UsageCounters> = {
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
  /** The ledger in memory, built on the first read and kept in step with the table. */
  private cache: LedgerCache | undefined;

  constructor(
    private readonly meta: MetaStore,
    private readonly now: () => Date = () => new Date(),
  ) {
    meta.onDidApply((change) => {
      if (!this.cache) return;
      // The row's id, which an upsert keeps, from the table (the change names its message).
      if (change?.table === 'usage_ledger' && change.op === 'put') this.cache.put({ ...change.row, id: this.meta.query('SELECT id FROM usage_ledger WHERE message_id = ?', [change.row.message_id ?? null])[0]?.id ?? null });
      // Undone changes, a ledger row deleted, or a deleted agent, worktree or repository (whose
      // rows the table's foreign keys change): read again when next asked.
      else if (!change || change.table === 'usage_ledger' || (change.op === 'del' && ['agents', 'worktrees', 'workspaces'].includes(change.table))) this.cache = undefined;
    });
  }

  private ledger(): LedgerCache {
    return (this.cache ??= new LedgerCache(this.meta.query(LEDGER_SELECT)));
  }

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
    const ledger = this.ledger();
    const keep = keeper(ledger, options);
    const groups = ledger.places.length;
    // One bucket per group: each agent's share by model.
    const sums = ledger.sum([(bounds[0] as Date).getTime(), (bounds.at(-1) as Date).getTime()], groups, (place, group) => (keep(place) ? group : -1));
    const total: UsageCounters = { ...NO_USAGE };
    const byModel: Record<string, UsageCounters> = {};
    const shares: UsageShare[] = [];
    const name = (id: number) => (id >= 0 ? (ledger.names[id] as string) : null);
    for (let g = 0; g < groups; g++) {
      const at = g * COUNTERS;
      if (!anyRows(sums, at)) continue;
      const c = countersAt(sums, at);
      const place = ledger.places[g] as Place;
      const model = name(place.model) ?? '';
      addUsage(total, c);
      addUsage((byModel[model] ??= { ...NO_USAGE }), c);
      shares.push({ workspaceId: name(place.workspace), worktreeId: name(place.worktree), agentId: name(place.agent), model, ...c });
    }
    const last = bounds.at(-1) as Date;
    return { period: options.period, weekStart, from: periods[0]?.date ?? '', to: localDate(new Date(last.getFullYear(), last.getMonth(), last.getDate() - 1)), periods, total, byModel, shares };
  }

  /** Every recorded figure matching the filter, all time (an agent's `usage`). */
  totals(filter: UsageFilter = {}): UsageCounters {
    const ledger = this.ledger();
    const keep = keeper(ledger, filter);
    return countersAt(ledger.sum(ALL_TIME, 1, (place) => (keep(place) ? 0 : -1)), 0);
  }

  /**
   * All-time totals of many agents at once (what a redraw of the tree needs), keyed by agent id;
   * an agent without usage is absent.
   */
  totalsByAgent(agentIds: readonly string[]): Record<string, UsageCounters> {
    const ledger = this.ledger();
    // One bucket per agent asked for.
    const ids = [...new Set(agentIds)];
    const bucket = new Map(ids.map((id, i) => [ledger.nameId(id), i]));
    const sums = ledger.sum(ALL_TIME, ids.length, (place) => (place.agent >= 0 ? (bucket.get(place.agent) ?? -1) : -1));
    const out: Record<string, UsageCounters> = {};
    ids.forEach((id, i) => {
      if (anyRows(sums, i * COUNTERS)) out[id] = countersAt(sums, i * COUNTERS);
    });
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
      const back = options.span !== undefined ? Math.max(0, Math.floor(options.span) - 1) : period === 'daily' ? 29 : 11;
      for (let i = 0; i < back; i++) first = periodStart(period, new Date(first.getFullYear(), first.getMonth(), first.getDate() - 1), weekStart);
    }
    if (first > last) throw new ClaudeManagerError('INVALID_INPUT', `"from" (${options.from}) is after "to" (${options.to}).`);
    const out: Date[] = [];
    for (let start = first; start <= last && out.length < 1000; start = nextPeriod(period, start)) out.push(start);
    out.push(nextPeriod(period, out.at(-1) as Date));
    return out;
  }

  /** The summaries of the periods between consecutive `bounds`, each by model: one pass over the ledger. */
  private summarise(period: UsagePeriod, bounds: readonly Date[], filter: UsageFilter): UsageSummary[] {
    const ledger = this.ledger();
    const keep = keeper(ledger, filter);
    // One bucket per model, in model order (as the figures have always been listed).
    const models = [...new Set(ledger.places.map((p) => p.model))].sort((a, b) => {
      const x = ledger.names[a] ?? '';
      const y = ledger.names[b] ?? '';
      return x < y ? -1 : x > y ? 1 : 0;
    });
    const bucket = new Map(models.map((m, i) => [m, i]));
    const sums = ledger.sum(
      bounds.map((d) => d.getTime()),
      models.length,
      (place) => (keep(place) ? (bucket.get(place.model) as number) : -1),
    );
    return bounds.slice(0, -1).map((start, p) => {
      const summary: UsageSummary = { period, date: localDate(start), ...NO_USAGE, byModel: {} };
      models.forEach((model, m) => {
        const at = (p * models.length + m) * COUNTERS;
        if (!anyRows(sums, at)) return;
        const c = countersAt(sums, at);
        summary.byModel[ledger.names[model] ?? ''] = c;
        addUsage(summary, c);
      });
      return summary;
    });
  }
}

/** Which places a filter by workspace, worktree or agent keeps (none: everything). */
function keeper(ledger: LedgerCache, filter: UsageFilter): (place: Place) => boolean {
  if (!filter.workspaceId && !filter.worktreeId && !filter.agentId) return () => true;
  // An id the ledger never saw keeps nothing (-2 matches no place).
  const ws = filter.workspaceId ? ledger.nameId(filter.workspaceId) : undefined;
  const wt = filter.worktreeId ? ledger.nameId(filter.worktreeId) : undefined;
  const ag = filter.agentId ? ledger.nameId(filter.agentId) : undefined;
  return (p) => (ws === undefined || p.workspace === ws) && (wt === undefined || p.worktree === wt) && (ag === undefined || p.agent === ag);
}
