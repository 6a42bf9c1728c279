import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChatAgent, ChatImageUpload, ChatMessage, ChatOpened, ChatQueued, SlashCommand } from '../protocol';
import type { Boot } from './boot';
import { Composer, type ComposerControl } from './composer';
import { Conversation } from './conversation';
import { EmptyChat } from './emptyChat';
import { focusWhenShown } from './focus';
import { Header } from './header';
import { PermissionCard, PlanCard } from './messages';
import { QueuedMessages, queueNote } from './queue';
import { QuestionCard } from './questionCard';
import { TaskChecklist } from './tasks';

/** The user's messages of a page (newest first), for Up to recall. */
function sentOf(messages: readonly ChatMessage[]): string[] {
  return messages.filter((m) => m.role === 'user' && m.kind === 'text').map((m) => m.content);
}

/** The chat's page: what the boot found decides what is drawn. */
export function App({ boot }: { boot: Boot }) {
  const start = boot.start;
  switch (start.kind) {
    case 'unknown':
      return <p class="error" role="alert">This chat does not know its agent: close it and open the agent's chat again.</p>;
    case 'stale':
      return <p aria-busy="true">Loading…</p>;
    case 'failed':
      return (
        <div class="chat">
          <div class="banner error" role="alert">
            <span>{start.message}</span>
            <button type="button" onClick={() => boot.reload()}>
              Try Again
            </button>
          </div>
        </div>
      );
    case 'opened':
      return <Chat boot={boot} agentId={start.agentId} opened={start.opened} />;
  }
}

/** One agent's chat: its header, its conversation, its prompts, its composer. */
function Chat({ boot, agentId, opened }: { boot: Boot; agentId: string; opened: ChatOpened }) {
  const { client } = boot;
  const [agent, setAgent] = useState<ChatAgent>(opened.agent);
  const [queued, setQueued] = useState<readonly ChatQueued[]>(opened.queued);
  const [error, setError] = useState<string | undefined>();
  const [finding, setFinding] = useState(false);
  const [bottomToken, setBottomToken] = useState(0);
  const composer = useRef<HTMLTextAreaElement>(null);
  const composerControl = useRef<ComposerControl | null>(null);
  const [commands, setCommands] = useState<readonly SlashCommand[]>(opened.slashCommands);
  const [history] = useState(() => sentOf(opened.page.messages));
  const fail = (e: Error) => setError(e.message);

  useEffect(() => client.on('chatAgent', (a) => a.id === agentId && setAgent(a)), [agentId]);
  useEffect(() => client.on('chatCommands', (e) => e.agentId === agentId && setCommands(e.commands)), [agentId]);
  // The cursor is in the composer when the chat opens with the focus, and when it gets it back.
  useEffect(() => focusWhenShown(() => composer.current), []);
  useEffect(() => client.on('chatQueue', (q) => q.agentId === agentId && setQueued(q.messages)), [agentId]);

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

  const disabled = agent.inputDisabledReason;
  const failed = agent.status === 'error';
  const interrupt = () => {
    if (agent.status === 'running') client.request('chatInterrupt', { agentId }).catch(fail);
  };
  const answered = (request: Promise<unknown>) => request.then(() => undefined, fail);
  const send = (text: string, images: readonly ChatImageUpload[] = []) => client.request('chatSend', { agentId, text, ...(images.length ? { images: [...images] } : {}) });

  return (
    <div class="chat">
      <Header
        agent={agent}
        threshold={opened.contextWarningThreshold}
        models={opened.models}
        onMode={(mode) => client.request('chatSetMode', { agentId, mode }).catch(fail)}
        onModel={(model) => client.request('chatSetModel', { agentId, model }).catch(fail)}
        onFind={() => setFinding(true)}
        onInterrupt={interrupt}
      />
      <TaskChecklist tasks={agent.tasks} />
      <Conversation
        client={client}
        agentId={agentId}
        agentName={agent.name}
        first={opened.page}
        finding={finding}
        onCloseFind={() => {
          setFinding(false);
          composer.current?.focus();
        }}
        bottomToken={bottomToken}
        onFirstDrawn={(n) => boot.drawn(n)}
        onError={setError}
        empty={disabled ? undefined : <EmptyChat commands={commands} status={agent.status} onCommand={(name) => composerControl.current?.insertCommand(name)} />}
      >
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
            <button type="button" onClick={() => client.request('chatStart', { agentId }).catch(fail)}>
              {agent.statusReason.startsWith('could not start') ? 'Retry' : 'Resume'}
            </button>
          </div>
        )}
      </Conversation>
      {agent.pendingPermissions.map((request) =>
        request.questions ? (
          <QuestionCard key={request.requestId} request={request} onAnswer={(answer) => answered(client.request('chatRespond', { agentId, requestId: request.requestId, ...answer }))} />
        ) : request.toolName === 'ExitPlanMode' ? (
          <PlanCard
            key={request.requestId}
            request={request}
            onApprove={(mode) => answered(client.request('chatRespond', { agentId, requestId: request.requestId, behavior: 'allow' }).then(() => client.request('chatSetMode', { agentId, mode })))}
            onKeepPlanning={(feedback) => answered(client.request('chatRespond', { agentId, requestId: request.requestId, behavior: 'deny', message: feedback }))}
          />
        ) : (
          <PermissionCard
            key={request.requestId}
            request={request}
            onAnswer={(answer) => answered(client.request('chatRespond', { agentId, requestId: request.requestId, ...answer }))}
            onOpenDiff={() => void answered(client.request('chatOpenProposedDiff', { agentId, requestId: request.requestId }))}
          />
        ),
      )}
      <QueuedMessages
        queued={queued}
        note={queueNote(agent.status)}
        disabled={Boolean(disabled)}
        actions={{
          edit: (messageId, text) => client.request('chatQueueEdit', { agentId, messageId, text }),
          remove: (messageId) => client.request('chatQueueRemove', { agentId, messageId }),
          sendNow: (messageId) => client.request('chatQueueSendNow', { agentId, messageId }),
          send,
        }}
        onError={setError}
        onDone={() => composer.current?.focus()}
      />
      <Composer
        disabledReason={disabled}
        running={agent.status === 'running'}
        slashCommands={commands}
        history={history}
        draft={boot.draft}
        saveDraft={(draft) => boot.save({ draft })}
        send={send}
        interrupt={interrupt}
        files={(query) => client.request('chatFiles', { agentId, query })}
        onSend={() => setBottomToken((n) => n + 1)}
        onError={setError}
        inputRef={composer}
        controlRef={composerControl}
      />
    </div>
  );
}
