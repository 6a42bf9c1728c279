import { useState } from 'preact/hooks';
import type { CompareAttempt, CompareData, CompareFile } from '../compareProtocol';

export type DiffSide = { attemptId: string } | { base: true };

export interface CompareViewProps {
  data: CompareData;
  /** What the last action said (kept, conflicts, why it failed). */
  notice?: string | undefined;
  /** The attempt being kept, while Keep This One runs. */
  keeping?: string | undefined;
  onDiff: (path: string, left: DiffSide, right: DiffSide) => void;
  onKeep: (attemptId: string) => void;
  onOpenChat: (agentId: string) => void;
}

const STATUS_WORDS: Record<NonNullable<CompareAttempt['status']>, string> = { running: 'Working', waiting: 'Waiting', error: 'Error', finished: 'Stopped' };

export function formatCost(usd: number): string {
  return usd === 0 ? '$0' : usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

function counts(f: { added?: number | undefined; deleted?: number | undefined }) {
  if (f.added === undefined) return <span class="counts binary">binary</span>;
  return (
    <span class="counts">
      <span class="added" aria-label={`${f.added} lines added`}>+{f.added}</span> <span class="deleted" aria-label={`${f.deleted ?? 0} lines deleted`}>−{f.deleted ?? 0}</span>
    </span>
  );
}

const STATUS_NAMES: Record<string, string> = { A: 'added', M: 'modified', D: 'deleted', R: 'renamed', T: 'type changed', C: 'copied' };

function FileRow({ file, onOpen, label }: { file: CompareFile; onOpen: () => void; label: string }) {
  return (
    <li>
      <button type="button" class="file" onClick={onOpen} title={label} aria-label={`${file.path}, ${STATUS_NAMES[file.status] ?? file.status}: ${label}`}>
        <span class={`letter status-${file.status}`} aria-hidden="true">{file.status}</span>
        <span class="path">{file.path}</span>
        {counts(file)}
      </button>
    </li>
  );
}

function AttemptCard({ attempt, group, keeping, onDiff, onKeep, onOpenChat }: { attempt: CompareAttempt; group: CompareData } & Pick<CompareViewProps, 'keeping' | 'onDiff' | 'onKeep' | 'onOpenChat'>) {
  const headingId = `attempt-${attempt.position}`;
  const keptOther = group.keptAttemptId !== undefined && !attempt.kept;
  const why = attempt.kept
    ? 'Kept'
    : attempt.worktreeGone
      ? 'Its worktree was removed'
      : attempt.status === 'running'
        ? 'Wait until the agent\'s turn ends'
        : undefined;
  return (
    <section class={`attempt${attempt.kept ? ' kept' : ''}${keptOther ? ' dimmed' : ''}`} aria-labelledby={headingId} data-attempt={attempt.branch}>
      <header>
        <h2 id={headingId}>
          {attempt.branch}
          {attempt.kept && <span class="badge kept-badge">Kept</span>}
        </h2>
        <span class="model">{attempt.model ?? 'default model'}</span>
      </header>
      {!(attempt.worktreeGone && !attempt.agentId) && (
        <p class={`status status-${attempt.status ?? 'none'}`}>
          <span class="status-word">{attempt.status ? STATUS_WORDS[attempt.status] : 'No agent'}</span>
          {attempt.statusReason && <span class="reason"> · {attempt.statusReason}</span>}
        </p>
      )}
      {attempt.worktreeGone && !attempt.agentId ? (
        <p class="gone">Put away: its worktree was removed, with its agent.</p>
      ) : (
        <>
          <dl class="stats">
            <dt>Turns</dt>
            <dd data-stat="turns">{attempt.turns}</dd>
            <dt>Cost</dt>
            <dd data-stat="cost">{formatCost(attempt.costUsd)}</dd>
            <dt>Changes</dt>
            <dd data-stat="changes">
              {attempt.files.length} file{attempt.files.length === 1 ? '' : 's'} {counts(attempt)}
            </dd>
          </dl>
          {attempt.changesError && <p class="error">{attempt.changesError}</p>}
          {attempt.worktreeGone ? (
            <p class="gone">The worktree was removed.</p>
          ) : attempt.files.length > 0 ? (
            <ul class="files" aria-label={`Files ${attempt.branch} changed`}>
              {attempt.files.map((f) => (
                <FileRow key={f.path} file={f} label={`Open diff against ${group.baseBranch}`} onOpen={() => onDiff(f.path, { base: true }, { attemptId: attempt.id })} />
              ))}
            </ul>
          ) : (
            <p class="none">{attempt.kept ? `Merged into ${group.baseBranch}: no changes left beyond it.` : 'No changes yet.'}</p>
          )}
          <h3 class="last-title">Last message</h3>
          <blockquote class="last">{attempt.lastMessage ?? <em>Nothing yet.</em>}</blockquote>
        </>
      )}
      <div class="actions">
        <button type="button" class="primary" disabled={why !== undefined || keeping !== undefined} title={why} onClick={() => onKeep(attempt.id)}>
          {keeping === attempt.id ? 'Keeping…' : 'Keep This One'}
        </button>
        {attempt.agentId && (
          <button type="button" class="secondary" onClick={() => onOpenChat(attempt.agentId!)}>
            Open Chat
          </button>
        )}
      </div>
    </section>
  );
}

/** "Compare two attempts": the files either changed, each a diff between the two chosen sides. */
function Between({ data, onDiff }: Pick<CompareViewProps, 'data' | 'onDiff'>) {
  const present = data.attempts.filter((a) => !a.worktreeGone);
  const [chosenLeft, setLeft] = useState<string>(present[0]?.id ?? 'base');
  const [chosenRight, setRight] = useState<string>(present[1]?.id ?? present[0]?.id ?? '');
  // A side whose worktree was removed since it was chosen is no side any more.
  const isPresent = (id: string) => present.some((a) => a.id === id);
  const right = isPresent(chosenRight) ? chosenRight : (present.find((a) => a.id !== chosenLeft)?.id ?? present[0]?.id ?? '');
  const left = chosenLeft === 'base' || (isPresent(chosenLeft) && chosenLeft !== right) ? chosenLeft : (present.find((a) => a.id !== right)?.id ?? 'base');
  if (present.length === 0) return null;
  const side = (id: string): DiffSide => (id === 'base' ? { base: true } : { attemptId: id });
  const files = new Map<string, CompareFile>();
  for (const id of [left, right]) for (const f of data.attempts.find((a) => a.id === id)?.files ?? []) files.set(f.path, files.get(f.path) ?? f);
  const name = (id: string) => (id === 'base' ? data.baseBranch : (data.attempts.find((a) => a.id === id)?.branch ?? ''));
  const options = (withBase: boolean) => [
    ...(withBase ? [<option key="base" value="base">{data.baseBranch} (base)</option>] : []),
    ...present.map((a) => (
      <option key={a.id} value={a.id}>
        {a.branch}
      </option>
    )),
  ];
  return (
    <section class="between" aria-labelledby="between-title">
      <h2 id="between-title">Compare two attempts</h2>
      <div class="pickers">
        <label>
          Left <select value={left} onChange={(e) => setLeft((e.target as HTMLSelectElement).value)}>{options(true)}</select>
        </label>
        <label>
          Right <select value={right} onChange={(e) => setRight((e.target as HTMLSelectElement).value)}>{options(false)}</select>
        </label>
      </div>
      {files.size === 0 ? (
        <p class="none">Neither changed a file.</p>
      ) : (
        <ul class="files" aria-label={`Files ${name(left)} or ${name(right)} changed`}>
          {[...files.values()]
            .sort((a, b) => (a.path < b.path ? -1 : 1))
            .map((f) => (
              <li key={f.path}>
                <button type="button" class="file" onClick={() => onDiff(f.path, side(left), side(right))} aria-label={`${f.path}: open diff between ${name(left)} and ${name(right)}`}>
                  <span class="path">{f.path}</span>
                </button>
              </li>
            ))}
        </ul>
      )}
    </section>
  );
}

/** The Compare panel: each attempt side by side, a diff between two of them, Keep This One. */
export function CompareView(props: CompareViewProps) {
  const { data } = props;
  const kept = data.attempts.find((a) => a.kept);
  return (
    <main>
      <h1>Compare: {data.name}</h1>
      <p class="meta">
        {data.attempts.length} agents off <code>{data.baseBranch}</code> ({data.baseCommit.slice(0, 8)}){kept ? `, ${kept.branch} kept` : ''}
      </p>
      <details class="prompt" open>
        <summary>Prompt</summary>
        <p>{data.prompt}</p>
      </details>
      <div class="notice" role="status" aria-live="polite">
        {props.notice}
      </div>
      <div class="attempts">
        {data.attempts.map((a) => (
          <AttemptCard key={a.id} attempt={a} group={data} keeping={props.keeping} onDiff={props.onDiff} onKeep={props.onKeep} onOpenChat={props.onOpenChat} />
        ))}
      </div>
      <Between data={data} onDiff={props.onDiff} />
    </main>
  );
}
