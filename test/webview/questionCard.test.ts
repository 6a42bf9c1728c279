// The question card asks the agent's questions as the CLI's own prompt does: the header as a
// chip, each choice with its description, one or several, and "Other" for the user's own words.
// Rendered under Node; the answers it would send are computed from the user's choices.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { h } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { answersFrom, NO_CHOICE, QuestionCard, toggled } from '../../src/webview/chat/questionCard';

const database = {
  question: 'Which database should we use?',
  header: 'Database',
  multiSelect: false,
  options: [
    { label: 'SQLite', description: 'A file, no server' },
    { label: 'Postgres', description: 'A server', preview: 'docker run postgres' },
  ],
};
const features = {
  question: 'Which features do you want?',
  header: 'Features',
  multiSelect: true,
  options: [
    { label: 'Search', description: 'Full-text search' },
    { label: 'Export', description: 'CSV export' },
  ],
};
const request = { requestId: 'req_1', toolName: 'AskUserQuestion', input: {}, summary: 'Which database should we use? (and 1 more)', requestedAt: '2026-11-29T10:00:00Z', questions: [database, features] };

describe('the question card', () => {
  it('shows each question with its header, its choices (radio for one answer, boxes for several) and their descriptions, and Other', () => {
    const html = renderToString(h(QuestionCard, { request, onAnswer: async () => undefined }));
    assert.equal([...html.matchAll(/data-testid="question"/g)].length, 2);
    assert.match(html, /<span class="chip">Database<\/span>/);
    assert.match(html, /<strong>Which features do you want\?<\/strong><span class="hint"> \(choose one or more\)<\/span>/);
    assert.equal([...html.matchAll(/type="radio" name="question-0"/g)].length, 3, 'two choices and Other, one answer');
    assert.equal([...html.matchAll(/type="checkbox" name="question-1"/g)].length, 3, 'two choices and Other, several');
    assert.match(html, /<span class="option-label">Postgres<\/span><span class="option-description">A server<\/span><pre class="option-preview">docker run postgres<\/pre>/);
    assert.match(html, /aria-label="Your own answer to: Which database should we use\?"/);
    const buttons = [...html.matchAll(/<button[^>]*>([^<]*)<\/button>/g)].map((m) => m[0]);
    assert.equal(buttons.length, 2);
    assert.match(buttons[0]!, /disabled[^>]*>Answer</, 'nothing chosen yet: Answer is off');
    assert.match(buttons[1]!, />Decline…</);
  });

  it('answers with a label, with several, and with the user\'s own words; a question left open or an empty Other is missing', () => {
    const qs = [database, features];
    assert.deepEqual(answersFrom(qs, [NO_CHOICE, NO_CHOICE]), { missing: [database.question, features.question] });
    let db = toggled(database, NO_CHOICE, 'SQLite');
    db = toggled(database, db, 'Postgres');
    assert.deepEqual(db.labels, ['Postgres'], 'one answer: a new pick replaces the old');
    let fs = toggled(features, NO_CHOICE, 'Search');
    fs = toggled(features, fs, 'Export');
    fs = toggled(features, fs, 'Search');
    assert.deepEqual(fs.labels, ['Export'], 'several: a second tick takes it back');
    assert.deepEqual(answersFrom(qs, [db, fs]), { answers: { [database.question]: 'Postgres', [features.question]: ['Export'] } });
    const other = toggled(database, db, undefined);
    assert.deepEqual([other.labels, other.other], [[], true], 'Other replaces the choice of a one-answer question');
    assert.deepEqual(answersFrom(qs, [other, fs]), { missing: [database.question] }, 'Other without words is no answer');
    assert.deepEqual(answersFrom(qs, [{ ...other, otherText: '  DuckDB ' }, { ...fs, other: true, otherText: 'Sync' }]), {
      answers: { [database.question]: 'DuckDB', [features.question]: ['Export', 'Sync'] },
    });
  });
});
