import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { composeCodeMessage, pathForAgent } from '../../src/services/agents/codeReference';

const tree = join('/', 'repos', 'app.worktrees', 'fix');

describe('a message about code', () => {
  it('names a file inside the worktree relative to it, and one outside by its absolute path', () => {
    assert.equal(pathForAgent(join(tree, 'src', 'a.ts'), tree), 'src/a.ts');
    assert.equal(pathForAgent(join('/', 'repos', 'other', 'b.ts'), tree), join('/', 'repos', 'other', 'b.ts'));
    assert.equal(pathForAgent(join(tree + '-two', 'c.ts'), tree), join(tree + '-two', 'c.ts'));
  });

  it('puts the request first, then where the code is and the code in a fenced block', () => {
    const text = composeCodeMessage({ file: join(tree, 'src', 'a.ts'), worktreePath: tree, startLine: 3, endLine: 5, code: 'let a = 1;\nlet b = 2;\n', languageId: 'typescript' }, '  Why two lets? ');
    assert.equal(text, 'Why two lets?\n\nFrom src/a.ts lines 3-5:\n```typescript\nlet a = 1;\nlet b = 2;\n```');
  });

  it('uses a fence longer than any backtick run in the code, so the code cannot end it', () => {
    const text = composeCodeMessage({ file: join(tree, 'README.md'), worktreePath: tree, startLine: 1, endLine: 1, code: '````\nnot the end\n```', languageId: 'markdown' }, '');
    assert.match(text, /^From README\.md line 1:\n`````markdown\n````\nnot the end\n```\n`````$/);
  });

  it('points at a whole file without its content, and drops a language id that is not a word', () => {
    assert.equal(composeCodeMessage({ file: join(tree, 'x.py'), worktreePath: tree }, 'Explain this file'), 'Explain this file\n\nFile: x.py');
    assert.equal(composeCodeMessage({ file: join(tree, 'x'), worktreePath: tree, startLine: 2, code: 'y', languageId: 'a b\n' }, ''), 'From x line 2:\n```\ny\n```');
  });
});
