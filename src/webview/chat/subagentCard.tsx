import { useState } from 'preact/hooks';
import type { ChatMessage } from '../protocol';
import { renderMarkdown } from './markdown';
import { ToolCard } from './messages';
import { isSubagentCall } from './threads';

/** How a subagent is doing, from its call: the CLI's word when it said one, else the call's own state. */
export function subagentState(call: ChatMessage): 'running' | 'completed' | 'failed' | 'stopped' {
  if (call.subagent) return call.subagent.status;
  return !call.isComplete ? 'running' : call.isError ? 'failed' : 'completed';
}

const STATE_TEXT = { running: 'running', completed: 'done', failed: 'failed', stopped: 'stopped' } as const;
const STATE_MARK = { running: '…', completed: '✓', failed: '✕', stopped: '■' } as const;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v : undefined);

export interface SubagentCardProps {
  /** The call (Agent, Task) that started the subagent. */
  message: ChatMessage;
  /** The messages of a call: the subagent's tool calls (and a subagent's subagents') as they come. */
  childrenOf: (id: string) => readonly ChatMessage[];
  onOpenDiff?: (messageId: string) => void;
  /** A code block's Copy button in the report. */
  onCopy?: (text: string) => void;
}

/**
 * A subagent in the conversation: what it was asked (its description, its kind), its own tool
 * calls as they happen, and its report once it has one. Open while it runs, folded to its title
 * and report once it is done; a click on the title opens or folds it.
 */
export function SubagentCard({ message, childrenOf, onOpenDiff, onCopy }: SubagentCardProps) {
  const state = subagentState(message);
  const [chosen, setChosen] = useState<boolean | undefined>();
  const open = chosen ?? state === 'running';
  const input = message.toolInput ?? {};
  const title = str(input.description) ?? message.content;
  const kind = str(input.subagent_type);
  const prompt = str(input.prompt);
  const inner = childrenOf(message.id);
  const calls = inner.filter((m) => m.kind === 'tool').length;
  const report = message.subagent?.result;
  const background = message.subagent?.background === true;
  const failedCall = message.isComplete && message.isError && !report ? message.toolOutput : undefined;
  // Copy buttons of the report's code blocks: one listener for the card.
  const copy = (event: MouseEvent) => {
    const code = (event.target as HTMLElement).closest('[data-copy]')?.closest('.code-block')?.querySelector('pre')?.textContent;
    if (code !== undefined && code !== null) onCopy?.(code);
  };
  const said = `${STATE_TEXT[state]}${state === 'running' && background ? ' in the background' : ''}`;
  return (
    <div class={`subagent-card ${state}`} data-testid="subagent-card" data-state={state}>
      <button type="button" class="tool-head subagent-head" aria-expanded={open} aria-label={`Subagent: ${title}, ${said}, ${calls} tool call${calls === 1 ? '' : 's'}`} onClick={() => setChosen(!open)}>
        <span class={`codicon-like ${state === 'completed' ? 'done' : state === 'failed' ? 'error' : state}`} aria-hidden="true">
          {STATE_MARK[state]}
        </span>
        <span class="tool-name">{message.toolName ?? 'Agent'}</span>
        <span class="tool-summary">{title}</span>
        {kind && <span class="chip">{kind}</span>}
        <span class="subagent-meta">
          {calls} tool call{calls === 1 ? '' : 's'} · {said}
        </span>
      </button>
      {open && (
        <div class="subagent-body">
          {prompt && (
            <details class="subagent-prompt">
              <summary>Prompt</summary>
              <pre>{prompt}</pre>
            </details>
          )}
          {inner.length === 0 && state === 'running' && <div class="subagent-empty">No tool calls yet.</div>}
          {inner.map((m) =>
            isSubagentCall(m) ? (
              <SubagentCard key={m.id} message={m} childrenOf={childrenOf} {...(onOpenDiff ? { onOpenDiff } : {})} {...(onCopy ? { onCopy } : {})} />
            ) : m.kind === 'tool' ? (
              <ToolCard key={m.id} message={m} {...(onOpenDiff ? { onOpenDiff } : {})} />
            ) : (
              <div key={m.id} class="subagent-text markdown" dangerouslySetInnerHTML={{ __html: renderMarkdown(m.content) }} />
            ),
          )}
        </div>
      )}
      {report !== undefined && (
        <div class="subagent-report" data-testid="subagent-report" onClick={copy}>
          <div class="tool-label">Report</div>
          <div class="markdown" dangerouslySetInnerHTML={{ __html: renderMarkdown(report) }} />
        </div>
      )}
      {failedCall !== undefined && <pre class="error subagent-error">{failedCall}</pre>}
    </div>
  );
}
