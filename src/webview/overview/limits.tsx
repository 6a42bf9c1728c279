/**
 * The Plan limits section: one gauge per limit the CLI reported (its window, status, share used
 * and when it resets, in local time), or in words why none can be shown.
 */
import type { OverviewData, OverviewLimit } from '../overviewProtocol';
import { formatAbsolute, formatPercent, formatRelative, formatWhen, limitName, limitStatus } from './format';

/** One limit: its window, what the CLI says of it, the share used when reported, and its reset. */
export function LimitGauge({ limit, now }: { limit: OverviewLimit; now: Date }) {
  const name = limitName(limit.type);
  const u = limit.utilization;
  return (
    <li class={`gauge status-${limit.status}`} data-testid="limit-gauge" data-type={limit.type}>
      <h3>{name}</h3>
      <p class="limit-status">{limitStatus(limit.status)}</p>
      {u !== undefined ? (
        <p class="limit-use">
          <meter min={0} max={1} low={0.5} high={0.8} optimum={0} value={Math.max(0, Math.min(1, u))} aria-label={`${name} used`} />
          <span class="pct">{formatPercent(u)} used</span>
        </p>
      ) : (
        <p class="limit-use muted">usage share not reported</p>
      )}
      {/* A reset already past: the window started again since the CLI's last report, whose share is old. */}
      {limit.resetsAt && <p title={formatAbsolute(limit.resetsAt)}>{Date.parse(limit.resetsAt) > now.getTime() ? `resets ${formatWhen(limit.resetsAt, now)}` : `reset at ${formatWhen(limit.resetsAt, now)}, since this report`}</p>}
      <p class="muted" title={formatAbsolute(limit.reportedAt)}>
        reported {formatRelative(limit.reportedAt, now.getTime())}
      </p>
    </li>
  );
}

/** The Plan limits section. When limits cannot be known the host says why, and only that is shown. */
export function LimitsSection({ limits, now = new Date() }: { limits: OverviewData['limits']; now?: Date }) {
  return (
    <section class="limits" aria-labelledby="limits-title">
      <h2 id="limits-title">Plan limits</h2>
      {!limits.available ? (
        <p class="muted" data-testid="limits-unavailable">
          {limits.reason}
        </p>
      ) : limits.limits.length === 0 ? (
        <p class="muted">No limit reported yet: the CLI reports them as agents run.</p>
      ) : (
        <ul class="gauges">
          {limits.limits.map((l) => (
            <LimitGauge key={l.type} limit={l} now={now} />
          ))}
        </ul>
      )}
    </section>
  );
}
