import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChatAgent, ChatMessage } from '../protocol';
import { HostClient } from '../shared/hostClient';
import { newer } from './merge';
import { MessageView, PermissionCard, PlanCard } from './messages';
import { VirtualList } from './virtualList';

/** What the webview keeps across reloads: UI state only. Messages are fetched again. */
interface UiState {
  agentId: string;
  draft: string;
}

const client = new HostClient<UiState>();
/** When the page told the host it was ready: the latest page is timed from here (logged once). */
let readyAt = 0;

function initialAgentId(): string | undefined {
  if (client.state?.agentId) return client.state.agentId;
  try {
    const init = JSON.parse(document.getElementById('root')?.dataset.init ?? '{}') as { agentId?: unknown };
    return typeof init.agentId === 'string' ? init.agentId : undefined;
  } catch {
    return undefined;
  }
}

const MODES = [
  { mode: 'regular', label: 'Regular' },
  { mode: 'plan', label: 'Plan' },
  { mode: 'auto', label: 'Auto' },
] as const;

function formatCost(usd: number): string {
  return `$${usd.toFixed(usd < 1 ? 3 : 2)}`;
}

function Header({ agent, threshold, onMode }: { agent: ChatAgent; threshold: number; onMode: (mode: ChatAgent['mode']) => void }) {
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
          <select aria-label="Mode" value={agent.mode} disabled={Boolean(agent.inputDisabledReason)} onChange={(e) => onMode((e.target as HTMLSelectElement).value as ChatAgent['mode'])}>
            {MODES.map((m) => (
              <option value={m.mode}>{m.label}</option>
            ))}
          </select>
        </label>
        {agent.model && <span title="Model">{agent.model}</span>}
        <span class={`meter${warn ? ' warn' : ''}`} role="meter" aria-label="Context window" aria-valuemin={0} aria-valuemax={100} aria-valuenow={agent.contextLevel} title={`Context ${agent.contextLevel}% full`}>
          <span class="fill" style={{ width: `${Math.min(100, agent.contextLevel)}%` }} />
        </span>
        <span>{agent.contextLevel}%</span>
        <span title="Tokens and cost of this agent">
          {tokens.toLocaleString()} tokens · {formatCost(u.costUsd)}
        </span>
      </div>
    </header>
  );
}

function App() {
  const [agentId] = useState(initialAgentId);
  const [agent, setAgent] = useState<ChatAgent | undefined>();
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [older, setOlder] = useState<{ hasMore: boolean; cursor?: string }>({ hasMore: false });
  const [threshold, setThreshold] = useState(80);
  const [slash, setSlash] = useState<string[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [draft, setDraft] = useState(client.state?.draft ?? '');
  const [atBottom, setAtBottom] = useState(true);
  const [bottomToken, setBottomToken] = useState(0);
  const loadingOlder = useRef(false);
  const timed = useRef(false);
  const sentHistory = useRef<string[]>([]);

  const save = (next: Partial<UiState>) => {
    if (agentId) client.state = { agentId, draft, ...client.state, ...next };
  };

  useEffect(() => {
    if (!agentId) return;
    save({});
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
    client
      .request('chatOpen', { agentId })
      .then((opened) => {
        setAgent(opened.agent);
        setThreshold(opened.contextWarningThreshold);
        setSlash(opened.slashCommands);
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
        setOlder({ hasMore: opened.page.hasMore, ...(opened.page.nextCursor ? { cursor: opened.page.nextCursor } : {}) });
        sentHistory.current = opened.page.messages.filter((m) => m.role === 'user' && m.kind === 'text').map((m) => m.content);
      })
      .catch((e: Error) => setError(e.message));
    return () => {
      offAgent();
      offMessage();
    };
  }, [agentId]);

  // The time from ready to the latest page on screen, for the log (and the benchmark).
  useEffect(() => {
    if (timed.current || messages.length === 0) return;
    timed.current = true;
    requestAnimationFrame(() => {
      client.command('log', { level: 'info', message: `latest page (${messages.length} messages) shown ${(performance.now() - readyAt).toFixed(1)} ms after the panel was ready` });
    });
  }, [messages]);

  const loadOlder = () => {
    if (!agentId || !older.hasMore || !older.cursor || loadingOlder.current) return;
    loadingOlder.current = true;
    client
      .request('chatPage', { agentId, before: older.cursor })
      .then((page) => {
        setMessages((list) => [...page.messages.slice().reverse(), ...list]);
        setOlder({ hasMore: page.hasMore, ...(page.nextCursor ? { cursor: page.nextCursor } : {}) });
      })
      .catch((e: Error) => setError(e.message))
      .finally(() => (loadingOlder.current = false));
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

  const suggestions = draft.startsWith('/') && !draft.includes(' ') ? slash.filter((c) => `/${c}`.startsWith(draft)).slice(0, 8) : [];
  const disabled = agent?.inputDisabledReason;
  const failed = agent?.status === 'error';

  return (
    <div class="chat">
      {agent ? <Header agent={agent} threshold={threshold} onMode={(mode) => client.request('chatSetMode', { agentId, mode }).catch((e: Error) => setError(e.message))} /> : <p aria-busy="true">Loading…</p>}
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
        render={(m) => <MessageView message={m} onCopy={(text) => client.command('copy', { text })} />}
        onNearTop={loadOlder}
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
        {suggestions.length > 0 && (
          <ul class="suggestions" role="listbox" aria-label="Slash commands">
            {suggestions.map((c) => (
              <li role="option" aria-selected={false} onMouseDown={(e) => (e.preventDefault(), setDraft(`/${c} `))}>
                /{c}
              </li>
            ))}
          </ul>
        )}
        <textarea
          aria-label="Message to the agent"
          placeholder={disabled ?? 'Message the agent (Enter sends, Shift+Enter for a new line, Esc interrupts)'}
          disabled={Boolean(disabled)}
          value={draft}
          rows={3}
          onInput={(e) => {
            const value = (e.target as HTMLTextAreaElement).value;
            setDraft(value);
            save({ draft: value });
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
if (root) render(<App />, root);
