// The permission card offers the CLI's own "don't ask again" rules before the whole tool, each
// answering by its index; rendered under Node.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { h } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { PermissionCard } from '../../src/webview/chat/messages';

describe('the permission card', () => {
  const request = {
    requestId: 'req_1',
    toolName: 'Bash',
    input: { command: 'npm test --silent' },
    summary: 'Bash: npm test --silent',
    requestedAt: '2026-11-29T10:00:00Z',
    suggestions: ["Yes, and don't ask again for Bash(npm test *) in this project (your local settings)"],
    reason: 'This command requires approval',
  };

  it('shows the command, why the CLI asks, its rule, and the whole tool as a separate choice', () => {
    const html = renderToString(h(PermissionCard, { request, onAnswer: async () => undefined }));
    const buttons = [...html.matchAll(/<button[^>]*>([^<]*)<\/button>/g)].map((m) => m[1]!.trim());
    assert.deepEqual(buttons, ['Allow once', "Yes, and don't ask again for Bash(npm test *) in this project (your local settings)", 'Allow every Bash call in this session', 'Deny…']);
    assert.match(html, /<pre>npm test --silent<\/pre>/);
    assert.match(html, /This command requires approval/);
    assert.match(html, /title="Any command, not only this one"/);
  });

  it('without rules from the CLI, offers once, the whole tool, and deny', () => {
    const { suggestions: _s, reason: _r, ...plain } = request;
    const html = renderToString(h(PermissionCard, { request: { ...plain, toolName: 'Write', summary: 'Write a.txt', input: {} }, onAnswer: async () => undefined }));
    const buttons = [...html.matchAll(/<button[^>]*>([^<]*)<\/button>/g)].map((m) => m[1]!.trim());
    assert.deepEqual(buttons, ['Allow once', 'Allow every Write call in this session', 'Deny…']);
  });
});
