// The chat's composer under Node: its draft goes only once the host has taken the message.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { h } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { ComposerView, Draft } from '../../src/webview/chat/composer';

/** A send the test answers: the host's reply, taken or refused, comes when the test says. */
function host() {
  const sent: { text: string; take: () => void; refuse: (message: string) => void }[] = [];
  const deliver = (text: string) =>
    new Promise<{ messageId: string }>((resolve, reject) => {
      sent.push({ text, take: () => resolve({ messageId: `msg_${sent.length}` }), refuse: (message) => reject(new Error(message)) });
    });
  return { sent, deliver };
}

/** A draft as the composer holds it, with what it reported. */
function draftOf(text: string, deliver: (text: string) => Promise<unknown>) {
  const seen = { saved: [] as string[], recalled: [] as string[], errors: [] as string[] };
  const draft = new Draft(text, deliver, {
    change: () => undefined,
    save: (t) => seen.saved.push(t),
    sent: (t) => seen.recalled.push(t),
    failed: (message) => seen.errors.push(message),
  });
  return { draft, seen };
}

/** Lets the promise callbacks queued so far run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the chat\'s composer', () => {
  it('keeps the draft until the host says it took the message, then clears it', async () => {
    const { sent, deliver } = host();
    const { draft, seen } = draftOf('Fix the parser', deliver);
    assert.equal(draft.send(), true);
    assert.deepEqual(sent.map((s) => s.text), ['Fix the parser']);
    assert.equal(draft.text, 'Fix the parser', 'the draft stays while the send is on its way');
    assert.equal(draft.sending, true);
    sent[0]!.take();
    await settle();
    assert.equal(draft.text, '');
    assert.equal(draft.sending, false);
    assert.deepEqual(seen.saved.at(-1), '', 'the cleared draft is what a reload finds');
    assert.deepEqual(seen.recalled, ['Fix the parser'], 'Up recalls it');
    assert.deepEqual(seen.errors, []);
  });

  it('keeps the draft and says why when the host does not take the message', async () => {
    const { sent, deliver } = host();
    const { draft, seen } = draftOf('Fix the parser', deliver);
    draft.send();
    sent[0]!.refuse('The agent could not be started: claude was not found.');
    await settle();
    assert.equal(draft.text, 'Fix the parser');
    assert.equal(draft.sending, false);
    assert.deepEqual(seen.errors, ['The agent could not be started: claude was not found.']);
    assert.ok(!seen.saved.includes(''), 'the kept draft was never saved empty');
    assert.deepEqual(seen.recalled, []);
    // Sent again, it goes.
    assert.equal(draft.send(), true);
    sent[1]!.take();
    await settle();
    assert.equal(draft.text, '');
  });

  it('sends a draft once, however often Enter is pressed while it is on its way', async () => {
    const { sent, deliver } = host();
    const { draft } = draftOf('Only once', deliver);
    assert.equal(draft.send(), true);
    assert.equal(draft.send(), false);
    draft.edit('Only once, edited');
    assert.equal(draft.send(), false);
    assert.deepEqual(sent.map((s) => s.text), ['Only once']);
    assert.equal(draft.text, 'Only once', 'the draft on its way is not edited');
    sent[0]!.take();
    await settle();
    assert.equal(draft.text, '');
    assert.equal(draft.send(), false, 'nothing to send');
    assert.equal(sent.length, 1);
  });

  it('shows the draft on its way read-only, with Send off', () => {
    const view = (sending: boolean) =>
      renderToString(
        h(ComposerView, {
          draft: 'Fix the parser',
          completion: undefined,
          sending,
          running: false,
          onSubmit: () => undefined,
          onInput: () => undefined,
          onBlur: () => undefined,
          onKeyDown: () => undefined,
          onAccept: () => undefined,
        }),
      );
    const sending = view(true);
    assert.match(sending, /<textarea[^>]*aria-busy="true"[^>]*readonly/);
    assert.match(sending, />Fix the parser<\/textarea>/);
    assert.match(sending, /<button type="submit" disabled>Send<\/button>/);
    assert.match(sending, /role="status">Sending…</);
    const idle = view(false);
    assert.ok(!/readonly/.test(idle), idle);
    assert.match(idle, /<button type="submit">Send<\/button>/);
  });
});
