import { useEffect, useRef, useState } from 'preact/hooks';

/** What the host found: the matching messages' ids, newest first (capped), and how many there are. */
export interface FindResult {
  ids: string[];
  total: number;
}

/**
 * Find in the conversation: the whole history is searched by the host, not only the rows drawn.
 * Enter goes to the next match up (older), Shift+Enter back down, Escape closes.
 */
export function FindBar(props: {
  search: (query: string) => Promise<FindResult>;
  /** Shows a match: its message is loaded if need be and brought into view. */
  onGoTo: (messageId: string) => void;
  onClose: () => void;
}) {
  const [query, setQuery] = useState('');
  const [result, setResult] = useState<FindResult | undefined>();
  const [index, setIndex] = useState(0);
  const [error, setError] = useState<string | undefined>();
  const input = useRef<HTMLInputElement>(null);
  const asked = useRef(0);

  useEffect(() => input.current?.focus(), []);

  useEffect(() => {
    const text = query;
    if (!text.trim()) {
      setResult(undefined);
      setError(undefined);
      return;
    }
    const mine = ++asked.current;
    const timer = setTimeout(() => {
      props.search(text).then(
        (found) => {
          if (mine !== asked.current) return;
          setError(undefined);
          setResult(found);
          setIndex(0);
          if (found.ids[0]) props.onGoTo(found.ids[0]);
        },
        (e: Error) => mine === asked.current && setError(e.message),
      );
    }, 200);
    return () => {
      clearTimeout(timer);
      // A search still on its way answers nobody: the text changed, or the bar closed.
      asked.current++;
    };
  }, [query]);

  const move = (by: number) => {
    if (!result || result.ids.length === 0) return;
    const next = (index + by + result.ids.length) % result.ids.length;
    setIndex(next);
    props.onGoTo(result.ids[next]!);
  };

  const count = !query.trim()
    ? ''
    : error
      ? error
      : !result
        ? 'Finding…'
        : result.total === 0
          ? 'No results'
          : `${index + 1} of ${result.total}${result.ids.length < result.total ? ` (the newest ${result.ids.length} are listed)` : ''}`;

  return (
    <div class="find-bar" role="search" aria-label="Find in Conversation">
      <input
        ref={input}
        type="text"
        aria-label="Find in Conversation"
        placeholder="Find"
        value={query}
        onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            move(e.shiftKey ? -1 : 1);
          } else if (e.key === 'Escape') {
            e.preventDefault();
            e.stopPropagation();
            props.onClose();
          }
        }}
      />
      <span class="find-count" role="status" aria-live="polite" data-testid="find-count">
        {count}
      </span>
      <button type="button" class="icon" aria-label="Newer Match (Shift+Enter)" title="Newer Match (Shift+Enter)" disabled={!result?.ids.length} onClick={() => move(-1)}>
        ↓
      </button>
      <button type="button" class="icon" aria-label="Older Match (Enter)" title="Older Match (Enter)" disabled={!result?.ids.length} onClick={() => move(1)}>
        ↑
      </button>
      <button type="button" class="icon" aria-label="Close (Escape)" title="Close (Escape)" onClick={props.onClose}>
        ✕
      </button>
    </div>
  );
}
