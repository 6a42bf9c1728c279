import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChatAgent, ChatMessage } from '../protocol';
import { RequestDetails } from './changePreview';
import { highlighterGeneration, onHighlighterChange } from './highlight/loader';
import { Thumbnails } from './images';
import { renderMarkdown } from './markdown';

export type Permission = ChatAgent['pendingPermissions'][number];

/** Whether an answer is on its way (its buttons are off meanwhile), and how to send one. */
export function useBusy(): [boolean, (action: () => Promise<void>) => void] {
  const [busy, setBusy] = useState(false);
  const run = (action: () => Promise<void>) => {
    setBusy(true);
    void action().finally(() => setBusy(false));
  };
  return [busy, run];
}

/**
 * `text` as HTML to insert (rendered, highlighted, sanitised), drawn again when a highlighter
 * file has loaded: its code blocks were drawn plain until then.
 */
function useMarkdown(text: string): string {
  const [, redraw] = useState(0);
  const drawnAt = highlighterGeneration();
  useEffect(() => {
    const stop = onHighlighterChange(() => redraw((n) => n + 1));
    // A file that ran between the drawing and now.
    if (highlighterGeneration() !== drawnAt) redraw((n) => n + 1);
    return stop;
  }, [drawnAt]);
  return renderMarkdown(text);
}

/** Markdown shown in a `<div class="markdown …">`. */
function Markdown(props: { text: string; class?: string; onClick?: (event: MouseEvent) => void }) {
  const html = useMarkdown(props.text);
  return <div class={props.class ? `markdown ${props.class}` : 'markdown'} onClick={props.onClick} dangerouslySetInnerHTML={{ __html: html }} />;
}

/** A tool's input as the card shows it: Bash its command, the rest as JSON. */
function inputText(m: ChatMessage): string {
  const input = m.toolInput ?? {};
  if (m.toolName === 'Bash' && typeof input.command === 'string') return input.command;
  return JSON.stringify(input, null, 2);
}

/**
 * A tool call: its name and one-line summary; its input and output folded; errors marked. A file
 * tool whose file was kept before and after offers "Open Diff"; one whose copies were dropped
 * since says so.
 */
export function ToolCard({ message, onOpenDiff }: { message: ChatMessage; onOpenDiff?: (messageId: string) => void }) {
  const [open, setOpen] = useState(false);
  const state = !message.isComplete ? 'running' : message.isError ? 'error' : 'done';
  const diff = onOpenDiff && message.fileChange === true && state === 'done';
  const gone = message.fileChange === 'gone' && state === 'done';
  return (
    <div class={`tool-card ${state}`} data-testid="tool-card">
      <div class="tool-row">
        <button type="button" class="tool-head" aria-expanded={open} aria-label={`${message.toolName ?? 'Tool'}: ${message.content}${state === 'error' ? ' (failed)' : state === 'running' ? ' (running)' : ''}`} onClick={() => setOpen(!open)}>
          <span class={`codicon-like ${state}`} aria-hidden="true">
            {state === 'running' ? '…' : state === 'error' ? '✕' : '✓'}
          </span>
          <span class="tool-name">{message.toolName ?? 'Tool'}</span>
          <span class="tool-summary">{message.content}</span>
          {state === 'error' && <span class="badge error">error</span>}
        </button>
        {diff && (
          <button type="button" class="secondary tool-diff" aria-label={`Open Diff: ${message.content}`} title="Open the file as it was before and after, in the diff editor" onClick={() => onOpenDiff(message.id)}>
            Open Diff
          </button>
        )}
        {gone && (
          <span class="tool-gone" title="The copies of the file before and after this call were dropped: an agent keeps at most 50 MB of them, and the oldest go first.">
            copy gone
          </span>
        )}
      </div>
      {message.images?.length ? <Thumbnails images={message.images} /> : null}
      {open && (
        <div class="tool-body">
          <div class="tool-label">{message.toolName === 'Bash' ? 'Command' : 'Input'}</div>
          <pre>{inputText(message)}</pre>
          {message.toolOutput !== undefined && (
            <>
              <div class="tool-label">{message.isError ? 'Error' : 'Output'}</div>
              <pre class={message.isError ? 'error' : ''}>{message.toolOutput}</pre>
            </>
          )}
        </div>
      )}
    </div>
  );
}

/** One message of the conversation. */
export function MessageView({ message, onCopy, onOpenDiff }: { message: ChatMessage; onCopy: (text: string) => void; onOpenDiff?: (messageId: string) => void }) {
  if (message.kind === 'tool') return <ToolCard message={message} {...(onOpenDiff ? { onOpenDiff } : {})} />;
  if (message.kind === 'notice') {
    return (
      <div class="notice" role="note">
        {message.content}
      </div>
    );
  }
  if (message.kind === 'thinking') {
    return (
      <details class="thinking">
        <summary>Thinking</summary>
        <Markdown text={message.content} />
      </details>
    );
  }
  if (message.role === 'user') {
    return (
      <div class="message user" data-testid="user-message">
        <div class="who">You</div>
        {message.images?.length ? <Thumbnails images={message.images} /> : null}
        <div class="user-text">{message.content}</div>
      </div>
    );
  }
  // Copy buttons of code blocks: one listener for the message.
  const onClick = (event: MouseEvent) => {
    const button = (event.target as HTMLElement).closest('[data-copy]');
    const code = button?.closest('.code-block')?.querySelector('pre')?.textContent;
    if (code !== undefined && code !== null) onCopy(code);
  };
  return (
    <div class={`message assistant${message.isComplete ? '' : ' streaming'}`} data-testid="assistant-message">
      <div class="who">Claude</div>
      <Markdown text={message.content} onClick={onClick} />
    </div>
  );
}

/**
 * A line of text for the agent with an answer (a denial's reason, feedback on a plan): its box
 * takes focus when drawn (`autofocus` does not apply to an element inserted once something has
 * focus), Enter sends it, Escape or Cancel goes back.
 */
export function ReplyForm(props: { label: string; submit: string; required?: boolean; busy: boolean; onSubmit: (text: string) => void; onCancel: () => void }) {
  const [text, setText] = useState('');
  const box = useRef<HTMLInputElement>(null);
  useEffect(() => box.current?.focus(), []);
  const blocked = props.busy || (props.required === true && !text.trim());
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (!blocked) props.onSubmit(text.trim());
      }}
    >
      <input
        ref={box}
        aria-label={props.label}
        placeholder={props.label}
        value={text}
        onInput={(e) => setText((e.target as HTMLInputElement).value)}
        onKeyDown={(e) => e.key === 'Escape' && (e.preventDefault(), e.stopPropagation(), props.onCancel())}
      />
      <button type="submit" disabled={blocked}>
        {props.submit}
      </button>
      <button type="button" class="secondary" onClick={props.onCancel}>
        Cancel
      </button>
    </form>
  );
}

/** An answer to a permission request, as the chat sends it. */
export type PermissionReply = { behavior: 'allow' | 'deny'; message?: string; always?: boolean; suggestion?: number };

/**
 * A permission request in the flow: what the call would do (a file tool's change as a diff, with
 * Open Diff; Bash's command, what it is for and where it runs; another tool's input); allow once;
 * allow and don't ask again, with one of the rules the CLI offers for this call (for Bash, a
 * command prefix); or, set apart, allow the whole tool for the session; or deny with an optional
 * reason. In plan mode the CLI's ExitPlanMode request is the plan itself.
 */
export function PermissionCard(props: { request: Permission; onAnswer: (answer: PermissionReply) => Promise<void>; onOpenDiff?: () => void }) {
  const { request } = props;
  const [denying, setDenying] = useState(false);
  const [busy, run] = useBusy();
  const answer = (a: PermissionReply) => run(() => props.onAnswer(a));
  return (
    <section class="permission-card" role="group" aria-label={`Permission requested: ${request.summary}`} data-testid="permission-card">
      <div class="permission-title">
        <strong>Allow {request.toolName}?</strong> <span>{request.summary}</span>
      </div>
      <RequestDetails request={request} onOpenDiff={props.onOpenDiff} />
      {request.reason && <div class="permission-reason">{request.reason}</div>}
      {denying ? (
        <ReplyForm label="Why (for the agent, optional)" submit="Deny" busy={busy} onSubmit={(reason) => answer({ behavior: 'deny', ...(reason ? { message: reason } : {}) })} onCancel={() => setDenying(false)} />
      ) : (
        <div class="buttons">
          <button type="button" disabled={busy} onClick={() => answer({ behavior: 'allow' })}>
            Allow once
          </button>
          {(request.suggestions ?? []).map((label, i) => (
            <button type="button" class="secondary" disabled={busy} data-testid="permission-rule" onClick={() => answer({ behavior: 'allow', suggestion: i })}>
              {label}
            </button>
          ))}
          <button
            type="button"
            class="secondary"
            disabled={busy}
            title={request.toolName === 'Bash' ? 'Any command, not only this one' : `Every ${request.toolName} call`}
            onClick={() => answer({ behavior: 'allow', always: true })}
          >
            Allow every {request.toolName} call in this session
          </button>
          <button type="button" class="secondary" disabled={busy} onClick={() => setDenying(true)}>
            Deny…
          </button>
        </div>
      )}
    </section>
  );
}

/**
 * The plan an agent in plan mode presents (the CLI's ExitPlanMode tool, asked as a permission):
 * approve it, choosing whether edits then need approval (regular) or not (auto), or keep planning
 * with feedback (a denial whose message the agent reads).
 */
export function PlanCard(props: {
  request: Permission;
  onApprove: (mode: 'regular' | 'auto') => Promise<void>;
  onKeepPlanning: (feedback: string) => Promise<void>;
}) {
  const [replying, setReplying] = useState(false);
  const [busy, run] = useBusy();
  const plan = typeof props.request.input.plan === 'string' ? props.request.input.plan : '';
  return (
    <section class="permission-card plan-card" role="group" aria-label="The agent's plan, for approval" data-testid="plan-card">
      <div class="permission-title">
        <strong>Plan ready for approval</strong>
      </div>
      <Markdown class="plan" text={plan || '(The agent sent no plan text.)'} />
      {replying ? (
        <ReplyForm label="What should change in the plan" submit="Send Feedback" required busy={busy} onSubmit={(feedback) => run(() => props.onKeepPlanning(feedback))} onCancel={() => setReplying(false)} />
      ) : (
        <div class="buttons">
          <button type="button" disabled={busy} onClick={() => run(() => props.onApprove('regular'))}>
            Approve, Ask Before Edits
          </button>
          <button type="button" class="secondary" disabled={busy} onClick={() => run(() => props.onApprove('auto'))}>
            Approve, Edit Without Asking
          </button>
          <button type="button" class="secondary" disabled={busy} onClick={() => setReplying(true)}>
            Keep Planning…
          </button>
        </div>
      )}
    </section>
  );
}
