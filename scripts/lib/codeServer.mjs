// Starts a real VS Code (code-server on Node 24) on 127.0.0.1 and a Chromium to look at it.
// Used by the extension-host tests, the UI journeys, the benchmarks and `npm start`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * A fresh folder for one editor's profile: user data, extensions, XDG data and temp files.
 * `settings` go to the user settings; `machineSettings` to the remote machine's settings, the
 * only place a remote window reads machine-scoped settings (such as claudeManager.claudePath) from.
 */
export function makeProfileDir({ prefix = 'cm-editor-', dir, settings = {}, machineSettings = {} } = {}) {
  const root = dir ?? mkdtempSync(join(tmpdir(), prefix));
  for (const sub of ['ud', 'ext', 'xdg', 'tmp']) mkdirSync(join(root, sub), { recursive: true });
  // Settings that keep a test editor quiet and deterministic.
  mkdirSync(join(root, 'ud', 'User'), { recursive: true });
  writeFileSync(
    join(root, 'ud', 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.enableExperiments': false,
        'telemetry.telemetryLevel': 'off',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'update.mode': 'none',
        'git.openRepositoryInParentFolders': 'always',
        'chat.disableAIFeatures': true,
        'window.commandCenter': false,
        ...settings,
      },
      null,
      2,
    ),
  );
  mkdirSync(join(root, 'ud', 'Machine'), { recursive: true });
  writeFileSync(join(root, 'ud', 'Machine', 'settings.json'), JSON.stringify(machineSettings, null, 2));
  writeFileSync(join(root, 'config.yaml'), 'auth: none\ncert: false\n');
  return root;
}

/**
 * Installs a packaged .vsix into an extensions folder with code-server's own installer, the way a
 * user installs it: what the tests then load is exactly what ships.
 */
export function installVsix({ node24, codeServer }, vsix, extensionsDir) {
  const r = spawnSync(
    node24,
    [join(codeServer, 'out', 'node', 'entry.js'), '--extensions-dir', extensionsDir, '--install-extension', vsix],
    { encoding: 'utf8', env: { ...process.env, XDG_DATA_HOME: join(extensionsDir, '..', 'xdg') } },
  );
  if (r.status !== 0) throw new Error(`Installing ${vsix} failed:\n${r.stdout}\n${r.stderr}`);
}

async function waitForHealth(url, child, logs, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`code-server exited with code ${child.exitCode} before it answered:\n${logs.join('').slice(-3000)}`);
    }
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not answer ${url}/healthz within ${timeoutMs} ms:\n${logs.join('').slice(-3000)}`);
}

/** Process groups of the code-servers this process started and has not stopped yet. */
const liveGroups = new Set();
let exitHooked = false;

/**
 * code-server runs in a process group of its own, which Ctrl+C in the terminal does not reach:
 * make sure that an interrupted or failing run ends every server it started.
 */
function endServersOnExit() {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const pid of liveGroups) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    if (process.listenerCount(signal) === 0) process.once(signal, () => process.exit(130));
  }
}

/**
 * Starts code-server detached in its own process group (so stop() ends everything it started).
 * @param {{ node24: string, codeServer: string, profile: string, port?: number,
 *   smokeTestDriver?: boolean, workspaceTrust?: boolean, env?: Record<string, string>,
 *   quiet?: boolean }} options
 */
export async function startCodeServer(options) {
  const port = options.port ?? (await freePort());
  const { profile } = options;
  const args = [
    join(options.codeServer, 'out', 'node', 'entry.js'),
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--user-data-dir', join(profile, 'ud'),
    '--extensions-dir', join(profile, 'ext'),
    '--config', join(profile, 'config.yaml'),
    '--ignore-last-opened',
  ];
  if (!options.workspaceTrust) args.push('--disable-workspace-trust');
  // Without this a built VS Code ignores the extension-test payload in the URL.
  if (options.smokeTestDriver) args.push('--vscode-option', 'enable-smoke-test-driver');
  const child = spawn(options.node24, args, {
    env: {
      ...process.env,
      XDG_DATA_HOME: join(profile, 'xdg'),
      TMPDIR: join(profile, 'tmp'),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  endServersOnExit();
  liveGroups.add(child.pid);
  child.once('exit', () => liveGroups.delete(child.pid));
  const logs = [];
  const keep = (chunk) => {
    logs.push(chunk.toString());
    if (logs.length > 400) logs.splice(0, logs.length - 400);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, 3000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForHealth(url, child, logs, 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, child, logs, stop };
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Launches Debian's (or the given) Chromium through playwright-core; never a downloaded browser. */
export async function launchChromium(executablePath, { headless = true } = {}) {
  const { chromium } = await import('playwright-core');
  // The caller handles signals, so that it can end code-server as well as the browser.
  return chromium.launch({ executablePath, headless, args: CHROMIUM_ARGS, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false });
}

/** The workbench URL for a folder, optionally with an extension-test payload. */
export function workbenchUrl(server, folder, payload) {
  const params = new URLSearchParams();
  if (folder) params.set('folder', folder);
  if (payload) params.set('payload', JSON.stringify(payload));
  return `${server.url}/?${params.toString()}`;
}
