import type { AgentRecord } from '../storage/records';
import { addUsage, NO_USAGE, type UsageCounters, type UsagePeriod, type UsageReport, type UsageShare } from '../storage/usageRepository';

/** A place usage is spent in, named for people: a repository, a worktree or an agent. */
interface Named {
  id: string;
  name: string;
}

/** What the Overview is made from: the stored records and two usage reports. */
export interface OverviewSources {
  /** With each one's all-time usage. */
  agents: readonly (Pick<AgentRecord, 'id' | 'name' | 'worktreeId' | 'status' | 'statusReason' | 'contextLevel' | 'updatedAt'> & { ownedByThisWindow: boolean; usage: UsageCounters })[];
  workspaces: readonly Named[];
  worktrees: readonly (Named & { workspaceId: string })[];
  /** Agents removed since (their usage stays in the ledger): for their names. */
  removedAgents?: readonly Named[];
  /** The chart's range. */
  report: UsageReport;
  /** Today alone (its shares give each agent's cost today). */
  today: UsageReport;
}

/** One row of a breakdown: what it is and its counters. */
export interface OverviewShare extends UsageCounters {
  key: string;
  label: string;
}

export interface OverviewAgentRow {
  id: string;
  name: string;
  workspaceId: string;
  repository: string;
  worktreeId: string;
  worktree: string;
  status: AgentRecord['status'];
  statusReason: string;
  contextLevel: number;
  turns: number;
  costToday: number;
  costTotal: number;
  tokensTotal: number;
  unpricedRequests: number;
  unpricedRequestsToday: number;
  lastActivity: string;
  ownedByThisWindow: boolean;
}

export interface OverviewUsage {
  period: UsagePeriod;
  from: string;
  to: string;
  periods: ({ date: string } & UsageCounters)[];
  total: UsageCounters;
  byModel: OverviewShare[];
  byRepository: OverviewShare[];
  byWorktree: OverviewShare[];
  byAgent: OverviewShare[];
}

/** Sums the shares by a key, labelled; the largest (by tokens) first. Rows without the key are "(not recorded)". */
function groupShares(shares: readonly UsageShare[], keyOf: (s: UsageShare) => string | null, labelOf: (key: string) => string): OverviewShare[] {
  const groups = new Map<string, OverviewShare>();
  for (const s of shares) {
    const key = keyOf(s) ?? '';
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, label: key ? labelOf(key) : '(not recorded)', ...NO_USAGE }));
    addUsage(g, s);
  }
  return [...groups.values()].sort((a, b) => b.totalTokens - a.totalTokens || b.costUsd - a.costUsd || a.label.localeCompare(b.label));
}

/** Waiting agents first (they need the user), then running, failed, finished; newest activity first within each. */
const STATUS_ORDER: Record<AgentRecord['status'], number> = { waiting: 0, running: 1, error: 2, finished: 3 };

/**
 * The Overview's agents table and usage breakdowns, from the records and the usage reports: each
 * agent with its repository and worktree by name, its cost today and in all, and the range's
 * usage by model, repository, worktree and agent. Usage of things removed since keeps a label
 * ("removed worktree", the agent's last name when known).
 */
export function overviewOf(sources: OverviewSources): { agents: OverviewAgentRow[]; usage: OverviewUsage; todayUsage: UsageCounters } {
  const workspaces = new Map(sources.workspaces.map((w) => [w.id, w.name]));
  const worktrees = new Map(sources.worktrees.map((w) => [w.id, w]));
  const agentNames = new Map([...(sources.removedAgents ?? []), ...sources.agents].map((a) => [a.id, a.name]));
  const todayCost = new Map<string, number>();
  const todayUnpriced = new Map<string, number>();
  for (const s of sources.today.shares) {
    if (!s.agentId) continue;
    todayCost.set(s.agentId, (todayCost.get(s.agentId) ?? 0) + s.costUsd);
    todayUnpriced.set(s.agentId, (todayUnpriced.get(s.agentId) ?? 0) + s.unpricedRequestCount);
  }

  const agents: OverviewAgentRow[] = sources.agents.map((a) => {
    const wt = worktrees.get(a.worktreeId);
    const total = a.usage;
    return {
      id: a.id,
      name: a.name,
      workspaceId: wt?.workspaceId ?? '',
      repository: (wt && workspaces.get(wt.workspaceId)) ?? '',
      worktreeId: a.worktreeId,
      worktree: wt?.name ?? '',
      status: a.status,
      statusReason: a.statusReason,
      contextLevel: a.contextLevel,
      turns: total.requestCount,
      costToday: todayCost.get(a.id) ?? 0,
      costTotal: total.costUsd,
      tokensTotal: total.totalTokens,
      unpricedRequests: total.unpricedRequestCount,
      unpricedRequestsToday: todayUnpriced.get(a.id) ?? 0,
      lastActivity: a.updatedAt,
      ownedByThisWindow: a.ownedByThisWindow,
    };
  });
  agents.sort((x, y) => STATUS_ORDER[x.status] - STATUS_ORDER[y.status] || y.lastActivity.localeCompare(x.lastActivity));

  const { report } = sources;
  const shares = report.shares;
  const usage: OverviewUsage = {
    period: report.period,
    from: report.from,
    to: report.to,
    periods: report.periods.map(({ period: _period, byModel: _byModel, ...counters }) => counters),
    total: report.total,
    byModel: groupShares(shares, (s) => s.model, (m) => m),
    byRepository: groupShares(shares, (s) => s.workspaceId, (id) => workspaces.get(id) ?? 'removed repository'),
    byWorktree: groupShares(
      shares,
      (s) => s.worktreeId,
      (id) => {
        const wt = worktrees.get(id);
        return wt ? `${workspaces.get(wt.workspaceId) ?? '?'} / ${wt.name}` : 'removed worktree';
      },
    ),
    byAgent: groupShares(shares, (s) => s.agentId, (id) => agentNames.get(id) ?? 'removed agent'),
  };
  return { agents, usage, todayUsage: sources.today.total };
}
