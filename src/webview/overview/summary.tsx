/**
 * The top of the panel: its title, the period switch (days, weeks or months, and how many), and
 * today at a glance with the budgets' use.
 */
import type { OverviewBudget, OverviewCounters, OverviewPeriodKind } from '../overviewProtocol';
import { formatCompact, formatInt, formatPercent, formatUsd, plural, PERIOD_WORDS } from './format';

/** How many periods a chart may span, by kind; the first is the default. */
export const SPANS: Record<OverviewPeriodKind, readonly number[]> = { daily: [30, 90, 365], weekly: [12, 26, 52], monthly: [12, 24] };
export const PERIODS: readonly OverviewPeriodKind[] = ['daily', 'weekly', 'monthly'];

export interface PeriodSwitchProps {
  period: OverviewPeriodKind;
  span: number;
  onPeriod: (period: OverviewPeriodKind) => void;
  onSpan: (span: number) => void;
}

/** Day / Week / Month as pressed buttons (each reached by Tab, used with Enter or Space), and the span. */
export function PeriodSwitch({ period, span, onPeriod, onSpan }: PeriodSwitchProps) {
  const word = PERIOD_WORDS[period].one;
  const spans = SPANS[period].includes(span) ? SPANS[period] : [...SPANS[period], span].sort((a, b) => a - b);
  return (
    <div class="period-switch">
      <div class="segmented" role="group" aria-label="Period">
        {PERIODS.map((p) => (
          <button key={p} type="button" data-testid={`period-${p}`} aria-pressed={p === period} onClick={() => p !== period && onPeriod(p)}>
            {PERIOD_WORDS[p].label}
          </button>
        ))}
      </div>
      <select aria-label="Span" value={String(span)} onChange={(e) => onSpan(Number((e.target as HTMLSelectElement).value))}>
        {spans.map((n) => (
          <option key={n} value={String(n)}>
            Last {plural(n, word)}
          </option>
        ))}
      </select>
    </div>
  );
}

/** A budget's use in words ("Daily budget: $3.20 of $10.00 (32%)") and as a meter. */
export function BudgetLine({ budget }: { budget: OverviewBudget }) {
  const name = budget.period === 'daily' ? 'Daily budget' : 'Monthly budget';
  const amount = (n: number) => (budget.unit === 'usd' ? formatUsd(n) : formatCompact(n));
  const share = budget.limit > 0 ? budget.used / budget.limit : 0;
  const text = `${name}: ${amount(budget.used)} of ${amount(budget.limit)}${budget.unit === 'tokens' ? ' tokens' : ''} (${formatPercent(share)})`;
  return (
    <li data-testid="budget" class={share >= 1 ? 'over' : share >= 0.8 ? 'near' : undefined}>
      <span class="budget-text">{text}</span>
      <meter min={0} max={1} low={0.8} high={0.999} optimum={0} value={Math.min(1, share)} aria-label={name} />
    </li>
  );
}

/** Today's cost, tokens, requests and errors, whatever the chart shows, and the budgets. */
export function TodaySummary({ today, budgets }: { today: OverviewCounters; budgets: readonly OverviewBudget[] }) {
  return (
    <section class="today" aria-labelledby="today-title" data-testid="today-summary">
      <h2 id="today-title">Today</h2>
      <dl class="cards">
        <div class="card">
          <dt>Cost</dt>
          <dd data-stat="cost">
            {today.costUsd > 0 || today.unpricedRequestCount === 0 ? `${formatUsd(today.costUsd)} ` : ''}
            {today.unpricedRequestCount > 0 && <span class="cost-note">no cost reported for {plural(today.unpricedRequestCount, 'request')} (run in a terminal)</span>}
          </dd>
        </div>
        <div class="card">
          <dt>Tokens</dt>
          <dd data-stat="tokens">
            {formatInt(today.totalTokens)}{' '}
            <span class="detail">
              input {formatInt(today.inputTokens)} · output {formatInt(today.outputTokens)} · cache read {formatInt(today.cacheReadTokens)} · cache write {formatInt(today.cacheCreationTokens)}
            </span>
          </dd>
        </div>
        <div class="card">
          <dt>Requests</dt>
          <dd data-stat="requests">{formatInt(today.requestCount)}</dd>
        </div>
        <div class="card">
          <dt>Errors</dt>
          <dd data-stat="errors">{formatInt(today.errorCount)}</dd>
        </div>
      </dl>
      {budgets.length > 0 ? (
        <ul class="budgets">
          {budgets.map((b) => (
            <BudgetLine key={b.period} budget={b} />
          ))}
        </ul>
      ) : (
        <p class="muted">No budget set (the dailyBudget and monthlyBudget settings).</p>
      )}
    </section>
  );
}
