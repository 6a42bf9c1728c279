import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nameFromPrompt } from '../../src/services/agents/agentName';
import { DEFAULT_AGENT_NAME, defaultAgentName } from '../../src/services/storage/records';

describe('an agent\'s name from its first message', () => {
  it('takes the first line, without Markdown marks or a slash, cut at a word past 40 characters', () => {
    const cases: [string, string | undefined][] = [
      ['fix the flaky test', 'Fix the flaky test'],
      ['\n\n  # Add `--dry-run` to the CLI.\nThen document it', 'Add --dry-run to the CLI'],
      ['- [ ] write the [docs](https://example.com) page!', 'Write the docs page'],
      ['1. Rename the store module', 'Rename the store module'],
      ['/review the last commit', 'Review the last commit'],
      ['Refactor the authentication middleware so that sessions expire on logout', 'Refactor the authentication middleware…'],
      ['Supercalifragilisticexpialidocious_and_more_words_without_spaces_here', 'Supercalifragilisticexpialidociousandmor…'],
      ['Why does this fail?', 'Why does this fail?'],
      ['   \n  ', undefined],
      ['***', undefined],
    ];
    for (const [prompt, name] of cases) assert.equal(nameFromPrompt(prompt), name, JSON.stringify(prompt));
    for (const [, name] of cases) if (name) assert.ok(name.length <= 41, name);
  });

  it('knows the names the store gives agents created without one', () => {
    assert.ok(DEFAULT_AGENT_NAME.test(defaultAgentName(7)));
    assert.ok(!DEFAULT_AGENT_NAME.test('Agent 7 (copy)'));
    assert.ok(!DEFAULT_AGENT_NAME.test('My agent'));
  });
});
