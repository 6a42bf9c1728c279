import { useState } from 'preact/hooks';
import { type Permission, ReplyForm, useBusy } from './messages';

type Question = NonNullable<Permission['questions']>[number];

/** What the user has chosen for one question: its choices' labels, and their own words when "Other" is ticked. */
export interface Choice {
  labels: string[];
  other: boolean;
  otherText: string;
}

export const NO_CHOICE: Choice = { labels: [], other: false, otherText: '' };

/** The answers the chat sends (question text → label, own words, or several), or the questions still unanswered. */
export function answersFrom(questions: readonly Question[], choices: readonly Choice[]): { answers: Record<string, string | string[]> } | { missing: string[] } {
  const answers: Record<string, string | string[]> = {};
  const missing: string[] = [];
  questions.forEach((q, i) => {
    const c = choices[i] ?? NO_CHOICE;
    const own = c.other ? c.otherText.trim() : '';
    const given = [...c.labels, ...(own ? [own] : [])];
    if (given.length === 0 || (c.other && !own)) missing.push(q.question);
    else answers[q.question] = q.multiSelect ? given : given[0]!;
  });
  return missing.length ? { missing } : { answers };
}

/** A choice after the user ticked (or, for one answer, picked) `label`, or "Other" when undefined. */
export function toggled(q: Question, c: Choice, label: string | undefined): Choice {
  if (!q.multiSelect) return label === undefined ? { ...c, labels: [], other: true } : { ...c, labels: [label], other: false };
  if (label === undefined) return { ...c, other: !c.other };
  return { ...c, labels: c.labels.includes(label) ? c.labels.filter((l) => l !== label) : [...c.labels, label] };
}

function QuestionView(props: { q: Question; index: number; choice: Choice; busy: boolean; onChange: (c: Choice) => void }) {
  const { q, index, choice } = props;
  const type = q.multiSelect ? 'checkbox' : 'radio';
  const name = `question-${index}`;
  return (
    <fieldset class="question" data-testid="question">
      <legend>
        {q.header && <span class="chip">{q.header}</span>} <strong>{q.question}</strong>
        {q.multiSelect && <span class="hint"> (choose one or more)</span>}
      </legend>
      {q.options.map((o) => (
        <label class="option">
          <input type={type} name={name} disabled={props.busy} checked={choice.labels.includes(o.label)} onChange={() => props.onChange(toggled(q, choice, o.label))} />
          <span>
            <span class="option-label">{o.label}</span>
            {o.description && <span class="option-description">{o.description}</span>}
            {o.preview && <pre class="option-preview">{o.preview}</pre>}
          </span>
        </label>
      ))}
      <label class="option other">
        <input type={type} name={name} disabled={props.busy} checked={choice.other} onChange={() => props.onChange(toggled(q, choice, undefined))} />
        <span class="option-label">Other</span>
        <input
          type="text"
          aria-label={`Your own answer to: ${q.question}`}
          placeholder="Your own answer"
          disabled={props.busy}
          value={choice.otherText}
          onFocus={() => !choice.other && props.onChange(toggled(q, choice, undefined))}
          onInput={(e) => props.onChange({ ...choice, other: true, otherText: (e.target as HTMLInputElement).value })}
        />
      </label>
    </fieldset>
  );
}

/**
 * The agent's questions (its AskUserQuestion tool), as the CLI's own prompt asks them: each with
 * its header as a chip, its choices with their descriptions (one, or several), and "Other" for the
 * user's own words. Answer sends them all; Decline tells the agent the user chose not to answer.
 */
export function QuestionCard(props: { request: Permission; onAnswer: (answer: { behavior: 'allow'; answers: Record<string, string | string[]> } | { behavior: 'deny'; message?: string }) => Promise<void> }) {
  const questions = props.request.questions ?? [];
  const [choices, setChoices] = useState<Choice[]>(() => questions.map(() => NO_CHOICE));
  const [declining, setDeclining] = useState(false);
  const [busy, run] = useBusy();
  const result = answersFrom(questions, choices);
  return (
    <section class="permission-card question-card" role="group" aria-label={`The agent asks: ${props.request.summary}`} data-testid="question-card">
      <div class="permission-title">
        <strong>{questions.length > 1 ? 'The agent asks you' : 'The agent asks'}</strong>
      </div>
      <form
        class="questions"
        onSubmit={(e) => {
          e.preventDefault();
          if ('answers' in result && !busy) run(() => props.onAnswer({ behavior: 'allow', answers: result.answers }));
        }}
      >
        {questions.map((q, i) => (
          <QuestionView q={q} index={i} choice={choices[i] ?? NO_CHOICE} busy={busy} onChange={(c) => setChoices(choices.map((old, j) => (j === i ? c : old)))} />
        ))}
        {!declining && (
          <div class="buttons">
            <button type="submit" disabled={busy || !('answers' in result)} title={'missing' in result ? `Still to answer: ${result.missing.join(' ')}` : undefined}>
              Answer
            </button>
            <button type="button" class="secondary" disabled={busy} onClick={() => setDeclining(true)}>
              Decline…
            </button>
          </div>
        )}
      </form>
      {declining && (
        <ReplyForm label="Why (for the agent, optional)" submit="Decline" busy={busy} onSubmit={(reason) => run(() => props.onAnswer({ behavior: 'deny', ...(reason ? { message: reason } : {}) }))} onCancel={() => setDeclining(false)} />
      )}
    </section>
  );
}
