import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { makeGitRepo } from '../../scripts/lib/gitFixture.mjs';
import { claudeOnce, makeCliEnv, makeTempHome, sessionOf } from '../helpers/claudeCli';
import { MockAnthropicApi, textReply } from '../mocks/anthropicApi';
import { dismissHovers, runFromRowMenu, showAgentsView } from './actions';
import { agentMachineSettings, keepWhatFailed, openWorkbench, runFromPalette, webviewFrame, type Workbench } from './workbench';

keepWhatFailed();

const SETUP_FILE = '.claude-manager.json';

/** Makes a worktree on a new branch from the palette, as a person would. */
async function newWorktree(page: Page, branch: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.fill('>Claude Manager: New Worktree');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Claude Manager: New Worktree' }).first().click();
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'New branch…' }).first().waitFor({ timeout: 30_000 });
  await input.fill('');
  await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: 'New branch…' }).waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Branch Name' }).waitFor();
  await input.fill(branch);
  await page.waitForTimeout(300);
  await page.keyboard.press('Enter');
}

// Worktrees ready to work in (docs/worktrees.md): a repository's setup and ports shown as a new
// worktree is made, a failed setup with its output one click away, and a session the CLI started
// in a terminal adopted and resumed in the chat.
describe('a window on a repository whose worktrees are set up, with a session started in a terminal', () => {
  let wb: Workbench;
  let repo: { repo: string; cleanup: () => void };
  let api: MockAnthropicApi;
  let home: { path: string; cleanup: () => void };
  let terminalSession: string;
  before(async () => {
    repo = makeGitRepo({ name: 'ready-repo' });
    api = await MockAnthropicApi.start();
    home = makeTempHome();
    // A session the user had in a terminal before opening the editor, written by the real CLI.
    writeFileSync(join(home.path, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true, projects: { [repo.repo]: { hasTrustDialogAccepted: true } } }));
    api.enqueue(textReply('Answered in the terminal: the parser is in src/parse.ts'));
    terminalSession = sessionOf(await claudeOnce(['-p', 'Where is the parser?'], repo.repo, makeCliEnv({ home: home.path, baseUrl: api.url })));
    wb = await openWorkbench({
      folder: repo.repo,
      // The terminal drawn in the page's DOM, so that what a setup printed can be read there.
      settings: { 'terminal.integrated.gpuAcceleration': 'off' },
      machineSettings: agentMachineSettings(api.url, home.path),
    });
  });
  after(async () => {
    await wb?.close();
    await api?.close();
    home?.cleanup();
    repo?.cleanup();
  });

  it('makes a worktree whose repository has setup commands and ports: asks first, shows "setting up…", then the ports in its tooltip', async () => {
    const page = wb.page;
    // Slow enough to be seen at work; it prints the port it was given.
    writeFileSync(join(repo.repo, SETUP_FILE), JSON.stringify({ setup: ['node -e "setTimeout(() => console.log(\'installed for port \' + process.env.PORT), 4000)"'], ports: { base: 4100, count: 2 } }, null, 2));
    const view = await showAgentsView(page);
    await newWorktree(page, 'feature/ready');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 30_000 });
    assert.match(await dialog.innerText(), /ready-repo's \.claude-manager\.json sets up its worktrees[\s\S]*Setup commands run in each new worktree: node -e/);
    await wb.screenshot('worktree-setup-allow');
    await dialog.locator('.monaco-button', { hasText: 'Allow' }).click();
    const row = view.locator('.monaco-list-row', { hasText: 'feature/ready' });
    await row.locator('.label-description', { hasText: 'setting up…' }).waitFor({ timeout: 30_000 });
    // Its terminal shows what the setup prints, as it prints it.
    await page.locator('.part.panel .xterm-rows', { hasText: 'installed for port 4100' }).waitFor({ timeout: 60_000 });
    await row.locator('.label-description', { hasText: 'setting up…' }).waitFor({ state: 'detached', timeout: 30_000 });
    await dismissHovers(page);
    await row.hover();
    const tooltip = page.locator('.monaco-hover', { hasText: 'Ports' });
    await tooltip.waitFor({ timeout: 15_000 });
    assert.match((await tooltip.innerText()).replace(/\s/g, ' '), /Ports 4100–4101 \(PORT=4100\)/);
    await wb.screenshot('worktree-setup-ports');
    await dismissHovers(page);
  });

  it('marks a worktree whose setup failed, and shows the setup\'s output from its row', async () => {
    const page = wb.page;
    // The file changed: asked again.
    writeFileSync(join(repo.repo, SETUP_FILE), JSON.stringify({ setup: ['node -e "console.error(\'the toolchain is missing\'); process.exit(3)"'] }, null, 2));
    const view = await showAgentsView(page);
    await newWorktree(page, 'feature/broken');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 30_000 });
    await dialog.locator('.monaco-button', { hasText: 'Allow' }).click();
    const row = view.locator('.monaco-list-row', { hasText: 'feature/broken' });
    await row.locator('.label-description', { hasText: 'setup failed' }).waitFor({ timeout: 60_000 });
    // Its terminal is closed, then brought back from the row's menu, with what the setup printed.
    await page.locator('.part.panel .xterm-rows', { hasText: 'the toolchain is missing' }).waitFor({ timeout: 30_000 });
    await runFromRowMenu(row, 'Show Setup Output');
    await page.locator('.part.panel .xterm-rows', { hasText: 'the toolchain is missing' }).waitFor({ timeout: 30_000 });
    await dismissHovers(page);
    await row.hover();
    const tooltip = page.locator('.monaco-hover', { hasText: 'The setup failed' });
    await tooltip.waitFor({ timeout: 15_000 });
    // (A hover's spaces are non-breaking ones.)
    assert.match((await tooltip.innerText()).replace(/\s/g, ' '), /The setup failed at node -e[\s\S]*agents can still start here/);
    await wb.screenshot('worktree-setup-failed');
    await dismissHovers(page);
    // The mark outlives the window: after a reload the row still says so, and its output is there.
    await runFromPalette(page, 'Developer: Reload Window');
    await page.locator('.activitybar').waitFor({ timeout: 60_000 });
    const again = (await showAgentsView(page)).locator('.monaco-list-row', { hasText: 'feature/broken' });
    await again.locator('.label-description', { hasText: 'setup failed' }).waitFor({ timeout: 60_000 });
    await runFromRowMenu(again, 'Show Setup Output');
    await page.locator('.part.panel .xterm-rows', { hasText: 'the toolchain is missing' }).waitFor({ timeout: 30_000 });
  });

  it('adopts the session started in a terminal from the worktree\'s menu, shows its history, and resumes it', async () => {
    const page = wb.page;
    const view = await showAgentsView(page);
    const main = view.locator('.monaco-list-row', { hasText: 'main worktree' });
    await runFromRowMenu(main, 'Adopt CLI Session…');
    const item = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Where is the parser?' });
    await item.waitFor({ timeout: 30_000 });
    assert.match(await item.innerText(), /Where is the parser\?[\s\S]*2 messages[\s\S]*main/);
    assert.match(await item.innerText(), new RegExp(`session ${terminalSession}`));
    await wb.screenshot('adopt-session-pick');
    await item.click();
    // The adopted agent's chat, with the terminal's turn in it.
    const chat = webviewFrame(page);
    await chat.locator('[data-testid="assistant-message"]', { hasText: 'the parser is in src/parse.ts' }).waitFor({ timeout: 30_000 });
    assert.match(await chat.locator('[data-testid="user-message"]').first().innerText(), /Where is the parser\?/);
    await chat.locator('[data-testid="status"]', { hasText: 'adopted from the CLI: 2 messages' }).waitFor({ timeout: 30_000 });
    // The next message resumes the session: the mock sees the terminal's turn with it.
    api.enqueue(textReply('Resumed here: it calls the tokenizer first'));
    const requestsBefore = api.mainRequests.length;
    const box = chat.locator('.composer textarea');
    await box.click();
    await box.fill('And what does it call first?');
    await box.press('Enter');
    await chat.locator('[data-testid="assistant-message"]', { hasText: 'Resumed here' }).waitFor({ timeout: 60_000 });
    const request = JSON.stringify(api.mainRequests.slice(requestsBefore).at(-1)!.body!.messages);
    assert.ok(request.includes('Where is the parser?') && request.includes('the parser is in src/parse.ts'), 'the terminal\'s turn went with the message');
    // In the tree, under its worktree.
    if ((await main.getAttribute('aria-expanded')) !== 'true') await main.click();
    await view.locator('.monaco-list-row', { hasText: 'Where is the parser?' }).last().locator('.label-description', { hasText: 'waiting for your message' }).waitFor({ timeout: 30_000 });
    await wb.screenshot('adopt-session-resumed');
  });
});
