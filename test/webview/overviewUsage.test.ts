// The Overview's usage and limits in jsdom: one bar per period in each chart at the scale of its
// figures, the same numbers in the table, the breakdowns, exports of exactly what is shown, the
// plan limits and budgets in local time and words, and the words for figures.
// (Run with this folder's tsconfig: TSX_TSCONFIG_PATH=test/webview/tsconfig.json.)
import { AGENTS, $, $$, byTestId, click, days, doc, freshPageForEachTest, header, last, open, overview, page, press, refuse, reply, rowIds, text, type, uiState, ZERO } from './overviewPage';
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { h, render } from 'preact';
import { act } from 'preact/test-utils';
import type { OverviewPeriod } from '../../src/webview/overviewProtocol';
import { formatCompact, formatRange, formatUsd, formatWhen, limitName, limitStatus } from '../../src/webview/overview/format';
import { LimitsSection } from '../../src/webview/overview/limits';
import { TodaySummary } from '../../src/webview/overview/summary';
import type { OverviewUiState } from '../../src/webview/overview/uiState';
import { CHART, labelledPeriods, niceScale } from '../../src/webview/overview/usageCharts';

freshPageForEachTest();

describe('the Overview\'s usage', () => {
  it('draws a year of days as one bar per day in each chart, quickly, and its table shows the same numbers', async () => {
    const periods = days(365);
    await open(null);
    const started = performance.now();
    await reply(last('overviewLoad'), overview({}, periods));
    const took = performance.now() - started;
    assert.ok(took < 3000, `drawn in ${took.toFixed(0)} ms`);
    // One path per series; each period with a figure is one rectangle of it ("M x,y h w v h h -w z"),
    // found again by where its middle falls across the periods' columns.
    const band = (CHART.WIDTH - CHART.LEFT - CHART.RIGHT) / periods.length;
    const svg = (chart: string) => byTestId(chart)!.querySelector('svg')!;
    const rects = (chart: string, series: string) => {
      const out = new Map<number, { y: number; h: number }>();
      const d = svg(chart).querySelector(`path.series-${series}`)?.getAttribute('d') ?? '';
      for (const m of d.matchAll(/M(-?[\d.]+),(-?[\d.]+)h(-?[\d.]+)v(-?[\d.]+)h-?[\d.]+z/g)) {
        const [x, y, w, h] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
        const i = Math.floor((x + w / 2 - CHART.LEFT) / band);
        assert.ok(!out.has(i), `${chart} ${series}: one bar per period (${i} twice)`);
        out.set(i, { y, h });
      }
      return out;
    };
    for (const chart of ['usage-chart-tokens', 'usage-chart-cost', 'usage-chart-requests']) {
      assert.equal(svg(chart).getAttribute('data-periods'), String(periods.length), `${chart}: drawn over every period`);
      assert.ok(svg(chart).querySelectorAll('*').length < 60, `${chart}: a few elements, not one per period`);
    }
    const TOKEN_KINDS = ['input', 'output', 'cache-read', 'cache-write'];
    const tokenRects = TOKEN_KINDS.map((k) => rects('usage-chart-tokens', k));
    // The stacks are as tall as the periods' tokens: the largest the tallest, an idle day none.
    const height = (i: number) => tokenRects.reduce((sum, r) => sum + (r.get(i)?.h ?? 0), 0);
    const largest = periods.reduce((best, p, i) => (p.totalTokens > periods[best]!.totalTokens ? i : best), 0);
    assert.equal(Math.max(...periods.map((_, i) => height(i))), height(largest));
    assert.ok(tokenRects.every((r) => !r.has(3)), 'an idle day has no bar');
    // Every bar of every chart is as tall as its figure says, at one scale per chart (a figure too
    // small to see is drawn half a unit high), and the tokens' parts are stacked into their total.
    const close = (drawn: number, expected: number) => Math.abs(drawn - expected) <= 0.03 + expected * 0.01;
    const heights = (chart: string, series: string) => {
      const found = rects(chart, series);
      return periods.map((_, i) => found.get(i)?.h ?? 0);
    };
    const proportional = (chart: string, series: string, value: (p: OverviewPeriod) => number) => {
      const drawn = heights(chart, series);
      const most = periods.reduce((best, p, i) => (value(p) > value(periods[best]!) ? i : best), 0);
      const scale = drawn[most]! / value(periods[most]!);
      periods.forEach((p, i) => assert.ok(close(drawn[i]!, value(p) === 0 ? 0 : Math.max(0.5, value(p) * scale)), `${chart} ${series} ${p.date}: ${drawn[i]} high for ${value(p)}`));
    };
    proportional('usage-chart-tokens', 'input', (p) => p.inputTokens);
    proportional('usage-chart-tokens', 'output', (p) => p.outputTokens);
    proportional('usage-chart-tokens', 'cache-read', (p) => p.cacheReadTokens);
    proportional('usage-chart-tokens', 'cache-write', (p) => p.cacheCreationTokens);
    proportional('usage-chart-cost', 'cost', (p) => p.costUsd);
    proportional('usage-chart-requests', 'requests', (p) => p.requestCount);
    proportional('usage-chart-requests', 'errors', (p) => p.errorCount);
    const inputOfLargest = tokenRects[0]!.get(largest)!;
    const axis = inputOfLargest.y + inputOfLargest.h;
    const stack = (i: number) => axis - Math.min(axis, ...tokenRects.flatMap((r) => (r.has(i) ? [r.get(i)!.y] : [])));
    const perToken = stack(largest) / periods[largest]!.totalTokens;
    periods.forEach((p, i) => assert.ok(close(stack(i), p.totalTokens * perToken), `${p.date}: a stack ${stack(i)} high for ${p.totalTokens} tokens`));
    assert.deepEqual([...byTestId('usage-chart-tokens')!.querySelectorAll('.grid text')].map((t) => t.textContent), ['0', '200k', '400k', '600k']);
    assert.equal(byTestId('usage-chart-tokens')!.querySelectorAll('.x-axis text').length, 8);
    assert.equal(byTestId('usage-chart-tokens')!.querySelector('.x-axis text:last-child')!.textContent, '31 Dec');
    // The tooltip, period by period with the arrow keys (as the pointer shows it): its exact figures.
    const titles = async (chart: string) => {
      const tip = () => text(byTestId(chart)!.querySelector('.chart-tip'));
      await press(svg(chart), 'Home');
      const said = [tip()];
      for (let i = 1; i < periods.length; i++) {
        await press(svg(chart), 'ArrowRight');
        said.push(tip());
      }
      await press(svg(chart), 'Escape');
      assert.equal(tip(), '', 'Escape puts the tooltip away');
      return said;
    };
    const tokenTips = await titles('usage-chart-tokens');
    const costTips = await titles('usage-chart-cost');
    const requestTips = await titles('usage-chart-requests');
    assert.equal(tokenTips[1], '2 Jan 2026: 23,249 tokens (input 1,037, output 411, cache read 21,500, cache write 301)');
    assert.equal(costTips[1], '2 Jan 2026: $0.02');
    assert.equal(requestTips[5], '6 Jan 2026: 15 requests, 1 error');
    const figures = (s: string) => [...s.replace(/^[^:]*:/, '').matchAll(/\$?\d{1,3}(?:,\d{3})*(?:\.\d+)?/g)].map((m) => m[0]);
    const tooltips = { tokens: tokenTips.map(figures), cost: costTips.map(figures), requests: requestTips.map(figures) };

    await click($$('button').find((b) => text(b) === 'Table'));
    assert.equal(byTestId('usage-chart-tokens'), null, 'the table instead of the charts');
    assert.equal((uiState.get() as OverviewUiState).usageView, 'table');
    const rows = [...byTestId('usage-table')!.querySelectorAll('tbody tr')];
    assert.equal(rows.length, periods.length);
    rows.forEach((row, i) => {
      const p = periods[i]!;
      const [input, output, read, write, total, cost, requests, errors, unpriced] = [...row.querySelectorAll('td')].map((td) => td.textContent!);
      assert.equal(row.querySelector('th')!.textContent, dayName(p.date));
      // The same figures as each chart's tooltip for the period, and as the host sent them.
      assert.deepEqual([total, input, output, read, write], tooltips.tokens[i]);
      assert.deepEqual([cost], tooltips.cost[i]);
      assert.deepEqual([requests, errors], tooltips.requests[i]);
      assert.deepEqual([input, output, read, write, total, requests, errors, unpriced], [p.inputTokens, p.outputTokens, p.cacheReadTokens, p.cacheCreationTokens, p.totalTokens, p.requestCount, p.errorCount, p.unpricedRequestCount].map((n) => n.toLocaleString('en-US')));
      assert.equal(cost, `$${p.costUsd.toFixed(2)}`);
    });
  });

  it('shows the figures of the period under the pointer, and nothing once it leaves', async () => {
    const periods = days(30);
    await open(overview({}, periods));
    const chart = byTestId('usage-chart-cost')!;
    const svg = chart.querySelector('svg')!;
    // The drawing as the page would lay it out: 400 pixels wide from x = 100 (half its own units).
    svg.getBoundingClientRect = () => ({ left: 100, top: 0, width: 400, height: 100, right: 500, bottom: 100, x: 100, y: 0, toJSON: () => ({}) });
    const band = (CHART.WIDTH - CHART.LEFT - CHART.RIGHT) / periods.length;
    const pointAt = (units: number) => act(() => svg.dispatchEvent(new doc.defaultView!.MouseEvent('pointermove', { clientX: 100 + units / 2, bubbles: true })));
    await pointAt(CHART.LEFT + band * 4.5);
    assert.equal(text(chart.querySelector('.chart-tip')), `${dayName(periods[4]!.date)}: ${formatUsd(periods[4]!.costUsd)}`);
    assert.ok(chart.querySelector('rect.cursor'), 'its column is marked');
    await pointAt(CHART.LEFT / 2);
    assert.equal(text(chart.querySelector('.chart-tip')), '', 'left of the first period: none');
    await pointAt(CHART.LEFT + band * 29.5);
    assert.match(text(chart.querySelector('.chart-tip')), new RegExp(`^${dayName(periods[29]!.date)}:`));
    await act(() => svg.dispatchEvent(new doc.defaultView!.MouseEvent('pointerleave')));
    assert.equal(text(chart.querySelector('.chart-tip')), '');
    assert.equal(chart.querySelector('rect.cursor'), null);
  });

  it('says the range and its total, that terminal requests have no cost, and breaks the usage down with shares', async () => {
    const periods = days(30);
    const data = overview({}, periods);
    await open({ ...data, usage: { ...data.usage, from: '2026-11-01', to: '2026-11-30', total: { ...data.usage.total, unpricedRequestCount: 4 } } });
    assert.match(text(byTestId('usage-range')), /^1 Nov – 30 Nov 2026: [\d,]+ tokens, \$[\d.]+, [\d,]+ requests, \d+ errors\.$/);
    assert.equal(text(byTestId('unpriced-note')), '4 requests ran in a terminal, where the CLI reports no cost: their tokens are counted, their cost is not.');
    const model = [...byTestId('breakdown-model')!.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((c) => text(c)));
    const total = data.usage.total.totalTokens;
    assert.deepEqual(model, [
      ['claude-opus', (total * 0.75).toLocaleString('en-US', { maximumFractionDigits: 0 }), '$3.00', data.usage.total.requestCount.toLocaleString('en-US'), '75%'],
      ['claude-haiku', (total * 0.25).toLocaleString('en-US', { maximumFractionDigits: 0 }), 'no cost reported for 2 requests', data.usage.total.requestCount.toLocaleString('en-US'), '25%'],
    ]);
    assert.equal(byTestId('breakdown-model')!.querySelector('.share-fill')!.getAttribute('width'), '75');
    assert.equal(text(byTestId('breakdown-agent')!.querySelector('tbody')), 'No usage in this range.');
    assert.equal(text(byTestId('breakdown-worktree')!.querySelector('caption')), 'By worktree');

    await act(() => render(null, page()));
    await open();
    assert.equal(byTestId('unpriced-note'), null, 'no note when every request was priced');
  });
});

describe('the Overview panel\'s exports', () => {
  it('exports exactly the agents shown, filtered and in their order, with raw values, and says where it saved them', async () => {
    await open();
    await type($<HTMLInputElement>('input[type="search"]'), 'waiting');
    await click(header('Tokens').querySelector('button'));
    assert.deepEqual(rowIds(), ['ag_b2', 'ag_d4']);
    await click(byTestId('export-agents-csv'));
    const sent = last('overviewExport').params as { format: string; name: string; columns: string[]; rows: unknown[][] };
    assert.equal(sent.format, 'csv');
    assert.equal(sent.name, 'agents');
    assert.deepEqual(sent.columns, ['Repository', 'Worktree', 'Agent', 'Window', 'Status', 'Reason', 'Context %', 'Turns', 'Tokens', 'Cost today (USD)', 'Cost total (USD)', 'Requests without cost', 'Last activity']);
    const [b2, d4] = [AGENTS[1]!, AGENTS[3]!];
    assert.deepEqual(sent.rows, [
      ['shop', 'docs', 'Docs', 'this window', 'waiting', 'waiting for your message', 10, 3, 9000, 0.1, 0.3, 0, b2.lastActivity],
      ['api', 'term', 'Terminal', 'another window', 'waiting', 'waiting for your message', 10, 3, 5000, 0, 0, 3, d4.lastActivity],
    ]);
    assert.equal(byTestId('export-agents-csv')?.hasAttribute('disabled'), true, 'one export at a time');
    await reply(last('overviewExport'), { path: '/home/me/claude-manager-agents.csv' });
    assert.equal(text($('.agents [role="status"]')), 'Saved to /home/me/claude-manager-agents.csv');

    // Cancelled in the save dialog: nothing to say.
    await click(byTestId('export-agents-json'));
    assert.equal((last('overviewExport').params as { format: string }).format, 'json');
    await reply(last('overviewExport'), {});
    assert.equal(text($('.agents [role="status"]')), '');
    assert.equal($('.agents [role="alert"]'), null);

    await click(byTestId('export-agents-json'));
    await refuse(last('overviewExport'), 'The agents table could not be saved to /ro/a.json: read-only. Choose another place.');
    assert.equal(text($('.agents [role="alert"]')), 'The export failed: The agents table could not be saved to /ro/a.json: read-only. Choose another place.');
  });

  it('exports the usage table of the period shown, one row per period', async () => {
    const periods = days(3);
    await open(overview({}, periods));
    await click(byTestId('export-usage-json'));
    const sent = last('overviewExport').params as { format: string; name: string; columns: string[]; rows: unknown[][] };
    assert.equal(sent.name, 'usage-daily');
    assert.equal(sent.format, 'json');
    assert.deepEqual(sent.columns, ['Day', 'Input tokens', 'Output tokens', 'Cache read tokens', 'Cache write tokens', 'Total tokens', 'Cost (USD)', 'Requests', 'Errors', 'Requests without cost']);
    assert.deepEqual(sent.rows, periods.map((p) => [p.date, p.inputTokens, p.outputTokens, p.cacheReadTokens, p.cacheCreationTokens, p.totalTokens, p.costUsd, p.requestCount, p.errorCount, p.unpricedRequestCount]));
    await reply(last('overviewExport'), { path: '/tmp/u.json' });
    assert.equal(text($('.usage [role="status"]')), 'Saved to /tmp/u.json');
    assert.equal(text($('.agents [role="status"]')), '', 'said by the table exported');

    await click(byTestId('period-monthly'));
    await reply(last('overviewLoad'), overview({ usage: { ...overview().usage, period: 'monthly', periods: [{ ...periods[0]!, date: '2026-01-01' }] } }));
    await click(byTestId('export-usage-csv'));
    const monthly = last('overviewExport').params as { name: string; columns: string[]; rows: unknown[][] };
    assert.equal(monthly.name, 'usage-monthly');
    assert.equal(monthly.columns[0], 'Month starting');
    assert.equal(monthly.rows.length, 1);
  });
});


describe('the Overview\'s today and limits', () => {
  it('shows today\'s cost, tokens, requests and errors, and each budget\'s use in words and as a meter', () => {
    const div = doc.createElement('div');
    render(
      h(TodaySummary, {
        today: { ...ZERO, inputTokens: 1200, outputTokens: 800, cacheReadTokens: 30_000, cacheCreationTokens: 500, totalTokens: 32_500, costUsd: 3.2, requestCount: 21, errorCount: 2 },
        budgets: [
          { period: 'daily', unit: 'usd', limit: 10, used: 3.2 },
          { period: 'monthly', unit: 'tokens', limit: 5_000_000, used: 1_200_000 },
        ],
      }),
      div,
    );
    const stat = (name: string) => text(div.querySelector(`[data-stat="${name}"]`));
    assert.equal(stat('cost'), '$3.20');
    assert.equal(stat('tokens'), '32,500 input 1,200 · output 800 · cache read 30,000 · cache write 500');
    assert.equal(stat('requests'), '21');
    assert.equal(stat('errors'), '2');
    const budgets = [...div.querySelectorAll('[data-testid="budget"]')];
    assert.deepEqual(budgets.map((b) => text(b.querySelector('.budget-text'))), ['Daily budget: $3.20 of $10.00 (32%)', 'Monthly budget: 1.2M of 5M tokens (24%)']);
    assert.deepEqual(budgets.map((b) => (b.querySelector('meter') as HTMLMeterElement).value), [0.32, 0.24]);

    render(h(TodaySummary, { today: { ...ZERO, totalTokens: 900, inputTokens: 900, requestCount: 2, unpricedRequestCount: 2 }, budgets: [] }), div);
    assert.equal(text(div.querySelector('[data-stat="cost"]')), 'no cost reported for 2 requests (run in a terminal)', 'not $0.00');
    assert.equal(div.querySelectorAll('[data-testid="budget"]').length, 0);
  });

  it('shows each plan limit: its window, status, share used, and reset in local time', () => {
    const now = new Date('2026-11-30T10:00:00Z'); // a Monday, 11:00 in Paris
    const div = doc.createElement('div');
    render(
      h(LimitsSection, {
        now,
        limits: {
          available: true,
          limits: [
            { type: 'five_hour', status: 'allowed_warning', utilization: 0.62, resetsAt: '2026-11-30T13:05:00Z', reportedAt: '2026-11-30T09:55:00Z' },
            { type: 'seven_day', status: 'rejected', resetsAt: '2026-12-01T13:05:00Z', reportedAt: '2026-11-30T09:00:00Z' },
            { type: 'seven_day_opus', status: 'allowed', utilization: 0.05, reportedAt: '2026-11-30T09:59:30Z' },
            { type: 'seven_day_sonnet', status: 'allowed_warning', utilization: 0.9, resetsAt: '2026-11-30T09:30:00Z', reportedAt: '2026-11-30T08:00:00Z' },
          ],
        },
      }),
      div,
    );
    const gauges = [...div.querySelectorAll('[data-testid="limit-gauge"]')].map((g) => [...g.children].map((line) => text(line)).join(' | '));
    assert.deepEqual(gauges, [
      '5-hour window | near the limit | 62% used | resets 14:05 | reported 5 min ago',
      '7-day window | limit reached | usage share not reported | resets Tue 14:05 | reported 1 h ago',
      'Seven Day Opus | allowed | 5% used | reported just now',
      'Seven Day Sonnet | near the limit | 90% used | reset at 10:30, since this report | reported 2 h ago',
    ]);
    assert.equal((div.querySelector('meter') as HTMLMeterElement).value, 0.62);
    assert.equal(div.querySelector('[data-testid="limits-unavailable"]'), null);

    render(h(LimitsSection, { now, limits: { available: false, reason: 'Limits are reported by the Claude Code CLI with its answers; no agent has run yet.' } }), div);
    assert.equal(div.querySelectorAll('[data-testid="limit-gauge"]').length, 0);
    assert.equal(text(div.querySelector('[data-testid="limits-unavailable"]')), 'Limits are reported by the Claude Code CLI with its answers; no agent has run yet.');
    assert.equal(div.querySelector('meter'), null, 'words, no numbers');
    assert.doesNotMatch(text(div), /%/);
  });
});

describe('the Overview\'s words for figures and times', () => {
  it('writes counts compactly for axes, and dollars to the cent', () => {
    assert.deepEqual([0, 950, 1234, 12_345, 123_456, 3_400_000, 5e9].map(formatCompact), ['0', '950', '1.2k', '12.3k', '123k', '3.4M', '5B']);
    assert.deepEqual([0, 0.004, 3.2, 1234.5].map(formatUsd), ['$0.00', '$0.0040', '$3.20', '$1,234.50']);
  });

  it('puts axis ticks on round numbers and dates under evenly spaced bars, the last one always', () => {
    assert.deepEqual(niceScale(630_000), { top: 800_000, ticks: [0, 200_000, 400_000, 600_000, 800_000] });
    assert.deepEqual(niceScale(9), { top: 10, ticks: [0, 2.5, 5, 7.5, 10] });
    assert.deepEqual(niceScale(0), { top: 1, ticks: [0, 1] });
    assert.deepEqual(labelledPeriods(30), [1, 5, 9, 13, 17, 21, 25, 29]);
    assert.deepEqual(labelledPeriods(3), [0, 1, 2]);
  });

  it('names ranges, limits and moments as people read them', () => {
    assert.equal(formatRange('2026-11-01', '2026-11-30'), '1 Nov – 30 Nov 2026');
    assert.equal(formatRange('2025-12-01', '2026-11-30'), '1 Dec 2025 – 30 Nov 2026');
    assert.deepEqual(['five_hour', 'seven_day', 'seven_day_opus'].map(limitName), ['5-hour window', '7-day window', 'Seven Day Opus']);
    assert.deepEqual(['allowed', 'allowed_warning', 'rejected'].map(limitStatus), ['allowed', 'near the limit', 'limit reached']);
    const now = new Date('2026-11-30T10:00:00Z');
    assert.equal(formatWhen('2026-11-30T13:05:00Z', now), '14:05', 'today: the time alone, in local time');
    assert.equal(formatWhen('2026-12-03T13:05:00Z', now), 'Thu 14:05');
    assert.equal(formatWhen('2026-12-20T13:05:00Z', now), '20 Dec 14:05');
  });
});


/** A day as the usage table names it ("2 Jan 2026"), written here without the panel's code. */
function dayName(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return `${d} ${['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][m! - 1]} ${y}`;
}
