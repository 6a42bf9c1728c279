/**
 * The contract between the extension host and the Overview panel (every agent at a glance, where
 * the tokens and money went, plan limits), in the same three kinds of descriptor as the chat's
 * (protocol.ts, whose envelopes it shares): requests answered once, commands without a reply,
 * notifications from the host. The host checks every incoming message and every outgoing result
 * and notification against these schemas (WebviewHost).
 */
import * as z from 'zod/mini';

const agentId = z.string().check(z.regex(/^ag_[0-9a-z]{1,64}$/));
const empty = z.strictObject({});
const count = z.number().check(z.gte(0));

/** Token and cost counters of a period or a share (the usage ledger's). */
const counters = {
  inputTokens: count,
  outputTokens: count,
  cacheReadTokens: count,
  cacheCreationTokens: count,
  totalTokens: count,
  costUsd: count,
  requestCount: count,
  errorCount: count,
  /** Requests whose cost the CLI did not report (run in a terminal): tokens counted, cost unknown. */
  unpricedRequestCount: count,
};
const usageCounters = z.strictObject(counters);
export type OverviewCounters = z.infer<typeof usageCounters>;

/** One period of the chart: its first local day (YYYY-MM-DD) and its counters. */
const usagePeriod = z.strictObject({ date: z.string(), ...counters });
export type OverviewPeriod = z.infer<typeof usagePeriod>;

/** One row of a breakdown: what it is (a model, repository, worktree or agent) and its counters. */
const usageShare = z.strictObject({ key: z.string(), label: z.string(), ...counters });
export type OverviewShare = z.infer<typeof usageShare>;

/** One agent, as the Overview's table shows it. */
const agentRow = z.strictObject({
  id: agentId,
  name: z.string(),
  workspaceId: z.string(),
  repository: z.string(),
  worktreeId: z.string(),
  worktree: z.string(),
  status: z.enum(['running', 'waiting', 'error', 'finished']),
  statusReason: z.string(),
  /** 0–100. */
  contextLevel: count,
  /** API requests so far (the model's turns). */
  turns: count,
  costToday: count,
  costTotal: count,
  tokensTotal: count,
  /** Requests whose cost the CLI did not report (the agent ran in a terminal), in all and today. */
  unpricedRequests: count,
  unpricedRequestsToday: count,
  /** ISO-8601: the agent's last change. */
  lastActivity: z.string(),
  /** False when another window runs it. */
  ownedByThisWindow: z.boolean(),
});
export type OverviewAgent = z.infer<typeof agentRow>;

const usageLimit = z.strictObject({
  /** "five_hour", "seven_day", … as the CLI names it. */
  type: z.string(),
  /** "allowed", "allowed_warning", "rejected", … */
  status: z.string(),
  resetsAt: z.optional(z.string()),
  /** 0–1, when the CLI reports it. */
  utilization: z.optional(z.number()),
  reportedAt: z.string(),
});
export type OverviewLimit = z.infer<typeof usageLimit>;

const period = z.enum(['daily', 'weekly', 'monthly']);
export type OverviewPeriodKind = z.infer<typeof period>;

/** A budget and its use in its current period. */
const budget = z.strictObject({ period: z.enum(['daily', 'monthly']), unit: z.enum(['usd', 'tokens']), limit: count, used: count });
export type OverviewBudget = z.infer<typeof budget>;

/** The Claude Code CLI the extension would run, or why none can be run. */
const cliInfo = z.union([
  z.strictObject({ found: z.literal(true), path: z.string(), version: z.string() }),
  z.strictObject({ found: z.literal(false), message: z.string() }),
]);
export type OverviewCli = z.infer<typeof cliInfo>;

/** Everything the panel draws, for one choice of period and span. */
const overview = z.strictObject({
  /** The host's local date today (YYYY-MM-DD), and the first day of its weeks (0 Sunday … 6 Saturday). */
  today: z.string(),
  weekStart: z.number().check(z.gte(0), z.lte(6)),
  agents: z.array(agentRow),
  usage: z.strictObject({
    period,
    /** Local dates: the first period's first day, the last period's last day. */
    from: z.string(),
    to: z.string(),
    periods: z.array(usagePeriod),
    total: usageCounters,
    byModel: z.array(usageShare),
    byRepository: z.array(usageShare),
    byWorktree: z.array(usageShare),
    byAgent: z.array(usageShare),
  }),
  /** Today's usage, whatever the chart shows. */
  todayUsage: usageCounters,
  limits: z.union([z.strictObject({ available: z.literal(true), limits: z.array(usageLimit) }), z.strictObject({ available: z.literal(false), reason: z.string() })]),
  budgets: z.array(budget),
  /** What runs here: shown at the foot of the panel. */
  about: z.strictObject({
    extensionVersion: z.string(),
    editorVersion: z.string(),
    cli: cliInfo,
    storage: z.union([z.strictObject({ ok: z.literal(true), sqliteVersion: z.string() }), z.strictObject({ ok: z.literal(false), message: z.string() })]),
  }),
});
export type OverviewData = z.infer<typeof overview>;

/** One table as shown (its columns, and its rows filtered and sorted as on screen), for export. */
const cell = z.union([z.string().check(z.maxLength(10_000)), z.number(), z.null()]);
const exportTable = z.strictObject({
  format: z.enum(['csv', 'json']),
  /** What the table is ("agents", "usage-daily"): the file's suggested name. */
  name: z.string().check(z.regex(/^[a-z0-9-]{1,40}$/)),
  columns: z.array(z.string().check(z.minLength(1), z.maxLength(100))).check(z.minLength(1), z.maxLength(50)),
  rows: z.array(z.array(cell).check(z.maxLength(50))).check(z.maxLength(100_000)),
});
export type OverviewExport = z.infer<typeof exportTable>;

export const overviewRequestSchemas = {
  /** The whole overview: agents, the usage of the last `span` periods (today's included), limits. */
  overviewLoad: { params: z.strictObject({ period, span: z.number().check(z.int(), z.gte(1), z.lte(1000)) }), result: overview },
  /** Opens an agent's chat. */
  overviewOpenChat: { params: z.strictObject({ agentId }), result: empty },
  /** Asks where to save, then writes the table as CSV or JSON; `path` when it was saved. */
  overviewExport: { params: exportTable, result: z.strictObject({ path: z.optional(z.string()) }) },
} as const;

export type OverviewRequestMethod = keyof typeof overviewRequestSchemas;
export type OverviewRequestParams<M extends OverviewRequestMethod> = z.infer<(typeof overviewRequestSchemas)[M]['params']>;
export type OverviewRequestResult<M extends OverviewRequestMethod> = z.infer<(typeof overviewRequestSchemas)[M]['result']>;

export const overviewCommandSchemas = {
  /** Sent once the webview's script runs; the host holds notifications until then. */
  ready: z.strictObject({}),
  /** A line for the extension's log. */
  log: z.strictObject({ level: z.enum(['info', 'warn', 'error']), message: z.string().check(z.maxLength(10_000)) }),
  /**
   * The panel drew a load (for the log and the benchmark): `ms` since the page's navigation began,
   * `sinceAsked` since it asked for the data (its first load is asked for as it says `ready`),
   * `sinceAnswered` since the data came.
   */
  drawn: z.strictObject({ ms: count, sinceAsked: count, sinceAnswered: count, periods: count, agents: count }),
} as const;

export type OverviewCommandName = keyof typeof overviewCommandSchemas;
export type OverviewCommandParams<C extends OverviewCommandName> = z.infer<(typeof overviewCommandSchemas)[C]>;

export const overviewNotificationSchemas = {
  /** Agents or usage changed: the panel loads again what it shows. */
  overviewChanged: empty,
  /** The CLI setting changed: which CLI would run now. */
  didChangeCli: cliInfo,
} as const;

export type OverviewNotificationMethod = keyof typeof overviewNotificationSchemas;
export type OverviewNotificationParams<N extends OverviewNotificationMethod> = z.infer<(typeof overviewNotificationSchemas)[N]>;

/** The methods above as types, for the panel's client (PanelClient). */
export type OverviewMethods = {
  requests: { [M in OverviewRequestMethod]: { params: OverviewRequestParams<M>; result: OverviewRequestResult<M> } };
  commands: { [C in OverviewCommandName]: OverviewCommandParams<C> };
  notifications: { [N in OverviewNotificationMethod]: OverviewNotificationParams<N> };
};
