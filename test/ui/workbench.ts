// Opens the real workbench (code-server) in Chromium with the built extension installed, the way
// a person would see it, for the UI journeys.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'node:test';
import type { Browser, FrameLocator, Locator, Page } from 'playwright-core';
import {
  launchChromium,
  makeProfileDir,
  startCodeServer,
  workbenchUrl,
} from '../../scripts/lib/codeServer.mjs';
import { findClaudeBinary } from '../helpers/claudeCli';

const root = join(__dirname, '..', '..');
export const screenshotDir = join(root, 'test-results', 'screenshots');
const failuresDir = join(root, 'test-results', 'failures');

/** The workbenches open now, for what a failed journey leaves behind. */
const open = new Set<Workbench>();

/** Every file under `dir` named `name`, depth first. */
function filesNamed(dir: string, name: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => (e.isDirectory() ? filesNamed(join(dir, e.name), name) : e.name === name ? [join(dir, e.name)] : []));
}

/**
 * When a journey fails, each open window's picture and the editor's logs are kept under
 * test-results/failures, and the end of the extension's own log is printed with the failure:
 * a journey that fails only on a loaded machine can then be read afterwards.
 */
export function keepWhatFailed(): void {
  afterEach(async (context) => {
    // `passed` is there from Node 20.12 (its types lag).
    const t = context as { name: string; passed?: boolean };
    if (t.passed !== false) return;
    const slug = t.name.replace(/[^a-zA-Z0-9]+/g, '-').slice(0, 60);
    let n = 0;
    for (const wb of open) {
      const name = `${slug}-${++n}`;
      mkdirSync(failuresDir, { recursive: true });
      // Every window of its editor (a journey may have opened a second one, in a context of its own).
      const pages = wb.page.context().browser()?.contexts().flatMap((c) => c.pages()) ?? wb.page.context().pages();
      for (const [i, page] of pages.entries()) await page.screenshot({ path: join(failuresDir, `${name}${pages.length > 1 ? `-window-${i + 1}` : ''}.png`) }).catch(() => undefined);
      const logs = join(wb.profile, 'ud', 'logs');
      cpSync(logs, join(failuresDir, `${name}-logs`), { recursive: true, force: true });
      for (const file of filesNamed(logs, 'Claude Manager.log')) {
        const tail = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-40).join('\n');
        console.log(`--- the end of the extension's log in window ${n} (${wb.url}) ---\n${tail}`);
      }
    }
  });
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the UI journeys through "npm test" (scripts/test.mjs).`);
  return value;
}

export interface Workbench {
  page: Page;
  url: string;
  /** The editor's profile folder (settings under ud/User and ud/Machine). */
  profile: string;
  screenshot(name: string): Promise<string>;
  /** A screenshot of one part of the window (the README's pictures are taken this way). */
  screenshotOf(locator: Locator, name: string, options?: { height?: number }): Promise<string>;
  close(): Promise<void>;
}

/** Starts code-server with the built extension installed and opens `folder` (or an empty window). */
export async function openWorkbench(
  options: {
    folder?: string;
    settings?: Record<string, unknown>;
    machineSettings?: Record<string, unknown>;
    /** Start the editor with workspace trust on (a folder opens untrusted, in Restricted Mode). */
    workspaceTrust?: boolean;
    /**
     * Fills the profile before the editor starts (e.g. the extension's store, which only one
     * process may have open: it is seeded here, then closed, before the extension opens it).
     */
    seed?: (profile: string) => Promise<void>;
  } = {},
): Promise<Workbench> {
  const profile = makeProfileDir({ prefix: 'cm-ui-', settings: options.settings ?? {}, machineSettings: options.machineSettings ?? {} });
  // The packaged extension, installed once by scripts/test.mjs.
  cpSync(required('CM_EXTENSIONS_DIR'), join(profile, 'ext'), { recursive: true });
  try {
    await options.seed?.(profile);
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  const server = await startCodeServer({
    node24: required('CM_NODE24'),
    codeServer: required('CM_CODE_SERVER'),
    profile,
    ...(options.workspaceTrust ? { workspaceTrust: true } : {}),
  });
  let browser: Browser | undefined;
  try {
    browser = await launchChromium(required('CM_CHROMIUM'));
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const url = workbenchUrl(server, options.folder);
    await page.goto(url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    // The activity bar is drawn once the extension host has registered contributions.
    await page.locator('.activitybar').waitFor({ timeout: 60_000 });
    mkdirSync(screenshotDir, { recursive: true });
    const opened = browser;
    const workbench: Workbench = {
      page,
      url,
      profile,
      async screenshot(name: string) {
        const file = join(screenshotDir, `${name}.png`);
        await page.screenshot({ path: file });
        return file;
      },
      async screenshotOf(locator: Locator, name: string, options: { height?: number } = {}) {
        const file = join(screenshotDir, `${name}.png`);
        const box = await locator.boundingBox();
        if (!box) throw new Error(`Nothing to take a picture of for ${name}: the element is not shown.`);
        // Only the top of a tall part (a sidebar is mostly empty below its rows).
        await page.screenshot({ path: file, clip: { ...box, height: Math.min(box.height, options.height ?? box.height) } });
        return file;
      },
      async close() {
        open.delete(workbench);
        await opened.close().catch(() => undefined);
        await server.stop();
        rmSync(profile, { recursive: true, force: true });
      },
    };
    open.add(workbench);
    return workbench;
  } catch (error) {
    await browser?.close().catch(() => undefined);
    await server.stop();
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
}

/**
 * The machine settings of a window whose agents run the real CLI offline against the mock API, with
 * a home of their own (`claudeManager.claudePath` is machine-scoped: a remote window reads it from
 * the remote's settings); `env` adds to the CLI's environment.
 */
export function agentMachineSettings(apiUrl: string, home: string, env: Record<string, string> = {}): Record<string, unknown> {
  return {
    'claudeManager.claudePath': findClaudeBinary(),
    'claudeManager.environment': { ANTHROPIC_BASE_URL: apiUrl, ANTHROPIC_API_KEY: 'test-key', HOME: home, CLAUDE_CODE_MAX_RETRIES: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1', ...env },
  };
}

/** Where the extension keeps its store in a profile: the globalStorage of publisher.name. */
export function storeDirOf(profile: string): string {
  return join(profile, 'ud', 'User', 'globalStorage', 'claude-manager.claude-manager', 'store');
}

/** Runs a command from the palette by its title, as a person would with F1. */
export async function runFromPalette(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`>${title}`);
  // The row of that very command, clicked: Enter would run the first row, which a recently used
  // or better-scoring command can take.
  const row = page.locator('.quick-input-list .monaco-list-row').filter({ has: page.getByText(title, { exact: true }) }).first();
  await row.waitFor();
  await row.click();
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

/** The Claude Manager activity-bar item. */
export function activityBarItem(page: Page) {
  return page.locator('.activitybar .action-item a[aria-label^="Claude Manager"]').first();
}

/** The document inside a webview panel (VS Code nests it in two iframes). */
export function webviewFrame(page: Page): FrameLocator {
  // The visible one: a hidden editor's webview may still be in the page.
  return page.frameLocator('iframe.webview.ready:visible').frameLocator('#active-frame');
}
