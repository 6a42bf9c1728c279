import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeGitRepo } from '../../scripts/lib/gitFixture.mjs';
import { makeTempHome } from '../helpers/claudeCli';
import { quiet } from '../helpers/storage';
import { openStore } from '../helpers/storeWorker';
import { limitHeaders, MockAnthropicApi, textReply } from '../mocks/anthropicApi';
import { newAgentByKeyboard, showAgentsView } from './actions';
import { agentMachineSettings, keepWhatFailed, openWorkbench, storeDirOf, webviewFrame, type Workbench } from './workbench';

keepWhatFailed();

/** What the API says of the plan's limits with each answer: the five-hour window 83% used, the seven-day one 41%. */
function mostlyUsed(): Record<string, string> {
  const reset5h = Math.floor(Date.now() / 1000) + 2 * 3600;
  return limitHeaders('allowed', 'five_hour', {
    fiveHour: { status: 'allowed_warning', utilization: 0.83, reset: reset5h },
    sevenDay: { status: 'allowed', utilization: 0.41, reset: reset5h + 3 * 86_400 },
  });
}

// The Overview after real turns of two agents (the real CLI, logged in with a subscription token
// the mock takes, so that it reports the plan's limits), over usage recorded on earlier days.
describe('a window whose agents ran turns with a subscription login', () => {
  let wb: Workbench;
  let repo: { repo: string; cleanup: () => void };
  let api: MockAnthropicApi;
  let home: { path: string; cleanup: () => void };
  before(async () => {
    repo = makeGitRepo({ name: 'overview-repo' });
    api = await MockAnthropicApi.start();
    home = makeTempHome();
    wb = await openWorkbench({
      folder: repo.repo,
      // An empty API key and an OAuth token: the CLI then runs as a subscription login.
      machineSettings: agentMachineSettings(api.url, home.path, { CLAUDE_CODE_OAUTH_TOKEN: 'mock-oauth-token', ANTHROPIC_API_KEY: '' }),
      // Usage of earlier days (of agents since removed), for the charts to have a history.
      seed: async (profile) => {
        const store = await openStore(storeDirOf(profile), quiet);
        try {
          for (let day = 1; day <= 20; day++) {
            const at = new Date();
            at.setDate(at.getDate() - day);
            await store.usage.record({ messageId: `msg_earlier_${day}`, model: day % 2 ? 'claude-sonnet-4-5' : 'claude-haiku-4-5', inputTokens: 2000 + day * 300, outputTokens: 400 + day * 20, cacheReadTokens: 10_000, cacheCreationTokens: 800, costUsd: 0.02 * day, createdAt: at.toISOString() });
          }
        } finally {
          await store.close();
        }
      },
    });
  });
  after(async () => {
    await wb?.close();
    await api?.close();
    home?.cleanup();
    repo?.cleanup();
  });

  it('shows every agent with its cost, the usage charts, and the plan limits as gauges; the status bar opens it', async () => {
    const page = wb.page;
    const view = await showAgentsView(page);
    for (const [prompt, answer] of [
      ['Where is the parser?', 'The parser lives in src/parser.ts.'],
      ['Run the tests', 'All 12 tests pass.'],
    ] as const) {
      api.enqueue(textReply(answer, { headers: mostlyUsed() }));
      await newAgentByKeyboard(page, prompt);
      await webviewFrame(page).locator('[data-testid="assistant-message"]', { hasText: answer }).waitFor({ timeout: 60_000 });
      await view.locator('.monaco-list-row', { hasText: prompt }).last().locator('.label-description', { hasText: 'waiting for your message' }).waitFor({ timeout: 60_000 });
    }
    // The status bar item opens the Overview.
    await page.locator('.statusbar-item[aria-label^="Claude Manager:"], .statusbar-item:has([aria-label^="Claude Manager:"])').first().click();
    await page.locator('.tabs-container .tab.active', { hasText: 'Claude Manager Overview' }).waitFor({ timeout: 30_000 });
    const frame = webviewFrame(page);
    const rows = frame.locator('[data-testid="agent-row"]');
    await rows.nth(1).waitFor({ timeout: 30_000 });
    assert.equal(await rows.count(), 2);
    const texts = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
    for (const name of ['Where is the parser?', 'Run the tests']) {
      const row = texts.find((t) => t.includes(name));
      assert.ok(row, `${name} is listed: ${texts.join(' | ')}`);
      assert.match(row, /overview-repo/);
      assert.match(row, /waiting/);
      // The CLI priced the mock's tokens: each agent cost something today.
      assert.match(row, /\$0\.\d\d/);
    }
    // The charts: the last 30 days, a bar for each with usage (the 20 earlier days and today).
    const tokens = frame.locator('[data-testid="usage-chart-tokens"] svg[data-periods="30"]');
    await tokens.waitFor({ timeout: 10_000 });
    const bars = ((await tokens.locator('path.series-input').getAttribute('d')) ?? '').split('M').length - 1;
    assert.equal(bars, 21, 'bars for the 20 earlier days and today');
    // The pointer on today's bar: its figures in the tooltip.
    const box = await tokens.boundingBox();
    assert.ok(box);
    await page.mouse.move(box.x + box.width * ((52 + (29.5 * 740) / 30) / 800), box.y + box.height / 2);
    const tip = frame.locator('[data-testid="usage-chart-tokens"] .chart-tip');
    await tip.filter({ hasText: 'tokens (input' }).waitFor({ timeout: 10_000 });
    assert.match(await tip.innerText(), /: [\d,]+ tokens \(input [\d,]+, output [\d,]+/);
    const byAgent = (await frame.locator('[data-testid="breakdown-agent"]').innerText()).replace(/\s+/g, ' ');
    assert.match(byAgent, /Where is the parser\?/);
    assert.match(byAgent, /Run the tests/);
    const byModel = (await frame.locator('[data-testid="breakdown-model"]').innerText()).replace(/\s+/g, ' ');
    assert.match(byModel, /claude-haiku-4-5/);
    assert.match(byModel, /claude-sonnet-4-5/);
    // The plan's limits, as the CLI reported them with the last answer.
    const gauges = frame.locator('[data-testid="limit-gauge"]');
    await gauges.nth(1).waitFor({ timeout: 10_000 });
    const limits = (await gauges.allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
    assert.ok(limits.some((l) => /5-hour/.test(l) && /83%/.test(l) && /near the limit/.test(l)), limits.join(' | '));
    assert.ok(limits.some((l) => /7-day/.test(l) && /41%/.test(l)), limits.join(' | '));
    await wb.screenshot('overview-after-turns');
    await wb.screenshotOf(page.locator('.part.editor'), 'readme-overview', { height: 700 });
    await frame.locator('[data-testid="limit-gauge"]').first().scrollIntoViewIfNeeded();
    await wb.screenshot('overview-limit-gauges');
    // By month: the last 12, this one with everything above.
    await frame.locator('[data-testid="period-monthly"]').click();
    await frame.locator('[data-testid="usage-range"]').filter({ hasText: /–/ }).waitFor({ timeout: 10_000 });
    await frame.locator('[data-testid="period-monthly"][aria-pressed="true"]').waitFor({ timeout: 10_000 });
    await wb.screenshot('overview-by-month');
  });
});
