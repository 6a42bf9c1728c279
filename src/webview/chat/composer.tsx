import { useRef, useState } from 'preact/hooks';
import type { ChatImageUpload, SlashCommand } from '../protocol';
import { withCommand } from './emptyChat';
import { type Attachment, AttachmentRow, Attachments, imageFilesOf } from './images';
import { insertMention, mentionAt } from './mention';

/** The open completion list: slash commands or worktree paths, the one picked, and what it replaces. */
export interface Completion {
  kind: 'slash' | 'path';
  items: string[];
  active: number;
  /** Where the replaced text starts (the `/` or the `@`) and where the caret was. */
  start: number;
  caret: number;
}

/**
 * The composer's draft: what the user types, kept across reloads, and its way to the host. The
 * draft is the user's until the host's reply says the message was taken: only then is it cleared.
 * A send the host refuses, or that fails, leaves it as it was and the user is told why; while a
 * send is on its way the draft cannot be edited or sent again (a second Enter would send it twice).
 */
export class Draft {
  private current: string;
  /** The text on its way to the host. */
  private inFlight: string | undefined;

  constructor(
    text: string,
    private readonly deliver: (text: string) => Promise<unknown>,
    private readonly on: {
      /** The text or the sending state changed (draw again). */
      change: () => void;
      /** The text changed: keep it across reloads. */
      save: (text: string) => void;
      /** The host took a message: it joins what Up recalls. */
      sent: (text: string) => void;
      /** The host did not take a message (the draft is kept). */
      failed: (message: string) => void;
    },
  ) {
    this.current = text;
  }

  get text(): string {
    return this.current;
  }

  /** Whether a send is on its way. */
  get sending(): boolean {
    return this.inFlight !== undefined;
  }

  edit(text: string): void {
    if (this.sending) return;
    this.current = text;
    this.on.save(text);
    this.on.change();
  }

  /** Recalls an earlier message into the box (not saved until it is edited). */
  recall(text: string): void {
    if (this.sending) return;
    this.current = text;
    this.on.change();
  }

  /** Sends the draft unless it is blank or a send is on its way; whether a send started. */
  send(): boolean {
    const text = this.current;
    if (this.sending || !text.trim()) return false;
    this.inFlight = text;
    this.on.change();
    // Any reply is the host's word that the message was taken; a refusal or failure rejects.
    this.deliver(text).then(
      () => {
        this.inFlight = undefined;
        this.on.sent(text);
        this.edit('');
      },
      (error: unknown) => {
        this.inFlight = undefined;
        this.on.change();
        this.on.failed(error instanceof Error ? error.message : String(error));
      },
    );
    return true;
  }
}

export interface ComposerProps {
  /** Why the agent cannot take a message now (another window, a terminal, archived…), if it cannot. */
  disabledReason?: string | undefined;
  /** The agent is in a turn: a message sent now is queued. */
  running: boolean;
  slashCommands: readonly SlashCommand[];
  /** The user's messages of the conversation, newest first: Up recalls the last one (or the last sent from here). */
  history: readonly string[];
  /** The draft kept across reloads. */
  draft: string;
  saveDraft: (draft: string) => void;
  /** Sends the message with the images attached to it: resolves once the host has taken it, rejects when it did not. */
  send: (text: string, images: ChatImageUpload[]) => Promise<unknown>;
  interrupt: () => void;
  /** Worktree paths for an `@` completion, best first. */
  files: (query: string) => Promise<{ paths: string[] }>;
  /** A send started (the list goes to the bottom). */
  onSend?: () => void;
  onError: (message: string) => void;
  /** Where the text box is, for those that give it the focus back (the find bar on closing). */
  inputRef?: { current: HTMLTextAreaElement | null };
  /** Set to what others may do to the draft (the empty chat's commands insert one). */
  controlRef?: { current: ComposerControl | null };
}

/** What others may do to the composer's draft. */
export interface ComposerControl {
  /** Puts `/name ` at the start of the draft (instead of a command already there), the cursor after it. */
  insertCommand(name: string): void;
}

/** The composer: the draft, slash and `@` completion lists, Up for the last message sent, Enter to send, Escape to interrupt. */
export function Composer(props: ComposerProps) {
  const [, redraw] = useState(0);
  const [completion, setCompletion] = useState<Completion | undefined>();
  /** What was sent from here, newest first. */
  const sent = useRef<string[]>([]);
  const pathAsked = useRef(0);
  const own = useRef<HTMLTextAreaElement>(null);
  const area = props.inputRef ?? own;
  const latest = useRef(props);
  latest.current = props;
  const model = useRef<Draft | undefined>(undefined);
  // Images pasted or dropped on the composer go with the draft, and are cleared with it.
  const attached = useRef<Attachments | undefined>(undefined);
  const attachments = (attached.current ??= new Attachments({ change: () => redraw((n) => n + 1), error: (message) => latest.current.onError(message) }));
  model.current ??= new Draft(props.draft, (text) => latest.current.send(text, attachments.uploads()), {
    change: () => redraw((n) => n + 1),
    save: (text) => latest.current.saveDraft(text),
    sent: (text) => {
      sent.current.unshift(text);
      attachments.clear();
    },
    failed: (message) => latest.current.onError(message),
  });
  const draftModel = model.current;
  const draft = draftModel.text;
  const sending = draftModel.sending;
  const edit = (text: string) => draftModel.edit(text);

  /** The completions for the text and caret: slash commands at the start, worktree paths after an `@`. */
  const complete = (text: string, caret: number) => {
    if (text.startsWith('/') && !/\s/.test(text.slice(0, caret))) {
      const items = props.slashCommands.map((c) => c.name).filter((c) => `/${c}`.startsWith(text.slice(0, caret))).slice(0, 8);
      setCompletion(items.length ? { kind: 'slash', items, active: 0, start: 0, caret } : undefined);
      return;
    }
    const mention = mentionAt(text, caret);
    if (!mention) {
      setCompletion(undefined);
      return;
    }
    const mine = ++pathAsked.current;
    props.files(mention.query).then(
      ({ paths }) => {
        if (mine !== pathAsked.current) return;
        setCompletion(paths.length ? { kind: 'path', items: paths.slice(0, 12), active: 0, start: mention.start, caret } : undefined);
      },
      (e: Error) => mine === pathAsked.current && (setCompletion(undefined), props.onError(e.message)),
    );
  };

  const closeCompletion = () => {
    pathAsked.current++;
    setCompletion(undefined);
  };

  /** The draft becomes `next`, with the cursor where it says. */
  const replace = (next: { text: string; caret: number }) => {
    closeCompletion();
    edit(next.text);
    requestAnimationFrame(() => {
      area.current?.focus();
      area.current?.setSelectionRange(next.caret, next.caret);
    });
  };

  const accept = (item: string) => {
    if (!completion) return;
    replace(
      completion.kind === 'slash'
        ? { text: `/${item} ${draft.slice(completion.caret).replace(/^\S*/, '')}`, caret: item.length + 2 }
        : insertMention(draft, completion.start, completion.caret, item),
    );
  };
  if (props.controlRef) {
    props.controlRef.current = {
      insertCommand: (name) => {
        if (!draftModel.sending && !props.disabledReason) replace(withCommand(draftModel.text, name));
      },
    };
  }

  const send = () => {
    if (props.disabledReason) return;
    if (draftModel.send()) props.onSend?.();
  };

  const onKeyDown = (event: KeyboardEvent) => {
    const box = event.target as HTMLTextAreaElement;
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
        closeCompletion();
        return;
      }
    }
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      props.interrupt();
    } else if (event.key === 'ArrowUp' && box.value === '' && (sent.current[0] ?? props.history[0])) {
      event.preventDefault();
      draftModel.recall((sent.current[0] ?? props.history[0])!);
    }
  };

  return (
    <ComposerView
      draft={draft}
      completion={completion}
      sending={sending}
      attachments={attachments.items}
      onAttach={(files) => {
        if (sending || props.disabledReason) return false;
        void attachments.add(files);
        return true;
      }}
      onRemoveAttachment={(key) => attachments.remove(key)}
      disabledReason={props.disabledReason}
      running={props.running}
      areaRef={area}
      onSubmit={send}
      onInput={(text, caret) => {
        edit(text);
        complete(text, caret);
      }}
      onBlur={closeCompletion}
      onKeyDown={onKeyDown}
      onAccept={accept}
    />
  );
}

/** What the composer draws, from its state: the draft stays in the box, read-only, while it is being sent. */
export function ComposerView(props: {
  draft: string;
  completion: Completion | undefined;
  sending: boolean;
  disabledReason?: string | undefined;
  running: boolean;
  areaRef?: { current: HTMLTextAreaElement | null };
  onSubmit: () => void;
  onInput: (text: string, caret: number) => void;
  onBlur: () => void;
  onKeyDown: (event: KeyboardEvent) => void;
  onAccept: (item: string) => void;
  /** Images attached to the draft, shown above the text box. */
  attachments?: readonly Attachment[];
  /** Image files pasted or dropped on the composer; whether they are taken (not while sending). */
  onAttach?: (files: File[]) => boolean;
  onRemoveAttachment?: (key: number) => void;
}) {
  const { completion, disabledReason: disabled, sending } = props;
  const attachments = props.attachments ?? [];
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit();
      }}
      onDragOver={(e) => e.dataTransfer?.types.includes('Files') && e.preventDefault()}
      onDrop={(e) => {
        const files = imageFilesOf(e.dataTransfer);
        if (files.length === 0) return;
        e.preventDefault();
        props.onAttach?.(files);
      }}
    >
      {completion && (
        <ul class="suggestions" id="completions" role="listbox" aria-label={completion.kind === 'slash' ? 'Slash commands' : 'Files of the worktree'}>
          {completion.items.map((c, i) => (
            <li id={`completion-${i}`} role="option" aria-selected={i === completion.active} class={i === completion.active ? 'active' : ''} onMouseDown={(e) => (e.preventDefault(), props.onAccept(c))}>
              {completion.kind === 'slash' ? `/${c}` : c}
            </li>
          ))}
        </ul>
      )}
      <AttachmentRow items={attachments} sending={sending} onRemove={(key) => props.onRemoveAttachment?.(key)} />
      <textarea
        ref={props.areaRef}
        aria-label="Message to the agent"
        aria-autocomplete="list"
        aria-expanded={Boolean(completion)}
        aria-controls={completion ? 'completions' : undefined}
        aria-activedescendant={completion ? `completion-${completion.active}` : undefined}
        aria-busy={sending}
        placeholder={disabled ?? (attachments.length ? 'Say what to do with the images (Enter sends)' : props.running ? 'Message the agent: it waits until this turn ends (Enter queues it, Esc interrupts, paste or drop images)' : 'Message the agent (Enter sends, Shift+Enter for a new line, Esc interrupts, paste or drop images)')}
        disabled={Boolean(disabled)}
        readOnly={sending}
        value={props.draft}
        rows={3}
        onInput={(e) => {
          const area = e.target as HTMLTextAreaElement;
          props.onInput(area.value, area.selectionStart);
        }}
        onBlur={props.onBlur}
        onKeyDown={props.onKeyDown}
        onPaste={(e) => {
          // Text pasted with the images (a document's) still goes in the box.
          const files = imageFilesOf(e.clipboardData);
          if (files.length && props.onAttach?.(files) && !e.clipboardData?.types.includes('text/plain')) e.preventDefault();
        }}
      />
      <div class="composer-actions">
        {disabled && <span class="hint">{disabled}</span>}
        {sending && (
          <span class="hint" role="status">
            Sending…
          </span>
        )}
        <button type="submit" disabled={Boolean(disabled) || sending || !props.draft.trim()}>
          Send
        </button>
      </div>
    </form>
  );
}
