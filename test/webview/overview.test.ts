// The Overview panel rendered in jsdom, talking to a stand-in for the host (overviewPage.ts):
// what it asks for (the period and span chosen, again when the host says things changed, once
// more after a load on its way), how it lists the agents (waiting first, sorted, filtered, a
// terminal's cost not reported), what it sends (a chat to open), and the facts at its foot.
// (Run with this folder's tsconfig: TSX_TSCONFIG_PATH=test/webview/tsconfig.json.)
import { AGENTS, $, $$, byTestId, choose, click, commands, days, freshPageForEachTest, header, last, notify, open, overview, page, posted, press, refuse, reply, requests, rowIds, settle, text, type, uiState } from './overviewPage';
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import type { OverviewUiState } from '../../src/webview/overview/uiState';

freshPageForEachTest();

describe('the Overview panel', () => {
  it('says it is loading until the first answer, which it asks for 30 days at first', async () => {
    await open(null);
    assert.equal(text(byTestId('overview')?.querySelector('.loading')), 'Loading…');
    assert.equal(byTestId('overview')?.getAttribute('aria-busy'), 'true');
    assert.deepEqual(requests('overviewLoad').map((r) => r.params), [{ period: 'daily', span: 30 }]);
    await reply(last('overviewLoad'), overview());
    assert.equal($('.loading'), null);
    assert.equal(text($('h1')), 'Overview');
    assert.equal(rowIds().length, 5);
    for (const id of ['today-summary', 'agents-table', 'usage-chart-tokens', 'usage-chart-cost', 'usage-chart-requests', 'breakdown-model', 'breakdown-repository', 'breakdown-worktree', 'breakdown-agent', 'limit-gauge', 'budget']) {
      assert.ok(byTestId(id), `${id} is drawn`);
    }
    for (const section of ['Today', 'Agents', 'Usage', 'Plan limits']) {
      const heading = $$('section h2').find((h2) => text(h2) === section);
      assert.equal(heading?.closest('section')?.getAttribute('aria-labelledby'), heading?.id, `${section} is a named region`);
    }
  });

  it('lists waiting agents first, then running, failed and finished ones, the newest first within each', async () => {
    await open(overview({ agents: [...AGENTS].reverse() }));
    assert.deepEqual(rowIds(), ['ag_d4', 'ag_b2', 'ag_a1', 'ag_e5', 'ag_c3']);
    assert.match(text($('[data-testid="agents-table"] caption')), /^5 agents, waiting agents first/);
  });

  it('sorts by a column when its header is clicked, both ways, says so with aria-sort, and keeps the order for a reload', async () => {
    await open();
    const button = header('Cost total').querySelector('button');
    assert.ok(button, 'the header is a button: reached by Tab, used with Enter or Space');
    await click(button);
    assert.deepEqual(rowIds(), ['ag_c3', 'ag_a1', 'ag_b2', 'ag_e5', 'ag_d4'], 'the largest first');
    assert.equal(header('Cost total').getAttribute('aria-sort'), 'descending');
    assert.equal(header('Agent').getAttribute('aria-sort'), null);
    await click(header('Cost total').querySelector('button'));
    assert.deepEqual(rowIds(), ['ag_d4', 'ag_e5', 'ag_b2', 'ag_a1', 'ag_c3']);
    assert.equal(header('Cost total').getAttribute('aria-sort'), 'ascending');
    await click(header('Agent').querySelector('button'));
    assert.deepEqual(rowIds(), ['ag_e5', 'ag_b2', 'ag_a1', 'ag_c3', 'ag_d4'], 'names A to Z');
    assert.deepEqual((uiState.get() as OverviewUiState).sort, { key: 'name', dir: 'asc' });
    await click($$('button').find((b) => text(b) === 'Default order'));
    assert.deepEqual(rowIds(), ['ag_d4', 'ag_b2', 'ag_a1', 'ag_e5', 'ag_c3']);
    assert.equal(header('Agent').getAttribute('aria-sort'), null);

    await act(() => render(null, page()));
    await open(overview(), { ...(uiState.get() as object), sort: { key: 'tokens', dir: 'desc' } });
    assert.deepEqual(rowIds(), ['ag_c3', 'ag_a1', 'ag_b2', 'ag_e5', 'ag_d4'], 'the order kept in the webview state');
  });

  it('filters by text in the name, repository, worktree, status or reason, and by status', async () => {
    await open();
    const box = $<HTMLInputElement>('input[type="search"]');
    await type(box, 'SHOP');
    assert.deepEqual(rowIds(), ['ag_b2', 'ag_a1']);
    assert.match(text($('caption')), /^2 of 5 agents/);
    await type(box, 'exited');
    assert.deepEqual(rowIds(), ['ag_e5'], 'the reason');
    await type(box, 'term');
    assert.deepEqual(rowIds(), ['ag_d4'], 'the worktree');
    await type(box, 'finished');
    assert.deepEqual(rowIds(), ['ag_c3'], 'the status');
    await type(box, '');
    await choose($<HTMLSelectElement>('select[aria-label="Status"]'), 'waiting');
    assert.deepEqual(rowIds(), ['ag_d4', 'ag_b2']);
    await type(box, 'docs');
    assert.deepEqual(rowIds(), ['ag_b2'], 'both at once');
    await type(box, 'nothing like it');
    assert.deepEqual(rowIds(), []);
    assert.match(text(byTestId('agents-table')), /No agent matches the filter\./);
    assert.deepEqual({ query: (uiState.get() as OverviewUiState).query, status: (uiState.get() as OverviewUiState).status }, { query: 'nothing like it', status: 'waiting' });
  });

  it('opens an agent\'s chat from its name, or with Enter on its row, once', async () => {
    await open();
    const row = $$('[data-testid="agent-row"]').find((r) => r.dataset.agentId === 'ag_a1')!;
    await click(row.querySelector('button'));
    assert.deepEqual(requests('overviewOpenChat').map((r) => r.params), [{ agentId: 'ag_a1' }]);
    assert.equal(row.tabIndex, 0, 'rows are reached by Tab');
    await press(row, 'Enter');
    await press(row.querySelector('button'), 'Enter');
    assert.deepEqual(requests('overviewOpenChat').map((r) => r.params), [{ agentId: 'ag_a1' }, { agentId: 'ag_a1' }], 'Enter on the name is the button\'s own');
    await refuse(last('overviewOpenChat'), 'The agent was deleted.');
    assert.equal(text($('[role="alert"]')), 'The chat could not be opened: The agent was deleted.');
  });

  it('marks agents of another window, and shows a terminal agent\'s tokens with "no cost reported" rather than $0.00', async () => {
    await open();
    const row = (id: string) => $$('[data-testid="agent-row"]').find((r) => r.dataset.agentId === id)!;
    assert.match(text(row('ag_d4').querySelector('th')), /^Terminal in another window$/);
    assert.doesNotMatch(text(row('ag_a1')), /another window/);
    assert.match(text(row('ag_d4')), /5,000/);
    assert.equal(text(row('ag_d4').querySelector('[data-cell="cost-today"]')), 'no cost reported');
    assert.equal(text(row('ag_d4').querySelector('[data-cell="cost-total"]')), 'no cost reported for 3 requests (run in a terminal)');
    assert.equal(text(row('ag_e5').querySelector('[data-cell="cost-total"]')), '$0.02 no cost reported for 2 requests (run in a terminal)', 'the priced part, then the note');
    assert.equal(text(row('ag_a1').querySelector('[data-cell="cost-total"]')), '$1.25');
    assert.equal(text(row('ag_c3').querySelector('[data-cell="cost-today"]')), '$0.00', 'a priced agent that spent nothing today did cost $0.00');
    assert.match(text(row('ag_a1')), /running Bash: npm test/);
  });

  it('says there are no agents yet when there are none', async () => {
    await open(overview({ agents: [] }));
    assert.equal(text($('.agents .empty')), 'No agents yet. Start one from the Agents view.');
    assert.equal(byTestId('agents-table'), null);
  });

  it('asks the host again for the period and span chosen, keeps what it shows meanwhile, and remembers the choice', async () => {
    await open();
    await click(byTestId('period-weekly'));
    assert.deepEqual(last('overviewLoad').params, { period: 'weekly', span: 12 });
    assert.equal(byTestId('period-weekly')?.getAttribute('aria-pressed'), 'true');
    assert.equal(byTestId('period-daily')?.getAttribute('aria-pressed'), 'false');
    assert.equal($('.loading'), null, 'no flash back to Loading…');
    assert.equal(rowIds().length, 5, 'the last answer stays while the next one comes');
    const span = $<HTMLSelectElement>('select[aria-label="Span"]');
    assert.deepEqual([...span!.options].map((o) => o.text), ['Last 12 weeks', 'Last 26 weeks', 'Last 52 weeks']);
    await choose(span, '26');
    assert.deepEqual(last('overviewLoad').params, { period: 'weekly', span: 26 });
    await click(byTestId('period-monthly'));
    assert.deepEqual(last('overviewLoad').params, { period: 'monthly', span: 12 });
    await click(byTestId('period-daily'));
    assert.deepEqual(last('overviewLoad').params, { period: 'daily', span: 30 });
    await click(byTestId('period-weekly'));
    assert.deepEqual(last('overviewLoad').params, { period: 'weekly', span: 26 }, 'the span chosen for weeks is kept');
    // Only the last answer counts: an older one coming late is not drawn.
    const loads = requests('overviewLoad');
    await reply(loads.at(-1)!, overview({ agents: AGENTS.slice(0, 1) }));
    await reply(loads.at(-2)!, overview({ agents: AGENTS.slice(0, 2) }));
    assert.deepEqual(rowIds(), ['ag_a1']);

    await act(() => render(null, page()));
    posted.length = 0;
    await open(null, uiState.get());
    assert.deepEqual(requests('overviewLoad').map((r) => r.params), [{ period: 'weekly', span: 26 }], 'the choice is kept across a reload of the page');
    await act(() => render(null, page()));
    posted.length = 0;
    await open(null, { period: 'yearly', spans: { daily: 7 }, sort: { key: 'nonsense', dir: 'up' } });
    assert.deepEqual(requests('overviewLoad').map((r) => r.params), [{ period: 'daily', span: 30 }], 'a stored state no longer valid is dropped');
  });
});

describe('the Overview panel\'s loads', () => {
  it('shows why the first load failed, as an alert, and tries again on request', async () => {
    await open(null);
    await refuse(last('overviewLoad'), 'The store could not be opened.');
    const alert = $('[role="alert"]');
    assert.match(text(alert), /^The overview could not be loaded: The store could not be opened\./);
    assert.equal($('.loading'), null);
    assert.equal(commands('log').length, 1, 'and written to the log');
    await click(alert!.querySelector('button'));
    assert.equal(requests('overviewLoad').length, 2);
    await reply(last('overviewLoad'), overview());
    assert.equal($('[role="alert"]'), null);
    assert.equal(rowIds().length, 5);
  });

  it('keeps what it shows when a later load fails, and says so', async () => {
    await open();
    await notify('overviewChanged', {});
    await refuse(last('overviewLoad'), 'busy');
    assert.match(text($('[role="alert"]')), /^The overview could not be loaded again \(what is shown may be out of date\): busy/);
    assert.equal(rowIds().length, 5);
  });

  it('loads again when the host says things changed: once more after a load on its way, however many times it was told', async () => {
    await open(null);
    await notify('overviewChanged', {});
    await notify('overviewChanged', {});
    assert.equal(requests('overviewLoad').length, 1, 'the first load is on its way');
    await reply(last('overviewLoad'), overview());
    assert.equal(requests('overviewLoad').length, 2, 'one more, for both hints');
    await reply(last('overviewLoad'), overview({ agents: AGENTS.slice(0, 2) }));
    assert.equal(requests('overviewLoad').length, 2, 'and no more');
    assert.deepEqual(rowIds(), ['ag_b2', 'ag_a1']);
    await notify('overviewChanged', {});
    assert.equal(requests('overviewLoad').length, 3, 'a hint with nothing on its way loads at once');
    assert.equal($('.loading'), null, 'what is shown stays meanwhile');
    assert.deepEqual(last('overviewLoad').params, { period: 'daily', span: 30 });
  });

  it('reports each load\'s drawing once, with its periods and agents', async () => {
    await open(null);
    assert.equal(commands('drawn').length, 0, 'nothing drawn yet');
    await reply(last('overviewLoad'), overview({}, days(30)));
    await settle();
    assert.equal(commands('drawn').length, 1);
    const drawn = commands('drawn')[0]!.params as { ms: number; sinceAsked: number; sinceAnswered: number; periods: number; agents: number };
    assert.deepEqual({ periods: drawn.periods, agents: drawn.agents }, { periods: 30, agents: 5 });
    assert.ok(drawn.ms > 0);
    assert.ok(drawn.sinceAsked >= 0 && drawn.sinceAsked <= drawn.ms, JSON.stringify(drawn));
    assert.ok(drawn.sinceAnswered >= 0 && drawn.sinceAnswered <= drawn.sinceAsked, JSON.stringify(drawn));
    await type($<HTMLInputElement>('input[type="search"]'), 'x');
    await settle();
    assert.equal(commands('drawn').length, 1, 'filtering is no load');
    await notify('overviewChanged', {});
    await reply(last('overviewLoad'), overview({ agents: [] }, days(7)));
    await settle();
    assert.deepEqual(commands('drawn').map((c) => (c.params as { periods: number }).periods), [30, 7]);
  });
});

describe('the Overview panel\'s facts', () => {
  it('says what runs here, and follows a change of the CLI in place', async () => {
    await open();
    assert.equal(byTestId('extension-version')?.textContent, '0.0.1');
    assert.equal(text(byTestId('cli')), '2.1.332 (/usr/local/bin/claude)');
    assert.equal(byTestId('cli')?.getAttribute('role'), null);
    assert.equal(text(byTestId('storage')), 'SQLite 3.49.1 (sql.js)');
    assert.deepEqual(
      $$('footer dt').map((dt) => `${text(dt)}: ${text(dt.nextElementSibling)}`),
      ['Extension: 0.0.1', 'Editor: 1.107.0 (desktop)', 'Claude Code CLI: 2.1.332 (/usr/local/bin/claude)', 'Storage engine: SQLite 3.49.1 (sql.js)'],
    );
    const footer = $('footer');
    await notify('didChangeCli', { found: false, message: '"claudeManager.claudePath" is set to /opt/missing/claude, but no executable file is there.' });
    assert.equal($('footer'), footer, 'the same footer');
    assert.equal(text(byTestId('cli')), '"claudeManager.claudePath" is set to /opt/missing/claude, but no executable file is there.');
    assert.equal(byTestId('cli')?.getAttribute('role'), 'alert');
    assert.equal(requests('overviewLoad').length, 1, 'without loading it all again');
    await notify('didChangeCli', { found: true, path: '/opt/claude', version: '2.2.0' });
    assert.equal(text(byTestId('cli')), '2.2.0 (/opt/claude)');
  });

  it('says why the storage engine cannot be used, as an alert', async () => {
    await open(overview({ about: { ...overview().about, storage: { ok: false, message: 'sql-wasm.wasm is missing.' } } }));
    assert.equal(text(byTestId('storage')), 'sql-wasm.wasm is missing.');
    assert.equal(byTestId('storage')?.getAttribute('role'), 'alert');
  });

});

describe('the Overview page', () => {
  it('draws the app into #root and then tells the host it is ready', async () => {
    await act(async () => {
      await import('../../src/webview/overview/main');
    });
    await settle();
    assert.ok(byTestId('overview'), 'the app is in #root');
    const ready = posted.findIndex((m) => m.kind === 'command' && m.command === 'ready');
    assert.ok(ready >= 0, 'ready was sent');
    assert.deepEqual(requests('overviewLoad').map((r) => r.params), [{ period: 'daily', span: 30 }]);
  });
});
