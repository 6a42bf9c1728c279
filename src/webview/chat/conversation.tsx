import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ChatMessage, RequestResult } from '../protocol';
import type { HostClient } from '../shared/hostClient';
import { FindBar } from './find';
import { newer } from './merge';
import { MessageView } from './messages';
import { SubagentCard } from './subagentCard';
import { childrenOf, isSubagentCall, rowOf, threadsOf } from './threads';
import { VirtualList } from './virtualList';

type Page = RequestResult<'chatPage'>;

/** Where the next older page starts, from a page. */
export function olderOf(page: Page): { hasMore: boolean; cursor?: string } {
  return { hasMore: page.hasMore, ...(page.nextCursor ? { cursor: page.nextCursor } : {}) };
}

/** A message joins the list, or replaces its earlier version (of two versions, the further one stays). */
export function withMessage(list: readonly ChatMessage[], message: ChatMessage): ChatMessage[] {
  const at = list.findIndex((m) => m.id === message.id);
  if (at < 0) return [...list, message];
  const next = list.slice();
  next[at] = newer(list[at]!, message);
  return next;
}

export interface ConversationProps {
  client: HostClient<unknown>;
  agentId: string;
  agentName: string | undefined;
  /** The latest page, as the chat opened (newest first). */
  first: Page;
  /** The find bar is open. */
  finding: boolean;
  onCloseFind: () => void;
  /** Changes when the list should go to the bottom (a message sent). */
  bottomToken: number;
  /** The rows of the first page are in the document (the boot times its first draw from here). */
  onFirstDrawn?: (messages: number) => void;
  onError: (message: string) => void;
  /** Shown between the find bar and the list (the error banners). */
  children?: ComponentChildren;
}

/**
 * The conversation: the latest page, the messages that arrive or grow after it, older pages
 * loaded as the top comes near, and find (the whole history searched by the host, a match
 * brought into view by loading older pages until its message is there).
 */
export function Conversation(props: ConversationProps) {
  const { client, agentId } = props;
  const [messages, setMessages] = useState<ChatMessage[]>(() => props.first.messages.slice().reverse());
  const [older, setOlder] = useState(() => olderOf(props.first));
  const [atBottom, setAtBottom] = useState(true);
  const [jumps, setJumps] = useState(0);
  const [shown, setShown] = useState<{ key: string; token: number } | undefined>();
  // The newest state for work that spans several requests (loading pages up to a find's match).
  const messagesNow = useRef(messages);
  messagesNow.current = messages;
  const olderNow = useRef(older);
  olderNow.current = older;
  const loadingOlder = useRef(false);
  const going = useRef(0);
  const drawn = useRef(false);

  useEffect(
    () =>
      client.on('chatMessage', ({ agentId: id, message }) => {
        if (id === agentId) setMessages((list) => withMessage(list, message));
      }),
    [agentId],
  );

  useLayoutEffect(() => {
    if (drawn.current || messages.length === 0) return;
    drawn.current = true;
    props.onFirstDrawn?.(messages.length);
  }, [messages]);

  /** Loads the next older page (of `limit` messages); false when there was none to load, or one is loading. */
  const loadOlder = async (limit?: number): Promise<boolean> => {
    const { hasMore, cursor } = olderNow.current;
    if (!hasMore || !cursor || loadingOlder.current) return false;
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
      props.onError((e as Error).message);
      return false;
    } finally {
      loadingOlder.current = false;
    }
  };

  // A subagent's messages are drawn in their call's card: rows are the agent's own.
  const threads = useMemo(() => threadsOf(messages, older.hasMore), [messages, older.hasMore]);
  // A subagent's message whose call is on an older page: that page is loaded, so that its card shows.
  useEffect(() => {
    if (threads.waitsForOlder) void loadOlder(500);
  }, [threads]);

  /** Brings a message into view, loading older pages (large ones) until it is there. */
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
    // A subagent's message is shown by its call's card (its row).
    const row = rowOf(messagesNow.current, messageId) ?? messageId;
    if (mine === going.current) setShown((s) => ({ key: row, token: (s?.token ?? 0) + 1 }));
  };

  const onCopy = (text: string) => client.command('copy', { text });
  const onOpenDiff = (messageId: string) => void client.request('chatOpenDiff', { agentId, messageId }).catch((e: Error) => props.onError(e.message));

  return (
    <>
      {props.finding && (
        <FindBar
          search={(query) => client.request('chatFind', { agentId, query })}
          onGoTo={(id) => void goTo(id)}
          onClose={() => {
            going.current++;
            setShown(undefined);
            props.onCloseFind();
          }}
        />
      )}
      {props.children}
      <VirtualList
        items={threads.rows}
        keyOf={(m) => m.id}
        render={(m) =>
          isSubagentCall(m) ? (
            <SubagentCard message={m} childrenOf={(id) => childrenOf(threads, id)} onCopy={onCopy} onOpenDiff={onOpenDiff} />
          ) : (
            <MessageView message={m} onCopy={onCopy} onOpenDiff={onOpenDiff} />
          )
        }
        onNearTop={() => void loadOlder()}
        {...(shown ? { scrollTo: shown, current: shown.key } : {})}
        onAtBottom={setAtBottom}
        scrollToBottomToken={props.bottomToken + jumps}
        label={`Conversation with ${props.agentName ?? 'the agent'}`}
      />
      {!atBottom && (
        <button type="button" class="jump" onClick={() => setJumps((n) => n + 1)}>
          Jump to latest
        </button>
      )}
    </>
  );
}
