// Best of N in the real workbench: one prompt to three agents, each in a new worktree; the
// Compare panel shows what each did; a diff against the base; Keep This One merges one and the
// others' worktrees are removed.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isolatedGitEnv, makeGitRepo } from '../../scripts/lib/gitFixture.mjs';
import { makeTempHome } from '../helpers/claudeCli';
import { lastUserBlocks, MockAnthropicApi, type MockRequestInfo, textReply, toolUseReply } from '../mocks/anthropicApi';
import { showAgentsView } from './actions';
import { agentMachineSettings, keepWhatFailed, openWorkbench, runFromPalette, webviewFrame, type Workbench } from './workbench';

keepWhatFailed();

const PROMPT = 'Improve the README';

/** The mock model's part in each attempt, told apart by the worktree the CLI says it works in. */
function attemptTurn(request: MockRequestInfo) {
  const match = /([^"\s]*\.worktrees\/try-(\d))/.exec(request.rawBody);
  if (!match) return textReply('Not one of the attempts.');
  const [, folder, n] = match;
  if (lastUserBlocks(request.body).some((b) => b.type === 'tool_result')) return textReply(`Attempt ${n}: the README now says ${n === '2' ? 'how to install and use it' : 'a little more'}.`, { usage: { input: 1200 * Number(n), output: 80 } });
  const content = n === '2' ? '# bestof-repo\n\nA sample project.\n\n## Install\n\nnpm install\n\n## Use\n\nnpm start\n' : `# bestof-repo\n\nAttempt ${n} was here.\n`;
  return toolUseReply([{ name: 'Write', input: { file_path: join(folder!, 'README.md'), content } }], { usage: { input: 1000, output: 40 } });
}

describe('best of N: one prompt to three agents, compared, one kept', () => {
  let wb: Workbench;
  let repo: { repo: string; cleanup: () => void };
  let api: MockAnthropicApi;
  let home: { path: string; cleanup: () => void };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo.repo, encoding: 'utf8', env: isolatedGitEnv() }).trim();

  before(async () => {
    repo = makeGitRepo({ name: 'bestof-repo', files: { 'README.md': '# bestof-repo\n' } });
    api = await MockAnthropicApi.start();
    home = makeTempHome();
    wb = await openWorkbench({
      folder: repo.repo,
      machineSettings: agentMachineSettings(api.url, home.path),
    });
  });
  after(async () => {
    await wb?.close();
    await api?.close();
    home?.cleanup();
    repo?.cleanup();
  });

  it('starts three agents from one prompt, compares them in the Compare panel, opens a diff, keeps one and removes the others', async () => {
    const page = wb.page;
    for (let i = 0; i < 6; i++) api.enqueue(attemptTurn);
    await showAgentsView(page);
    // From the palette, as a person would: the prompt, how many, the models, the mode, the branches.
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.fill('>Claude Manager: New Agents from One Prompt');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'New Agents from One Prompt…' }).first().waitFor();
    await page.keyboard.press('Enter');
    const title = (text: string) => page.locator('.quick-input-widget .quick-input-title', { hasText: text }).waitFor({ timeout: 30_000 });
    const choose = async (text: string) => {
      await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: text }).waitFor({ timeout: 10_000 }).catch(async () => {
        await input.fill(text);
        await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: text }).waitFor({ timeout: 10_000 });
      });
      await page.keyboard.press('Enter');
    };
    await title('New Agents from One Prompt');
    await input.fill(PROMPT);
    await page.keyboard.press('Enter');
    await title('How Many');
    await choose('3');
    await title('Models');
    await choose('Same model for every agent');
    await title('Model of every agent');
    await choose('Default model');
    await title('Mode');
    await choose('Auto');
    await title('Branches');
    await input.fill('try');
    await page.keyboard.press('Enter');

    // The Compare panel opens, and fills in as the agents work.
    const panel = webviewFrame(page);
    const cards = panel.locator('section.attempt');
    await cards.first().waitFor({ timeout: 60_000 });
    assert.equal(await cards.count(), 3);
    for (const n of [1, 2, 3]) {
      await panel.locator(`section.attempt[data-attempt="try-${n}"] .last`, { hasText: `Attempt ${n}:` }).waitFor({ timeout: 90_000 });
    }
    for (const n of [1, 2, 3]) {
      const card = panel.locator(`section.attempt[data-attempt="try-${n}"]`);
      await card.locator('.status-word', { hasText: 'Waiting' }).waitFor({ timeout: 30_000 });
      await card.locator('[data-stat="turns"]', { hasText: '2' }).waitFor({ timeout: 30_000 });
      assert.match(await card.locator('[data-stat="cost"]').innerText(), /^\$\d/);
      assert.match(await card.locator('.files').innerText(), /M\s*README\.md\s*\+\d+\s*−0/);
    }
    assert.match(await panel.locator('section.attempt[data-attempt="try-2"] [data-stat="changes"]').innerText(), /1 file \+10 −0/);
    // The same prompt went to each agent, from its own worktree.
    const firsts = api.mainRequests.filter((r) => !lastUserBlocks(r.body).some((b) => b.type === 'tool_result'));
    assert.deepEqual(firsts.map((r) => /\.worktrees\/(try-\d)/.exec(r.rawBody)?.[1]).sort(), ['try-1', 'try-2', 'try-3']);
    assert.ok(firsts.every((r) => r.rawBody.includes(PROMPT)));
    // The agents' "waiting for your message" notifications are not part of the picture.
    await runFromPalette(page, 'Notifications: Clear All Notifications');
    await page.mouse.move(1200, 400);
    await wb.screenshot('bestofn-01-compare-panel');
    await wb.screenshotOf(page.locator('.part.editor'), 'readme-compare-panel', { height: 640 });

    // A diff against the base, from the keyboard: the file's row, then Enter.
    const fileButton = panel.locator('section.attempt[data-attempt="try-2"] button.file', { hasText: 'README.md' });
    await fileButton.focus();
    await page.keyboard.press('Enter');
    const diffTab = page.locator('.tabs-container .tab', { hasText: 'README.md (main ↔ try-2)' });
    await diffTab.waitFor({ timeout: 30_000 });
    await page.locator('.monaco-diff-editor .line-insert').first().waitFor({ timeout: 30_000 });
    await wb.screenshot('bestofn-02-diff-against-base');
    await page.locator('.tabs-container .tab', { hasText: 'Compare: try' }).click();

    // Keep This One: a commit message for the agent's work, how to merge, then the others put away.
    await panel.locator('section.attempt[data-attempt="try-2"] button', { hasText: 'Keep This One' }).click();
    await title('Keep try-2');
    await input.fill('Better README (try 2)');
    await page.keyboard.press('Enter');
    // How, as Merge into Base asks it.
    const strategy = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Merge commit' }).first();
    await strategy.waitFor({ timeout: 30_000 });
    await strategy.click();
    const offer = page.locator('.notification-toast', { hasText: 'Kept try-2 (merged into main)' });
    await offer.waitFor({ timeout: 60_000 });
    await wb.screenshot('bestofn-03-kept');
    await offer.locator('.monaco-button', { hasText: 'Remove Worktrees' }).click();
    await panel.locator('section.attempt[data-attempt="try-1"] .gone', { hasText: 'Put away' }).waitFor({ timeout: 60_000 });
    await panel.locator('section.attempt[data-attempt="try-3"] .gone', { hasText: 'Put away' }).waitFor({ timeout: 60_000 });
    await panel.locator('section.attempt[data-attempt="try-2"] .kept-badge').waitFor({ timeout: 30_000 });
    assert.match(readFileSync(join(repo.repo, 'README.md'), 'utf8'), /## Install/, 'the kept work is on main');
    assert.match(git('log', '-1', '--format=%s'), /^Merge branch 'try-2'/);
    assert.deepEqual(git('branch', '--list', 'try-*').split('\n').map((b) => b.replace(/^[*+ ]+/, '')), ['try-2']);
    await panel.locator('section.attempt[data-attempt="try-2"]', { hasText: 'Merged into main' }).waitFor({ timeout: 30_000 });
    await runFromPalette(page, 'Notifications: Clear All Notifications');
    await wb.screenshot('bestofn-04-others-removed');
  });
});
