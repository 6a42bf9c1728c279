/**
 * The Overview panel: loads what it shows for the chosen period and span, loads again when the
 * host says something changed, keeps the user's choices across reloads, and turns clicks into
 * requests (open a chat, export a table).
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { OverviewCli, OverviewData, OverviewExport, OverviewPeriodKind } from '../overviewProtocol';
import { About } from './about';
import { AgentsSection } from './agentsTable';
import type { OverviewClient } from './client';
import type { ExportNotice } from './exportButtons';
import { LimitsSection } from './limits';
import { PeriodSwitch, TodaySummary } from './summary';
import { agentsTable, type AgentColumnKey, filterAgents, nextSort, sortAgents, usageTable } from './table';
import { type OverviewUiState, restoreUiState, spanOf } from './uiState';
import { UsageSection } from './usage';

/** How long "Saved to …" stays. */
const SAVED_NOTICE_MS = 8000;

type Table = 'agents' | 'usage';

/** One load's answer, numbered: the panel reports each load's drawing once. */
interface Loaded {
  data: OverviewData;
  seq: number;
  /** When it was asked for, and when the answer came (performance.now()). */
  askedAt: number;
  receivedAt: number;
}

/**
 * Loads the overview, one request at a time for the host's hints. A change of period or span
 * asks at once (what was on its way is then ignored); a hint (`overviewChanged`) that comes while
 * a load is on its way is remembered, and one more load follows it, however many hints came.
 */
function useOverviewLoader(client: OverviewClient<OverviewUiState>, params: { period: OverviewPeriodKind; span: number }) {
  const [loaded, setLoaded] = useState<Loaded | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const wanted = useRef(params);
  wanted.current = params;
  const loader = useMemo(() => {
    const flight = { latest: 0, busy: false, again: false };
    const load = (): void => {
      const id = ++flight.latest;
      flight.busy = true;
      flight.again = false;
      setLoading(true);
      const askedAt = performance.now();
      client
        .request('overviewLoad', wanted.current)
        .then(
          (data) => {
            if (id !== flight.latest) return;
            setLoaded({ data, seq: id, askedAt, receivedAt: performance.now() });
            setError(undefined);
          },
          (e: Error) => {
            if (id !== flight.latest) return;
            setError(e.message);
            client.command('log', { level: 'warn', message: `The overview could not be loaded: ${e.message}` });
          },
        )
        .finally(() => {
          if (id !== flight.latest) return;
          flight.busy = false;
          if (flight.again) load();
          else setLoading(false);
        });
    };
    const changed = (): void => {
      if (flight.busy) flight.again = true;
      else load();
    };
    /** The panel goes: what is on its way is ignored, and nothing follows it. */
    const stop = (): void => {
      flight.latest++;
      flight.again = false;
    };
    return { load, changed, stop };
  }, [client]);
  return { loaded, error, loading, ...loader };
}

/** The Overview panel's app: its state, its requests, and the sections it is made of. */
export function App({ client }: { client: OverviewClient<OverviewUiState> }) {
  const [ui, setUi] = useState<OverviewUiState>(() => restoreUiState(client.state));
  const span = spanOf(ui);
  const { loaded, error, loading, load, changed, stop } = useOverviewLoader(client, { period: ui.period, span });
  const [cli, setCli] = useState<OverviewCli | undefined>();
  const [actionError, setActionError] = useState<string | undefined>();
  const [exporting, setExporting] = useState<Table | undefined>();
  const [notices, setNotices] = useState<Partial<Record<Table, ExportNotice>>>({});
  const noticeTimers = useRef<Partial<Record<Table, ReturnType<typeof setTimeout>>>>({});

  // Listening starts as the first render is committed (a layout effect runs within render()),
  // so main.tsx's `ready`, sent right after, lets the host send nothing that goes unheard.
  useLayoutEffect(() => {
    const offs = [client.on('overviewChanged', changed), client.on('didChangeCli', setCli)];
    return () => {
      stop();
      offs.forEach((off) => off());
      Object.values(noticeTimers.current).forEach(clearTimeout);
    };
  }, [client]);

  useEffect(() => load(), [ui.period, span]);
  useEffect(() => {
    client.state = ui;
  }, [ui]);
  useEffect(() => {
    if (loaded) setCli(loaded.data.about.cli);
  }, [loaded]);

  // Each load's drawing is reported once, on the frame after it was committed.
  useEffect(() => {
    if (!loaded) return;
    const { usage, agents } = loaded.data;
    requestAnimationFrame(() => {
      const now = performance.now();
      client.command('drawn', { ms: now, sinceAsked: now - loaded.askedAt, sinceAnswered: now - loaded.receivedAt, periods: usage.periods.length, agents: agents.length });
    });
  }, [loaded?.seq]);

  const data = loaded?.data;
  const shown = useMemo(() => (data ? sortAgents(filterAgents(data.agents, ui.query, ui.status), ui.sort) : []), [data?.agents, ui.query, ui.status, ui.sort]);

  const change = (patch: Partial<OverviewUiState>) => setUi((u) => ({ ...u, ...patch }));
  const onSort = (key: AgentColumnKey | undefined) => change({ sort: key ? nextSort(ui.sort, key) : undefined });
  const onOpen = (agentId: string) => {
    setActionError(undefined);
    client.request('overviewOpenChat', { agentId }).catch((e: Error) => setActionError(`The chat could not be opened: ${e.message}`));
  };
  const setNotice = (table: Table, notice: ExportNotice | undefined) => {
    clearTimeout(noticeTimers.current[table]);
    setNotices((n) => ({ ...n, [table]: notice }));
    if (notice?.kind === 'saved') noticeTimers.current[table] = setTimeout(() => setNotices((n) => (n[table] === notice ? { ...n, [table]: undefined } : n)), SAVED_NOTICE_MS);
  };
  const onExport = (table: Table, format: 'csv' | 'json') => {
    if (!data) return;
    const params: OverviewExport = table === 'agents' ? { format, name: 'agents', ...agentsTable(shown) } : usageTable(data.usage.period, data.usage.periods, format);
    setNotice(table, undefined);
    setExporting(table);
    client
      .request('overviewExport', params)
      .then(
        (r) => r.path !== undefined && setNotice(table, { kind: 'saved', path: r.path }),
        (e: Error) => setNotice(table, { kind: 'error', message: `The export failed: ${e.message}` }),
      )
      .finally(() => setExporting(undefined));
  };

  const periodSwitch = (
    <PeriodSwitch
      period={ui.period}
      span={span}
      onPeriod={(period) => change({ period })}
      onSpan={(n) => change({ spans: { ...ui.spans, [ui.period]: n } })}
    />
  );
  const failed = error && (
    <div class="error load-error" role="alert">
      {data ? 'The overview could not be loaded again (what is shown may be out of date): ' : 'The overview could not be loaded: '}
      {error}{' '}
      <button type="button" class="secondary" onClick={load}>
        Try Again
      </button>
    </div>
  );

  const top = (
    <header class="top">
      <h1>Overview</h1>
      {periodSwitch}
    </header>
  );
  // The page's landmarks: the header (banner), the sections in <main>, the About footer (contentinfo).
  if (!data) {
    return (
      <div class="overview" data-testid="overview" aria-busy={loading ? 'true' : 'false'}>
        {top}
        <main>{failed || <p class="loading">Loading…</p>}</main>
      </div>
    );
  }
  return (
    <div class={`overview${loading ? ' reloading' : ''}`} data-testid="overview">
      {top}
      <main>
        {failed}
        {actionError && (
          <p class="error" role="alert">
            {actionError}
          </p>
        )}
        <TodaySummary today={data.todayUsage} budgets={data.budgets} />
        <AgentsSection
          agents={data.agents}
          shown={shown}
          query={ui.query}
          status={ui.status}
          sort={ui.sort}
          onQuery={(query) => change({ query })}
          onStatus={(status) => change({ status })}
          onSort={onSort}
          onOpen={onOpen}
          exportNotice={notices.agents}
          exporting={exporting === 'agents'}
          onExport={(format) => onExport('agents', format)}
        />
        <UsageSection
          usage={data.usage}
          view={ui.usageView}
          onView={(usageView) => change({ usageView })}
          exportNotice={notices.usage}
          exporting={exporting === 'usage'}
          onExport={(format) => onExport('usage', format)}
        />
        <LimitsSection limits={data.limits} />
      </main>
      <About about={data.about} cli={cli ?? data.about.cli} />
    </div>
  );
}
