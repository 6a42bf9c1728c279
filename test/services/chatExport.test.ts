import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chatToMarkdown } from '../../src/services/agents/chatExport';
import type { StoredMessage } from '../../src/services/storage/messageStore';

const at = (s: number) => `2026-11-24T08:00:${String(s).padStart(2, '0')}.000Z`;
const m = (id: string, s: number, patch: Partial<StoredMessage>): StoredMessage => ({ id, agentId: 'ag_1', role: 'assistant', kind: 'text', content: '', isComplete: true, createdAt: at(s), ...patch });

describe('a chat exported as Markdown', () => {
  it('lists the conversation oldest first, with tool calls, thinking and notices', () => {
    const text = chatToMarkdown({
      name: 'fixer',
      where: 'feature/x (/repos/app.worktrees/feature-x)',
      exportedAt: new Date('2026-11-24T09:00:00Z'),
      messages: [
        m('msg_4', 4, { content: 'Done: ```js\ncode\n```' }),
        m('msg_1', 1, { role: 'user', content: 'Fix the test' }),
        m('msg_3', 3, { role: 'tool', kind: 'tool', toolName: 'Bash', content: 'npm test', toolInput: { command: 'npm test' }, toolOutput: 'has ``` inside', isError: true }),
        m('msg_2', 2, { kind: 'thinking', content: 'Look first\nthen act' }),
        m('msg_5', 5, { role: 'system', kind: 'notice', content: 'The conversation was *compacted*.' }),
      ],
    });
    assert.equal(
      text,
      [
        '# fixer',
        '',
        'Agent in feature/x (/repos/app.worktrees/feature-x), exported 2026-11-24T09:00:00.000Z.',
        '',
        `## You (${at(1)})`,
        '',
        'Fix the test',
        '',
        '> *Thinking*',
        '>',
        '> Look first',
        '> then act',
        '',
        '**Tool Bash**: npm test (failed)',
        '',
        '```json\n{\n  "command": "npm test"\n}\n```',
        '',
        '````\nhas ``` inside\n````',
        '',
        `## Claude (${at(4)})`,
        '',
        'Done: ```js\ncode\n```',
        '',
        '*The conversation was \\*compacted\\*.*',
        '',
      ].join('\n'),
    );
  });

  it('names the images a message carried', () => {
    const text = chatToMarkdown({
      name: 'looker',
      where: 'main (/repos/app)',
      exportedAt: new Date('2026-11-24T09:00:00Z'),
      messages: [
        m('msg_1', 1, { role: 'user', content: 'What is this?', images: [{ id: 'img_1', mediaType: 'image/png', bytes: 10, name: 'a*b.png' }, { id: 'img_2', mediaType: 'image/jpeg', bytes: 20 }] }),
        m('msg_2', 2, { role: 'tool', kind: 'tool', toolName: 'Read', content: 'Read pic.png', toolOutput: '', images: [{ id: 'img_3', mediaType: 'image/png', bytes: 30 }] }),
      ],
    });
    assert.match(text, /## You \([^)]+\)\n\n\*2 images: a\\\*b\.png \(image\/png\), img_2 \(image\/jpeg\)\*\n\nWhat is this\?\n/);
    assert.match(text, /\*\*Tool Read\*\*: Read pic\.png\n\n```\n\n```\n\n\*Image: img_3 \(image\/png\)\*\n$/);
  });

  it("marks a subagent's tool calls as its, and gives its report after its call", () => {
    const text = chatToMarkdown({
      name: 'delegator',
      where: 'main (/repos/app)',
      exportedAt: new Date('2026-11-24T09:00:00Z'),
      messages: [
        m('msg_1', 1, { role: 'tool', kind: 'tool', toolName: 'Agent', content: 'Agent: Count', toolOutput: 'framed', subagent: { status: 'completed', result: 'Three lines.' } }),
        m('msg_2', 2, { role: 'tool', kind: 'tool', toolName: 'Read', content: 'Read notes.txt', toolOutput: 'one', parentId: 'msg_1' }),
      ],
    });
    assert.match(text, /\*\*Tool Agent\*\*: Agent: Count\n\n```\nframed\n```\n\n\*\*Subagent's report\*\* \(completed\):\n\nThree lines\.\n/);
    assert.match(text, /\*\*Tool Read\*\* \(subagent\): Read notes\.txt/);
  });
});

