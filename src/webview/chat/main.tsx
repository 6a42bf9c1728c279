import { render } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { type ChatAgent, type ChatMessage, type RequestResult, requestSchemas } from '../protocol';
import { HostClient } from '../shared/hostClient';
import { FindBar } from './find';
import { insertMention, mentionAt } from './mention';
import { renderMarkdown } from './markdown';
import { newer } from './merge';
import { MessageView, PermissionCard, PlanCard } from './messages';
import { VirtualList } from './virtualList';

/** What the webview keeps across reloads: UI state only. Messages are fetched again. */
interface UiState {
  agentId: string;
  draft: string;
  /** The page's `openedAt` once its conversation was drawn: a page loaded again (the panel hidden, then shown) asks afresh. */
  openedAt?: number;
}

const client = new HostClient<UiState>();
/** When the page told the host it was ready: the latest page is timed from here (logged once). */
let readyAt = 0;
/** When the conversation arrived (in the page, or the answer to the first chatOpen). */
let answeredAt = 0;

/** What the host put in the page: the agent's id, when the chat was opened, and perhaps its first page. */
function pageInit(): { agentId?: unknown; openedAt?: unknown; opened?: unknown } {
  try {
    return JSON.parse(document.getElementById('root')?.dataset.init ?? '{}') as { agentId?: unknown };
  } catch {
    return {};
  }
}
const init = pageInit();

function initialAgentId(): string | undefined {
  if (client.state?.agentId) return client.state.agentId;
  return typeof init.agentId === 'string' ? init.agentId : undefined;
}

type OpenResult = RequestResult<'chatOpen'>;

/** Where the next older page starts, from a page. */
function olderOf(page: OpenResult['page']): { hasMore: boolean; cursor?: string } {
  return { hasMore: page.hasMore, ...(page.nextCursor ? { cursor: page.nextCursor } : {}) };
}

/** The user's messages of a page (newest first), for Up to recall. */
function sentOf(messages: readonly ChatMessage[]): string[] {
  return messages.filter((m) => m.role === 'user' && m.kind === 'text').map((m) => m.content);
}

/** The open completion list: slash commands or worktree paths, the one picked, and what it replaces. */
interface Completion {
  kind: 'slash' | 'path';
  items: string[];
  active: number;
  /** Where the replaced text starts (the `/` or the `@`) and where the caret was. */
  start: number;
  caret: number;
}

const MODES = [
  { mode: 'regular', label: 'Regular' },
  { mode: 'plan', label: 'Plan' },
  { mode: 'auto', label: 'Auto' },
] as const;

function formatCost(usd: number): string {
  return `$${usd.toFixed(usd < 1 ? 3 : 2)}`;
}

function Header(props: {
  agent: ChatAgent;
  threshold: number;
  models: readonly string[];
  onMode: (mode: ChatAgent['mode']) => void;
  onModel: (model: string) => void;
  onFind: () => void;
}) {
  const { agent, threshold } = props;
  const u = agent.usage;
  const tokens = u.inputTokens + u.outputTokens + u.cacheReadTokens + u.cacheCreationTokens;
  const warn = agent.contextLevel >= threshold;
  return (
    <header class="chat-header">
      <div class="title">
        <span class={`status-dot ${agent.status}`} aria-hidden="true" />
        <strong>{agent.name}</strong>
        <span class="status" data-testid="status">
          {agent.status}: {agent.statusReason}
        </span>
      </div>
      <div class="facts">
        <label>
          Mode{' '}
          <select aria-label="Mode" value={agent.mode} disabled={Boolean(agent.inputDisabledReason)} onChange={(e) => props.onMode((e.target as HTMLSelectElement).value as ChatAgent['mode'])}>
            {MODES.map((m) => (
              <option value={m.mode}>{m.label}</option>
            ))}
          </select>
        </label>
        <label>
          Model{' '}
          <select
            aria-label="Model"
            value={agent.model ?? ''}
            disabled={Boolean(agent.inputDisabledReason)}
            onChange={(e) => {
              const model = (e.target as HTMLSelectElement).value;
              if (model) props.onModel(model);
            }}
          >
            {!agent.model && <option value="">Default</option>}
            {(agent.model && !props.models.includes(agent.model) ? [...props.models, agent.model] : props.models).map((m) => (
              <option value={m}>{m}</option>
            ))}
          </select>
        </label>
        <span class={`meter${warn ? ' warn' : ''}`} role="meter" aria-label="Context window" aria-valuemin={0} aria-valuemax={100} aria-valuenow={agent.contextLevel} title={`Context ${agent.contextLevel}% full`}>
          <span class="fill" style={{ width: `${Math.min(100, agent.contextLevel)}%` }} />
        </span>
        <span>{agent.contextLevel}%</span>
        <span title="Tokens and cost of this agent">
          {tokens.toLocaleString()} tokens · {formatCost(u.costUsd)}
        </span>
        <button type="button" class="icon" aria-label="Find in Conversation (Ctrl+F)" title="Find in Conversation (Ctrl+F)" onClick={props.onFind}>
          Find
        </button>
      </div>
    </header>
  );
}

function App() {
  const [agentId] = useState(initialAgentId);
  // The conversation the host put in the page is drawn by the first render.
  const [start] = useState(() => (agentId === firstAgentId && embedded?.success ? embedded.data : undefined));
  const [agent, setAgent] = useState<ChatAgent | undefined>(start?.agent);
  const [messages, setMessages] = useState<ChatMessage[]>(() => start?.page.messages.slice().reverse() ?? []);
  const [older, setOlder] = useState<{ hasMore: boolean; cursor?: string }>(() => (start ? olderOf(start.page) : { hasMore: false }));
  const [threshold, setThreshold] = useState(start?.contextWarningThreshold ?? 80);
  const [slash, setSlash] = useState<string[]>(start?.slashCommands ?? []);
  const [error, setError] = useState<string | undefined>();
  const [draft, setDraft] = useState(client.state?.draft ?? '');
  const [atBottom, setAtBottom] = useState(true);
  const [bottomToken, setBottomToken] = useState(0);
  const [models, setModels] = useState<string[]>(start?.models ?? []);
  const [finding, setFinding] = useState(false);
  const [shown, setShown] = useState<{ key: string; token: number } | undefined>();
  const [completion, setCompletion] = useState<Completion | undefined>();
  const loadingOlder = useRef(false);
  const timed = useRef(false);
  const sentHistory = useRef<string[]>(start ? sentOf(start.page.messages) : []);
  const composer = useRef<HTMLTextAreaElement>(null);
  // The newest state for work that spans several requests (loading pages up to a find's match).
  const messagesNow = useRef(messages);
  messagesNow.current = messages;
  const olderNow = useRef(older);
  olderNow.current = older;
  const pathAsked = useRef(0);

  const save = (next: Partial<UiState>) => {
    if (agentId) client.state = { agentId, draft, ...client.state, ...next };
  };

  useEffect(() => {
    if (!agentId) return;
    save(typeof init.openedAt === 'number' ? { openedAt: init.openedAt } : {});
    const offAgent = client.on('chatAgent', (a) => a.id === agentId && setAgent(a));
    const offMessage = client.on('chatMessage', ({ agentId: id, message }) => {
      if (id !== agentId) return;
      setMessages((list) => {
        const at = list.findIndex((m) => m.id === message.id);
        if (at < 0) return [...list, message];
        const next = list.slice();
        next[at] = newer(list[at]!, message);
        return next;
      });
    });
    if (start) {
      answeredAt ||= readyAt;
      return () => {
        offAgent();
        offMessage();
      };
    }
    (agentId === firstAgentId && firstOpen ? firstOpen : client.request('chatOpen', { agentId }))
      .then((opened) => {
        answeredAt ||= performance.now();
        apply(opened);
      })
      .catch((e: Error) => setError(e.message));
    return () => {
      offAgent();
      offMessage();
    };
  }, [agentId]);

  /** A chat as it opened (the answer to chatOpen): what it holds joins what is shown. */
  function apply(opened: OpenResult) {
    setAgent(opened.agent);
    setThreshold(opened.contextWarningThreshold);
    setSlash(opened.slashCommands);
    setModels(opened.models);
    // Pages come newest first; the list reads oldest first. Messages that arrived meanwhile
    // stay, and of two versions of one message the further one wins.
    setMessages((live) => {
      const byId = new Map(live.map((m) => [m.id, m]));
      const page = opened.page.messages
        .slice()
        .reverse()
        .map((m) => {
          const other = byId.get(m.id);
          return other ? newer(m, other) : m;
        });
      const known = new Set(page.map((m) => m.id));
      return [...page, ...live.filter((m) => !known.has(m.id))];
    });
    setOlder(olderOf(opened.page));
    sentHistory.current = sentOf(opened.page.messages);
  }

  // The time from ready to the latest page on screen, for the log (and the benchmark): the rows
  // are in the page when this runs; the frame that paints them comes next, and a task queued from
  // that frame runs once it is painted.
  useLayoutEffect(() => {
    if (timed.current || messages.length === 0) return;
    timed.current = true;
    const drawn = performance.now();
    requestAnimationFrame(() =>
      setTimeout(() => {
        const at = (t: number) => (t - readyAt).toFixed(1);
        const sinceOpened = typeof init.openedAt === 'number' ? `; ${Date.now() - init.openedAt} ms after the chat was opened` : '';
        client.command('log', {
          level: 'info',
          message: `latest page (${messages.length} messages) shown ${at(performance.now())} ms after the panel was ready (answered after ${at(answeredAt)} ms, in the page after ${at(drawn)} ms${start ? ', in the page' : ''})${sinceOpened}`,
        });
      }),
    );
  }, [messages]);

  /** Loads the next older page (of `limit` messages); false when there was none to load, or one is loading. */
  const loadOlder = async (limit?: number): Promise<boolean> => {
    const { hasMore, cursor } = olderNow.current;
    if (!agentId || !hasMore || !cursor || loadingOlder.current) return false;
    loadingOlder.current = true;
    try {
      const page = await client.request('chatPage', { agentId, before: cursor, ...(limit ? { limit } : {}) });
      const list = [...page.messages.slice().reverse(), ...messagesNow.current];
      messagesNow.current = list;
      olderNow.current = olderOf(page);
      setMessages(list);
      setOlder(olderNow.current);
      return true;
    } catch (e) {
      setError((e as Error).message);
      return false;
    } finally {
      loadingOlder.current = false;
    }
  };

  /** Brings a message into view, loading older pages (large ones) until it is there. */
  const going = useRef(0);
  const goTo = async (messageId: string) => {
    // Only the latest match asked for is shown (an earlier one may still be loading pages).
    const mine = ++going.current;
    while (!messagesNow.current.some((m) => m.id === messageId)) {
      if (mine !== going.current) return;
      if (loadingOlder.current) {
        await new Promise((resolve) => setTimeout(resolve, 30));
        continue;
      }
      if (!(await loadOlder(500))) break;
    }
    if (mine === going.current) setShown((s) => ({ key: messageId, token: (s?.token ?? 0) + 1 }));
  };

  // Ctrl+F / Cmd+F opens the find bar (the whole history is searched, not only the rows drawn).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 'f') {
        e.preventDefault();
        setFinding(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  /** The completions for the text and caret: slash commands at the start, worktree paths after an `@`. */
  const complete = (text: string, caret: number) => {
    if (text.startsWith('/') && !/\s/.test(text.slice(0, caret))) {
      const items = slash.filter((c) => `/${c}`.startsWith(text.slice(0, caret))).slice(0, 8);
      setCompletion(items.length ? { kind: 'slash', items, active: 0, start: 0, caret } : undefined);
      return;
    }
    const mention = mentionAt(text, caret);
    if (!mention || !agentId) {
      setCompletion(undefined);
      return;
    }
    const mine = ++pathAsked.current;
    client.request('chatFiles', { agentId, query: mention.query }).then(
      ({ paths }) => {
        if (mine !== pathAsked.current) return;
        setCompletion(paths.length ? { kind: 'path', items: paths.slice(0, 12), active: 0, start: mention.start, caret } : undefined);
      },
      (e: Error) => mine === pathAsked.current && (setCompletion(undefined), setError(e.message)),
    );
  };

  const accept = (item: string) => {
    if (!completion) return;
    const next =
      completion.kind === 'slash'
        ? { text: `/${item} ${draft.slice(completion.caret).replace(/^\S*/, '')}`, caret: item.length + 2 }
        : insertMention(draft, completion.start, completion.caret, item);
    pathAsked.current++;
    setCompletion(undefined);
    setDraft(next.text);
    save({ draft: next.text });
    requestAnimationFrame(() => {
      composer.current?.focus();
      composer.current?.setSelectionRange(next.caret, next.caret);
    });
  };

  const send = () => {
    const text = draft;
    if (!agentId || !text.trim() || agent?.inputDisabledReason) return;
    setDraft('');
    save({ draft: '' });
    sentHistory.current.unshift(text);
    setBottomToken((n) => n + 1);
    client.request('chatSend', { agentId, text }).catch((e: Error) => {
      setError(e.message);
      setDraft(text);
    });
  };

  const interrupt = () => {
    if (agentId && agent?.status === 'running') client.request('chatInterrupt', { agentId }).catch((e: Error) => setError(e.message));
  };

  const onKeyDown = (event: KeyboardEvent) => {
    const area = event.target as HTMLTextAreaElement;
    if (completion && !event.isComposing) {
      const n = completion.items.length;
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        setCompletion({ ...completion, active: (completion.active + (event.key === 'ArrowDown' ? 1 : -1) + n) % n });
        return;
      }
      if ((event.key === 'Enter' && !event.shiftKey) || event.key === 'Tab') {
        event.preventDefault();
        accept(completion.items[completion.active]!);
        return;
      }
      if (event.key === 'Escape') {
        event.preventDefault();
        pathAsked.current++;
        setCompletion(undefined);
        return;
      }
    }
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      interrupt();
    } else if (event.key === 'ArrowUp' && area.value === '' && sentHistory.current[0]) {
      event.preventDefault();
      setDraft(sentHistory.current[0]);
    }
  };

  if (!agentId) return <p class="error" role="alert">This chat does not know its agent: close it and open the agent's chat again.</p>;

  const disabled = agent?.inputDisabledReason;
  const failed = agent?.status === 'error';

  return (
    <div class="chat">
      {agent ? (
        <Header
          agent={agent}
          threshold={threshold}
          models={models}
          onMode={(mode) => client.request('chatSetMode', { agentId, mode }).catch((e: Error) => setError(e.message))}
          onModel={(model) => client.request('chatSetModel', { agentId, model }).catch((e: Error) => setError(e.message))}
          onFind={() => setFinding(true)}
        />
      ) : (
        <p aria-busy="true">Loading…</p>
      )}
      {finding && (
        <FindBar
          search={(query) => client.request('chatFind', { agentId, query })}
          onGoTo={(id) => void goTo(id)}
          onClose={() => {
            going.current++;
            setFinding(false);
            setShown(undefined);
            composer.current?.focus();
          }}
        />
      )}
      {error && (
        <div class="banner error" role="alert">
          <span>{error}</span>
          <button type="button" class="secondary" onClick={() => setError(undefined)} aria-label="Dismiss">
            ✕
          </button>
        </div>
      )}
      {failed && !disabled && (
        <div class="banner error" role="alert" data-testid="error-banner">
          <span>{agent.statusReason}</span>
          <button type="button" onClick={() => client.request('chatStart', { agentId }).catch((e: Error) => setError(e.message))}>
            {agent.statusReason.startsWith('could not start') ? 'Retry' : 'Resume'}
          </button>
        </div>
      )}
      <VirtualList
        items={messages}
        keyOf={(m) => m.id}
        render={(m) => (
          <MessageView
            message={m}
            onCopy={(text) => client.command('copy', { text })}
            onOpenDiff={(messageId) => client.request('chatOpenDiff', { agentId, messageId }).catch((e: Error) => setError(e.message))}
          />
        )}
        onNearTop={() => void loadOlder()}
        {...(shown ? { scrollTo: shown, current: shown.key } : {})}
        onAtBottom={setAtBottom}
        scrollToBottomToken={bottomToken}
        label={`Conversation with ${agent?.name ?? 'the agent'}`}
      />
      {!atBottom && (
        <button type="button" class="jump" onClick={() => setBottomToken((n) => n + 1)}>
          Jump to latest
        </button>
      )}
      {agent?.pendingPermissions.map((request) =>
        request.toolName === 'ExitPlanMode' ? (
          <PlanCard
            key={request.requestId}
            request={request}
            onApprove={(mode) =>
              client
                .request('chatRespond', { agentId, requestId: request.requestId, behavior: 'allow' })
                .then(() => client.request('chatSetMode', { agentId, mode }))
                .then(
                  () => undefined,
                  (e: Error) => setError(e.message),
                )
            }
            onKeepPlanning={(feedback) =>
              client.request('chatRespond', { agentId, requestId: request.requestId, behavior: 'deny', message: feedback }).then(
                () => undefined,
                (e: Error) => setError(e.message),
              )
            }
          />
        ) : (
        <PermissionCard
          key={request.requestId}
          request={request}
          onAnswer={(answer) =>
            client.request('chatRespond', { agentId, requestId: request.requestId, ...answer }).then(
              () => undefined,
              (e: Error) => setError(e.message),
            )
          }
        />
        ),
      )}
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        {completion && (
          <ul class="suggestions" id="completions" role="listbox" aria-label={completion.kind === 'slash' ? 'Slash commands' : 'Files of the worktree'}>
            {completion.items.map((c, i) => (
              <li
                id={`completion-${i}`}
                role="option"
                aria-selected={i === completion.active}
                class={i === completion.active ? 'active' : ''}
                onMouseDown={(e) => (e.preventDefault(), accept(c))}
              >
                {completion.kind === 'slash' ? `/${c}` : c}
              </li>
            ))}
          </ul>
        )}
        <textarea
          ref={composer}
          aria-label="Message to the agent"
          aria-autocomplete="list"
          aria-expanded={Boolean(completion)}
          aria-controls={completion ? 'completions' : undefined}
          aria-activedescendant={completion ? `completion-${completion.active}` : undefined}
          placeholder={disabled ?? 'Message the agent (Enter sends, Shift+Enter for a new line, Esc interrupts)'}
          disabled={Boolean(disabled)}
          value={draft}
          rows={3}
          onInput={(e) => {
            const area = e.target as HTMLTextAreaElement;
            setDraft(area.value);
            save({ draft: area.value });
            complete(area.value, area.selectionStart);
          }}
          onBlur={() => {
            pathAsked.current++;
            setCompletion(undefined);
          }}
          onKeyDown={onKeyDown}
        />
        <div class="composer-actions">
          {disabled && <span class="hint">{disabled}</span>}
          {agent?.status === 'running' && (
            <button type="button" class="secondary" onClick={interrupt}>
              Interrupt
            </button>
          )}
          <button type="submit" disabled={Boolean(disabled) || !draft.trim()}>
            Send
          </button>
        </div>
      </form>
    </div>
  );
}

const root = document.getElementById('root');
readyAt = performance.now();
client.command('ready', {});
// The conversation: in the page when the host had it at once (checked like any answer); else asked
// for before the first draw, so that the two overlap.
const firstAgentId = initialAgentId();
const fresh = init.agentId === firstAgentId && init.opened !== undefined && client.state?.openedAt !== init.openedAt;
const embedded = fresh ? requestSchemas.chatOpen.result.safeParse(init.opened) : undefined;
const firstOpen = !firstAgentId ? undefined : embedded?.success ? Promise.resolve(embedded.data) : client.request('chatOpen', { agentId: firstAgentId });
if (root) render(<App />, root);
// While the host answers, the Markdown renderer runs once on a sample of what messages hold, so
// that its first real use (the latest page) does not pay for warming it up.
renderMarkdown('A **sample** with `code`, a [link](https://example.com) and\n\n- a list\n\n```ts\nconst x = 1;\n```\n');
