// The Compare panel's view under Node: each attempt's status, turns, cost, changed files with +/−
// and last message; Keep This One only where it can be used; the diff between two attempts.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { h } from 'preact';
import { renderToString } from 'preact-render-to-string';
import type { CompareData } from '../../src/webview/compareProtocol';
import { CompareView, formatCost } from '../../src/webview/compare/view';

const data: CompareData = {
  groupId: 'grp_1',
  name: 'try',
  prompt: 'Make the <b>README</b> better',
  baseBranch: 'main',
  baseCommit: '0123456789abcdef0123456789abcdef01234567',
  createdAt: '2026-11-30T06:00:00Z',
  attempts: [
    { id: 'att_1', position: 1, branch: 'try-1', model: 'opus', worktreeGone: false, agentId: 'ag_1', agentName: 'try 1', status: 'waiting', statusReason: 'waiting for your message', turns: 2, costUsd: 0.0123, files: [{ path: 'feature.txt', status: 'A', added: 2, deleted: 0 }], added: 2, deleted: 0, lastMessage: 'Done <script>alert(1)</script>', kept: false },
    { id: 'att_2', position: 2, branch: 'try-2', worktreeGone: false, agentId: 'ag_2', status: 'running', statusReason: 'running Write: README.md', turns: 1, costUsd: 0.5, files: [{ path: 'README.md', status: 'M', added: 3, deleted: 1 }, { path: 'logo.png', status: 'A' }], added: 3, deleted: 1, kept: false },
    { id: 'att_3', position: 3, branch: 'try-3', worktreeGone: true, turns: 0, costUsd: 0, files: [], added: 0, deleted: 0, kept: false },
  ],
};
const noop = () => undefined;
const props = { data, onDiff: noop, onKeep: noop, onOpenChat: noop };

function cards(html: string): string[] {
  return [...html.matchAll(/<section class="attempt[^"]*" aria-labelledby="attempt-\d" data-attempt="([^"]+)">/g)].map((m) => m[1]!);
}

function buttons(html: string): string[] {
  return [...html.matchAll(/<button([^>]*)>([^<]*)<\/button>/g)].map(([, attrs, label]) => `${label!.trim()}${/\bdisabled\b/.test(attrs!) ? ' (disabled)' : ''}`);
}

describe('the Compare panel', () => {
  it('shows each attempt with its status, turns, cost, files with +/− and last message, as text', () => {
    const html = renderToString(h(CompareView, props));
    assert.deepEqual(cards(html), ['try-1', 'try-2', 'try-3']);
    assert.match(html, /3 agents off <code>main<\/code> \(01234567\)/);
    assert.match(html, /Make the &lt;b>README&lt;\/b> better/);
    assert.deepEqual([...html.matchAll(/data-stat="turns">(\d+)</g)].map((m) => m[1]), ['2', '1'], 'a put-away attempt shows no figures');
    assert.deepEqual([...html.matchAll(/data-stat="cost">([^<]+)</g)].map((m) => m[1]), ['$0.01', '$0.50']);
    assert.match(html, /aria-label="README.md, modified: Open diff against main"/);
    assert.match(html, /aria-label="3 lines added">\+3<\/span> <span class="deleted" aria-label="1 lines deleted">−1</);
    assert.match(html, /logo.png<\/span><span class="counts binary">binary/);
    assert.match(html, /Done &lt;script>alert\(1\)&lt;\/script>/, 'the last message is text, not markup');
    assert.match(html, /Working<\/span><span class="reason"> · running Write: README.md/);
    assert.match(html, /Put away: its worktree was removed, with its agent\./);
  });

  it('offers Keep This One only for an attempt that can be kept', () => {
    const keepButtons = (html: string) => buttons(html).filter((b) => b.startsWith('Keep'));
    assert.deepEqual(keepButtons(renderToString(h(CompareView, props))), ['Keep This One', 'Keep This One (disabled)', 'Keep This One (disabled)']);
    assert.deepEqual(keepButtons(renderToString(h(CompareView, { ...props, keeping: 'att_1' }))), ['Keeping… (disabled)', 'Keep This One (disabled)', 'Keep This One (disabled)']);
    const kept: CompareData = { ...data, keptAttemptId: 'att_1', attempts: data.attempts.map((a) => ({ ...a, kept: a.id === 'att_1' })) };
    const html = renderToString(h(CompareView, { ...props, data: kept, notice: 'Kept try-1: merged into main.' }));
    assert.match(html, /try-1<span class="badge kept-badge">Kept<\/span>/);
    assert.match(html, /role="status" aria-live="polite">Kept try-1: merged into main\./);
    assert.match(html, /, try-1 kept/);
    const merged: CompareData = { ...kept, attempts: kept.attempts.map((a) => (a.kept ? { ...a, files: [], added: 0 } : a)) };
    assert.match(renderToString(h(CompareView, { ...props, data: merged })), /Merged into main: no changes left beyond it\./);
  });

  it('lists the files either of two attempts changed, for a diff between them', () => {
    const html = renderToString(h(CompareView, props));
    const between = html.slice(html.indexOf('Compare two attempts'));
    assert.deepEqual([...between.matchAll(/<option[^>]*value="([^"]+)"/g)].map((m) => m[1]), ['base', 'att_1', 'att_2', 'att_1', 'att_2'], 'a removed attempt is no side');
    assert.deepEqual([...between.matchAll(/aria-label="([^"]+): open diff between try-1 and try-2"/g)].map((m) => m[1]), ['README.md', 'feature.txt', 'logo.png']);
  });

  it('falls back to the sides still there once attempts were put away', () => {
    const one: CompareData = { ...data, attempts: data.attempts.map((a) => (a.id === 'att_2' ? a : { ...a, worktreeGone: true, files: [] })) };
    const between = renderToString(h(CompareView, { ...props, data: one })).split('Compare two attempts')[1]!;
    assert.deepEqual([...between.matchAll(/<option([^>]*)value="([^"]+)"/g)].map((m) => `${m[2]}${/selected/.test(m[1]!) ? '*' : ''}`), ['base*', 'att_2', 'att_2*']);
    assert.match(between, /aria-label="README.md: open diff between main and try-2"/);
  });

  it('says costs as people read them', () => {
    assert.deepEqual([0, 0.004, 0.25, 12.5].map(formatCost), ['$0', '$0.0040', '$0.25', '$12.50']);
  });
});
