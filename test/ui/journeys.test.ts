import { execFileSync } from 'node:child_process';
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isolatedGitEnv, makeGitRepo } from '../../scripts/lib/gitFixture.mjs';
import { findClaudeBinary, makeTempHome } from '../helpers/claudeCli';
import { MockAnthropicApi, type MockRequestInfo, contentText, imageBlocks, lastUserBlocks, lastUserText, planFileReply, textReply, toolResults, toolUseReply } from '../mocks/anthropicApi';
import { makeBmp, makePng } from '../helpers/images';
import type { Locator } from 'playwright-core';
import { seedLongConversation } from './longConversation';
import { chatAgentName, clickRowAction, dismissHovers, newAgentByKeyboard, pickColorTheme, showAgentsView, stopAndCloseChats, stopFromRow, typeIntoNewChat, until } from './actions';
import { agentMachineSettings, keepWhatFailed, activityBarItem, openWorkbench, runFromPalette, storeDirOf, webviewFrame, type Workbench } from './workbench';
import { xssPayloads } from './xssPayloads';

keepWhatFailed();

/** Waits until an image of the chat has loaded from its file (a blocked or missing one never does). */
async function imageLoaded(image: Locator, what: string): Promise<void> {
  await image.waitFor({ timeout: 30_000 });
  const deadline = Date.now() + 30_000;
  while (!(await image.evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).complete && (img as unknown as { naturalWidth: number }).naturalWidth > 0))) {
    if (Date.now() > deadline) throw new Error(`${what} did not load: ${await image.getAttribute('src')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Puts image files on the chat's composer as a paste (on the text box) or a drop (on the composer) would. */
async function putFiles(target: Locator, how: 'paste' | 'drop', files: { name: string; type: string; bytes: Buffer }[]): Promise<void> {
  await target.evaluate(
    (element, { how, files }) => {
      // The page's own constructors (this file is compiled without the DOM's types).
      const page = element.ownerDocument.defaultView as unknown as {
        DataTransfer: new () => { items: { add(file: unknown): unknown } };
        File: new (parts: unknown[], name: string, options: { type: string }) => unknown;
        ClipboardEvent: new (type: string, init: Record<string, unknown>) => Event;
        DragEvent: new (type: string, init: Record<string, unknown>) => Event;
      };
      const data = new page.DataTransfer();
      for (const f of files) data.items.add(new page.File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
      const init = { bubbles: true, cancelable: true, ...(how === 'paste' ? { clipboardData: data } : { dataTransfer: data }) };
      element.dispatchEvent(how === 'paste' ? new page.ClipboardEvent('paste', init) : new page.DragEvent('drop', init));
    },
    { how, files: files.map((f) => ({ name: f.name, type: f.type, base64: f.bytes.toString('base64') })) },
  );
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
      // The CLI offers the default model no todo tools; these give it TodoWrite (the task-list journey).
      machineSettings: agentMachineSettings(api.url, home.path, { CLAUDE_CODE_ENABLE_TODO_TOOLS: '1', CLAUDE_CODE_ENABLE_TASKS: '0' }),
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
    // Two worktrees by now: the one it works in.
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'New Agent' }).waitFor({ timeout: 30_000 });
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'main' }).first().waitFor();
    await input.fill('main');
    await page.keyboard.press('Enter');
    // Its mode: the default (Regular) comes first, checked.
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'New Agent: Mode' }).waitFor({ timeout: 10_000 });
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Regular' }).first().waitFor();
    await page.keyboard.press('Enter');
    // Then its chat, empty: it says what to type, and lists the CLI's commands once the agent has started.
    const empty = webviewFrame(page).locator('[data-testid="empty-chat"]');
    await empty.waitFor({ timeout: 30_000 });
    assert.match(await empty.innerText(), /Say what the agent should do\. Enter sends[\s\S]*@ mentions a file of the worktree/);
    await empty.locator('.command-list button', { hasText: '/compact' }).waitFor({ timeout: 30_000 });
    assert.ok((await empty.locator('.command-list button').count()) > 10, 'the CLI\'s commands are listed');
    await wb.screenshot('04-chat-new-agent');
    await wb.screenshotOf(page.locator('.part.editor'), 'readme-empty-chat', { height: 420 });
    // The cursor is in its composer: the first message is typed there.
    await typeIntoNewChat(page, 'Say hello');
    await empty.waitFor({ state: 'detached', timeout: 10_000 });
    const view = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Agents' }) });
    // The agent is listed twice while it waits: in the "Needs you" inbox at the top, and under its worktree.
    const row = view.locator('.monaco-list-row', { hasText: 'Say hello' }).last();
    // First at work, with a spinning icon and the reason...
    await row.locator('.label-description', { hasText: 'thinking' }).waitFor({ timeout: 60_000 });
    assert.ok(await row.locator('.codicon-loading').count(), 'the running icon');
    await wb.screenshot('04-sidebar-agent-running');
    // ...then waiting for the user's next message.
    await row.locator('.label-description', { hasText: 'waiting for your message' }).waitFor({ timeout: 60_000 }).catch(async (error: unknown) => {
      await wb.screenshot('04-sidebar-agent-failed');
      throw new Error(`${(error as Error).message}; the view shows: ${(await view.locator('.monaco-list-row').allInnerTexts()).join(' | ')}; API requests: ${api.mainRequests.length}`);
    });
    assert.match(await row.getAttribute('aria-label') ?? '', /Say hello, waiting: waiting for your message/);
    // New Agent… ends in the agent's chat, which shows the turn.
    const chat = webviewFrame(page);
    await chat.locator('[data-testid="assistant-message"]', { hasText: 'Hello from the journey' }).waitFor({ timeout: 30_000 });
    assert.match(await chat.locator('[data-testid="user-message"]').first().innerText(), /Say hello/);
    assert.match(await chat.locator('[data-testid="status"]').innerText(), /waiting: waiting for your message/);
    assert.match(await page.locator('.tabs-container .tab.active').innerText(), /Say hello · waiting/);
    await wb.screenshot('04-chat-first-turn');
    assert.ok(await row.locator('.codicon-bell-dot').count(), 'the waiting icon');
    // The status bar counts it, with today's usage. No notification says the turn ended: the
    // agent's chat, in view, says it already.
    const status = page.locator('[aria-label^="Claude Manager: 0 agents running, 1 waiting for you"]');
    await status.first().waitFor({ timeout: 10_000 });
    await page.waitForTimeout(1000);
    assert.equal(await page.locator('.notification-toast', { hasText: 'Say hello is waiting for your message.' }).count(), 0, 'no notification for the chat in view');
    const inbox = view.locator('.monaco-list-row', { hasText: 'Needs you (1)' });
    await inbox.waitFor({ timeout: 10_000 });
    assert.equal(await view.locator('.monaco-list-row').first().innerText().then((t) => t.split('\n')[0]), 'Needs you (1)', 'pinned at the top');
    // Its keybinding focuses it, wherever the focus was.
    await page.locator('.activitybar .action-item a[aria-label^="Explorer"]').first().click();
    await page.keyboard.press('Control+Shift+Alt+KeyI');
    await view.locator('.monaco-list-row.focused', { hasText: 'Needs you (1)' }).waitFor({ timeout: 10_000 });
    await wb.screenshot('04-sidebar-agent-waiting');
    await stopFromRow(row);
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
    const asking = view.locator('.monaco-list-row', { hasText: 'Write the file' }).first();
    await asking.locator('.label-description', { hasText: 'needs permission: Write allowed-by-journey.txt' }).waitFor({ timeout: 30_000 });
    assert.ok(await asking.locator('.codicon-shield').count(), 'the permission icon');
    assert.match(await inbox.innerText(), /1 asking for permission/);
    await wb.screenshot('05-triage-inbox-permission');
    await wb.screenshotOf(page.locator('.part.sidebar'), 'readme-triage-inbox', { height: 240 });
    await wb.screenshotOf(page.locator('.statusbar-item:has([aria-label^="Claude Manager:"]), .statusbar-item[aria-label^="Claude Manager:"]').first(), 'readme-status-bar');
    await clickRowAction(asking, 'Allow');
    await inbox.waitFor({ state: 'detached', timeout: 5_000 }).catch(() => undefined);
    // The turn ends: the agent waits for its next message (back in the inbox as "waiting for your message").
    const row = view.locator('.monaco-list-row', { hasText: 'Write the file' }).last();
    await row.locator('.label-description', { hasText: 'waiting for your message' }).waitFor({ timeout: 60_000 });
    assert.equal(readFileSync(target, 'utf8'), 'written after Allow');
    assert.equal(api.mainRequests.length, 3, 'the tool call, then the turn after its result');
    // Its chat shows the tool call, done, and the reply after it.
    const chat = webviewFrame(page);
    await chat.locator('[data-testid="assistant-message"]', { hasText: 'Wrote the file' }).waitFor({ timeout: 30_000 });
    assert.match(await chat.locator('[data-testid="tool-card"]').first().innerText(), /Write[\s\S]*allowed-by-journey\.txt/);
    await stopFromRow(row);
    // With no chat in view, an agent that needs the user says so in a notification, whose
    // Open Chat brings its conversation back.
    await runFromPalette(page, 'View: Close All Editors');
    const first = view.locator('.monaco-list-row', { hasText: 'Say hello' }).last();
    await clickRowAction(first, 'Start Agent');
    const toast = page.locator('.notification-toast', { hasText: 'Say hello is waiting for your message.' });
    await toast.waitFor({ timeout: 60_000 });
    await toast.locator('.monaco-button', { hasText: 'Open Chat' }).click();
    await webviewFrame(page).locator('[data-testid="assistant-message"]', { hasText: 'Hello from the journey' }).waitFor({ timeout: 30_000 });
    await stopFromRow(first);
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
    await stopAndCloseChats(page, 'Show me the payloads');
  });

  it('highlights a code block of an agent\'s reply in the theme\'s colours, light, dark and high contrast; an unknown language stays plain', async () => {
    const page = wb.page;
    api.clearQueue();
    const code = ['// Greets someone by name', 'export function greet(name: string): string {', '  const times = 42;', '  return `Hello, ${name}`;', '}'].join('\n');
    api.enqueue(textReply(`Here is the function:\n\n\`\`\`ts\n${code}\n\`\`\`\n\nIn a language the chat does not know:\n\n\`\`\`nosuchlang\nconst stays = "plain";\n\`\`\``));
    await showAgentsView(page);
    await newAgentByKeyboard(page, 'Show me highlighted code');
    const chat = webviewFrame(page);
    const agent = await chatAgentName(chat);
    const message = chat.locator('[data-testid="assistant-message"]', { hasText: 'greet' });
    await message.waitFor({ timeout: 60_000 });
    const block = message.locator('.code-block').first();
    await block.locator('.hljs-keyword').first().waitFor({ timeout: 30_000 });
    // The highlighter came in a script of its own, beside the chat's and with the page's nonce;
    // TypeScript needs no second file.
    const scripts = await chat.locator('body').evaluate((body) => [...body.ownerDocument.scripts].filter((s) => s.src.includes('/dist/webview/')).map((s) => ({ file: /[^/]*\.js/.exec(s.src)?.[0] ?? s.src, nonce: s.nonce ?? '' })));
    assert.deepEqual(scripts.map((s) => s.file).sort(), ['chat.js', 'chatHighlight.js'], JSON.stringify(scripts));
    assert.ok(scripts[0]!.nonce && scripts.every((s) => s.nonce === scripts[0]!.nonce), 'the page\'s nonce');
    assert.equal(await block.locator('pre').innerText(), code, 'the code is whole');
    assert.equal(await message.locator('.code-block', { hasText: 'stays' }).locator('span[class*="hljs"]').count(), 0, 'the unknown language is plain');
    // Each token's colour is the theme's variable for it (a probe painted with the variable
    // says what it resolves to), and set by the theme, not a fallback.
    const colours = () =>
      block.evaluate((element) => {
        // (No function declared in here: the test's compiler would name it with a helper the page lacks.)
        const view = element.ownerDocument.defaultView!;
        const probe = element.ownerDocument.createElement('span');
        element.appendChild(probe);
        const read: Record<string, string> = { code: view.getComputedStyle(element.querySelector('code')!).color };
        for (const [token, variable] of [['keyword', '--vscode-debugTokenExpression-boolean'], ['string', '--vscode-debugTokenExpression-string'], ['title', '--vscode-symbolIcon-functionForeground'], ['number', '--vscode-debugTokenExpression-number']] as const) {
          probe.style.color = `var(${variable})`;
          read[token] = view.getComputedStyle(element.querySelector(`.hljs-${token}`)!).color;
          read[`${token} (theme)`] = view.getComputedStyle(probe).color;
          read[`${token} (set)`] = view.getComputedStyle(element.ownerDocument.documentElement).getPropertyValue(variable).trim();
        }
        probe.remove();
        return read;
      });
    const check = (read: Record<string, string>, theme: string) => {
      for (const token of ['keyword', 'string', 'title', 'number']) {
        assert.ok(read[`${token} (set)`], `${theme}: the theme sets the ${token} colour: ${JSON.stringify(read)}`);
        assert.equal(read[token], read[`${token} (theme)`], `${theme}: ${token}`);
        assert.notEqual(read[token], read.code, `${theme}: a ${token} stands out from the code: ${JSON.stringify(read)}`);
      }
    };
    const light = await colours();
    check(light, 'light');
    await wb.screenshot('06-chat-code-light');
    try {
      await pickColorTheme(page, 'Dark Modern');
      await chat.locator('body.vscode-dark').waitFor({ timeout: 30_000 });
      const dark = await colours();
      check(dark, 'dark');
      assert.notEqual(dark.keyword, light.keyword, 'the dark theme\'s keyword colour');
      await wb.screenshot('06-chat-code-dark');
      await pickColorTheme(page, 'Dark High Contrast');
      await chat.locator('body.vscode-high-contrast').waitFor({ timeout: 30_000 });
      const contrast = await colours();
      check(contrast, 'high contrast');
      assert.notEqual(contrast.keyword, dark.keyword, 'the high-contrast keyword colour');
      await wb.screenshot('06-chat-code-high-contrast');
    } finally {
      await pickColorTheme(page, 'Light Modern');
    }
    await stopAndCloseChats(page, agent);
  });

  it('shows the plan of an agent in plan mode in its chat; approving it lets the agent go on, asking before edits', async () => {
    const page = wb.page;
    api.enqueue(planFileReply('## The plan\n\n1. Write `plan.txt`\n2. Stop'), toolUseReply([{ name: 'ExitPlanMode', input: {} }]), textReply('Plan approved, on it'));
    await newAgentByKeyboard(page, 'Plan the change', 'Plan');
    const chat = webviewFrame(page);
    const card = chat.locator('[data-testid="plan-card"]');
    await card.waitFor({ timeout: 60_000 });
    assert.match(await card.innerText(), /The plan[\s\S]*Write plan\.txt/);
    assert.equal(await chat.getByLabel('Mode', { exact: true }).inputValue(), 'plan');
    await wb.screenshot('07-chat-plan');
    await card.getByRole('button', { name: 'Approve, Ask Before Edits' }).click();
    await chat.locator('[data-testid="assistant-message"]', { hasText: 'Plan approved, on it' }).waitFor({ timeout: 60_000 });
    await card.waitFor({ state: 'detached', timeout: 10_000 });
    await chat.locator('[data-testid="status"]', { hasText: 'waiting for your message' }).waitFor({ timeout: 30_000 });
    assert.equal(await chat.getByLabel('Mode', { exact: true }).inputValue(), 'regular', 'edits now need approval');
    await stopAndCloseChats(page, 'Plan the change');
  });

  it('denies a permission in the chat with a reason: the file is not written, the tool shows the denial, and the turn ends', async () => {
    const page = wb.page;
    const target = join(repo.repo, 'denied-by-journey.txt');
    // What an earlier journey left unused is not this one's.
    api.clearQueue();
    const asked = api.mainRequests.length;
    api.enqueue(toolUseReply([{ name: 'Write', input: { file_path: target, content: 'written although denied' } }]), textReply('Understood: I left the file alone'));
    await showAgentsView(page);
    await newAgentByKeyboard(page, 'Write the file I will deny');
    const chat = webviewFrame(page);
    const card = chat.locator('[data-testid="permission-card"]');
    await card.waitFor({ timeout: 60_000 });
    assert.match(await card.innerText(), /Allow Write\?[\s\S]*denied-by-journey\.txt/);
    const agent = await chatAgentName(chat);
    // The tool waits for the answer: nothing is written meanwhile.
    assert.equal(existsSync(target), false, 'nothing written before the answer');
    // Deny… asks why, for the agent (optional), then Deny sends the answer.
    await card.getByRole('button', { name: 'Deny…' }).click();
    const reason = card.getByLabel('Why (for the agent, optional)');
    await reason.fill('Not this file, please');
    await wb.screenshot('08-chat-permission-deny-reason');
    await card.getByRole('button', { name: 'Deny', exact: true }).click();
    await card.waitFor({ state: 'detached', timeout: 30_000 });
    // The turn goes on without the tool, and ends: the agent's reply, then it waits.
    await chat.locator('[data-testid="assistant-message"]', { hasText: 'Understood: I left the file alone' }).waitFor({ timeout: 60_000 });
    await chat.locator('[data-testid="status"]', { hasText: 'waiting for your message' }).waitFor({ timeout: 30_000 });
    assert.equal(existsSync(target), false, 'the denied Write wrote nothing');
    // The tool call is marked as failed, and says why when opened.
    const tool = chat.locator('[data-testid="tool-card"]', { hasText: 'denied-by-journey.txt' });
    await tool.locator('.badge.error', { hasText: 'error' }).waitFor({ timeout: 30_000 });
    assert.match((await tool.getAttribute('class')) ?? '', /\berror\b/);
    await tool.locator('.tool-head').click();
    assert.match(await tool.locator('pre.error').innerText(), /Not this file, please/);
    // The agent was told: the tool's result sent back to the API is an error with the reason.
    assert.equal(api.mainRequests.length - asked, 2, 'the tool call, then the turn after the denial');
    const denial = toolResults(api.mainRequests.at(-1)?.body).at(-1);
    assert.equal(denial?.is_error, true);
    assert.match(typeof denial?.content === 'string' ? denial.content : contentText(denial?.content), /Not this file, please/);
    await wb.screenshot('08-chat-permission-denied');
    await stopAndCloseChats(page, agent);
  });

  it('asks the agent\'s question in the chat: a choice for one question, several and own words for the other; the agent reads the answers', async () => {
    const page = wb.page;
    api.clearQueue();
    const questions = [
      { question: 'Which database should we use?', header: 'Database', multiSelect: false, options: [{ label: 'SQLite', description: 'A file, no server' }, { label: 'Postgres', description: 'A server to run' }] },
      { question: 'Which features do you want?', header: 'Features', multiSelect: true, options: [{ label: 'Search', description: 'Full-text search' }, { label: 'Export', description: 'CSV export' }, { label: 'Sync', description: 'Between machines' }] },
    ];
    api.enqueue(toolUseReply([{ name: 'AskUserQuestion', input: { questions }, id: 'toolu_journey_question' }]), textReply('Thanks, building it that way'));
    await showAgentsView(page);
    await newAgentByKeyboard(page, 'Ask me how to build it');
    const chat = webviewFrame(page);
    const card = chat.locator('[data-testid="question-card"]');
    await card.waitFor({ timeout: 60_000 });
    const agent = await chatAgentName(chat);
    const text = await card.innerText();
    assert.match(text, /Database[\s\S]*Which database should we use\?[\s\S]*SQLite[\s\S]*A file, no server/);
    const answer = card.getByRole('button', { name: 'Answer', exact: true });
    assert.equal(await answer.isDisabled(), true, 'nothing chosen yet');
    await card.getByRole('radio', { name: /Postgres/ }).check();
    await card.getByRole('checkbox', { name: /Search/ }).check();
    await card.getByLabel('Your own answer to: Which features do you want?').fill('Offline mode');
    await wb.screenshot('08-chat-question');
    await answer.click();
    await card.waitFor({ state: 'detached', timeout: 30_000 });
    await chat.locator('[data-testid="assistant-message"]', { hasText: 'Thanks, building it that way' }).waitFor({ timeout: 60_000 });
    const sent = toolResults(api.mainRequests.at(-1)?.body).find((b) => b.tool_use_id === 'toolu_journey_question');
    const said = typeof sent?.content === 'string' ? sent.content : contentText(sent?.content);
    assert.match(said, /"Which database should we use\?"="Postgres"/);
    assert.match(said, /"Which features do you want\?"="Search, Offline mode"/);
    await stopAndCloseChats(page, agent);
  });

  it('pins the agent\'s task list above its chat as its TodoWrite calls change it, with its progress in the tree; a subagent is one card with its own tool call and its report', async () => {
    const page = wb.page;
    api.clearQueue();
    writeFileSync(join(repo.repo, 'journey-notes.txt'), 'one\ntwo\nthree\n');
    const subagentPrompt = 'Read journey-notes.txt and say how many lines it has.';
    const todos = (statuses: string[]) => ({
      todos: [
        { content: 'Read the notes', status: statuses[0], activeForm: 'Reading the notes' },
        { content: 'Count the lines', status: statuses[1], activeForm: 'Counting the lines' },
        { content: 'Report the count', status: statuses[2], activeForm: 'Reporting the count' },
      ],
    });
    // The agent's replies in order; the subagent's (its conversation starts with its prompt) apart.
    const main = [
      toolUseReply([{ name: 'TodoWrite', input: todos(['in_progress', 'pending', 'pending']) }]),
      toolUseReply([{ name: 'Agent', input: { description: 'Read the notes', prompt: subagentPrompt, subagent_type: 'general-purpose', run_in_background: false } }]),
      toolUseReply([{ name: 'TodoWrite', input: todos(['completed', 'in_progress', 'pending']) }]),
      textReply('The notes are read; counting is next.'),
    ];
    const reply = (request: MockRequestInfo) => {
      const first = request.body?.messages?.find((m) => m.role === 'user');
      if (first && contentText(first.content).includes(subagentPrompt)) {
        return toolResults(request.body).length === 0 ? toolUseReply([{ name: 'Read', input: { file_path: join(repo.repo, 'journey-notes.txt') } }]) : textReply('The notes have **three** lines.');
      }
      return main.shift() ?? textReply('Nothing more.');
    };
    api.enqueue(...Array.from({ length: 6 }, () => reply));
    const view = await showAgentsView(page);
    await newAgentByKeyboard(page, 'Count the lines of the notes with a plan');
    const chat = webviewFrame(page);
    const list = chat.locator('[data-testid="task-list"]');
    await list.locator('.task-count', { hasText: '1/3' }).waitFor({ timeout: 60_000 });
    await chat.locator('[data-testid="assistant-message"]', { hasText: 'counting is next' }).waitFor({ timeout: 60_000 });
    const agent = await chatAgentName(chat);
    assert.equal(await list.locator('[data-testid="task-current"]').innerText(), 'Counting the lines', 'the task under way, in its own words');
    assert.deepEqual(await list.locator('.task-text').allInnerTexts(), ['Read the notes', 'Count the lines', 'Report the count']);
    assert.deepEqual(await list.locator('li.task').evaluateAll((items) => items.map((li) => li.className)), ['task completed', 'task in_progress', 'task pending']);
    // The subagent: one card, done, with its report; opened, its own Read.
    const card = chat.locator('[data-testid="subagent-card"]');
    await card.locator('.subagent-meta', { hasText: '1 tool call · done' }).waitFor({ timeout: 30_000 });
    assert.match(await card.locator('[data-testid="subagent-report"]').innerText(), /The notes have three lines\./);
    await card.locator('.subagent-head').click();
    await card.locator('[data-testid="tool-card"]', { hasText: 'journey-notes.txt' }).waitFor({ timeout: 10_000 });
    assert.match(await card.locator('[data-testid="tool-card"]').innerText(), /Read[\s\S]*journey-notes\.txt/);
    // The tree's row: its tasks done of all.
    const row = view.locator('.monaco-list-row', { hasText: agent }).last();
    await row.locator('.label-description', { hasText: '1/3 tasks' }).waitFor({ timeout: 30_000 });
    await wb.screenshot('09-chat-task-list-and-subagent');
    await wb.screenshotOf(page.locator('.part.editor'), 'readme-task-list', { height: 520 });
    // Folded to its title, the list still says how far it is.
    await list.locator('.task-head').click();
    assert.equal(await list.locator('.task-items').count(), 0);
    assert.match(await list.locator('.task-head').innerText(), /Tasks\s*1\/3\s*Counting the lines/);
    await stopAndCloseChats(page, agent);
  });

  it('reviews an Edit before allowing it: the card shows the diff, Open Diff shows the file as the Edit would leave it', async () => {
    const page = wb.page;
    const notes = join(repo.repo, 'review-journey.md');
    writeFileSync(notes, '# Release notes\n\n- Faster start\n- Fewer clicks\n- Old wording here\n- Dark theme\n');
    api.clearQueue();
    api.enqueue(
      toolUseReply([{ name: 'Read', input: { file_path: notes } }]),
      toolUseReply([{ name: 'Edit', input: { file_path: notes, old_string: '- Old wording here\n', new_string: '- Clearer wording\n- Open Diff before allowing\n' } }]),
      textReply('The notes read better now.'),
    );
    await showAgentsView(page);
    await newAgentByKeyboard(page, 'Reword the release notes');
    const chat = webviewFrame(page);
    // A Read may ask first, depending on the CLI's rules: allowed once.
    const card = chat.locator('[data-testid="permission-card"]');
    for (let asked = 0; ; asked++) {
      await card.first().waitFor({ timeout: 60_000 });
      if (/Allow Edit\?/.test(await card.first().innerText())) break;
      assert.ok(asked < 2, `unexpected permission request: ${await card.first().innerText()}`);
      await card.first().getByRole('button', { name: 'Allow once' }).click();
      await card.first().waitFor({ state: 'detached', timeout: 30_000 });
    }
    // Named by then after its first message.
    const agent = await chatAgentName(chat);
    assert.equal(agent, 'Reword the release notes');
    const preview = card.locator('[data-testid="change-preview"]');
    await preview.waitFor({ timeout: 30_000 });
    const lines = await preview.locator('.diff-line').evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-kind')}${r.querySelector('.diff-text')?.textContent ?? ''}`));
    assert.deepEqual(lines, [' ', ' - Faster start', ' - Fewer clicks', '-- Old wording here', '+- Clearer wording', '+- Open Diff before allowing', ' - Dark theme']);
    assert.match(await preview.locator('.change-head').innerText(), /review-journey\.md[\s\S]*\+2[\s\S]*−1/);
    assert.equal(readFileSync(notes, 'utf8').includes('Clearer wording'), false, 'nothing written before the answer');
    await wb.screenshot('08-chat-permission-diff');
    // Open Diff, before answering: the file now against what the Edit would leave.
    await preview.getByRole('button', { name: 'Open Diff' }).click();
    const tab = page.locator('.tabs-container .tab', { hasText: `review-journey.md (proposed by ${agent})` });
    await tab.waitFor({ timeout: 30_000 });
    const diff = page.locator('.monaco-diff-editor').first();
    await diff.locator('.editor.original .view-lines', { hasText: 'Old wording here' }).waitFor({ timeout: 30_000 });
    await diff.locator('.editor.modified .view-lines', { hasText: 'Open Diff before allowing' }).waitFor({ timeout: 30_000 });
    await wb.screenshot('08-proposed-diff-editor');
    await tab.click({ button: 'middle' });
    await tab.waitFor({ state: 'detached', timeout: 10_000 });
    // Allowed: the file is what the card showed.
    await card.first().getByRole('button', { name: 'Allow once' }).click();
    await chat.locator('[data-testid="assistant-message"]', { hasText: 'The notes read better now.' }).waitFor({ timeout: 60_000 });
    assert.equal(readFileSync(notes, 'utf8'), '# Release notes\n\n- Faster start\n- Fewer clicks\n- Clearer wording\n- Open Diff before allowing\n- Dark theme\n');
    await stopAndCloseChats(page, agent);
  });

  it('interrupts a slow turn with Esc in the chat, then goes on with the next message', async () => {
    const page = wb.page;
    // What an earlier journey left unused is not this one's.
    api.clearQueue();
    const asked = api.mainRequests.length;
    // A reply that would stream for ~20 s, then one streamed over ~6 s.
    api.enqueue(
      textReply(Array.from({ length: 100 }, (_, i) => `slow${i}`).join(' '), { chunks: 100, chunkDelayMs: 200 }),
      textReply('Picking up where we left off, one piece at a time, as promised.', { chunks: 24, chunkDelayMs: 250 }),
    );
    const view = await showAgentsView(page);
    await newAgentByKeyboard(page, 'Take your time');
    const chat = webviewFrame(page);
    const slow = chat.locator('[data-testid="assistant-message"]', { hasText: 'slow0' });
    // Under way: the reply streams in, and the header offers to interrupt.
    await chat.locator('[data-testid="assistant-message"].streaming', { hasText: 'slow0' }).waitFor({ timeout: 60_000 });
    await chat.locator('[data-testid="status"]', { hasText: /^running/ }).waitFor({ timeout: 30_000 });
    await chat.getByRole('button', { name: 'Interrupt', exact: true }).waitFor({ timeout: 10_000 });
    const agent = await chatAgentName(chat);
    await wb.screenshot('09-chat-slow-turn');
    const composer = chat.getByLabel('Message to the agent', { exact: true });
    await composer.focus();
    await composer.press('Escape');
    // The turn ends at once, before the reply was whole: the request was given up, the agent waits,
    // and what had come of the reply stays, no longer streaming.
    await chat.locator('[data-testid="status"]', { hasText: 'interrupted; waiting for your message' }).waitFor({ timeout: 30_000 });
    await view.locator('.monaco-list-row', { hasText: agent }).last().locator('.label-description', { hasText: 'interrupted; waiting for your message' }).waitFor({ timeout: 30_000 });
    await until(() => api.mainRequests[asked]?.aborted === true, 'the slow request to be given up');
    await chat.getByRole('button', { name: 'Interrupt', exact: true }).waitFor({ state: 'detached', timeout: 10_000 });
    await chat.locator('[data-testid="assistant-message"]:not(.streaming)', { hasText: 'slow0' }).waitFor({ timeout: 10_000 });
    assert.ok(!(await slow.innerText()).includes('slow99'), 'the reply stopped before its end');
    await wb.screenshot('09-chat-interrupted');
    // The conversation says so.
    await chat.locator('.notice', { hasText: 'Interrupted.' }).waitFor({ timeout: 10_000 });
    // The next message: its reply is seen streaming in, then whole, and the agent waits again.
    await composer.fill('Go on, quickly');
    await composer.press('Enter');
    await chat.locator('[data-testid="assistant-message"].streaming').filter({ hasNotText: 'slow0' }).first().waitFor({ timeout: 60_000 });
    // The host took the message: the draft is gone.
    assert.equal(await composer.inputValue(), '', 'the draft went once the host took the message');
    // Hidden while the reply streams (a new file over it), then shown again once the turn is over:
    // the chat shows the whole reply, not what it had when it was hidden.
    await runFromPalette(page, 'File: New Untitled Text File');
    await chat.locator('[data-testid="status"]').waitFor({ state: 'detached', timeout: 10_000 });
    await view.locator('.monaco-list-row', { hasText: agent }).last().locator('.label-description', { hasText: /^waiting for your message/ }).waitFor({ timeout: 60_000 });
    // Shown again from its row (the editor under the new file may be another one).
    await clickRowAction(view.locator('.monaco-list-row', { hasText: agent }).last(), 'Open Chat');
    await chat.locator('[data-testid="assistant-message"]:not(.streaming)', { hasText: 'Picking up where we left off, one piece at a time, as promised.' }).waitFor({ timeout: 60_000 });
    await chat.locator('[data-testid="status"]', { hasText: /^waiting: waiting for your message/ }).waitFor({ timeout: 30_000 });
    // The tree agrees.
    await view.locator('.monaco-list-row', { hasText: agent }).last().locator('.label-description', { hasText: /^waiting for your message/ }).waitFor({ timeout: 30_000 });
    assert.equal(api.mainRequests.length - asked, 2, 'the interrupted turn, then the next one');
    assert.match(lastUserText(api.mainRequests.at(-1)?.body), /Go on, quickly/, 'the message went to the agent');
    await wb.screenshot('09-chat-after-interrupt');
    // The message sent from the composer shows as it was sent, once.
    assert.equal(await chat.locator('[data-testid="user-message"]', { hasText: 'Go on, quickly' }).count(), 1);
    // Opened again, the chat reads the whole conversation back from the store, in order.
    await runFromPalette(page, 'View: Close All Editors');
    await clickRowAction(view.locator('.monaco-list-row', { hasText: agent }).last(), 'Open Chat');
    const again = webviewFrame(page);
    await again.locator('[data-testid="assistant-message"]', { hasText: 'as promised.' }).waitFor({ timeout: 30_000 });
    const turns = await again.locator('[data-testid="user-message"], [data-testid="assistant-message"]').allInnerTexts();
    const order = ['Take your time', 'slow0', 'Go on, quickly', 'as promised.'].map((text) => turns.findIndex((turn) => turn.includes(text)));
    assert.ok(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]!)), `in order: ${turns.join(' | ')}`);
    await stopAndCloseChats(page, agent);
  });

  it('queues a message sent during a slow turn as a card to edit or remove, and sends it when the turn ends', async () => {
    const page = wb.page;
    api.clearQueue();
    const asked = api.mainRequests.length;
    // The first turn lasts until the journey lets it go; the queued message's turn answers what it was asked.
    let letGo!: () => void;
    const held = new Promise<void>((resolve) => (letGo = resolve));
    api.enqueue(
      async () => {
        await held;
        return textReply('The summary is written, piece by piece.', { chunks: 8, chunkDelayMs: 100 });
      },
      (request) => textReply(`Done: ${lastUserText(request.body).split('\n\n').at(-1)}`),
    );
    try {
      const view = await showAgentsView(page);
      await newAgentByKeyboard(page, 'Write the summary');
      const chat = webviewFrame(page);
      await chat.locator('[data-testid="status"]', { hasText: /^running/ }).waitFor({ timeout: 60_000 });
      await chat.locator('.chat-header').getByRole('button', { name: 'Interrupt', exact: true }).waitFor({ timeout: 10_000 });
      const agent = await chatAgentName(chat);
      const composer = chat.getByLabel('Message to the agent', { exact: true });
      // Two messages while the agent works: each waits as a card, out of the conversation.
      await composer.fill('Then add a changelog entry');
      await composer.press('Enter');
      const cards = chat.locator('[data-testid="queued-card"]');
      await cards.filter({ hasText: 'Then add a changelog entry' }).waitFor({ timeout: 10_000 });
      assert.equal(await composer.inputValue(), '', 'the draft went once the host took the message');
      await composer.fill('And bump the version');
      await composer.press('Enter');
      await cards.filter({ hasText: 'And bump the version' }).waitFor({ timeout: 10_000 });
      assert.equal(await chat.locator('[data-testid="user-message"]', { hasText: 'changelog' }).count(), 0, 'not in the conversation while queued');
      // The first edited from the keyboard, the second removed.
      await cards.first().getByRole('button', { name: 'Edit', exact: true }).focus();
      await page.keyboard.press('Enter');
      const box = chat.getByLabel('Edit the queued message (Enter saves, Escape cancels)');
      await box.waitFor({ timeout: 10_000 });
      await box.fill('Then add a changelog entry for 1.2');
      await box.press('Enter');
      await cards.filter({ hasText: 'Then add a changelog entry for 1.2' }).getByRole('button', { name: 'Edit', exact: true }).waitFor({ timeout: 10_000 });
      await cards.filter({ hasText: 'And bump the version' }).getByRole('button', { name: 'Remove', exact: true }).click();
      await cards.filter({ hasText: 'And bump the version' }).waitFor({ state: 'detached', timeout: 10_000 });
      assert.equal(await cards.count(), 1);
      await chat.locator('.queued-note', { hasText: '1 queued' }).waitFor({ timeout: 10_000 });
      await wb.screenshot('13-chat-queued-message');
      assert.equal(api.mainRequests.length - asked, 1, 'the CLI asked nothing more while the message was queued');
      // The turn ends: the queued message goes, as its own turn, and is answered.
      letGo();
      await chat.locator('[data-testid="user-message"]', { hasText: 'Then add a changelog entry for 1.2' }).waitFor({ timeout: 60_000 });
      await chat.locator('[data-testid="assistant-message"]:not(.streaming)', { hasText: 'Done: Then add a changelog entry for 1.2' }).waitFor({ timeout: 60_000 });
      await cards.first().waitFor({ state: 'detached', timeout: 10_000 });
      await view.locator('.monaco-list-row', { hasText: agent }).last().locator('.label-description', { hasText: /^waiting for your message/ }).waitFor({ timeout: 60_000 });
      await wb.screenshot('13-chat-queued-message-sent');
      assert.equal(api.mainRequests.length - asked, 2, 'the first turn, then the queued message\'s');
      assert.ok(!JSON.stringify(api.mainRequests.map((r) => r.body)).includes('bump the version'), 'the removed message never reached the agent');
      const turns = await chat.locator('[data-testid="user-message"], [data-testid="assistant-message"]').allInnerTexts();
      const order = ['Write the summary', 'piece by piece', 'changelog entry for 1.2', 'Done: Then add'].map((text) => turns.findIndex((turn) => turn.includes(text)));
      assert.ok(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]!)), `in order: ${turns.join(' | ')}`);
      await stopAndCloseChats(page, agent);
    } finally {
      letGo();
    }
  });

  it('allows an Edit in the chat, then shows the file before and after in the diff editor; finds in the conversation and completes a path from the keyboard', async () => {
    const page = wb.page;
    const notes = join(repo.repo, 'journey-notes.md');
    writeFileSync(notes, '# Notes\n\nold line\n');
    api.clearQueue();
    api.enqueue(
      toolUseReply([{ name: 'Read', input: { file_path: notes } }]),
      toolUseReply([{ name: 'Edit', input: { file_path: notes, old_string: 'old line', new_string: 'new line, tidied' } }]),
      textReply('The notes are tidied.'),
    );
    await showAgentsView(page);
    await newAgentByKeyboard(page, 'Tidy the notes');
    const chat = webviewFrame(page);
    const agent = await chatAgentName(chat);
    // Allow once on each card until the Edit's (a Read may ask too, depending on the CLI's rules).
    const card = chat.locator('[data-testid="permission-card"]');
    for (let asked = 0; ; asked++) {
      await card.first().waitFor({ timeout: 60_000 });
      const text = await card.first().innerText();
      await card.first().getByRole('button', { name: 'Allow once' }).click();
      if (/Allow Edit\?/.test(text)) break;
      assert.ok(asked < 2, `unexpected permission request: ${text}`);
      await card.first().waitFor({ state: 'detached', timeout: 30_000 });
    }
    await chat.locator('[data-testid="assistant-message"]', { hasText: 'The notes are tidied.' }).waitFor({ timeout: 60_000 });
    assert.equal(readFileSync(notes, 'utf8'), '# Notes\n\nnew line, tidied\n', 'the allowed Edit ran');
    const edit = chat.locator('[data-testid="tool-card"]', { hasText: 'Edit' }).filter({ hasText: 'journey-notes.md' });
    const openDiff = edit.getByRole('button', { name: /^Open Diff/ });
    await openDiff.waitFor({ timeout: 30_000 });
    await wb.screenshot('11-chat-edit-allowed');
    await openDiff.click();
    // The diff editor, on the file as the Edit found it and left it.
    const tab = page.locator('.tabs-container .tab', { hasText: 'journey-notes.md (before ↔ after Edit)' });
    await tab.waitFor({ timeout: 30_000 });
    const diff = page.locator('.monaco-diff-editor').first();
    await diff.waitFor({ timeout: 30_000 });
    await diff.locator('.editor.original .view-lines', { hasText: 'old line' }).waitFor({ timeout: 30_000 });
    await diff.locator('.editor.modified .view-lines', { hasText: 'new line, tidied' }).waitFor({ timeout: 30_000 });
    // (The editor draws spaces as no-break spaces.)
    const original = (await diff.locator('.editor.original .view-lines').innerText()).replace(/\u00a0/g, ' ');
    assert.ok(original.includes('# Notes'), `the whole file, not the tool's strings: ${original}`);
    await wb.screenshot('11-diff-editor');
    // It opened beside the chat, which stays in view.
    await webviewFrame(page).locator('[data-testid="assistant-message"]', { hasText: 'The notes are tidied.' }).waitFor({ timeout: 10_000 });
    await tab.click({ button: 'middle' });
    await tab.waitFor({ state: 'detached', timeout: 10_000 });
    // Back in the chat: "@" lists the worktree's files; the keyboard picks one.
    const composer = chat.getByLabel('Message to the agent', { exact: true });
    await composer.click();
    await composer.pressSequentially('Compare with @journey-no');
    const files = chat.getByRole('listbox', { name: 'Files of the worktree' });
    await files.getByRole('option', { name: 'journey-notes.md' }).waitFor({ timeout: 30_000 });
    assert.equal(await files.getByRole('option', { selected: true }).innerText(), 'journey-notes.md');
    await wb.screenshot('11-chat-mention');
    await composer.press('Tab');
    await files.waitFor({ state: 'detached', timeout: 10_000 });
    assert.equal(await composer.inputValue(), 'Compare with @journey-notes.md ');
    await composer.fill('');
    // Find, from the keyboard: the match is brought into view and marked.
    await composer.press('Control+f');
    const find = chat.getByRole('textbox', { name: 'Find in Conversation' });
    await find.waitFor({ timeout: 10_000 });
    await find.pressSequentially('old line');
    await chat.locator('[data-testid="find-count"]', { hasText: /^1 of [1-9]/ }).waitFor({ timeout: 30_000 });
    const current = chat.locator('.row.current');
    await current.waitFor({ timeout: 10_000 });
    assert.match(await current.innerText(), /journey-notes\.md/);
    await wb.screenshot('11-chat-find');
    await find.press('Escape');
    await find.waitFor({ state: 'detached', timeout: 10_000 });
    await stopAndCloseChats(page, agent);
  });

  it('pastes and drops images into the chat: refused ones say why, one is removed, the other is sent and shown; shows the image a Read of a PNG returned', async () => {
    const page = wb.page;
    const gradient = makePng(160, 90, { seed: 4 });
    const other = makePng(64, 64, { seed: 5 });
    const picture = makePng(120, 80, { seed: 6 });
    const picturePath = join(repo.repo, 'journey-picture.png');
    writeFileSync(picturePath, picture);
    api.clearQueue();
    api.enqueue(
      textReply('Send me the picture.'),
      textReply('A gradient from black to red and green.'),
      toolUseReply([{ name: 'Read', input: { file_path: picturePath } }]),
      textReply('That one is a gradient too.'),
    );
    await showAgentsView(page);
    await newAgentByKeyboard(page, 'Look at a picture');
    const chat = webviewFrame(page);
    const agent = await chatAgentName(chat);
    await chat.locator('[data-testid="assistant-message"]', { hasText: 'Send me the picture.' }).waitFor({ timeout: 60_000 });
    const composer = chat.getByLabel('Message to the agent', { exact: true });
    // A screenshot pasted into the text box, another image dropped on the composer, and a BMP.
    await putFiles(composer, 'paste', [{ name: 'gradient.png', type: 'image/png', bytes: gradient }]);
    await putFiles(chat.locator('form.composer'), 'drop', [
      { name: 'other.png', type: 'image/png', bytes: other },
      { name: 'diagram.bmp', type: 'image/bmp', bytes: makeBmp() },
    ]);
    const chips = chat.locator('[data-testid="attachment"]');
    await chips.nth(1).waitFor({ timeout: 10_000 });
    await chat.locator('[role="alert"]', { hasText: '"diagram.bmp" is not a PNG, JPEG, GIF or WebP image' }).waitFor({ timeout: 10_000 });
    assert.deepEqual(await chips.locator('.attachment-name').allInnerTexts(), ['gradient.png', 'other.png']);
    // One changes its mind about the second.
    await chat.getByRole('button', { name: 'Remove other.png' }).click();
    await chips.nth(1).waitFor({ state: 'detached', timeout: 10_000 });
    await composer.fill('What is in this picture?');
    await wb.screenshot('13-chat-image-attached');
    await chat.getByRole('button', { name: 'Dismiss' }).click();
    const asked = api.mainRequests.length;
    await composer.press('Enter');
    // Sent: the chips go with the draft, and the conversation shows the image it sent, from its file.
    const sent = chat.locator('[data-testid="user-message"]', { hasText: 'What is in this picture?' });
    await imageLoaded(sent.locator('img[data-testid="message-image"]'), 'the sent image');
    await chips.first().waitFor({ state: 'detached', timeout: 10_000 });
    await chat.locator('[data-testid="assistant-message"]', { hasText: 'A gradient from black to red and green.' }).waitFor({ timeout: 60_000 });
    const images = imageBlocks(lastUserBlocks(api.mainRequests[asked]?.body));
    assert.equal(images.length, 1, 'the removed image was not sent');
    assert.equal(images[0]!.mediaType, 'image/png');
    assert.ok(images[0]!.data.equals(gradient), 'the pasted image\'s bytes reached the API');
    // Kept as a file of the store, not in the message log.
    const kept = join(storeDirOf(wb.profile), 'images');
    const keptFiles = readdirSync(kept).flatMap((folder) => readdirSync(join(kept, folder)).map((name) => readFileSync(join(kept, folder, name))));
    assert.ok(keptFiles.some((bytes) => bytes.equals(gradient)), 'the image is kept as a file');
    await wb.screenshot('13-chat-image-sent');
    await wb.screenshotOf(page.locator('.editor-group-container.active'), 'readme-chat-image', { height: 520 });
    // A Read of a PNG: the tool's card shows the picture the CLI read.
    await composer.fill('Read journey-picture.png');
    await composer.press('Enter');
    const read = chat.locator('[data-testid="tool-card"]', { hasText: 'journey-picture.png' });
    const card = chat.locator('[data-testid="permission-card"]');
    // (The CLI may ask before a Read, depending on its rules.)
    while (!(await chat.locator('[data-testid="assistant-message"]', { hasText: 'That one is a gradient too.' }).count())) {
      if (await card.count()) await card.first().getByRole('button', { name: 'Allow once' }).click();
      await page.waitForTimeout(200);
    }
    await imageLoaded(read.locator('img[data-testid="message-image"]'), 'the image the Read returned');
    await wb.screenshot('13-chat-read-image');
    await stopAndCloseChats(page, agent);
    rmSync(picturePath, { force: true });
  });

  it('paints the chat with the editor\'s theme: high contrast and light', async () => {
    const page = wb.page;
    api.clearQueue();
    api.enqueue(textReply('Themes follow the editor.'));
    await showAgentsView(page);
    await newAgentByKeyboard(page, 'Show me in every theme');
    const chat = webviewFrame(page);
    const agent = await chatAgentName(chat);
    await chat.locator('[data-testid="assistant-message"]', { hasText: 'Themes follow the editor.' }).waitFor({ timeout: 60_000 });
    const pickTheme = (name: string) => pickColorTheme(page, name);
    // What the chat is painted with (its text, its composer), and the theme kind VS Code gave the page.
    const painted = () =>
      chat.locator('body').evaluate((body) => {
        // (No function declared in here: the test's compiler would name it with a helper the page lacks.)
        const view = body.ownerDocument.defaultView!;
        const composer = view.getComputedStyle(body.querySelector('textarea')!);
        const kind = ['vscode-light', 'vscode-dark', 'vscode-high-contrast'].find((k) => body.classList.contains(k)) ?? '';
        return { kind, text: view.getComputedStyle(body).color, input: composer.backgroundColor, border: composer.borderTopColor };
      });
    const first = await painted();
    assert.equal(first.kind, 'vscode-light', 'the journeys run in the default light theme');
    try {
      await pickTheme('Dark High Contrast');
      await chat.locator('body.vscode-high-contrast').waitFor({ timeout: 30_000 });
      const contrast = await painted();
      // High contrast draws a border around the controls, in its contrast colour.
      assert.notEqual(contrast.border, first.border, `the composer's border in high contrast: ${JSON.stringify(contrast)}`);
      assert.notEqual(contrast.border, 'rgba(0, 0, 0, 0)');
      assert.notEqual(contrast.text, first.text);
      await wb.screenshot('12-chat-high-contrast');
      await pickTheme('Dark Modern');
      await chat.locator('body.vscode-dark').waitFor({ timeout: 30_000 });
      const dark = await painted();
      assert.notEqual(dark.input, first.input, 'the dark theme\'s input background');
      assert.notEqual(dark.text, first.text, 'the dark theme\'s text');
      await wb.screenshot('12-chat-dark');
    } finally {
      await pickTheme('Light Modern');
    }
    await stopAndCloseChats(page, agent);
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

  it('opens the Overview from the palette and shows what runs here, including the CLI', async () => {
    await runFromPalette(wb.page, 'Claude Manager: Open Overview');
    const frame = webviewFrame(wb.page);
    await frame.locator('[data-testid="info"]').waitFor({ timeout: 30_000 });
    assert.equal(await frame.locator('h1').innerText(), 'Overview');
    assert.equal(await frame.locator('[data-testid="extension-version"]').innerText(), '0.0.1');
    assert.match(await frame.locator('[data-testid="cli"]').innerText(), /^\d+\.\d+\.\d+ \(/);
    // The installed extension found sql.js's engine in its own folder.
    assert.match(await frame.locator('[data-testid="storage"]').innerText(), /^SQLite 3\.\d+\.\d+ \(sql\.js\)$/);
    const tab = wb.page.locator('.tabs-container .tab', { hasText: 'Claude Manager Overview' });
    assert.equal(await tab.count(), 1);
    await wb.screenshot('03-overview');
  });

  it('updates the Overview when the CLI setting changes, with a clear error for a missing CLI', async () => {
    const frame = webviewFrame(wb.page);
    writeFileSync(
      join(wb.profile, 'ud', 'Machine', 'settings.json'),
      JSON.stringify({ 'claudeManager.claudePath': '/opt/missing/claude' }),
    );
    const cli = frame.locator('[data-testid="cli"]');
    await cli.filter({ hasText: '/opt/missing/claude' }).waitFor({ timeout: 30_000 });
    assert.match(await cli.innerText(), /"claudeManager\.claudePath" is set to \/opt\/missing\/claude, but no executable file is there/);
    assert.equal(await cli.getAttribute('role'), 'alert');
    await wb.screenshot('05-overview-cli-missing');
    writeFileSync(join(wb.profile, 'ud', 'Machine', 'settings.json'), JSON.stringify({ 'claudeManager.claudePath': findClaudeBinary() }));
    await cli.filter({ hasText: /^\d+\.\d+\.\d+ \(/ }).waitFor({ timeout: 30_000 });
  });

  it('brings the Overview back after the window reloads', async () => {
    await runFromPalette(wb.page, 'Developer: Reload Window');
    await wb.page.locator('.activitybar').waitFor({ timeout: 60_000 });
    const frame = webviewFrame(wb.page);
    await frame.locator('[data-testid="info"]').waitFor({ timeout: 60_000 });
    assert.equal(await frame.locator('[data-testid="extension-version"]').innerText(), '0.0.1');
    await wb.screenshot('06-overview-restored-after-reload');
  });

  it('shows its log from the palette', async () => {
    const output = wb.page.locator('.part.panel .monaco-editor .view-lines');
    // Its first lines: the log may be longer than the panel, which shows its end. Right after a
    // reload, a busy machine has shown the panel with no view in it (seen twice): asked again then.
    for (let attempt = 1; ; attempt++) {
      await runFromPalette(wb.page, 'Claude Manager: Show Log');
      if (await output.locator('.view-line').first().waitFor({ timeout: 20_000 }).then(() => true, () => false)) break;
      assert.ok(attempt < 3, 'Show Log showed no log in the panel, three times');
      console.log('Show Log showed nothing within 20 s: asked again');
    }
    await output.click();
    await wb.page.keyboard.press('Control+Home');
    await output.filter({ hasText: 'activated in' }).waitFor({ timeout: 15_000 });
    // The editor draws spaces as non-breaking ones.
    const text = (await output.innerText()).replace(/\s/g, ' ');
    assert.match(text, /\[info\] Claude Manager 0\.0\.1 activated in [\d.]+ ms/);
    assert.match(text, /Repositories from the editor: 1 open/);
    await wb.screenshot('07-log');
  });
});

describe('a window on a repository with a 10,000-message conversation', () => {
  const MESSAGES = 10_000;
  const AGENT = 'long conversation';
  let wb: Workbench;
  let repo: { repo: string; cleanup: () => void };
  before(async () => {
    repo = makeGitRepo({ name: 'long-chat-repo' });
    wb = await openWorkbench({
      folder: repo.repo,
      machineSettings: { 'claudeManager.claudePath': findClaudeBinary() },
      // Stored before the editor starts: the store is one process's at a time.
      seed: async (profile) => {
        const { stored } = await seedLongConversation(storeDirOf(profile), repo.repo, AGENT, MESSAGES);
        assert.equal(stored, MESSAGES);
      },
    });
  });
  after(async () => {
    await wb?.close();
    repo?.cleanup();
  });

  it('scrolls a 10,000-message chat back to its first message, with the DOM kept small all the way', async () => {
    const page = wb.page;
    const view = await showAgentsView(page);
    // A worktree of idle agents starts closed: opened, then the agent's Open Chat.
    const worktree = view.locator('.monaco-list-row', { hasText: 'main worktree' });
    await worktree.waitFor({ timeout: 60_000 });
    if ((await worktree.getAttribute('aria-expanded')) !== 'true') {
      await dismissHovers(page);
      await worktree.click();
    }
    const row = view.locator('.monaco-list-row', { hasText: AGENT }).last();
    await row.waitFor({ timeout: 30_000 });
    await clickRowAction(row, 'Open Chat');
    const chat = webviewFrame(page);
    // The latest page first: the last turn's closing reply.
    await chat.locator('[data-testid="assistant-message"]', { hasText: `Done with case ${MESSAGES - 1}; the tests pass.` }).waitFor({ timeout: 60_000 });
    const list = chat.locator('.virtual-list');
    // To the top again and again, as a person dragging the scroll bar up would: each time an older
    // page loads above, and the list keeps the row that was first where it was (so it is no longer
    // at the top). Each step waits until the first row changes (a page arrived), or a moment when it
    // does not; the top is reached when the list stays at the top with the first message first.
    const samples: { elements: number; rows: number; top: number; first: string }[] = [];
    const reached = (s: { top: number; first: string } | undefined) => s !== undefined && s.top === 0 && /^\s*You\s*Step 1: /.test(s.first);
    const deadline = Date.now() + 120_000;
    while (!reached(samples.at(-1))) {
      if (Date.now() > deadline) throw new Error(`The first message was not reached in 2 minutes, after ${samples.length} scrolls; the list starts at: ${samples.at(-1)?.first}`);
      // (No named function in here: the test's compiler would wrap it in a helper the page lacks.)
      const batch = await list.evaluate(async (el, budgetMs) => {
        const taken: { elements: number; rows: number; top: number; first: string }[] = [];
        const started = performance.now();
        while (performance.now() - started < budgetMs) {
          const before = el.querySelector('.row')?.getAttribute('data-key');
          el.scrollTop = 0;
          el.dispatchEvent(new Event('scroll'));
          const asked = performance.now();
          while (el.querySelector('.row')?.getAttribute('data-key') === before && performance.now() - asked < 1500) await new Promise((resolve) => setTimeout(resolve, 10));
          const text = el.querySelector('.row')?.textContent ?? '';
          taken.push({ elements: el.ownerDocument.getElementsByTagName('*').length, rows: el.querySelectorAll('.row').length, top: el.scrollTop, first: text.slice(0, 80) });
          if (el.scrollTop === 0 && /^\s*You\s*Step 1: /.test(text)) break;
        }
        return taken;
      }, 5_000);
      samples.push(...batch);
      for (const [i, s] of batch.entries()) {
        assert.ok(s.elements < 300, `scroll ${samples.length - batch.length + i + 1}: ${s.elements} elements in the chat's document (${s.rows} rows), at "${s.first}"`);
      }
    }
    // Reached, and shown: the first message of the conversation, at the top of the list, in view.
    const opening = chat.locator('[data-testid="user-message"]', { hasText: 'Step 1: make the parser handle case 0.' });
    await opening.waitFor({ timeout: 10_000 });
    const [listBox, openingBox] = [await list.boundingBox(), await opening.boundingBox()];
    assert.ok(listBox && openingBox && openingBox.y >= listBox.y - 1 && openingBox.y + openingBox.height <= listBox.y + listBox.height, `the first message is in view: ${JSON.stringify({ listBox, openingBox })}`);
    assert.equal(await list.evaluate((el) => el.scrollTop), 0, 'at the top');
    const most = Math.max(...samples.map((s) => s.elements));
    process.stdout.write(`# ${samples.length} scrolls to the first of ${MESSAGES} messages; at most ${most} elements in the chat's document\n`);
    await wb.screenshot('10-chat-10000-messages-top');
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

describe('a window in Restricted Mode on a repository it has stored', () => {
  const AGENT = 'trapped agent';
  let wb: Workbench;
  let repo: { repo: string; cleanup: () => void };
  let scripts: string;
  let marker: string;
  before(async () => {
    repo = makeGitRepo({ name: 'trapped-repo' });
    const gitHere = (...args: string[]) => execFileSync('git', args, { cwd: repo.repo, stdio: 'pipe', env: isolatedGitEnv() });
    gitHere('worktree', 'add', '--quiet', '-b', 'side', join(dirname(repo.repo), 'trapped-side'));
    // `git status` and `git ls-files` run the program a repository names as core.fsmonitor: this
    // one leaves a mark. Set once the repository is stored (storing it runs neither).
    scripts = mkdtempSync(join(tmpdir(), 'cm-fsmonitor-'));
    marker = join(scripts, 'ran');
    const hook = join(scripts, 'fsmonitor.sh');
    writeFileSync(hook, `#!/bin/sh\necho "$PWD $*" >> '${marker}'\nexit 1\n`, { mode: 0o755 });
    wb = await openWorkbench({
      folder: repo.repo,
      workspaceTrust: true,
      settings: { 'security.workspace.trust.startupPrompt': 'never' },
      machineSettings: { 'claudeManager.claudePath': findClaudeBinary() },
      seed: async (profile) => {
        await seedLongConversation(storeDirOf(profile), repo.repo, AGENT, 4);
        gitHere('config', 'core.fsmonitor', hook);
        gitHere('status');
        assert.ok(existsSync(marker), 'the trap is live: git status runs it');
        rmSync(marker);
      },
    });
  });
  after(async () => {
    await wb?.close();
    repo?.cleanup();
    if (scripts) rmSync(scripts, { recursive: true, force: true });
  });

  it('lists the stored repository from the store, refuses every git command with how to trust, and never runs git there', async () => {
    const page = wb.page;
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 30_000 });
    const view = await showAgentsView(page);
    // The stored rows, drawn without git.
    await view.locator('.monaco-list-row', { hasText: 'trapped-repo' }).first().waitFor({ timeout: 30_000 });
    const main = view.locator('.monaco-list-row', { hasText: 'main worktree' });
    await main.waitFor({ timeout: 30_000 });
    await view.locator('.monaco-list-row', { hasText: 'trapped-side' }).waitFor({ timeout: 30_000 });
    await wb.screenshot('09-untrusted-stored-repository');
    // Drawing the tree reads no status (a trusted window's tree reads each worktree's at once).
    await page.waitForTimeout(3000);
    assert.equal(existsSync(marker), false, `drawing the tree ran the repository's fsmonitor in Restricted Mode: ${existsSync(marker) ? readFileSync(marker, 'utf8') : ''}`);
    const refused = page.locator('.notification-toast', { hasText: 'runs no git while this workspace is not trusted' });
    for (const title of [
      'Claude Manager: Refresh',
      'Claude Manager: Add Repository…',
      'Claude Manager: New Worktree…',
      'Claude Manager: Switch Branch…',
      'Claude Manager: Remove Worktree…',
      'Claude Manager: Prune Missing Worktrees',
    ]) {
      await runFromPalette(page, title);
      const toast = refused.first();
      await toast.waitFor({ timeout: 15_000 });
      assert.match(await toast.innerText(), /Manage Workspace Trust/, `${title}: the refusal offers to trust`);
      if (await page.locator('.quick-input-widget').isVisible()) await page.keyboard.press('Escape');
      await runFromPalette(page, 'Notifications: Clear All Notifications');
      await refused.first().waitFor({ state: 'detached', timeout: 10_000 });
    }
    // The chat opens, but takes no message (and so offers no "@" file list, which runs git).
    if ((await main.getAttribute('aria-expanded')) !== 'true') {
      await dismissHovers(page);
      await main.click();
    }
    const row = view.locator('.monaco-list-row', { hasText: AGENT }).last();
    await row.waitFor({ timeout: 30_000 });
    await clickRowAction(row, 'Open Chat');
    const chat = webviewFrame(page);
    const composer = chat.getByLabel('Message to the agent', { exact: true });
    await composer.waitFor({ timeout: 30_000 });
    assert.equal(await composer.isDisabled(), true, 'the composer is disabled in Restricted Mode');
    // The status poll (every 5 s while the tree is in view) had time to run.
    await page.waitForTimeout(6000);
    assert.equal(existsSync(marker), false, `git ran the repository's fsmonitor in Restricted Mode: ${existsSync(marker) ? readFileSync(marker, 'utf8') : ''}`);
  });
});
