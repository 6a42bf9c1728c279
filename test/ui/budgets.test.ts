import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeGitRepo } from '../../scripts/lib/gitFixture.mjs';
import { findClaudeBinary } from '../helpers/claudeCli';
import { quiet } from '../helpers/storage';
import { openStore } from '../helpers/storeWorker';
import { showAgentsView } from './actions';
import { keepWhatFailed, openWorkbench, runFromPalette, storeDirOf, type Workbench } from './workbench';

keepWhatFailed();

// A daily budget of one dollar, with 85 cents spent today by earlier turns (the usage ledger as the
// agents left it): the window says so once, and the status bar shows the share.
describe('a window whose daily budget is 85% used', () => {
  let wb: Workbench;
  let repo: { repo: string; cleanup: () => void };
  before(async () => {
    repo = makeGitRepo({ name: 'budget-repo' });
    wb = await openWorkbench({
      folder: repo.repo,
      settings: { 'claudeManager.dailyBudget': 1 },
      machineSettings: { 'claudeManager.claudePath': findClaudeBinary() },
      seed: async (profile) => {
        const store = await openStore(storeDirOf(profile), quiet);
        try {
          const at = new Date();
          at.setHours(Math.max(0, at.getHours() - 1));
          for (const [i, cost] of [0.5, 0.35].entries()) {
            await store.usage.record({ messageId: `msg_earlier_${i}`, model: 'claude-sonnet-4-5', inputTokens: 12_000, outputTokens: 800, cacheReadTokens: 0, cacheCreationTokens: 0, costUsd: cost, createdAt: at.toISOString() });
          }
        } finally {
          await store.close();
        }
      },
    });
  });
  after(async () => {
    await wb?.close();
    repo?.cleanup();
  });

  it('tells the user at 80% of the budget, once, and shows the share in the status bar', async () => {
    const page = wb.page;
    await showAgentsView(page);
    const toast = page.locator('.notification-toast', { hasText: "85% of today's budget is used" });
    await toast.waitFor({ timeout: 60_000 });
    const text = (await toast.innerText()).replace(/\s/g, ' ');
    assert.match(text, /85% of today's budget is used: \$0\.85 of \$1\.00\./);
    assert.match(text, /Source: Claude Manager/);
    assert.ok(await toast.locator('.monaco-button', { hasText: 'Change Budget' }).count(), 'Change Budget is offered');
    const item = page.locator('.statusbar-item', { hasText: "85% of today's budget" }).first();
    await item.waitFor({ timeout: 30_000 });
    await wb.screenshot('budget-80-percent');
    // Its tooltip: the budget, and the plan's limits, here none (no agent ran with a subscription login).
    await item.hover();
    const tooltip = page.locator('.monaco-hover', { hasText: 'Daily budget' });
    await tooltip.waitFor({ timeout: 15_000 });
    const said = (await tooltip.innerText()).replace(/\s/g, ' ');
    assert.match(said, /Daily budget: 85% used \(\$0\.85 of \$1\.00\)/);
    assert.match(said, /Plan limits: none reported/);
    await page.mouse.move(0, 0);
    // Told once: a reload does not tell it again.
    await runFromPalette(page, 'Developer: Reload Window');
    await page.locator('.activitybar').waitFor({ timeout: 60_000 });
    await page.locator('.statusbar-item', { hasText: "85% of today's budget" }).first().waitFor({ timeout: 60_000 });
    await page.waitForTimeout(2000);
    assert.equal(await page.locator('.notification-toast', { hasText: "today's budget" }).count(), 0, 'not told again after a reload');
  });
});
