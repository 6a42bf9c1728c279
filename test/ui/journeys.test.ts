import { execFileSync } from 'node:child_process';
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isolatedGitEnv, makeGitRepo } from '../../scripts/lib/gitFixture.mjs';
import { findClaudeBinary, makeTempHome } from '../helpers/claudeCli';
import { MockAnthropicApi, textReply, toolUseReply } from '../mocks/anthropicApi';
import type { Locator, Page } from 'playwright-core';
import { activityBarItem, openWorkbench, runFromPalette, webviewFrame, type Workbench } from './workbench';
import { xssPayloads } from './xssPayloads';

/**
 * "New Agent…" by its keybinding, as a person would: the main worktree, a mode (the default
 * unless named), and the first message.
 */
async function newAgentByKeyboard(page: Page, prompt: string, mode?: string): Promise<void> {
  await page.keyboard.press('Control+Shift+Alt+KeyN');
  const input = page.locator('.quick-input-widget input');
  // Each pick is typed, and Enter waits until the list has filtered down to it (a busy machine
  // filters late, and Enter would take the row that was first before).
  const focused = (text: string) => page.locator('.quick-input-list .monaco-list-row.focused', { hasText: text }).waitFor({ timeout: 10_000 });
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'main' }).first().waitFor({ timeout: 30_000 });
  await input.fill('main');
  await focused('main');
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget .quick-input-title', { hasText: 'New Agent: Mode' }).waitFor({ timeout: 10_000 });
  if (mode) {
    await input.fill(mode);
    await focused(mode);
  }
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget .quick-input-message', { hasText: 'first message' }).waitFor({ timeout: 10_000 });
  await input.fill(prompt);
  await page.keyboard.press('Enter');
}

/**
 * Closes a row's tooltip left open by an earlier hover: it lies over the rows below it and takes
 * their clicks and drags.
 */
async function dismissHovers(page: Page): Promise<void> {
  await page.mouse.move(0, 0);
  await page.keyboard.press('Escape');
}

/**
 * Clicks an inline action of a tree row, which shows while the row is hovered. A redraw of the
 * tree (a status arriving) replaces the row under the mouse, which hides its actions until the
 * mouse moves again: so the row is hovered again until the click lands.
 */
async function clickRowAction(row: Locator, label: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    await dismissHovers(row.page());
    await row.hover();
    try {
      await row.locator(`.action-label[aria-label="${label}"]`).click({ timeout: 3_000 });
      return;
    } catch (error) {
      if (attempt >= 9) throw error;
    }
  }
}

/** Stops an agent from its row in the tree and closes the editors (its chat), for the next journey. */
async function stopAndCloseChats(page: Page, agent: string): Promise<void> {
  const row = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Agents' }) }).locator('.monaco-list-row', { hasText: agent }).last();
  await clickRowAction(row, 'Stop Agent');
  await row.locator('.label-description', { hasText: 'stopped' }).waitFor({ timeout: 30_000 });
  await runFromPalette(page, 'View: Close All Editors');
}

describe('a window with no folder', () => {
  let wb: Workbench;
  before(async () => {
    // No CLI where the setting points: the welcome view says so beside "No repository yet".
    wb = await openWorkbench({ machineSettings: { 'claudeManager.claudePath': '/opt/missing/claude' } });
  });
  after(async () => {
    await wb?.close();
  });

  it('shows the Claude Manager icon and, when clicked, the welcome view', async () => {
    const icon = activityBarItem(wb.page);
    await icon.waitFor({ timeout: 30_000 });
    await icon.click();
    const welcome = wb.page.locator('.welcome-view-content', { hasText: 'No repository yet' });
    await welcome.waitFor({ timeout: 30_000 });
    assert.match(await welcome.innerText(), /Add Repository…[\s\S]*Open Folder/);
    const cli = wb.page.locator('.welcome-view-content', { hasText: 'Claude Code CLI was not found' });
    await cli.waitFor({ timeout: 30_000 });
    assert.match(await cli.innerText(), /npm install -g @anthropic-ai\/claude-code[\s\S]*Open Settings[\s\S]*Check Again/);
    await wb.screenshot('01-welcome-view');
  });
});

describe('a window on a git repository', () => {
  let wb: Workbench;
  let repo: { repo: string; cleanup: () => void };
  let api: MockAnthropicApi;
  let home: { path: string; cleanup: () => void };
  before(async () => {
    repo = makeGitRepo({ name: 'journey-repo' });
    api = await MockAnthropicApi.start();
    home = makeTempHome();
    wb = await openWorkbench({
      folder: repo.repo,
      // claudeManager.claudePath is machine-scoped: a remote window reads it from the remote's settings.
      machineSettings: {
        'claudeManager.claudePath': findClaudeBinary(),
        // The agents' CLI runs offline against the mock, with a home of its own.
        'claudeManager.environment': { ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: 'test-key', HOME: home.path, CLAUDE_CODE_MAX_RETRIES: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1' },
      },
    });
  });
  after(async () => {
    await wb?.close();
    await api?.close();
    home?.cleanup();
    repo?.cleanup();
  });

  it('lists the repository in the Agents tree', async () => {
    await activityBarItem(wb.page).click();
    const view = wb.page.locator('.pane', { has: wb.page.locator('.pane-header', { hasText: 'Agents' }) });
    const row = view.locator('.monaco-list-row', { hasText: 'journey-repo' });
    await row.waitFor({ timeout: 30_000 });
    assert.match(await row.innerText(), /journey-repo/);
    await wb.screenshot('02-sidebar-repository');
  });

  it('creates a worktree from the palette and shows it beside one made with git outside', async () => {
    const page = wb.page;
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill('>Claude Manager: New Worktree');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Claude Manager: New Worktree' }).first().waitFor();
    await page.keyboard.press('Enter');
    // The branch picker: a new branch, typed and checked as it is typed.
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'New branch…' }).first().waitFor({ timeout: 30_000 });
    await input.fill('');
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Branch Name' }).waitFor();
    await input.fill('bad..name');
    await page.locator('.quick-input-message', { hasText: 'not a valid branch name' }).waitFor({ timeout: 10_000 });
    await input.fill('feature/journey');
    await page.waitForTimeout(300);
    await page.keyboard.press('Enter');
    const view = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Agents' }) });
    await view.locator('.monaco-list-row', { hasText: 'feature/journey' }).waitFor({ timeout: 30_000 });
    // One made outside the editor, with the git CLI, shows up on its own.
    execFileSync('git', ['worktree', 'add', '--quiet', '-b', 'made-outside', join(dirname(repo.repo), 'outside-tree')], { cwd: repo.repo, env: isolatedGitEnv() });
    await view.locator('.monaco-list-row', { hasText: 'made-outside' }).waitFor({ timeout: 30_000 });
    const rows = await view.locator('.monaco-list-row').allInnerTexts();
    assert.ok(rows.some((r) => /main/.test(r) && /main worktree/.test(r)), rows.join(' | '));
    await wb.screenshot('03-sidebar-worktrees');
  });

  it('starts a new agent from the palette and shows it under its worktree, with its status; stops it from its row', async () => {
    const page = wb.page;
    // A reply that takes a moment, so that the row is seen at work first.
    api.enqueue(textReply('Hello from the journey', { initialDelayMs: 2500 }));
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill('>Claude Manager: New Agent');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Claude Manager: New Agent…' }).first().waitFor();
    await page.keyboard.press('Enter');
    // Two worktrees by now: the one it works in, then its first message.
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'New Agent' }).waitFor({ timeout: 30_000 });
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'main' }).first().waitFor();
    await input.fill('main');
    await page.keyboard.press('Enter');
    // Its mode: the default (Regular) comes first, checked.
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'New Agent: Mode' }).waitFor({ timeout: 10_000 });
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Regular' }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget .quick-input-message', { hasText: 'first message' }).waitFor({ timeout: 10_000 });
    await input.fill('Say hello');
    await page.keyboard.press('Enter');
    const view = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Agents' }) });
    // The agent is listed twice while it waits: in the "Needs you" inbox at the top, and under its worktree.
    const row = view.locator('.monaco-list-row', { hasText: 'Agent 1' }).last();
    // First at work, with a spinning icon and the reason...
    await row.locator('.label-description', { hasText: 'thinking' }).waitFor({ timeout: 60_000 });
    assert.ok(await row.locator('.codicon-loading').count(), 'the running icon');
    await wb.screenshot('04-sidebar-agent-running');
    // ...then waiting for the user's next message.
    await row.locator('.label-description', { hasText: 'waiting for your message' }).waitFor({ timeout: 60_000 }).catch(async (error: unknown) => {
      await wb.screenshot('04-sidebar-agent-failed');
      throw new Error(`${(error as Error).message}; the view shows: ${(await view.locator('.monaco-list-row').allInnerTexts()).join(' | ')}; API requests: ${api.mainRequests.length}`);
    });
    assert.match(await row.getAttribute('aria-label') ?? '', /Agent 1, waiting: waiting for your message/);
    // New Agent… ends in the agent's chat, which shows the turn.
    const chat = webviewFrame(page);
    await chat.locator('[data-testid="assistant-message"]', { hasText: 'Hello from the journey' }).waitFor({ timeout: 30_000 });
    assert.match(await chat.locator('[data-testid="user-message"]').first().innerText(), /Say hello/);
    assert.match(await chat.locator('[data-testid="status"]').innerText(), /waiting: waiting for your message/);
    assert.match(await page.locator('.tabs-container .tab.active').innerText(), /Agent 1 · waiting/);
    await wb.screenshot('04-chat-first-turn');
    assert.ok(await row.locator('.codicon-bell-dot').count(), 'the waiting icon');
    // The status bar counts it, with today's usage. No notification says the turn ended: the
    // agent's chat, in view, says it already.
    const status = page.locator('[aria-label^="Claude Manager: 0 agents running, 1 waiting for you"]');
    await status.first().waitFor({ timeout: 10_000 });
    await page.waitForTimeout(1000);
    assert.equal(await page.locator('.notification-toast', { hasText: 'Agent 1 is waiting for your message.' }).count(), 0, 'no notification for the chat in view');
    const inbox = view.locator('.monaco-list-row', { hasText: 'Needs you (1)' });
    await inbox.waitFor({ timeout: 10_000 });
    assert.equal(await view.locator('.monaco-list-row').first().innerText().then((t) => t.split('\n')[0]), 'Needs you (1)', 'pinned at the top');
    // Its keybinding focuses it, wherever the focus was.
    await page.locator('.activitybar .action-item a[aria-label^="Explorer"]').first().click();
    await page.keyboard.press('Control+Shift+Alt+KeyI');
    await view.locator('.monaco-list-row.focused', { hasText: 'Needs you (1)' }).waitFor({ timeout: 10_000 });
    await wb.screenshot('04-sidebar-agent-waiting');
    await clickRowAction(row, 'Stop Agent');
    await row.locator('.label-description', { hasText: 'stopped' }).waitFor({ timeout: 30_000 });
    await inbox.waitFor({ state: 'detached', timeout: 10_000 });
    assert.ok(await row.locator('.codicon-circle-large-outline').count(), 'the finished icon');
    assert.equal(api.mainRequests.length, 1, 'one turn went to the API');
  });

  it('lists a permission request in "Needs you"; Allow on its row lets the tool run and the turn end', async () => {
    const page = wb.page;
    const target = join(repo.repo, 'allowed-by-journey.txt');
    api.enqueue(toolUseReply([{ name: 'Write', input: { file_path: target, content: 'written after Allow' } }]), textReply('Wrote the file'));
    await newAgentByKeyboard(page, 'Write the file');
    const view = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Agents' }) });
    const inbox = view.locator('.monaco-list-row', { hasText: 'Needs you (1)' });
    await inbox.waitFor({ timeout: 60_000 });
    // The inbox row comes right after the inbox node.
    const asking = view.locator('.monaco-list-row', { hasText: 'Agent 2' }).first();
    await asking.locator('.label-description', { hasText: 'needs permission: Write allowed-by-journey.txt' }).waitFor({ timeout: 30_000 });
    assert.ok(await asking.locator('.codicon-shield').count(), 'the permission icon');
    assert.match(await inbox.innerText(), /1 asking for permission/);
    await wb.screenshot('05-triage-inbox-permission');
    await wb.screenshotOf(page.locator('.part.sidebar'), 'readme-triage-inbox', { height: 240 });
    await wb.screenshotOf(page.locator('.statusbar-item:has([aria-label^="Claude Manager:"]), .statusbar-item[aria-label^="Claude Manager:"]').first(), 'readme-status-bar');
    await clickRowAction(asking, 'Allow');
    await inbox.waitFor({ state: 'detached', timeout: 5_000 }).catch(() => undefined);
    // The turn ends: the agent waits for its next message (back in the inbox as "waiting for your message").
    const row = view.locator('.monaco-list-row', { hasText: 'Agent 2' }).last();
    await row.locator('.label-description', { hasText: 'waiting for your message' }).waitFor({ timeout: 60_000 });
    assert.equal(readFileSync(target, 'utf8'), 'written after Allow');
    assert.equal(api.mainRequests.length, 3, 'the tool call, then the turn after its result');
    // Its chat shows the tool call, done, and the reply after it.
    const chat = webviewFrame(page);
    await chat.locator('[data-testid="assistant-message"]', { hasText: 'Wrote the file' }).waitFor({ timeout: 30_000 });
    assert.match(await chat.locator('[data-testid="tool-card"]').first().innerText(), /Write[\s\S]*allowed-by-journey\.txt/);
    await clickRowAction(row, 'Stop Agent');
    await row.locator('.label-description', { hasText: 'stopped' }).waitFor({ timeout: 30_000 });
    // With no chat in view, an agent that needs the user says so in a notification, whose
    // Open Chat brings its conversation back.
    await runFromPalette(page, 'View: Close All Editors');
    const first = view.locator('.monaco-list-row', { hasText: 'Agent 1' }).last();
    await clickRowAction(first, 'Start Agent');
    const toast = page.locator('.notification-toast', { hasText: 'Agent 1 is waiting for your message.' });
    await toast.waitFor({ timeout: 60_000 });
    await toast.locator('.monaco-button', { hasText: 'Open Chat' }).click();
    await webviewFrame(page).locator('[data-testid="assistant-message"]', { hasText: 'Hello from the journey' }).waitFor({ timeout: 30_000 });
    await clickRowAction(first, 'Stop Agent');
    await first.locator('.label-description', { hasText: 'stopped' }).waitFor({ timeout: 30_000 });
    // The chats stay out of the next journeys' way.
    await runFromPalette(page, 'View: Close All Editors');
  });

  it('shows 50 script-injection attempts in agent output as inert text in the chat', async () => {
    const page = wb.page;
    const reply = [...xssPayloads, 'END-OF-PAYLOADS'].join('\n\n');
    api.enqueue(textReply(reply));
    await newAgentByKeyboard(page, 'Show me the payloads');
    const chat = webviewFrame(page);
    const message = chat.locator('[data-testid="assistant-message"]', { hasText: 'END-OF-PAYLOADS' });
    await message.waitFor({ timeout: 60_000 });
    await page.waitForTimeout(1000);
    // The test hook: any payload that ran would have marked <body> or changed the title.
    assert.equal(await chat.locator('body[data-pwned]').count(), 0, 'no payload ran');
    const active = chat.locator('script, img, svg, iframe, object, embed, form, input, video, audio, style, link, meta, base, math, template, details, marquee, x, isindex');
    assert.equal(await message.locator('.markdown').locator(active).count(), 0, 'no element of the payloads was made');
    assert.equal(await message.locator('[onerror], [onload], [onclick], [onmouseover], [onfocus], [onfocusin], [style]').count(), 0, 'no handler or style attribute');
    const hrefs = await message.locator('a').evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
    assert.ok(hrefs.every((h) => /^(https?:|mailto:)/.test(h)), hrefs.join(' '));
    // Shown as text, for the user to read.
    const text = await message.innerText();
    assert.ok(text.includes("<script>document.body.setAttribute('data-pwned','1')</script>"), 'the first payload is shown as text');
    assert.ok(text.includes('<svg onload='), 'an SVG payload is shown as text');
    assert.ok(text.includes("<scr<script>ipt>document.body.setAttribute('data-pwned','1')</scr</script>ipt>"), 'a split tag is shown whole');
    await wb.screenshot('06-chat-xss-inert');
    await stopAndCloseChats(page, 'Agent 3');
  });

  it('shows the plan of an agent in plan mode in its chat; approving it lets the agent go on, asking before edits', async () => {
    const page = wb.page;
    api.enqueue(toolUseReply([{ name: 'ExitPlanMode', input: { plan: '## The plan\n\n1. Write `plan.txt`\n2. Stop' } }]), textReply('Plan approved, on it'));
    await newAgentByKeyboard(page, 'Plan the change', 'Plan');
    const chat = webviewFrame(page);
    const card = chat.locator('[data-testid="plan-card"]');
    await card.waitFor({ timeout: 60_000 });
    assert.match(await card.innerText(), /The plan[\s\S]*Write plan\.txt/);
    assert.equal(await chat.getByLabel('Mode').inputValue(), 'plan');
    await wb.screenshot('07-chat-plan');
    await card.getByRole('button', { name: 'Approve, Ask Before Edits' }).click();
    await chat.locator('[data-testid="assistant-message"]', { hasText: 'Plan approved, on it' }).waitFor({ timeout: 60_000 });
    await card.waitFor({ state: 'detached', timeout: 10_000 });
    await chat.locator('[data-testid="status"]', { hasText: 'waiting for your message' }).waitFor({ timeout: 30_000 });
    assert.equal(await chat.getByLabel('Mode').inputValue(), 'regular', 'edits now need approval');
    await stopAndCloseChats(page, 'Agent 4');
  });

  it('reorders worktrees by drag and drop, and the order survives a reload', async () => {
    const page = wb.page;
    const view = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Agents' }) });
    const order = async () => (await view.locator('.monaco-list-row .label-name').allInnerTexts()).filter((t) => ['feature/journey', 'made-outside'].includes(t));
    const before = await order();
    assert.equal(before.length, 2, before.join(', '));
    const [upper, lower] = before as [string, string];
    const source = view.locator('.monaco-list-row', { hasText: lower }).first();
    const target = view.locator('.monaco-list-row', { hasText: upper }).first();
    // A drag that lands while the tree redraws (an agent's status arriving) is lost by the
    // editor's list: the gesture is made again if the order has not changed after a while.
    for (let attempt = 0; attempt < 3 && (await order())[0] !== lower; attempt++) {
      await dismissHovers(page);
      await source.dragTo(target);
      for (let i = 0; i < 20 && (await order())[0] !== lower; i++) await page.waitForTimeout(250);
    }
    assert.deepEqual(await order(), [lower, upper]);
    await wb.screenshot('06-sidebar-reordered');
    await wb.screenshotOf(page.locator('.part.sidebar'), 'readme-tree', { height: 240 });
    await runFromPalette(page, 'Developer: Reload Window');
    await page.locator('.activitybar').waitFor({ timeout: 60_000 });
    const reloaded = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Agents' }) });
    await reloaded.locator('.monaco-list-row', { hasText: upper }).first().waitFor({ timeout: 60_000 });
    assert.deepEqual(await order(), [lower, upper], 'the order is stored');
  });

  it('opens the panel from the palette and shows the host facts, including the CLI', async () => {
    await runFromPalette(wb.page, 'Claude Manager: Open Panel');
    const frame = webviewFrame(wb.page);
    await frame.locator('[data-testid="info"]').waitFor({ timeout: 30_000 });
    assert.equal(await frame.locator('h1').innerText(), 'Claude Manager');
    assert.equal(await frame.locator('[data-testid="extension-version"]').innerText(), '0.0.1');
    assert.match(await frame.locator('[data-testid="cli"]').innerText(), /^\d+\.\d+\.\d+ \(/);
    // The installed extension found sql.js's engine in its own folder.
    assert.match(await frame.locator('[data-testid="storage"]').innerText(), /^SQLite 3\.\d+\.\d+ \(sql\.js\)$/);
    const tab = wb.page.locator('.tabs-container .tab', { hasText: 'Claude Manager' });
    assert.equal(await tab.count(), 1);
    await wb.screenshot('03-panel');
  });

  it('sends a message from the panel and shows the host reply', async () => {
    const frame = webviewFrame(wb.page);
    await frame.getByLabel('Message to the extension host').fill('hello host');
    await frame.getByRole('button', { name: 'Send' }).click();
    const echo = frame.locator('[data-testid="echo"]');
    await echo.filter({ hasText: 'hello host' }).waitFor({ timeout: 15_000 });
    assert.match(await echo.innerText(), /The host answered "hello host" at \d{4}-\d\d-\d\dT/);
    await wb.screenshot('04-panel-round-trip');
  });

  it('updates the panel when the CLI setting changes, with a clear error for a missing CLI', async () => {
    const frame = webviewFrame(wb.page);
    writeFileSync(
      join(wb.profile, 'ud', 'Machine', 'settings.json'),
      JSON.stringify({ 'claudeManager.claudePath': '/opt/missing/claude' }),
    );
    const cli = frame.locator('[data-testid="cli"]');
    await cli.filter({ hasText: '/opt/missing/claude' }).waitFor({ timeout: 30_000 });
    assert.match(await cli.innerText(), /"claudeManager\.claudePath" is set to \/opt\/missing\/claude, but no executable file is there/);
    assert.equal(await cli.getAttribute('role'), 'alert');
    await wb.screenshot('05-panel-cli-missing');
    writeFileSync(join(wb.profile, 'ud', 'Machine', 'settings.json'), JSON.stringify({ 'claudeManager.claudePath': findClaudeBinary() }));
    await cli.filter({ hasText: /^\d+\.\d+\.\d+ \(/ }).waitFor({ timeout: 30_000 });
  });

  it('brings the panel back after the window reloads', async () => {
    await runFromPalette(wb.page, 'Developer: Reload Window');
    await wb.page.locator('.activitybar').waitFor({ timeout: 60_000 });
    const frame = webviewFrame(wb.page);
    await frame.locator('[data-testid="info"]').waitFor({ timeout: 60_000 });
    assert.equal(await frame.locator('[data-testid="extension-version"]').innerText(), '0.0.1');
    await wb.screenshot('06-panel-restored-after-reload');
  });

  it('shows its log from the palette', async () => {
    await runFromPalette(wb.page, 'Claude Manager: Show Log');
    const output = wb.page.locator('.part.panel .monaco-editor .view-lines');
    await output.filter({ hasText: 'activated in' }).waitFor({ timeout: 15_000 });
    // The editor draws spaces as non-breaking ones.
    const text = (await output.innerText()).replace(/\s/g, ' ');
    assert.match(text, /\[info\] Claude Manager 0\.0\.1 activated in [\d.]+ ms/);
    assert.match(text, /Repositories from the editor: 1 open/);
    await wb.screenshot('07-log');
  });
});

describe('a window whose Git is turned off', () => {
  let wb: Workbench;
  let repo: { repo: string; cleanup: () => void };
  before(async () => {
    repo = makeGitRepo({ name: 'no-git-repo' });
    wb = await openWorkbench({ folder: repo.repo, settings: { 'git.enabled': false } });
  });
  after(async () => {
    await wb?.close();
    repo?.cleanup();
  });

  it('says why the tree is empty and where to turn Git on', async () => {
    await activityBarItem(wb.page).click();
    const welcome = wb.page.locator('.welcome-view-content', { hasText: "the editor's Git, which is not available" });
    await welcome.waitFor({ timeout: 30_000 });
    assert.match(await welcome.innerText(), /Open Git Settings/);
    assert.equal(await wb.page.locator('.welcome-view-content', { hasText: 'No repository yet' }).count(), 0);
    await wb.screenshot('08-welcome-git-off');
  });
});

describe('a window on a repository the user has not trusted', () => {
  let wb: Workbench;
  let repo: { repo: string; cleanup: () => void };
  before(async () => {
    repo = makeGitRepo({ name: 'untrusted-repo' });
    wb = await openWorkbench({
      folder: repo.repo,
      workspaceTrust: true,
      // No trust dialog at startup: the folder opens in Restricted Mode, as after "Don't Trust".
      settings: { 'security.workspace.trust.startupPrompt': 'never' },
      machineSettings: { 'claudeManager.claudePath': findClaudeBinary() },
    });
  });
  after(async () => {
    await wb?.close();
    repo?.cleanup();
  });

  it('says that no agent starts in Restricted Mode, and how to trust the folder', async () => {
    const page = wb.page;
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 30_000 });
    await activityBarItem(page).click();
    // The editor's Git is off in Restricted Mode, so no repository is listed: the welcome view says why.
    const welcome = page.locator('.welcome-view-content', { hasText: 'Restricted Mode' });
    await welcome.waitFor({ timeout: 30_000 });
    assert.match(await welcome.innerText(), /starts no agent here[\s\S]*Manage Workspace Trust/);
    await wb.screenshot('09-untrusted-workspace');
    // The palette offers no agent command without a repository (once it lists the others).
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.fill('>Claude Manager: ');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Claude Manager: Add Repository…' }).first().waitFor({ timeout: 10_000 });
    await input.fill('>Claude Manager: New Agent');
    await page.waitForTimeout(300);
    const listed = await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Claude Manager: New Agent…' }).count();
    await page.keyboard.press('Escape');
    assert.equal(listed, 0, 'New Agent… is not offered without a repository');
    await welcome.getByRole('button', { name: 'Manage Workspace Trust' }).click();
    await page.locator('.workspace-trust-editor').first().waitFor({ timeout: 15_000 });
  });
});
