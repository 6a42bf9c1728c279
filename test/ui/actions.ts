// What a person does in the workbench, shared by the journeys: start an agent from the keyboard,
// click a row's action, show the Agents view, pick a colour theme.
import * as assert from 'node:assert/strict';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { activityBarItem, runFromPalette, webviewFrame } from './workbench';

/**
 * "New Agent…" by its keybinding, as a person would: the main worktree, a mode (the default
 * unless named); the agent's chat opens with the cursor in its composer, where the first message
 * is typed and sent with Enter.
 */
export async function newAgentByKeyboard(page: Page, prompt: string, mode?: string): Promise<void> {
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
  await typeIntoNewChat(page, prompt);
}

/**
 * Types the first message of an agent whose chat New Agent… just opened: nothing is clicked, so
 * the keys go where the focus is, which must be the chat's composer (it fails otherwise).
 */
export async function typeIntoNewChat(page: Page, prompt: string): Promise<void> {
  const chat = webviewFrame(page);
  const composer = chat.locator('.composer textarea');
  await chat.locator('[data-testid="empty-chat"]').waitFor({ timeout: 30_000 });
  const deadline = Date.now() + 30_000;
  while (!(await composer.evaluate((el) => el === el.ownerDocument.activeElement && el.ownerDocument.hasFocus()).catch(() => false))) {
    if (Date.now() > deadline) {
      const inChat = await composer.evaluate((el) => `${el.ownerDocument.activeElement?.tagName ?? 'nothing'} (the chat has the focus: ${el.ownerDocument.hasFocus()})`).catch(() => 'unknown');
      throw new Error(`The new agent's chat did not put the cursor in its composer; in the chat the focus is on ${inChat}.`);
    }
    await page.waitForTimeout(100);
  }
  await page.keyboard.type(prompt);
  assert.equal(await composer.inputValue(), prompt, 'what was typed is in the composer');
  await page.keyboard.press('Enter');
}

/**
 * Closes a row's tooltip left open by an earlier hover: it lies over the rows below it and takes
 * their clicks and drags.
 */
export async function dismissHovers(page: Page): Promise<void> {
  await page.mouse.move(0, 0);
  await page.keyboard.press('Escape');
}

/**
 * Clicks an inline action of a tree row, which shows while the row is hovered. A redraw of the
 * tree (a status arriving) replaces the row under the mouse, which hides its actions until the
 * mouse moves again: so the row is hovered again until the click lands. A click that lands as the
 * row is replaced reaches its command without the row, and an agent's command then asks which
 * agent (as from the palette): that question is closed and the row's action clicked again.
 */
export async function clickRowAction(row: Locator, label: string): Promise<void> {
  const page = row.page();
  const askedWhich = page.locator('.quick-input-widget input[placeholder="Choose an agent"]');
  for (let attempt = 0; ; attempt++) {
    await dismissHovers(page);
    await row.hover();
    try {
      await row.locator(`.action-label[aria-label="${label}"]`).click({ timeout: 3_000 });
    } catch (error) {
      if (attempt >= 9) throw error;
      continue;
    }
    if (attempt >= 9 || !(await askedWhich.waitFor({ timeout: 1_500 }).then(() => true, () => false))) return;
    console.log(`${label} on its row reached its command without the row (the row was redrawn): asked which agent; clicked again`);
    await page.keyboard.press('Escape');
    await askedWhich.waitFor({ state: 'hidden', timeout: 5_000 });
  }
}

/**
 * Clicks an inline action of a row until `shown` appears. A click can land in the moment the tree
 * replaces the row under the mouse, on the new row whose actions are still hidden, and so do
 * nothing: after 10 s without `shown` it is clicked again (and said so in the test's output).
 */
export async function clickRowActionUntil(row: Locator, label: string, shown: Locator, timeout = 30_000): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    await clickRowAction(row, label);
    const left = deadline - Date.now();
    if (await shown.waitFor({ timeout: Math.max(1, Math.min(10_000, left)) }).then(() => true, () => false)) return;
    if (Date.now() >= deadline) throw new Error(`${label} on its row: what it should show did not appear within ${timeout} ms (${String(shown)})`);
    console.log(`${label} on its row showed nothing within 10 s: clicked again`);
  }
}

/**
 * Runs an item of a row's context menu. A click that lands as the menu is still being laid out can
 * be lost, the menu staying open (seen under load): the item is pointed at first, and when the menu
 * is still open after the click, the item (focused by the pointer) is taken with Enter.
 */
export async function runFromRowMenu(row: Locator, label: string): Promise<void> {
  const page = row.page();
  await dismissHovers(page);
  await row.click({ button: 'right' });
  const item = page.locator('.context-view .action-label', { hasText: label });
  await item.hover();
  await page.waitForTimeout(150);
  await item.click();
  const menu = page.locator('.context-view .monaco-menu');
  if (await menu.waitFor({ state: 'hidden', timeout: 2_000 }).then(() => false, () => true)) {
    console.log(`"${label}" clicked in a row's menu left the menu open: taken with Enter`);
    await item.hover();
    await page.keyboard.press('Enter');
    await menu.waitFor({ state: 'hidden', timeout: 5_000 });
  }
}

/** Stops an agent from its row in the tree (waiting until it reads "stopped"). */
export async function stopFromRow(row: Locator, watched: Locator = row): Promise<void> {
  await clickRowActionUntil(row, 'Stop Agent', watched.locator('.label-description', { hasText: 'stopped' }));
}

/** Stops an agent from its row in the tree and closes the editors (its chat), for the next journey. */
export async function stopAndCloseChats(page: Page, agent: string): Promise<void> {
  const row = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Agents' }) }).locator('.monaco-list-row', { hasText: agent }).last();
  await stopFromRow(row);
  await runFromPalette(page, 'View: Close All Editors');
}

/**
 * The Agents view, shown if it is not (a click on the icon of a shown view would hide it). Its
 * header is in the page but hidden while it is the only view of its container: the pane is looked at.
 */
export async function showAgentsView(page: Page): Promise<Locator> {
  const view = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Agents' }) });
  if (!(await view.isVisible())) await activityBarItem(page).click();
  // Drawn once the extension knows the repository (its commands wait for that too).
  await view.locator('.monaco-list-row').first().waitFor({ timeout: 60_000 });
  return view;
}

/** The name of the agent whose chat is in view, from the chat's header. */
export async function chatAgentName(chat: FrameLocator): Promise<string> {
  const name = chat.locator('.chat-header .title strong');
  await name.waitFor({ timeout: 30_000 });
  // A new agent given a prompt is named from it a moment after its chat opens ("Agent 14" first):
  // the name it keeps is read, not the one it had for that moment.
  const deadline = Date.now() + 10_000;
  let text = (await name.innerText()).trim();
  while (/^Agent \d+$/.test(text) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    text = (await name.innerText()).trim();
  }
  return text;
}

/** Polls `condition` until it holds (a state outside the page: the mock's requests, a file). */
export async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Picks a colour theme by its name, from the palette. */
export async function pickColorTheme(page: Page, name: string): Promise<void> {
  // The command opens a second quick pick, the theme picker, in the place of the palette.
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.fill('>Preferences: Color Theme');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Preferences: Color Theme' }).first().click({ timeout: 10_000 });
  await page.locator('.quick-input-widget input[placeholder*="Color Theme"]').waitFor({ timeout: 10_000 });
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: name }).waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}
