import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChatQueued } from '../protocol';

/** What the queued cards ask of the host; each resolves once done, or rejects (the card stays as it was). */
export interface QueueActions {
  edit: (messageId: string, text: string) => Promise<unknown>;
  remove: (messageId: string) => Promise<unknown>;
  sendNow: (messageId: string) => Promise<unknown>;
  /** Sends text as a new message (an edit whose message was sent before the edit was saved). */
  send: (text: string) => Promise<unknown>;
}

/** A card being edited: its message, the text it had, the text in the box. */
export interface Editing {
  id: string;
  original: string;
  text: string;
}

/**
 * An edit whose message left the queue (sent, or removed elsewhere) before the edit was saved:
 * kept, so that nothing typed is lost. An edit that changed nothing is not worth keeping.
 */
export function orphanedEdit(editing: Editing | undefined, queued: readonly ChatQueued[]): Editing | undefined {
  if (!editing || queued.some((m) => m.id === editing.id) || editing.text === editing.original || !editing.text.trim()) return undefined;
  return editing;
}

/** What the queue's heading says of when its messages go, from the agent's status. */
export function queueNote(status: 'running' | 'waiting' | 'error' | 'finished'): string {
  if (status === 'error') return 'Held after the failed turn: Send Now goes on.';
  if (status === 'finished') return 'Sent when the agent starts.';
  return 'Sent one at a time, as each turn ends.';
}

/**
 * The messages waiting for the agent's turn to end, above the composer: each a "Queued" card with
 * Edit, Remove and Send Now. Enter saves an edit (Shift+Enter for a new line), Escape cancels it.
 */
export function QueuedMessages(props: { queued: readonly ChatQueued[]; note: string; disabled: boolean; actions: QueueActions; onError: (message: string) => void; onDone: () => void }) {
  const { queued, actions } = props;
  const [editing, setEditing] = useState<Editing | undefined>();
  const [busy, setBusy] = useState<string | undefined>();
  const [orphans, setOrphans] = useState<Editing[]>([]);
  const editBox = useRef<HTMLTextAreaElement>(null);
  const editButtons = useRef(new Map<string, HTMLButtonElement | null>());

  // The message being edited was sent (or removed) meanwhile: the edit is kept as a card of its own.
  useEffect(() => {
    const orphan = orphanedEdit(editing, queued);
    if (orphan) setOrphans((list) => [...list, orphan]);
    if (editing && !queued.some((m) => m.id === editing.id)) setEditing(undefined);
  }, [queued]);

  useEffect(() => {
    if (editing) editBox.current?.focus();
  }, [editing?.id]);

  /** Runs one action of a card; a failure is shown and changes nothing. */
  const run = (id: string, action: () => Promise<unknown>, after?: () => void) => {
    setBusy(id);
    action().then(
      () => {
        setBusy(undefined);
        after?.();
      },
      (e: Error) => {
        setBusy(undefined);
        props.onError(e.message);
      },
    );
  };

  const stopEditing = (id: string) => {
    setEditing(undefined);
    requestAnimationFrame(() => editButtons.current.get(id)?.focus());
  };
  const save = () => {
    const e = editing;
    if (!e || !e.text.trim()) return;
    if (e.text === e.original) return stopEditing(e.id);
    run(e.id, () => actions.edit(e.id, e.text), () => stopEditing(e.id));
  };
  const dropOrphan = (orphan: Editing) => setOrphans((list) => list.filter((o) => o !== orphan));

  if (queued.length === 0 && orphans.length === 0) return null;
  return (
    <section class="queued" aria-label={`Queued messages (${queued.length})`}>
      {queued.length > 0 && (
        <div class="queued-note">
          {queued.length} queued · {props.note}
        </div>
      )}
      {queued.map((m, i) => (
        <QueuedCardView
          key={m.id}
          message={m}
          position={i + 1}
          total={queued.length}
          editing={editing?.id === m.id ? editing.text : undefined}
          busy={busy === m.id}
          disabled={props.disabled}
          editRef={(el) => editButtons.current.set(m.id, el)}
          boxRef={editBox}
          on={{
            edit: () => setEditing({ id: m.id, original: m.content, text: m.content }),
            input: (text) => setEditing((e) => (e && e.id === m.id ? { ...e, text } : e)),
            save,
            cancel: () => stopEditing(m.id),
            remove: () => run(m.id, () => actions.remove(m.id), props.onDone),
            sendNow: () => run(m.id, () => actions.sendNow(m.id), props.onDone),
          }}
        />
      ))}
      {orphans.map((o) => (
        <OrphanCardView key={o.id} text={o.text} disabled={props.disabled} onSend={() => run(o.id, () => actions.send(o.text), () => dropOrphan(o))} onDiscard={() => dropOrphan(o)} />
      ))}
    </section>
  );
}

/** One queued message: its text, or the box that edits it, and its buttons. */
export function QueuedCardView(props: {
  message: ChatQueued;
  position: number;
  total: number;
  /** The text being edited, when the card is being edited. */
  editing: string | undefined;
  busy: boolean;
  disabled: boolean;
  editRef?: (el: HTMLButtonElement | null) => void;
  boxRef?: { current: HTMLTextAreaElement | null };
  on: { edit: () => void; input: (text: string) => void; save: () => void; cancel: () => void; remove: () => void; sendNow: () => void };
}) {
  const { message, editing, on } = props;
  const off = props.busy || props.disabled;
  return (
    <article class="queued-card" aria-label={`Queued message ${props.position} of ${props.total}`} aria-busy={props.busy} data-testid="queued-card">
      <span class="queued-badge">Queued</span>
      {editing === undefined ? (
        <div class="user-text queued-text">{message.content}</div>
      ) : (
        <textarea
          ref={props.boxRef}
          class="queued-edit"
          aria-label="Edit the queued message (Enter saves, Escape cancels)"
          value={editing}
          rows={Math.min(8, Math.max(2, editing.split('\n').length))}
          readOnly={props.busy}
          onInput={(e) => on.input((e.target as HTMLTextAreaElement).value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              on.save();
            } else if (e.key === 'Escape') {
              e.preventDefault();
              e.stopPropagation();
              on.cancel();
            }
          }}
        />
      )}
      {message.images ? <div class="hint">With {message.images === 1 ? 'an image' : `${message.images} images`}</div> : null}
      <div class="queued-actions">
        {editing === undefined ? (
          <>
            <button type="button" class="secondary" ref={props.editRef} disabled={off} onClick={on.edit}>
              Edit
            </button>
            <button type="button" class="secondary" disabled={off} onClick={on.remove}>
              Remove
            </button>
            <button type="button" disabled={off} title="Give it to the agent now: it reads it as soon as it can" onClick={on.sendNow}>
              Send Now
            </button>
          </>
        ) : (
          <>
            <button type="button" class="secondary" disabled={props.busy} onClick={on.cancel}>
              Cancel
            </button>
            <button type="button" disabled={off || !editing.trim()} onClick={on.save}>
              Save
            </button>
          </>
        )}
      </div>
    </article>
  );
}

/** An edit whose message was sent before the edit was saved: sent as a new message, or discarded. */
export function OrphanCardView(props: { text: string; disabled: boolean; onSend: () => void; onDiscard: () => void }) {
  return (
    <article class="queued-card orphan" aria-label="Edit not saved" data-testid="orphan-card">
      <span class="queued-badge">Not sent</span>
      <div class="hint">The message was sent before your edit was saved. Your edit:</div>
      <div class="user-text queued-text">{props.text}</div>
      <div class="queued-actions">
        <button type="button" class="secondary" onClick={props.onDiscard}>
          Discard
        </button>
        <button type="button" disabled={props.disabled} onClick={props.onSend}>
          Send as New Message
        </button>
      </div>
    </article>
  );
}
