#!/usr/bin/env node
// Stands in for a VS Code executable for @vscode/test-electron's runTests: takes the same
// --extensionDevelopmentPath= / --extensionTestsPath= arguments, runs the tests in a real
// extension host of code-server, driven by Chromium, and exits with the tests' exit code.
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { format } from 'node:util';
import { launchChromium, makeProfileDir, startCodeServer, workbenchUrl } from './lib/codeServer.mjs';
import { ensureEditorTestEnv } from './lib/testEnv.mjs';

const NOISE = [/ENOTFOUND open-vsx\.org/, /authentication provider 'github'/];
const TIMEOUT_MS = Number(process.env.CM_HOST_TEST_TIMEOUT_MS ?? 10 * 60_000);

function parseArgs(argv) {
  const options = { developmentPaths: [], testsPath: undefined, folder: undefined };
  for (const arg of argv) {
    if (arg.startsWith('--extensionDevelopmentPath=')) options.developmentPaths.push(resolve(arg.split('=')[1]));
    else if (arg.startsWith('--extensionTestsPath=')) options.testsPath = resolve(arg.split('=')[1]);
    else if (!arg.startsWith('-')) options.folder = resolve(arg);
    // Everything else (--no-sandbox, --user-data-dir=…) is for a desktop VS Code; the server
    // gets a fresh profile of its own below.
  }
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (!options.testsPath || options.developmentPaths.length === 0) {
    throw new Error('usage: codeServerLauncher --extensionDevelopmentPath=DIR --extensionTestsPath=FILE [FOLDER]');
  }
  const env = ensureEditorTestEnv();
  const profile = makeProfileDir({ prefix: 'cm-host-tests-' });
  let server;
  let browser;
  // runTests forwards Ctrl+C as SIGINT: end the editor and the browser too, not only this process.
  const cleanUp = async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    rmSync(profile, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
  }
  // (startCodeServer also ends its server if this process exits any other way.)
  try {
    server = await startCodeServer({ ...env, profile, smokeTestDriver: true });
    const remote = (path) => `vscode-remote://127.0.0.1:${server.port}${path}`;
    const payload = [
      ...options.developmentPaths.map((p) => ['extensionDevelopmentPath', remote(p)]),
      ['extensionTestsPath', remote(options.testsPath)],
    ];
    browser = await launchChromium(env.chromium);
    const page = await browser.newPage();
    let settle;
    const exited = new Promise((r) => (settle = r));
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const line = format(...(Array.isArray(args) ? args : [args]));
      // The closed network makes the gallery and GitHub sign-in complain; that is not a failure.
      if (NOISE.some((n) => n.test(line))) return;
      (type === 'error' ? process.stderr : process.stdout).write(`${line}\n`);
    });
    await page.exposeFunction('codeAutomationExit', (code) => settle(Number(code)));
    page.on('pageerror', (error) => process.stderr.write(`[workbench] ${error.message}\n`));
    await page.goto(workbenchUrl(server, options.folder, payload));
    const timer = setTimeout(() => settle('timeout'), TIMEOUT_MS);
    const code = await exited;
    clearTimeout(timer);
    if (code === 'timeout') {
      process.stderr.write(`Extension-host tests did not finish within ${TIMEOUT_MS} ms. code-server said:\n${server.logs.join('').slice(-4000)}\n`);
      return 1;
    }
    return code;
  } finally {
    await cleanUp();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  },
);
