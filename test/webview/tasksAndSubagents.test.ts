// The agent's task list pinned above the chat, and a subagent's card with its own tool calls:
// rendered under Node (run with this folder's tsconfig: TSX_TSCONFIG_PATH=test/webview/tsconfig.json).
import './dom';
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { h } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { SubagentCard, subagentState } from '../../src/webview/chat/subagentCard';
import { progressOf, TaskChecklist } from '../../src/webview/chat/tasks';
import { newer } from '../../src/webview/chat/merge';
import { childrenOf, rowOf, threadsOf } from '../../src/webview/chat/threads';
import type { ChatMessage, ChatTask } from '../../src/webview/protocol';
import { notificationSchemas } from '../../src/webview/protocol';

const tasks: ChatTask[] = [
  { content: 'Read the notes', status: 'completed', activeForm: 'Reading the notes' },
  { content: 'Count the lines', status: 'in_progress', activeForm: 'Counting the lines' },
  { content: 'Report the count', status: 'pending', activeForm: 'Reporting the count' },
];

const at = '2026-11-30T10:00:00Z';
const call: ChatMessage = {
  id: 'msg_call',
  role: 'tool',
  kind: 'tool',
  content: 'Agent: Count the lines',
  toolName: 'Agent',
  toolInput: { description: 'Count the lines', prompt: 'Read notes.txt and count its lines.', subagent_type: 'general-purpose' },
  isComplete: false,
  createdAt: at,
  subagent: { status: 'running' },
};
const read: ChatMessage = { id: 'msg_read', role: 'tool', kind: 'tool', content: 'Read notes.txt', toolName: 'Read', toolInput: { file_path: '/r/notes.txt' }, isComplete: false, createdAt: at, parentId: 'msg_call' };

const texts = (html: string, cls: string): string[] => [...html.matchAll(new RegExp(`<span class="${cls}"[^>]*>([^<]*)</span>`, 'g'))].map((m) => m[1]!);

describe('the task list', () => {
  it('shows how many are done, what the agent is doing now (in its own words), and each task with its status', () => {
    const html = renderToString(h(TaskChecklist, { tasks }));
    assert.match(html, /data-testid="task-list"/);
    assert.match(html, /<span class="task-count" aria-label="1 of 3 done">1\/3<\/span>/);
    assert.match(html, /<span class="task-current" data-testid="task-current">Counting the lines<\/span>/);
    assert.deepEqual(texts(html, 'task-text'), ['Read the notes', 'Count the lines', 'Report the count']);
    assert.deepEqual([...html.matchAll(/<li class="task ([a-z_]+)"/g)].map((m) => m[1]), ['completed', 'in_progress', 'pending']);
    assert.deepEqual(texts(html, 'task-said'), [', done', ', under way', ', to do'], 'said to screen readers');
    assert.match(html, /aria-expanded="true"/, 'open while tasks remain');
  });

  it('folds to its title: open while tasks remain, folded once all are done, as chosen otherwise', () => {
    const allDone = tasks.map((t) => ({ ...t, status: 'completed' as const }));
    const folded = renderToString(h(TaskChecklist, { tasks: allDone }));
    assert.match(folded, /aria-expanded="false"/);
    assert.doesNotMatch(folded, /task-items/, 'the items are not drawn');
    assert.match(folded, /3\/3/);
    assert.doesNotMatch(folded, /task-current/, 'nothing under way');
    assert.doesNotMatch(renderToString(h(TaskChecklist, { tasks, open: false })), /task-items/);
    assert.deepEqual(progressOf(allDone), { done: 3, total: 3, current: undefined });
  });

  it('is not drawn without a list', () => {
    assert.equal(renderToString(h(TaskChecklist, { tasks: undefined })), '');
    assert.equal(renderToString(h(TaskChecklist, { tasks: [] })), '');
  });

  it('comes from the host in the agent, checked like everything else', () => {
    const agent = { id: 'ag_1', name: 'A', status: 'running', statusReason: 'thinking', contextLevel: 0, mode: 'regular', usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0, costUsd: 0 }, pendingPermissions: [] };
    assert.equal(notificationSchemas.chatAgent.safeParse({ ...agent, tasks }).success, true);
    assert.equal(notificationSchemas.chatAgent.safeParse({ ...agent, tasks: [{ content: 'x', status: 'doing' }] }).success, false);
  });
});

describe('a subagent in the chat', () => {
  it('is one card: its description and kind, its own tool calls as they come, open while it runs', () => {
    const html = renderToString(h(SubagentCard, { message: call, childrenOf: (id) => (id === call.id ? [read] : []) }));
    assert.match(html, /data-testid="subagent-card" data-state="running"/);
    assert.match(html, /<span class="tool-summary">Count the lines<\/span><span class="chip">general-purpose<\/span>/);
    assert.match(html, /aria-label="Subagent: Count the lines, running, 1 tool call"/);
    assert.match(html, /aria-expanded="true"/);
    const inner = [...html.matchAll(/data-testid="tool-card"/g)];
    assert.equal(inner.length, 1, 'its Read, as a tool card');
    assert.match(html, /aria-label="Read: Read notes.txt \(running\)"/);
    assert.match(html, /<summary>Prompt<\/summary><pre>Read notes.txt and count its lines.<\/pre>/);
    assert.doesNotMatch(html, /subagent-report/, 'no report yet');
  });

  it('once done: folded to its title and its report (Markdown, inert), its calls counted', () => {
    const done: ChatMessage = { ...call, isComplete: true, toolOutput: '[Subagent hand-back] …', subagent: { status: 'completed', result: 'The notes have **three** lines. <img src=x onerror=alert(1)>' } };
    const html = renderToString(h(SubagentCard, { message: done, childrenOf: () => [{ ...read, isComplete: true, toolOutput: 'one\ntwo\nthree' }] }));
    assert.match(html, /data-state="completed"/);
    assert.match(html, /aria-expanded="false"/);
    assert.doesNotMatch(html, /data-testid="tool-card"/, 'its calls folded away');
    assert.match(html, /1 tool call · done/);
    assert.match(html, /data-testid="subagent-report"[\s\S]*The notes have <strong>three<\/strong> lines\. &lt;img/);
  });

  it('says when it runs in the background after its call returned, and when it failed or was stopped', () => {
    const background: ChatMessage = { ...call, isComplete: true, toolOutput: 'Async agent launched successfully.', subagent: { status: 'running', background: true } };
    assert.equal(subagentState(background), 'running');
    assert.match(renderToString(h(SubagentCard, { message: background, childrenOf: () => [] })), /0 tool calls · running in the background[\s\S]*No tool calls yet\./);
    assert.equal(subagentState({ ...call, subagent: undefined }), 'running', 'a call without task lines (a terminal transcript): its own state');
    assert.equal(subagentState({ ...call, subagent: undefined, isComplete: true, isError: true }), 'failed');
    const failed = renderToString(h(SubagentCard, { message: { ...call, subagent: undefined, isComplete: true, isError: true, toolOutput: 'Agent type not found' }, childrenOf: () => [] }));
    assert.match(failed, /data-state="failed"[\s\S]*<pre class="error subagent-error">Agent type not found<\/pre>/);
    assert.match(renderToString(h(SubagentCard, { message: { ...call, subagent: { status: 'stopped' } }, childrenOf: () => [] })), /· stopped/);
  });

  it('keeps the version of its call that came furthest: a subagent in the background ends after its call completed, with the same text', () => {
    const launched: ChatMessage = { ...call, isComplete: true, toolOutput: 'Async agent launched successfully.', subagent: { status: 'running', background: true } };
    const ended: ChatMessage = { ...launched, subagent: { status: 'completed', background: true, result: 'Done.' } };
    assert.equal(newer(launched, ended), ended);
    assert.equal(newer(ended, launched), ended, 'an older version arriving late changes nothing');
    assert.equal(newer({ ...call, subagent: undefined }, call), call);
  });

  it('a subagent of a subagent is a card in its card', () => {
    const nested: ChatMessage = { ...call, id: 'msg_nested', parentId: call.id, toolInput: { description: 'Look deeper' }, subagent: { status: 'running' } };
    const children = new Map([[call.id, [nested]], [nested.id, [{ ...read, parentId: nested.id }]]]);
    const html = renderToString(h(SubagentCard, { message: call, childrenOf: (id) => children.get(id) ?? [] }));
    assert.equal([...html.matchAll(/data-testid="subagent-card"/g)].length, 2);
    assert.match(html, /Look deeper[\s\S]*Read notes\.txt/);
  });
});

describe("the conversation's rows with subagents", () => {
  const user: ChatMessage = { id: 'msg_user', role: 'user', kind: 'text', content: 'Count them', isComplete: true, createdAt: at };
  const answer: ChatMessage = { id: 'msg_answer', role: 'assistant', kind: 'text', content: 'Three.', isComplete: true, createdAt: at };

  it("draws a subagent's messages in its call's card, not as rows", () => {
    const t = threadsOf([user, call, read, answer], false);
    assert.deepEqual(t.rows.map((m) => m.id), ['msg_user', 'msg_call', 'msg_answer']);
    assert.deepEqual(childrenOf(t, call.id).map((m) => m.id), ['msg_read']);
    assert.equal(t.waitsForOlder, false);
  });

  it('waits for an older page when a call is not loaded yet; with none left, shows its messages as rows', () => {
    const waiting = threadsOf([read, answer], true);
    assert.deepEqual(waiting.rows.map((m) => m.id), ['msg_answer']);
    assert.equal(waiting.waitsForOlder, true);
    const orphan = threadsOf([read, answer], false);
    assert.deepEqual(orphan.rows.map((m) => m.id), ['msg_read', 'msg_answer']);
  });

  it("brings a subagent's message into view through its call's row (a find's match)", () => {
    const nested: ChatMessage = { ...call, id: 'msg_nested', parentId: call.id };
    const deep: ChatMessage = { ...read, id: 'msg_deep', parentId: nested.id };
    const list = [user, call, nested, deep];
    assert.equal(rowOf(list, 'msg_deep'), 'msg_call');
    assert.equal(rowOf(list, 'msg_user'), 'msg_user');
    assert.equal(rowOf(list, 'msg_gone'), undefined);
  });
});
