import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeGitRepo } from '../../scripts/lib/gitFixture.mjs';
import { makeTempHome } from '../helpers/claudeCli';
import { MockAnthropicApi, textReply, toolUseReply } from '../mocks/anthropicApi';
import type { Page } from 'playwright-core';
import { clickRowAction, newAgentByKeyboard, runFromRowMenu, showAgentsView, stopFromRow, until } from './actions';
import { agentMachineSettings, keepWhatFailed, openWorkbench, screenshotDir, storeDirOf, webviewFrame, type Workbench } from './workbench';

keepWhatFailed();

/** The extension host that runs an agent, from the owner the store records for it (`host:pid:start`). */
function ownerPid(profile: string, agentName: string): number {
  const dir = storeDirOf(profile);
  let owner: string | undefined;
  for (const file of readdirSync(dir).filter((f) => /^meta-\d+\.log$/.test(f)).sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]))) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const record = JSON.parse(line) as { table?: string; row?: { name?: string; owner_window?: string | null } };
        if (record.table === 'agents' && record.row?.name === agentName) owner = record.row.owner_window ?? undefined;
      } catch {
        // a torn line
      }
    }
  }
  if (!owner) throw new Error(`No window runs ${agentName}, as the store has it.`);
  return Number(owner.split(':')[1]);
}

/** A second window of the same editor (its own extension host, the same profile and store). */
async function secondWindow(wb: Workbench): Promise<Page> {
  const browser = wb.page.context().browser();
  if (!browser) throw new Error('The workbench page has no browser to open a second window in.');
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(wb.url);
  await page.locator('.activitybar').waitFor({ timeout: 60_000 });
  return page;
}

describe('two windows on one store', () => {
  let wb: Workbench;
  let b: Page;
  let repo: { repo: string; cleanup: () => void };
  let api: MockAnthropicApi;
  let home: { path: string; cleanup: () => void };
  before(async () => {
    repo = makeGitRepo({ name: 'windows-repo' });
    api = await MockAnthropicApi.start();
    home = makeTempHome();
    wb = await openWorkbench({
      folder: repo.repo,
      machineSettings: agentMachineSettings(api.url, home.path),
    });
    b = await secondWindow(wb);
  });
  after(async () => {
    await wb?.close();
    await api?.close();
    home?.cleanup();
    repo?.cleanup();
  });

  it('window B answers the permission of an agent window A runs and stops it; with A gone, B takes it over and the agent resumes its session', async () => {
    const a = wb.page;
    const target = join(repo.repo, 'shared.txt');
    api.enqueue(
      toolUseReply([{ name: 'Write', input: { file_path: target, content: 'allowed in window B' } }]),
      textReply('Written, with the word tangerine in mind'),
      textReply('The word was tangerine'),
    );
    await showAgentsView(a);
    await newAgentByKeyboard(a, 'Write the shared file');
    const viewA = a.locator('.pane', { has: a.locator('.pane-header', { hasText: 'Agents' }) });
    await viewA.locator('.monaco-list-row', { hasText: 'Needs you (1)' }).waitFor({ timeout: 60_000 });

    // Window B lists it in its own "Needs you", answers it there, and the tool runs in window A.
    const viewB = await showAgentsView(b);
    const asking = viewB.locator('.monaco-list-row', { hasText: 'Write the shared file' }).first();
    await asking.locator('.label-description', { hasText: 'in another window' }).waitFor({ timeout: 60_000 });
    await asking.locator('.label-description', { hasText: 'needs permission: Write shared.txt' }).waitFor({ timeout: 60_000 });
    await viewB.locator('.monaco-list-row', { hasText: 'Needs you (1)' }).waitFor({ timeout: 30_000 });
    await b.screenshot({ path: join(screenshotDir, 'windows-b-needs-you.png') });
    await clickRowAction(asking, 'Allow');
    await until(() => existsSync(target), 'the Write allowed in window B');
    assert.equal(readFileSync(target, 'utf8'), 'allowed in window B');
    const rowA = viewA.locator('.monaco-list-row', { hasText: 'Write the shared file' }).last();
    await rowA.locator('.label-description', { hasText: 'waiting for your message' }).waitFor({ timeout: 60_000 });

    // Stopped from window B, by window A.
    const rowB = viewB.locator('.monaco-list-row', { hasText: 'Write the shared file' }).last();
    await rowB.locator('.label-description', { hasText: 'waiting for your message' }).waitFor({ timeout: 30_000 });
    await stopFromRow(rowB, rowA);

    // Started again in window A; then window A goes without stopping it: its extension host dies
    // (killed first: a host that ends in order on its tab's close stops its agents, and the row
    // in window B would rightly read "stopped"), and its tab closes.
    await clickRowAction(rowA, 'Start Agent');
    await rowA.locator('.label-description', { hasText: 'waiting for your message' }).waitFor({ timeout: 60_000 });
    process.kill(ownerPid(wb.profile, 'Write the shared file'), 'SIGKILL');
    await a.close();

    // Window B takes it over from the row's menu, after saying what that does.
    await rowB.locator('.label-description', { hasText: 'in another window' }).waitFor({ timeout: 30_000 });
    const dialog = b.locator('.monaco-dialog-box');
    // A context menu open while the tree redraws (window B learning that A is gone) can close under
    // the click, which then lands on the tree: the gesture is made again, as a user would.
    for (let attempt = 1; ; attempt++) {
      await runFromRowMenu(rowB, 'Take Over Agent');
      const shown = await dialog.waitFor({ timeout: 10_000 }).then(() => true, () => false);
      if (shown) break;
      if (attempt === 3) {
        // What window B showed instead, for the failure's reader.
        const toasts = await b.locator('.notification-toast').allInnerTexts();
        assert.fail(`Take Over Agent from the row's menu showed no confirmation, three times; the row reads "${await rowB.innerText()}", the notifications: ${JSON.stringify(toasts)}`);
      }
      await b.keyboard.press('Escape');
    }
    assert.match(await dialog.innerText(), /a turn under way stops there[\s\S]*continues its conversation/);
    await dialog.locator('.monaco-button', { hasText: 'Take Over' }).click();
    const chat = webviewFrame(b);
    const box = chat.locator('textarea');
    await box.waitFor({ timeout: 60_000 });
    await rowB.locator('.label-description', { hasText: 'in another window' }).waitFor({ state: 'detached', timeout: 60_000 });
    await box.fill('What was the word?');
    await box.press('Enter');
    await chat.locator('[data-testid="assistant-message"]', { hasText: 'The word was tangerine' }).waitFor({ timeout: 60_000 });
    // The same session: the CLI sent the earlier turns with the new message.
    const sent = JSON.stringify(api.requests.at(-1)?.messages);
    assert.ok(sent.includes('Write the shared file') && sent.includes('What was the word?'), sent.slice(0, 400));
    await b.screenshot({ path: join(screenshotDir, 'windows-b-taken-over.png') });
  });
});
