/**
 * The Usage section: the range and its total, the charts or the same figures as a table, the
 * breakdowns by model, repository, worktree and agent, and the usage table's export.
 */
import { useMemo } from 'preact/hooks';
import type { OverviewData, OverviewPeriod, OverviewPeriodKind, OverviewShare } from '../overviewProtocol';
import { ExportButtons, type ExportNotice } from './exportButtons';
import { formatInt, formatPercent, formatRange, formatUsd, periodName, plural, PERIOD_WORDS } from './format';
import { PERIOD_COLUMN, USAGE_FIGURES } from './table';
import { UsageCharts } from './usageCharts';

export type UsageView = 'chart' | 'table';
type Usage = OverviewData['usage'];

/** The per-period figures as a plain table, the same numbers the charts draw. */
export function UsageTable({ period, periods }: { period: OverviewPeriodKind; periods: readonly OverviewPeriod[] }) {
  return (
    <div class="table-scroll">
      <table class="figures" data-testid="usage-table">
        <caption>Usage per {PERIOD_WORDS[period].one}</caption>
        <thead>
          <tr>
            <th scope="col">{PERIOD_COLUMN[period]}</th>
            {USAGE_FIGURES.map((f) => (
              <th key={f.column} scope="col" class="num">
                {f.column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {periods.map((p) => (
            <tr key={p.date} data-date={p.date}>
              <th scope="row">{periodName(p.date, period)}</th>
              {USAGE_FIGURES.map((f) => (
                <td key={f.column} class="num">
                  {f.usd ? formatUsd(f.value(p)) : formatInt(f.value(p))}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A share of the whole as a thin bar and a percentage; the bar is drawn in SVG (no inline style). */
function ShareBar({ share }: { share: number }) {
  const width = Math.max(0, Math.min(100, share * 100));
  return (
    <span class="share">
      <svg class="share-bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true">
        <rect class="share-track" width="100" height="8" />
        <rect class="share-fill" width={Math.round(width * 10) / 10} height="8" />
      </svg>
      <span class="share-text">{formatPercent(share)}</span>
    </span>
  );
}

/** One breakdown of the range (by model, repository, worktree or agent): tokens, cost, requests, share of the tokens. */
export function Breakdown({ testId, title, what, shares, totalTokens }: { testId: string; title: string; what: string; shares: readonly OverviewShare[]; totalTokens: number }) {
  return (
    <div class="breakdown" data-testid={testId}>
      <table class="figures">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">{what}</th>
            <th scope="col" class="num">
              Tokens
            </th>
            <th scope="col" class="num">
              Cost
            </th>
            <th scope="col" class="num">
              Requests
            </th>
            <th scope="col">Share of tokens</th>
          </tr>
        </thead>
        <tbody>
          {shares.length === 0 ? (
            <tr>
              <td colSpan={5} class="muted">
                No usage in this range.
              </td>
            </tr>
          ) : (
            shares.map((s) => (
              <tr key={s.key}>
                <th scope="row">{s.label}</th>
                <td class="num">{formatInt(s.totalTokens)}</td>
                <td class="num">
                  {(s.costUsd > 0 || s.unpricedRequestCount === 0) && `${formatUsd(s.costUsd)} `}
                  {s.unpricedRequestCount > 0 && <span class="cost-note">no cost reported for {plural(s.unpricedRequestCount, 'request')}</span>}
                </td>
                <td class="num">{formatInt(s.requestCount)}</td>
                <td>
                  <ShareBar share={totalTokens > 0 ? s.totalTokens / totalTokens : 0} />
                </td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

export interface UsageSectionProps {
  usage: Usage;
  view: UsageView;
  onView: (view: UsageView) => void;
  exportNotice: ExportNotice | undefined;
  exporting: boolean;
  onExport: (format: 'csv' | 'json') => void;
}

/** The Usage section of the panel. The charts and the table are kept for a load, so typing in the agents' filter does not draw them again. */
export function UsageSection({ usage, view, onView, exportNotice, exporting, onExport }: UsageSectionProps) {
  const per = PERIOD_WORDS[usage.period].one;
  const figures = useMemo(
    () => (view === 'chart' ? <UsageCharts period={usage.period} periods={usage.periods} per={per} /> : <UsageTable period={usage.period} periods={usage.periods} />),
    [usage, view],
  );
  const { total } = usage;
  return (
    <section class="usage" aria-labelledby="usage-title">
      <div class="section-head">
        <h2 id="usage-title">Usage</h2>
        <div class="segmented" role="group" aria-label="Show usage as">
          {(['chart', 'table'] as const).map((v) => (
            <button key={v} type="button" aria-pressed={view === v} onClick={() => onView(v)}>
              {v === 'chart' ? 'Chart' : 'Table'}
            </button>
          ))}
        </div>
        <ExportButtons table="usage" label={`the usage per ${per}`} notice={exportNotice} busy={exporting} onExport={onExport} />
      </div>
      <p class="range" data-testid="usage-range">
        {formatRange(usage.from, usage.to)}: {formatInt(total.totalTokens)} tokens, {formatUsd(total.costUsd)}, {plural(total.requestCount, 'request')}, {plural(total.errorCount, 'error')}.
      </p>
      {total.unpricedRequestCount > 0 && (
        <p class="note" data-testid="unpriced-note">
          {plural(total.unpricedRequestCount, 'request')} ran in a terminal, where the CLI reports no cost: their tokens are counted, their cost is not.
        </p>
      )}
      {figures}
      <div class="breakdowns">
        <Breakdown testId="breakdown-model" title="By model" what="Model" shares={usage.byModel} totalTokens={total.totalTokens} />
        <Breakdown testId="breakdown-repository" title="By repository" what="Repository" shares={usage.byRepository} totalTokens={total.totalTokens} />
        <Breakdown testId="breakdown-worktree" title="By worktree" what="Worktree" shares={usage.byWorktree} totalTokens={total.totalTokens} />
        <Breakdown testId="breakdown-agent" title="By agent" what="Agent" shares={usage.byAgent} totalTokens={total.totalTokens} />
      </div>
    </section>
  );
}
