/**
 * The Agents section: every agent of every repository in one table, filtered and sorted as the
 * user chooses. The rows it draws are given (App filters and sorts them, so an export is exactly
 * what is shown); this file only draws them and reports what the user does.
 */
import type { OverviewAgent } from '../overviewProtocol';
import { ExportButtons, type ExportNotice } from './exportButtons';
import { formatAbsolute, formatInt, formatRelative, formatUsd, plural } from './format';
import { AGENT_COLUMNS, type AgentColumnKey, type AgentSort, type AgentStatus, agentColumn, STATUS_ORDER, STATUS_WORDS } from './table';

export interface AgentsSectionProps {
  /** Every agent, for the count and the empty state. */
  agents: readonly OverviewAgent[];
  /** The rows to draw, filtered and in order. */
  shown: readonly OverviewAgent[];
  query: string;
  status: AgentStatus | 'all';
  sort: AgentSort | undefined;
  onQuery: (query: string) => void;
  onStatus: (status: AgentStatus | 'all') => void;
  /** A header was clicked (undefined: back to the default order). */
  onSort: (key: AgentColumnKey | undefined) => void;
  onOpen: (agentId: string) => void;
  exportNotice: ExportNotice | undefined;
  exporting: boolean;
  onExport: (format: 'csv' | 'json') => void;
}

/**
 * An agent's cost, saying when part of it is unknown: an agent run in a terminal reports its
 * tokens but no cost, and "$0.00" would claim it was free.
 */
function Cost({ usd, unpriced, long }: { usd: number; unpriced: number; long: boolean }) {
  if (unpriced === 0) return <>{formatUsd(usd)}</>;
  return (
    <>
      {usd > 0 && `${formatUsd(usd)} `}
      <span class="cost-note">{long ? `no cost reported for ${plural(unpriced, 'request')} (run in a terminal)` : 'no cost reported'}</span>
    </>
  );
}

/** Moves the focus to the row before or after, for the arrow keys. */
function focusSibling(row: HTMLElement, forward: boolean): void {
  const next = (forward ? row.nextElementSibling : row.previousElementSibling) as HTMLElement | null;
  if (next && next.tabIndex >= 0) next.focus();
}

function AgentRow({ agent: a, onOpen }: { agent: OverviewAgent; onOpen: (agentId: string) => void }) {
  const onKeyDown = (e: KeyboardEvent) => {
    // Keys pressed on the name's button are the button's.
    if (e.target !== e.currentTarget) return;
    if (e.key === 'Enter') {
      e.preventDefault();
      onOpen(a.id);
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      focusSibling(e.currentTarget as HTMLElement, e.key === 'ArrowDown');
    }
  };
  return (
    <tr data-testid="agent-row" data-agent-id={a.id} class={`agent status-${a.status}${a.ownedByThisWindow ? '' : ' elsewhere'}`} tabIndex={0} onKeyDown={onKeyDown}>
      <td>{a.repository || <span class="muted">unknown</span>}</td>
      <td>{a.worktree || <span class="muted">removed</span>}</td>
      <th scope="row">
        {/* Out of the Tab order: the row itself takes the focus, and Enter on it does the same. */}
        <button type="button" class="link" tabIndex={-1} title={`Open the chat of ${a.name}`} onClick={() => onOpen(a.id)}>
          {a.name}
        </button>
        {!a.ownedByThisWindow && <> <span class="badge">in another window</span></>}
      </th>
      <td>
        <span class="status-word">{STATUS_WORDS[a.status]}</span>
        {a.statusReason && <span class="reason">{a.statusReason}</span>}
      </td>
      <td class="num">{a.contextLevel}%</td>
      <td class="num">{formatInt(a.turns)}</td>
      <td class="num">{formatInt(a.tokensTotal)}</td>
      <td class="num" data-cell="cost-today">
        <Cost usd={a.costToday} unpriced={a.unpricedRequestsToday} long={false} />
      </td>
      <td class="num" data-cell="cost-total">
        <Cost usd={a.costTotal} unpriced={a.unpricedRequests} long={true} />
      </td>
      <td title={formatAbsolute(a.lastActivity)}>
        <time dateTime={a.lastActivity}>{formatRelative(a.lastActivity)}</time>
      </td>
    </tr>
  );
}

/** What the order is, in words, for the table's caption. */
function orderWords(sort: AgentSort | undefined): string {
  if (!sort) return 'waiting agents first, then the newest activity';
  const column = agentColumn(sort.key);
  if (sort.key === 'status') return sort.dir === 'asc' ? 'waiting agents first' : 'finished agents first';
  if (column.numeric) return `by ${column.label.toLowerCase()}, ${sort.dir === 'asc' ? 'smallest' : 'largest'} first`;
  if (sort.key === 'lastActivity') return `by last activity, ${sort.dir === 'asc' ? 'oldest' : 'newest'} first`;
  return `by ${column.label.toLowerCase()}, ${sort.dir === 'asc' ? 'A to Z' : 'Z to A'}`;
}

/** The Agents section: filter, table with sortable headers, export, or the empty state. */
export function AgentsSection(props: AgentsSectionProps) {
  const { agents, shown, sort } = props;
  return (
    <section class="agents" aria-labelledby="agents-title">
      <div class="section-head">
        <h2 id="agents-title">Agents</h2>
        {agents.length > 0 && (
          <div class="filters">
            <input
              type="search"
              aria-label="Filter agents by name, repository, worktree, status or reason"
              placeholder="Filter agents"
              value={props.query}
              onInput={(e) => props.onQuery((e.target as HTMLInputElement).value)}
            />
            <select aria-label="Status" value={props.status} onChange={(e) => props.onStatus((e.target as HTMLSelectElement).value as AgentStatus | 'all')}>
              <option value="all">All statuses</option>
              {STATUS_ORDER.map((s) => (
                <option key={s} value={s}>
                  {STATUS_WORDS[s]}
                </option>
              ))}
            </select>
            {sort && (
              <button type="button" class="secondary" onClick={() => props.onSort(undefined)}>
                Default order
              </button>
            )}
          </div>
        )}
        <ExportButtons table="agents" label="the agents table" notice={props.exportNotice} busy={props.exporting} onExport={props.onExport} />
      </div>
      {agents.length === 0 ? (
        <p class="empty">No agents yet. Start one from the Agents view.</p>
      ) : (
        <div class="table-scroll">
          <table class="figures agents-table" data-testid="agents-table">
            <caption>
              {shown.length === agents.length ? plural(agents.length, 'agent') : `${shown.length} of ${plural(agents.length, 'agent')}`}, {orderWords(sort)}
            </caption>
            <thead>
              <tr>
                {AGENT_COLUMNS.map((c) => {
                  const active = sort?.key === c.key ? sort.dir : undefined;
                  return (
                    <th key={c.key} scope="col" class={c.numeric ? 'num' : undefined} aria-sort={active === 'asc' ? 'ascending' : active === 'desc' ? 'descending' : undefined}>
                      <button type="button" class="sort" onClick={() => props.onSort(c.key)}>
                        {c.label}
                        <span class="sort-mark" aria-hidden="true">
                          {active === 'asc' ? '▲' : active === 'desc' ? '▼' : ''}
                        </span>
                      </button>
                    </th>
                  );
                })}
              </tr>
            </thead>
            <tbody>
              {shown.length === 0 ? (
                <tr>
                  <td colSpan={AGENT_COLUMNS.length} class="muted">
                    No agent matches the filter.
                  </td>
                </tr>
              ) : (
                shown.map((a) => <AgentRow key={a.id} agent={a} onOpen={props.onOpen} />)
              )}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
