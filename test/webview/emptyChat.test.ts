// The chat's page with an empty conversation, rendered in jsdom as the host gives it: the hint
// says what to type, lists the CLI's slash commands as they become known and puts one in the
// composer on a click; it goes with the first message; the cursor is put in the composer when the
// page gets the focus. (Run with this folder's tsconfig: TSX_TSCONFIG_PATH=test/webview/tsconfig.json.)
import { testWindow } from './dom';
import * as assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { h, render } from 'preact';
import { act } from 'preact/test-utils';
import { renderToString } from 'preact-render-to-string';
import { App } from '../../src/webview/chat/app';
import { Boot } from '../../src/webview/chat/boot';
import { EmptyChat, listedCommands, withCommand } from '../../src/webview/chat/emptyChat';
import type { ChatAgent, ChatMessage, ChatOpened, NotificationMethod, NotificationParams, SlashCommand } from '../../src/webview/protocol';

const doc = testWindow.document;
/** What the page posted to the host. */
const posted: { kind: string; method?: string; command?: string; params?: unknown }[] = [];
let uiState: unknown;
Object.assign(globalThis, {
  document: doc,
  acquireVsCodeApi: () => ({ postMessage: (m: (typeof posted)[number]) => posted.push(m), getState: () => uiState, setState: (s: unknown) => (uiState = s) }),
  requestAnimationFrame: (callback: (t: number) => void) => setTimeout(() => callback(performance.now()), 0),
  cancelAnimationFrame: (id: ReturnType<typeof setTimeout>) => clearTimeout(id),
});

const agentId = 'ag_new1';
const agent = (patch: Partial<ChatAgent> = {}): ChatAgent => ({
  id: agentId,
  name: 'Agent 4',
  status: 'running',
  statusReason: 'starting',
  contextLevel: 0,
  mode: 'regular',
  usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0, costUsd: 0 },
  pendingPermissions: [],
  ...patch,
});
const COMMANDS: SlashCommand[] = [
  { name: 'init', description: 'Initialize a new CLAUDE.md file with codebase documentation' },
  { name: 'compact', description: 'Free up context by summarizing the conversation so far', argumentHint: '<optional custom summarization instructions>' },
  { name: '__remote-workflow', description: 'internal' },
  { name: 'code-review' },
];

/** Opens the chat's page as the host makes it: the conversation in `#root`'s `data-init`. */
async function openPage(opened: Partial<ChatOpened> = {}): Promise<HTMLElement> {
  doc.body.innerHTML = '';
  uiState = undefined;
  const root = doc.createElement('div');
  root.id = 'root';
  const full: ChatOpened = { agent: agent(), page: { messages: [], hasMore: false }, slashCommands: [], queued: [], contextWarningThreshold: 80, models: ['opus'], ...opened };
  root.dataset.init = JSON.stringify({ agentId, openedAt: 1, opened: full });
  doc.body.append(root);
  await act(() => render(h(App, { boot: new Boot() }), root));
  return root;
}

/** A notification from the host, as the page receives it. */
async function notify<N extends NotificationMethod>(method: N, params: NotificationParams<N>): Promise<void> {
  await act(() => {
    testWindow.dispatchEvent(new testWindow.MessageEvent('message', { data: { kind: 'notification', method, params } }));
  });
}

/** Lets timers (frames) and effects run. */
const frames = () => act(() => new Promise<void>((resolve) => setTimeout(resolve, 20)));

const hint = (root: HTMLElement) => root.querySelector<HTMLElement>('[data-testid="empty-chat"]');
const composer = (root: HTMLElement) => root.querySelector<HTMLTextAreaElement>('.composer textarea')!;
const commandButtons = (root: HTMLElement) => [...root.querySelectorAll<HTMLButtonElement>('.command-list button')];

async function type(root: HTMLElement, text: string): Promise<void> {
  const area = composer(root);
  await act(() => {
    area.value = text;
    area.setSelectionRange(text.length, text.length);
    area.dispatchEvent(new testWindow.Event('input', { bubbles: true }));
  });
}

afterEach(() => {
  render(null, doc.getElementById('root') ?? doc.body);
  posted.length = 0;
});

describe('the empty chat', () => {
  it('says what to type, then lists the CLI\'s commands once the agent has started; a click puts one at the start of the draft', async () => {
    const root = await openPage();
    const text = hint(root)?.textContent ?? '';
    assert.match(text, /Say what the agent should do\. Enter sends, Shift\+Enter starts a new line\./);
    assert.match(text, /\/ runs one of Claude Code's commands, listed here once the agent has started\./);
    assert.match(text, /@ mentions a file of the worktree\. Images pasted or dropped here go with the message\./);
    assert.equal(commandButtons(root).length, 0, 'none known while it starts');

    // The agent has started: its CLI said which commands it has.
    await notify('chatCommands', { agentId, commands: COMMANDS });
    await notify('chatAgent', agent({ status: 'waiting', statusReason: 'waiting for your message' }));
    const buttons = commandButtons(root);
    assert.deepEqual(
      buttons.map((b) => b.textContent),
      ['/code-review', '/compact', '/init'],
      'by name, the internal one left out',
    );
    assert.equal(buttons[1]!.title, 'Free up context by summarizing the conversation so far\n/compact <optional custom summarization instructions>');
    assert.match(hint(root)!.textContent!, /commands:/);

    // A click puts the command before what was typed, the cursor after it.
    await type(root, 'tidy the notes');
    await act(() => buttons[1]!.click());
    await frames();
    const area = composer(root);
    assert.equal(area.value, '/compact tidy the notes');
    assert.equal(doc.activeElement, area, 'the cursor is in the composer');
    assert.equal(area.selectionStart, '/compact '.length);
    // Another replaces it; the draft is kept for a reload.
    await act(() => commandButtons(root)[2]!.click());
    await frames();
    assert.equal(composer(root).value, '/init tidy the notes');
    assert.equal((uiState as { draft?: string }).draft, '/init tidy the notes');
    // The slash completion knows them too.
    await type(root, '/co');
    assert.deepEqual([...root.querySelectorAll('#completions li')].map((li) => li.textContent), ['/compact', '/code-review']);
  });

  it('goes away with the first message', async () => {
    const root = await openPage({ slashCommands: COMMANDS, agent: agent({ status: 'waiting', statusReason: 'waiting for your message' }) });
    assert.ok(hint(root), 'shown while the conversation is empty');
    const first: ChatMessage = { id: 'msg_1', role: 'user', kind: 'text', content: 'Tidy the notes', isComplete: true, createdAt: '2026-11-30T10:00:00Z' };
    await notify('chatMessage', { agentId, message: first });
    assert.equal(hint(root), null);
    assert.match(root.querySelector('[data-testid="user-message"]')?.textContent ?? '', /Tidy the notes/);
  });

  it('is not shown for a conversation with messages, nor to a chat that cannot take a message', async () => {
    const message: ChatMessage = { id: 'msg_1', role: 'assistant', kind: 'text', content: 'Hello', isComplete: true, createdAt: '2026-11-30T10:00:00Z' };
    assert.equal(hint(await openPage({ page: { messages: [message], hasMore: false } })), null);
    assert.equal(hint(await openPage({ agent: agent({ status: 'finished', statusReason: 'stopped', inputDisabledReason: 'It is archived: restore it to chat.' }) })), null);
  });

  it('tells a chat whose agent has not started that its first message starts it', () => {
    const html = renderToString(h(EmptyChat, { commands: [], status: 'finished', onCommand: () => undefined }));
    assert.match(html, /listed here once the agent has started \(your first message starts it\)\./);
  });

  it('puts the cursor in the composer when the page gets the focus with nothing focused in it; what the user focused keeps it', async () => {
    const root = await openPage({ slashCommands: COMMANDS, agent: agent({ status: 'waiting', statusReason: 'waiting for your message' }) });
    assert.notEqual(doc.activeElement, composer(root), 'not taken while the page has no focus');
    await act(() => {
      testWindow.dispatchEvent(new testWindow.FocusEvent('focus'));
    });
    assert.equal(doc.activeElement, composer(root));
    // The user moves to a button of the page; the editor takes the focus away and gives it back.
    commandButtons(root)[0]!.focus();
    await act(() => {
      testWindow.dispatchEvent(new testWindow.FocusEvent('focus'));
    });
    assert.equal(doc.activeElement, commandButtons(root)[0]);
  });
});

describe('a command put in the draft', () => {
  it('goes at the start, instead of a command already there, the rest kept', () => {
    assert.deepEqual(withCommand('', 'compact'), { text: '/compact ', caret: 9 });
    assert.deepEqual(withCommand('  fix it', 'review'), { text: '/review fix it', caret: 8 });
    assert.deepEqual(withCommand('/compact keep the plan', 'clear'), { text: '/clear keep the plan', caret: 7 });
    assert.deepEqual(withCommand('/', 'init'), { text: '/init ', caret: 6 });
    assert.deepEqual(listedCommands(COMMANDS).map((c) => c.name), ['code-review', 'compact', 'init']);
  });
});
