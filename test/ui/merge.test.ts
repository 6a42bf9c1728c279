import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isolatedGitEnv, makeGitRepo } from '../../scripts/lib/gitFixture.mjs';
import { findClaudeBinary } from '../helpers/claudeCli';
import { clickRowAction, showAgentsView, until } from './actions';
import { keepWhatFailed, openWorkbench, type Workbench } from './workbench';

keepWhatFailed();

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: isolatedGitEnv() }).trim();

describe('merging a worktree back: a conflict in the merge editor, then aborted', () => {
  let wb: Workbench;
  let repo: { repo: string; cleanup: () => void };
  let feat: string;
  before(async () => {
    repo = makeGitRepo({ name: 'merge-journey', files: { 'README.md': '# merge journey\n\nline one\n' } });
    feat = join(dirname(repo.repo), 'merge-journey.worktrees', 'feat');
    git(repo.repo, 'worktree', 'add', '-b', 'feat', feat);
    writeFileSync(join(feat, 'README.md'), '# merge journey\n\nline one, as the feature has it\n');
    git(feat, 'commit', '-qam', 'Feature edits the readme');
    writeFileSync(join(repo.repo, 'README.md'), '# merge journey\n\nline one, as main has it\n');
    git(repo.repo, 'commit', '-qam', 'Main edits the readme');
    // (The CLI is found, so no warning row sits above the repository in the pictures.)
    wb = await openWorkbench({ folder: repo.repo, machineSettings: { 'claudeManager.claudePath': findClaudeBinary() } });
  });
  after(async () => {
    await wb?.close();
    repo?.cleanup();
  });

  it('merges into base from the palette, opens the conflict in the merge editor, marks the row, and aborts to the state before', async () => {
    const page = wb.page;
    const view = await showAgentsView(page);
    await view.locator('.monaco-list-row', { hasText: 'feat' }).waitFor({ timeout: 60_000 });
    const headBefore = git(repo.repo, 'rev-parse', 'HEAD');
    const readmeBefore = readFileSync(join(repo.repo, 'README.md'), 'utf8');

    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill('>Claude Manager: Merge into Base…');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Merge into Base…' }).first().waitFor();
    await page.keyboard.press('Enter');
    // The worktree to merge, then how.
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'feat' }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
    const strategy = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Merge commit' }).first();
    await strategy.waitFor({ timeout: 30_000 });
    await wb.screenshot('merge-01-strategy');
    await strategy.click();

    // The conflicted file opens in VS Code's merge editor ("Merging: README.md").
    const tab = page.locator('.tabs-container .tab', { hasText: 'Merging: README.md' });
    await tab.waitFor({ timeout: 60_000 });
    // Drawn once it has read both sides: main's line and the feature's.
    await page.locator('.merge-editor .view-line', { hasText: 'as main has it' }).first().waitFor({ timeout: 30_000 });
    await page.locator('.merge-editor .view-line', { hasText: 'as the feature has it' }).first().waitFor({ timeout: 30_000 });
    const toast = page.locator('.notification-toast', { hasText: 'stopped on 1 conflict' });
    await toast.waitFor({ timeout: 30_000 });
    assert.match(await toast.innerText(), /Continue Merge[\s\S]*Abort Merge/);

    // The main worktree's row says a merge waits there, with Continue and Abort.
    const mainRow = view.locator('.monaco-list-row', { hasText: 'main worktree' });
    await mainRow.locator('.label-description', { hasText: 'merging (1 conflict)' }).waitFor({ timeout: 30_000 });
    assert.ok(readFileSync(join(repo.repo, '.git', 'MERGE_HEAD'), 'utf8').trim().length === 40, 'git has the merge in progress');
    await wb.screenshot('merge-02-conflict-in-merge-editor');

    await clickRowAction(mainRow, 'Abort Merge…');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 30_000 });
    assert.match(await dialog.innerText(), /Abort the merge in merge-journey\?/);
    await wb.screenshot('merge-03-abort-confirm');
    await dialog.locator('.monaco-button', { hasText: 'Abort Merge' }).click();

    // (git's abort replaces the file: for a moment it is not there.)
    const readme = () => {
      try {
        return readFileSync(join(repo.repo, 'README.md'), 'utf8');
      } catch {
        return undefined;
      }
    };
    await until(() => readme()?.includes('<<<<<<<') === false, 'the conflict markers gone');
    await mainRow.locator('.label-description', { hasText: 'merging' }).waitFor({ state: 'detached', timeout: 30_000 });
    assert.equal(git(repo.repo, 'rev-parse', 'HEAD'), headBefore, 'same HEAD');
    assert.equal(readFileSync(join(repo.repo, 'README.md'), 'utf8'), readmeBefore, 'same file');
    assert.equal(git(repo.repo, 'status', '--porcelain'), '', 'same (clean) index and tree');
    await wb.screenshot('merge-04-aborted');
  });
});
