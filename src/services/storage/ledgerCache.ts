import type { Row } from './metaStore';

/** The counters each ledger row carries, in this order in the cache's columns. */
const COUNTER_COLUMNS = ['input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_creation_tokens', 'cost_usd', 'request_count', 'error_count'] as const;
/** Counters per row: the seven columns, the requests without a reported cost, and 1 (rows are counted too). */
export const COUNTERS = COUNTER_COLUMNS.length + 2;

/**
 * The columns a row of the cache is read from: the row's integer id (an upsert keeps it) and its
 * time as a Julian day number, since every string column costs its decoding out of the engine
 * (100k rows: ~200 ms with numbers only, ~700 ms with the message id and time as text too).
 */
export const LEDGER_SELECT = `SELECT id, julianday(created_at) AS jd, agent_id, worktree_id, workspace_id, model, ${COUNTER_COLUMNS.join(', ')}, cost_reported FROM usage_ledger`;

/** Unix milliseconds of a Julian day number (exact to the millisecond the times are stored with). */
const fromJulianDay = (jd: number) => Math.round((jd - 2440587.5) * 86_400_000);

/** Where a row's usage was spent: ids into the cache's names (-1: not recorded). */
export interface Place {
  workspace: number;
  worktree: number;
  agent: number;
  model: number;
}

/**
 * The usage ledger in memory, in columns: the time of each row, where it was spent (a group: its
 * workspace, worktree, agent and model) and its counters. Sums over any range and any grouping
 * are then one pass over typed arrays, a few milliseconds at 100k rows, where SQLite in WASM
 * takes hundreds (a bare sum of eight columns over 100k rows: ~65 ms; grouped by agent: ~200 ms).
 * Kept in step with the table by the store's applied changes (UsageRepository); rebuilt from the
 * table when they cannot be followed.
 */
export class LedgerCache {
  private size = 0;
  private times = new Float64Array(1024);
  private groups = new Int32Array(1024);
  private counters = new Float64Array(1024 * COUNTERS);
  /** Each row's place in the columns, by the table's row id. */
  private readonly rowOf = new Map<number, number>();
  private readonly nameIds = new Map<string, number>();
  readonly names: string[] = [];
  private readonly groupIds = new Map<string, number>();
  /** Each group's place, by group id. */
  readonly places: Place[] = [];

  constructor(rows: Iterable<Row>) {
    for (const row of rows) this.put(row);
  }

  /** The id of a name (an id or a model), or -1 for none; `add` makes one for a new name. */
  nameId(name: unknown, add = false): number {
    if (name === null || name === undefined || name === '') return -1;
    const text = String(name);
    let id = this.nameIds.get(text);
    if (id === undefined && add) {
      id = this.names.length;
      this.names.push(text);
      this.nameIds.set(text, id);
    }
    return id ?? -2;
  }

  private groupOf(row: Row): number {
    const key = `${row.workspace_id ?? ''}\u0000${row.worktree_id ?? ''}\u0000${row.agent_id ?? ''}\u0000${row.model ?? ''}`;
    let id = this.groupIds.get(key);
    if (id === undefined) {
      id = this.places.length;
      this.places.push({ workspace: this.nameId(row.workspace_id, true), worktree: this.nameId(row.worktree_id, true), agent: this.nameId(row.agent_id, true), model: this.nameId(row.model, true) });
      this.groupIds.set(key, id);
    }
    return id;
  }

  private grow(): void {
    const capacity = this.times.length * 2;
    const times = new Float64Array(capacity);
    times.set(this.times);
    const groups = new Int32Array(capacity);
    groups.set(this.groups);
    const counters = new Float64Array(capacity * COUNTERS);
    counters.set(this.counters);
    this.times = times;
    this.groups = groups;
    this.counters = counters;
  }

  /**
   * A row as the table holds it (LEDGER_SELECT's columns; `jd` may be given as `created_at`, an
   * ISO time): a row seen before (the same `id`: an upsert of its message) is replaced whole.
   */
  put(row: Row): void {
    const id = Number(row.id);
    let at = this.rowOf.get(id);
    if (at === undefined) {
      if (this.size === this.times.length) this.grow();
      at = this.size++;
      this.rowOf.set(id, at);
    }
    this.times[at] = row.jd !== undefined && row.jd !== null ? fromJulianDay(Number(row.jd)) : Date.parse(String(row.created_at));
    this.groups[at] = this.groupOf(row);
    const base = at * COUNTERS;
    for (let k = 0; k < COUNTER_COLUMNS.length; k++) this.counters[base + k] = Number(row[COUNTER_COLUMNS[k] as string] ?? 0);
    this.counters[base + COUNTER_COLUMNS.length] = Number(row.cost_reported ?? 1) === 0 ? Number(row.request_count ?? 1) : 0;
    this.counters[base + COUNTER_COLUMNS.length + 1] = 1;
  }

  /**
   * Adds up the rows from `bounds[0]` (included) to the last bound (excluded), each into the span
   * between consecutive bounds it falls in, and within it into its group's bucket:
   * `sums[(span * buckets + bucket) * COUNTERS + k]`. `bucketOf(place)` gives a group's bucket, or
   * -1 to leave its rows out (a filter).
   */
  sum(bounds: readonly number[], buckets: number, bucketOf: (place: Place, group: number) => number): Float64Array {
    const spans = bounds.length - 1;
    const sums = new Float64Array(Math.max(0, spans) * buckets * COUNTERS);
    if (spans <= 0) return sums;
    const bucketOfGroup = Int32Array.from(this.places, (place, group) => bucketOf(place, group));
    const first = bounds[0] as number;
    const last = bounds[spans] as number;
    for (let i = 0; i < this.size; i++) {
      const t = this.times[i] as number;
      if (!(t >= first && t < last)) continue;
      const bucket = bucketOfGroup[this.groups[i] as number] as number;
      if (bucket < 0) continue;
      // The span holding t: the last bound at or before it.
      let lo = 0;
      let hi = spans - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((bounds[mid] as number) <= t) lo = mid;
        else hi = mid - 1;
      }
      const out = (lo * buckets + bucket) * COUNTERS;
      const base = i * COUNTERS;
      for (let k = 0; k < COUNTERS; k++) sums[out + k] = (sums[out + k] as number) + (this.counters[base + k] as number);
    }
    return sums;
  }
}
