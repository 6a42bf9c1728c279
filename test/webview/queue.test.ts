// The chat's queued messages under Node: the "Queued" cards above the composer, their buttons and
// their edit box; the header's Interrupt while a turn runs; an edit kept when its message was sent
// before it was saved.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { h } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { ComposerView } from '../../src/webview/chat/composer';
import { Header } from '../../src/webview/chat/header';
import { OrphanCardView, orphanedEdit, QueuedCardView, QueuedMessages, queueNote } from '../../src/webview/chat/queue';
import type { ChatAgent, ChatQueued } from '../../src/webview/protocol';

const queued: ChatQueued[] = [
  { id: 'msg_1', content: 'Also run the linter', queuedAt: '2026-11-29T10:00:00Z' },
  { id: 'msg_2', content: 'Then <b>commit</b>\nwith a short message', queuedAt: '2026-11-29T10:00:05Z' },
];
const noop = () => undefined;
const actions = { edit: async () => undefined, remove: async () => undefined, sendNow: async () => undefined, send: async () => undefined };
const cardHandlers = { edit: noop, input: noop, save: noop, cancel: noop, remove: noop, sendNow: noop };

/** The buttons of some HTML, each as "label" or "label (disabled)". */
function buttons(html: string): string[] {
  return [...html.matchAll(/<button([^>]*)>([^<]*)<\/button>/g)].map(([, attrs, label]) => `${label!.trim()}${/\bdisabled\b/.test(attrs!) ? ' (disabled)' : ''}`);
}

describe('the chat\'s queued messages', () => {
  it('shows each queued message as a "Queued" card with Edit, Remove and Send Now, in the order they go', () => {
    const html = renderToString(h(QueuedMessages, { queued, note: queueNote('running'), disabled: false, actions, onError: noop, onDone: noop }));
    assert.match(html, /<section class="queued" aria-label="Queued messages \(2\)">/);
    assert.match(html, /2 queued · Sent one at a time, as each turn ends\./);
    const cards = [...html.matchAll(/<article class="queued-card" aria-label="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(cards, ['Queued message 1 of 2', 'Queued message 2 of 2']);
    assert.ok(html.indexOf('Also run the linter') < html.indexOf('commit'), 'first to go first');
    assert.equal(html.split('>Queued</span>').length - 1, 2);
    assert.deepEqual(buttons(html), ['Edit', 'Remove', 'Send Now', 'Edit', 'Remove', 'Send Now']);
  });

  it('shows a queued message as plain text, markup and all', () => {
    const html = renderToString(h(QueuedCardView, { message: queued[1]!, position: 2, total: 2, editing: undefined, busy: false, disabled: false, on: cardHandlers }));
    assert.match(html, /Then &lt;b>commit&lt;\/b>\nwith a short message/);
    assert.ok(!html.includes('<b>'), html);
  });

  it('says how many images a queued message carries', () => {
    const card = (images?: number) => renderToString(h(QueuedCardView, { message: { ...queued[0]!, ...(images ? { images } : {}) }, position: 1, total: 1, editing: undefined, busy: false, disabled: false, on: cardHandlers }));
    assert.match(card(1), /With an image/);
    assert.match(card(3), /With 3 images/);
    assert.ok(!/With /.test(card()));
  });

  it('draws nothing when nothing is queued', () => {
    assert.equal(renderToString(h(QueuedMessages, { queued: [], note: '', disabled: false, actions, onError: noop, onDone: noop })), '');
  });

  it('edits in a box with Cancel and Save (Save off while the box is blank)', () => {
    const card = (editing: string) => renderToString(h(QueuedCardView, { message: queued[0]!, position: 1, total: 1, editing, busy: false, disabled: false, on: cardHandlers }));
    const html = card('Also run the linter and the tests');
    assert.match(html, /<textarea class="queued-edit" aria-label="Edit the queued message \(Enter saves, Escape cancels\)"[^>]*>Also run the linter and the tests<\/textarea>/);
    assert.deepEqual(buttons(html), ['Cancel', 'Save']);
    assert.deepEqual(buttons(card('  \n')), ['Cancel', 'Save (disabled)']);
  });

  it('turns its buttons off while one of them is at work, or while the agent cannot take messages here', () => {
    const busy = renderToString(h(QueuedCardView, { message: queued[0]!, position: 1, total: 1, editing: undefined, busy: true, disabled: false, on: cardHandlers }));
    assert.deepEqual(buttons(busy), ['Edit (disabled)', 'Remove (disabled)', 'Send Now (disabled)']);
    assert.match(busy, /aria-busy="true"/);
    const elsewhere = renderToString(h(QueuedMessages, { queued, note: '', disabled: true, actions, onError: noop, onDone: noop }));
    assert.ok(buttons(elsewhere).every((b) => b.endsWith('(disabled)')), buttons(elsewhere).join(', '));
  });

  it('says when the queue goes on, from the agent\'s status', () => {
    assert.equal(queueNote('running'), 'Sent one at a time, as each turn ends.');
    assert.equal(queueNote('waiting'), 'Sent one at a time, as each turn ends.');
    assert.equal(queueNote('error'), 'Held after the failed turn: Send Now goes on.');
    assert.equal(queueNote('finished'), 'Sent when the agent starts.');
  });

  it('keeps an edit whose message was sent before it was saved, and offers to send it as a new message', () => {
    const editing = { id: 'msg_1', original: 'Also run the linter', text: 'Also run the linter, then stop' };
    assert.deepEqual(orphanedEdit(editing, queued.slice(1)), editing, 'its message left the queue: the edit is kept');
    assert.equal(orphanedEdit(editing, queued), undefined, 'still queued: nothing to keep');
    assert.equal(orphanedEdit({ ...editing, text: editing.original }, queued.slice(1)), undefined, 'an edit that changed nothing');
    assert.equal(orphanedEdit({ ...editing, text: ' ' }, queued.slice(1)), undefined, 'a blank box');
    assert.equal(orphanedEdit(undefined, []), undefined);
    const html = renderToString(h(OrphanCardView, { text: editing.text, disabled: false, onSend: noop, onDiscard: noop }));
    assert.match(html, /The message was sent before your edit was saved/);
    assert.match(html, /Also run the linter, then stop/);
    assert.deepEqual(buttons(html), ['Discard', 'Send as New Message']);
  });
});

describe('the chat\'s header and composer while a turn runs', () => {
  const agent: ChatAgent = {
    id: 'ag_1',
    name: 'Fixer',
    status: 'running',
    statusReason: 'thinking',
    contextLevel: 10,
    mode: 'regular',
    usage: { inputTokens: 1, outputTokens: 2, cacheReadTokens: 0, cacheCreationTokens: 0, costUsd: 0.01 },
    pendingPermissions: [],
  };
  const header = (a: ChatAgent) => renderToString(h(Header, { agent: a, threshold: 80, models: ['opus'], onMode: noop, onModel: noop, onFind: noop, onInterrupt: noop }));

  it('offers Interrupt in the header while a turn runs, and not otherwise', () => {
    assert.ok(buttons(header(agent)).includes('Interrupt'), header(agent));
    assert.ok(!buttons(header({ ...agent, status: 'waiting', statusReason: 'waiting for your message' })).includes('Interrupt'));
    assert.ok(!buttons(header({ ...agent, inputDisabledReason: 'It runs in another window: chat with it there.' })).includes('Interrupt'));
  });

  it('says in the composer that a message sent now waits for the turn to end', () => {
    const view = (running: boolean) =>
      renderToString(h(ComposerView, { draft: '', completion: undefined, sending: false, running, onSubmit: noop, onInput: noop, onBlur: noop, onKeyDown: noop, onAccept: noop }));
    assert.match(view(true), /placeholder="Message the agent: it waits until this turn ends \(Enter queues it, Esc interrupts, paste or drop images\)"/);
    assert.match(view(false), /placeholder="Message the agent \(Enter sends/);
    assert.deepEqual(buttons(view(true)), ['Send (disabled)'], 'Interrupt is the header\'s');
  });
});
