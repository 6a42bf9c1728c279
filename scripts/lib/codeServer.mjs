// Starts a real VS Code (code-server on Node 24) on 127.0.0.1 and a Chromium to look at it.
// Used by the extension-host tests, the UI journeys, the benchmarks and `npm start`.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, cpSync, readFileSync } from 'node:fs';
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

/** Copies the built extension into an extensions folder, as an installed extension would be. */
export function installExtensionCopy(projectDir, extensionsDir) {
  const pkg = JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8'));
  const target = join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  for (const entry of ['package.json', 'dist', 'media', 'migrations', 'README.md']) {
    try {
      cpSync(join(projectDir, entry), join(target, entry), { recursive: true });
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
    }
  }
  return target;
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
  return chromium.launch({ executablePath, headless, args: CHROMIUM_ARGS });
}

/** The workbench URL for a folder, optionally with an extension-test payload. */
export function workbenchUrl(server, folder, payload) {
  const params = new URLSearchParams();
  if (folder) params.set('folder', folder);
  if (payload) params.set('payload', JSON.stringify(payload));
  return `${server.url}/?${params.toString()}`;
}
