import { Fragment } from 'preact';
import type { ChatAgent, ChatChange } from '../protocol';

type Permission = ChatAgent['pendingPermissions'][number];

/** A value longer than this, or of more lines, is folded (its first line shown, the rest on demand). */
const FOLD_CHARS = 300;
const FOLD_LINES = 6;

const KIND_NAMES = { '+': 'added', '-': 'removed', ' ': 'unchanged' } as const;

/**
 * The change a file tool would make, as a permission card shows it before the answer: the file
 * (new or not), lines added and removed, the hunks with their marks, "… N more lines" past what
 * the card holds, and Open Diff; or why there is no diff (an edit that will fail is set apart).
 */
export function ChangeView({ change, onOpenDiff }: { change: ChatChange; onOpenDiff?: () => void }) {
  const diff = 'hunks' in change ? change : undefined;
  return (
    <div class="change" data-testid="change-preview">
      <div class="change-head">
        <code class="change-path">{change.path}</code>
        {diff?.isNew && <span class="badge">new file</span>}
        {diff && (
          <span class="change-stat" aria-label={`${diff.added} ${diff.added === 1 ? 'line' : 'lines'} added, ${diff.removed} removed`}>
            <span class="diff-add-count">+{diff.added}</span> <span class="diff-del-count">−{diff.removed}</span>
          </span>
        )}
        {diff && onOpenDiff && (
          <button type="button" class="secondary change-open" title="The file as it is now and as the tool would leave it, in the diff editor" onClick={onOpenDiff}>
            Open Diff
          </button>
        )}
      </div>
      {'problem' in change ? (
        <div class={`change-problem${change.fails ? ' fails' : ''}`} role={change.fails ? 'alert' : 'note'}>
          {change.problem}
        </div>
      ) : (
        <div class="diff" role="group" aria-label={`Proposed change to ${change.path}`}>
          {change.hunks.length === 0 && <div class="diff-hunk">No change: the file would stay as it is.</div>}
          {change.hunks.map((hunk, h) => (
            <Fragment key={h}>
              <div class="diff-hunk">{change.isNew ? 'new file' : `line ${hunk.newStart}`}</div>
              {hunk.lines.map((line, i) => (
                <div key={i} class={`diff-line diff-${KIND_NAMES[line.kind]}`} data-kind={line.kind}>
                  <span class="diff-mark" aria-label={KIND_NAMES[line.kind]}>
                    {line.kind}
                  </span>
                  <span class="diff-text">{line.text}</span>
                  {line.noEol && (
                    <span class="diff-noeol" title="No newline at the end of the file">
                      (no newline at end)
                    </span>
                  )}
                </div>
              ))}
            </Fragment>
          ))}
          {change.more > 0 && (
            <div class="diff-more">
              … {change.more} more {change.more === 1 ? 'line' : 'lines'}
              {onOpenDiff ? ': Open Diff shows them all' : ''}
            </div>
          )}
        </div>
      )}
    </div>
  );
}

/** A value as text: a string as it is, anything else as indented JSON. */
function valueText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value, null, 2) ?? String(value));
}

/** One value of a tool's input: short ones inline, long ones folded behind their first line. */
function InputValue({ value }: { value: unknown }) {
  const text = valueText(value);
  const lines = text.split('\n');
  if (text.length <= FOLD_CHARS && lines.length <= FOLD_LINES) return <pre class="input-value">{text}</pre>;
  const first = lines[0]!.length > 80 ? `${lines[0]!.slice(0, 79)}…` : lines[0]!;
  return (
    <details class="input-value folded">
      <summary>
        {first} <span class="input-size">({lines.length > 1 ? `${lines.length} lines` : `${text.length} characters`})</span>
      </summary>
      <pre>{text}</pre>
    </details>
  );
}

/** A tool's input, readable: one "key: value" row per field, long values folded. */
export function ToolInputView({ input }: { input: Record<string, unknown> }) {
  const entries = Object.entries(input).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return null;
  return (
    <dl class="tool-input" data-testid="tool-input">
      {entries.map(([key, value]) => (
        <div key={key} class="input-row">
          <dt>{key}:</dt>
          <dd>
            <InputValue value={value} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** A Bash call: what it is for, the whole command (every line of it), and the folder it runs in. */
export function BashView({ input, cwd }: { input: Record<string, unknown>; cwd?: string | undefined }) {
  const command = typeof input.command === 'string' ? input.command : '';
  const description = typeof input.description === 'string' && input.description.trim() ? input.description : undefined;
  return (
    <div class="bash-request" data-testid="bash-request">
      {description && <div class="bash-description">{description}</div>}
      <pre>{command}</pre>
      {cwd && (
        <div class="bash-cwd">
          in <code>{cwd}</code>
        </div>
      )}
    </div>
  );
}

/** A notebook edit: which cell, how (replace, insert, delete), and the cell's new source (a notebook's JSON diff would say little). */
export function NotebookView({ input }: { input: Record<string, unknown> }) {
  const mode = input.edit_mode === 'insert' || input.edit_mode === 'delete' ? input.edit_mode : 'replace';
  const cellType = input.cell_type === 'code' || input.cell_type === 'markdown' ? `${input.cell_type} ` : '';
  const cell = typeof input.cell_id === 'string' && input.cell_id ? `cell ${input.cell_id}` : typeof input.cell_number === 'number' ? `cell number ${input.cell_number}` : undefined;
  const what =
    mode === 'insert'
      ? `Insert a new ${cellType}cell ${cell ? `after ${cell}` : 'at the start'}`
      : mode === 'delete'
        ? `Delete ${cell ?? 'a cell (none named)'}`
        : `Replace the source of ${cell ?? 'a cell (none named)'}${cellType ? ` (as ${cellType.trim()})` : ''}`;
  return (
    <div class="notebook-request" data-testid="notebook-request">
      <div class="notebook-what">{what}</div>
      {mode !== 'delete' && typeof input.new_source === 'string' && <pre>{input.new_source}</pre>}
    </div>
  );
}

const NOT_SHOWN = new Set(['ExitPlanMode', 'AskUserQuestion']);

/** What a permission card shows of the call it asks about, by tool. */
export function RequestDetails({ request, onOpenDiff }: { request: Permission; onOpenDiff?: (() => void) | undefined }) {
  if (request.change) return <ChangeView change={request.change} {...(onOpenDiff ? { onOpenDiff } : {})} />;
  if (request.toolName === 'Bash') return <BashView input={request.input} cwd={request.cwd} />;
  if (request.toolName === 'NotebookEdit') return <NotebookView input={request.input} />;
  if (NOT_SHOWN.has(request.toolName)) return null;
  return <ToolInputView input={request.input} />;
}
