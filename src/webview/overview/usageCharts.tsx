/**
 * The usage charts: plain SVG drawn once per load, with no chart library and nothing from the
 * network. Each series is one path (a year of days is a handful of elements, not thousands: the
 * page lays them out in a few milliseconds); one tooltip says the exact figures of the period under
 * the pointer, or of the one chosen with the arrow keys. Colours come from the theme through
 * classes (media/overview.css), never from inline styles, which the page's CSP would refuse.
 */
import { useMemo, useState } from 'preact/hooks';
import type { OverviewPeriod, OverviewPeriodKind } from '../overviewProtocol';
import { formatCompact, formatInt, formatUsd, formatUsdCompact, periodAxisLabel, periodName, plural } from './format';

/** The drawing's own units: the SVG scales to the panel's width, text with it. */
export const CHART = { WIDTH: 800, HEIGHT: 200, LEFT: 52, RIGHT: 8, TOP: 10, BOTTOM: 24 } as const;
const { WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM } = CHART;
/** At most this many dates under the axis. */
const MAX_LABELS = 8;

/** One quantity drawn per period, in its theme colour (`series-<key>` in the stylesheet). */
export interface Series {
  key: string;
  label: string;
  value: (p: OverviewPeriod) => number;
}

/** Rounds the axis up to a readable top with ticks on round numbers (1, 2, 2.5 or 5 times a power of ten). */
export function niceScale(max: number, tickCount = 4): { top: number; ticks: number[] } {
  if (!(max > 0)) return { top: 1, ticks: [0, 1] };
  const rough = max / tickCount;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const top = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let t = 0; t <= top + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { top, ticks };
}

/** Which periods get a date under the axis: evenly spaced, the last (the current period) always. */
export function labelledPeriods(count: number, max = MAX_LABELS): number[] {
  const every = Math.max(1, Math.ceil(count / max));
  const out: number[] = [];
  for (let i = count - 1; i >= 0; i -= every) out.unshift(i);
  return out;
}

const r = (n: number) => Math.round(n * 100) / 100;

interface BarChartProps {
  testId: string;
  title: string;
  period: OverviewPeriodKind;
  periods: readonly OverviewPeriod[];
  series: readonly Series[];
  /** Stacked (parts of one whole) or side by side (different things). */
  stacked: boolean;
  /** The axis's numbers, compact. */
  axis: (n: number) => string;
  /** A period's exact figures, for its tooltip. */
  describe: (p: OverviewPeriod) => string;
  /** One sentence on the whole range, for screen readers. */
  summary: string;
}

/** Where the tooltip of period `active` goes: from its column's left edge rightwards in the chart's left half, else leftwards from its right edge. */
function tipPosition(active: number | undefined, band: number): Record<string, string> | undefined {
  if (active === undefined) return undefined;
  const share = (x: number) => `${((x / WIDTH) * 100).toFixed(1)}%`;
  const left = LEFT + active * band;
  return left + band / 2 < WIDTH / 2 ? { left: share(left) } : { right: share(WIDTH - left - band) };
}

/** A bar chart over the periods, with its axes, legend and a tooltip for the period pointed at. */
export function BarChart(props: BarChartProps) {
  const { periods, series, stacked } = props;
  const n = Math.max(1, periods.length);
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotBottom = HEIGHT - BOTTOM;
  const plotHeight = plotBottom - TOP;
  const band = plotWidth / n;
  const [active, setActive] = useState<number | undefined>();

  // The drawing depends on the figures only: pointing at a period redraws the cursor and tip alone.
  const drawn = useMemo(() => {
    let max = 0;
    for (const p of periods) {
      if (stacked) {
        let sum = 0;
        for (const s of series) sum += s.value(p);
        max = Math.max(max, sum);
      } else for (const s of series) max = Math.max(max, s.value(p));
    }
    const { top, ticks } = niceScale(max);
    const y = (v: number) => plotBottom - (v / top) * plotHeight;
    // Bars fill most of their column, but a few periods do not make slabs of them.
    const barWidth = Math.min(48, Math.max(0.6, band * (stacked ? 0.75 : 0.8)));
    const partWidth = stacked ? barWidth : barWidth / series.length;
    // One path per series: a closed rectangle per period with a figure ("M x,y h w v h h -w z").
    const paths = series.map(() => [] as string[]);
    periods.forEach((p, i) => {
      const left = LEFT + i * band + (band - barWidth) / 2;
      let base = 0;
      series.forEach((s, k) => {
        const v = s.value(p);
        if (v <= 0) return;
        const from = stacked ? base : 0;
        base += v;
        const y1 = y(from + v);
        const width = r(partWidth);
        paths[k]!.push(`M${r(stacked ? left : left + k * partWidth)},${r(y1)}h${width}v${r(Math.max(0.5, y(from) - y1))}h${-width}z`);
      });
    });
    return { ticks, y, paths: paths.map((d) => d.join('')) };
  }, [periods, series, stacked]);

  /** The period under the pointer, from where it is across the drawing. */
  const pointAt = (event: PointerEvent) => {
    const box = (event.currentTarget as SVGElement).getBoundingClientRect();
    if (!(box.width > 0)) return;
    const x = ((event.clientX - box.left) / box.width) * WIDTH;
    const i = Math.floor((x - LEFT) / band);
    setActive(i >= 0 && i < periods.length ? i : undefined);
  };
  const onKeyDown = (event: KeyboardEvent) => {
    const last = periods.length - 1;
    const moves: Record<string, () => number | undefined> = {
      ArrowRight: () => Math.min(last, (active ?? -1) + 1),
      ArrowLeft: () => Math.max(0, (active ?? periods.length) - 1),
      Home: () => 0,
      End: () => last,
      Escape: () => undefined,
    };
    const move = moves[event.key];
    if (!move || last < 0) return;
    event.preventDefault();
    setActive(move());
  };
  const shown = active !== undefined ? periods[active] : undefined;

  return (
    <figure class="chart" data-testid={props.testId}>
      <figcaption>{props.title}</figcaption>
      <div class="chart-area">
        <svg
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          role="img"
          tabIndex={0}
          aria-label={`${props.title}. ${props.summary} The arrow keys go through the ${periods.length} periods.`}
          data-periods={periods.length}
          onPointerMove={pointAt}
          onPointerLeave={() => setActive(undefined)}
          onKeyDown={onKeyDown}
          onBlur={() => setActive(undefined)}
        >
          <g class="grid">
            {drawn.ticks.map((t) => (
              <g key={t}>
                <line x1={LEFT} x2={WIDTH - RIGHT} y1={r(drawn.y(t))} y2={r(drawn.y(t))} />
                <text class="tick" x={LEFT - 6} y={r(drawn.y(t))} text-anchor="end" dominant-baseline="middle">
                  {props.axis(t)}
                </text>
              </g>
            ))}
          </g>
          <g class="x-axis">
            {labelledPeriods(periods.length).map((i) => (
              <text key={i} class="tick" x={r(LEFT + (i + 0.5) * band)} y={HEIGHT - 6} text-anchor="middle">
                {periodAxisLabel(periods[i]!.date, props.period)}
              </text>
            ))}
          </g>
          {active !== undefined && <rect class="cursor" x={r(LEFT + active * band)} y={TOP} width={r(band)} height={plotHeight} />}
          <g class="bars">
            {series.map((s, k) => (
              <path key={s.key} class={`series-${s.key}`} d={drawn.paths[k]} />
            ))}
          </g>
        </svg>
        {/* One tooltip, at the period pointed at (a share of the width: the drawing scales). */}
        <div
          class={`chart-tip${shown ? '' : ' hidden'}`}
          role="status"
          aria-live="polite"
          // Beside the period, towards the middle, so that it stays within the chart. Set through
          // the style object (CSSOM), which the page's CSP allows, unlike a style attribute.
          style={tipPosition(active, band)}
        >
          {shown ? props.describe(shown) : ''}
        </div>
      </div>
      <ul class="legend">
        {series.map((s) => (
          <li key={s.key}>
            <span class={`swatch series-${s.key}`} aria-hidden="true" />
            {s.label}
          </li>
        ))}
      </ul>
    </figure>
  );
}

const TOKEN_SERIES: readonly Series[] = [
  { key: 'input', label: 'Input', value: (p) => p.inputTokens },
  { key: 'output', label: 'Output', value: (p) => p.outputTokens },
  { key: 'cache-read', label: 'Cache read', value: (p) => p.cacheReadTokens },
  { key: 'cache-write', label: 'Cache write', value: (p) => p.cacheCreationTokens },
];
const COST_SERIES: readonly Series[] = [{ key: 'cost', label: 'Cost (USD)', value: (p) => p.costUsd }];
const REQUEST_SERIES: readonly Series[] = [
  { key: 'requests', label: 'Requests', value: (p) => p.requestCount },
  { key: 'errors', label: 'Errors', value: (p) => p.errorCount },
];

/** A period's tokens in words: the total, then each kind. */
export function describeTokens(p: OverviewPeriod, period: OverviewPeriodKind): string {
  return `${periodName(p.date, period)}: ${formatInt(p.totalTokens)} tokens (input ${formatInt(p.inputTokens)}, output ${formatInt(p.outputTokens)}, cache read ${formatInt(p.cacheReadTokens)}, cache write ${formatInt(p.cacheCreationTokens)})`;
}

/** A period's cost in words, saying when some of its requests reported none. */
export function describeCost(p: OverviewPeriod, period: OverviewPeriodKind): string {
  const unpriced = p.unpricedRequestCount > 0 ? `, no cost reported for ${plural(p.unpricedRequestCount, 'request')}` : '';
  return `${periodName(p.date, period)}: ${formatUsd(p.costUsd)}${unpriced}`;
}

/** A period's requests and errors in words. */
export function describeRequests(p: OverviewPeriod, period: OverviewPeriodKind): string {
  return `${periodName(p.date, period)}: ${plural(p.requestCount, 'request')}, ${plural(p.errorCount, 'error')}`;
}

/** The three usage charts of a range: tokens by kind, cost, requests and errors. */
export function UsageCharts({ period, periods, per }: { period: OverviewPeriodKind; periods: readonly OverviewPeriod[]; per: string }) {
  let tokens = 0;
  let cost = 0;
  let requests = 0;
  let errors = 0;
  for (const p of periods) {
    tokens += p.totalTokens;
    cost += p.costUsd;
    requests += p.requestCount;
    errors += p.errorCount;
  }
  const over = `Over ${plural(periods.length, per)}`;
  return (
    <div class="charts">
      <BarChart
        testId="usage-chart-tokens"
        title={`Tokens per ${per}`}
        period={period}
        periods={periods}
        series={TOKEN_SERIES}
        stacked={true}
        axis={formatCompact}
        describe={(p) => describeTokens(p, period)}
        summary={`${over}: ${formatInt(tokens)} tokens in all.`}
      />
      <BarChart
        testId="usage-chart-cost"
        title={`Cost per ${per}`}
        period={period}
        periods={periods}
        series={COST_SERIES}
        stacked={true}
        axis={formatUsdCompact}
        describe={(p) => describeCost(p, period)}
        summary={`${over}: ${formatUsd(cost)} in all.`}
      />
      <BarChart
        testId="usage-chart-requests"
        title={`Requests and errors per ${per}`}
        period={period}
        periods={periods}
        series={REQUEST_SERIES}
        stacked={false}
        axis={formatCompact}
        describe={(p) => describeRequests(p, period)}
        summary={`${over}: ${plural(requests, 'request')} and ${plural(errors, 'error')} in all.`}
      />
    </div>
  );
}
