// `npm test`: static checks, then the three test layers, each against real parts:
//   unit — src/services under Node's test runner, with real git and the real claude CLI
//          against the mock Messages API in test/mocks;
//   host — mocha inside a real VS Code extension host (code-server), through @vscode/test-electron;
//   ui   — journeys in Chromium through the real workbench, with screenshots.
// Installs what the layers need when it is missing (see scripts/lib/testEnv.mjs); a layer that
// cannot run fails, it is never skipped. `npm test -- unit host` runs only the named stages.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installVsix } from './lib/codeServer.mjs';
import { makeGitRepo } from './lib/gitFixture.mjs';
import { ensureEditorTestEnv } from './lib/testEnv.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const STAGES = ['check', 'unit', 'host', 'ui'];
const requested = process.argv.slice(2).filter((a) => STAGES.includes(a));
const unknown = process.argv.slice(2).filter((a) => !STAGES.includes(a));
if (unknown.length) {
  process.stderr.write(`Unknown stage(s): ${unknown.join(', ')}. Stages: ${STAGES.join(', ')}.\n`);
  process.exit(2);
}
const stages = requested.length ? STAGES.filter((s) => requested.includes(s)) : STAGES;

const totals = { passed: 0, failed: 0 };

// Tests record what they measured of reliability here (test/helpers/reliability.ts); `npm run
// reliability` makes docs/reliability.md from it. A run that leaves stages out keeps the others'.
const reliabilityOut = join(root, 'test-results', 'reliability.jsonl');
mkdirSync(dirname(reliabilityOut), { recursive: true });
if (!requested.length) rmSync(reliabilityOut, { force: true });
process.env.CM_RELIABILITY_OUT = reliabilityOut;
// The commit the figures are of (a checkout with changes says so).
try {
  const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  writeFileSync(`${reliabilityOut}.commit`, `${git('rev-parse', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') ? ' with uncommitted changes' : ''}\n`);
} catch {
  rmSync(`${reliabilityOut}.commit`, { force: true });
}
const timings = [];
/** What each stage's failing tests printed, repeated at the end: a long run's log is often read from its tail. */
const failures = [];

/** Node's spec reporter repeats every failing test, with its error, after "✖ failing tests:". */
function noteFailures(stage, out) {
  const at = out.lastIndexOf('✖ failing tests:');
  if (at < 0) return;
  const text = out.slice(at);
  failures.push(`--- ${stage} ---\n${text.length > 6000 ? `${text.slice(0, 6000)}\n… (${text.length - 6000} more characters above, in the stage's output)` : text}`);
}

function heading(text) {
  process.stdout.write(`\n=== ${text} ===\n`);
}

/** Runs a command, streaming its output, and returns its exit code and what it printed. */
function run(cmd, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      out += d;
      process.stderr.write(d);
    });
    child.on('error', (error) => resolve({ code: 1, out: `${out}\n${error.message}` }));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

function findTests(dir, suffix) {
  const found = [];
  const walk = (d) => {
    for (const entry of readdirSync(d)) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(suffix)) found.push(relative(root, p));
    }
  };
  walk(join(root, dir));
  return found.sort();
}

/** Node's test runner (spec reporter) ends with `ℹ pass N` / `ℹ fail N`. */
function countNodeTests(out) {
  const pass = [...out.matchAll(/^ℹ pass (\d+)$/gm)].pop();
  const fail = [...out.matchAll(/^ℹ fail (\d+)$/gm)].pop();
  return { passed: Number(pass?.[1] ?? 0), failed: Number(fail?.[1] ?? 0) };
}

const stageRunners = {
  async check() {
    const tsc = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', 'tsconfig.json']);
    const tscWeb = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', 'src/webview/tsconfig.json']);
    const tscWebTests = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', 'test/webview/tsconfig.json']);
    const lint = await run(process.execPath, [join(root, 'node_modules/eslint/bin/eslint.js'), '.']);
    const failed = [tsc, tscWeb, tscWebTests, lint].filter((r) => r.code !== 0).length;
    if (failed) process.stderr.write('Type checking or lint failed (see above).\n');
    return { passed: 0, failed };
  },

  async unit() {
    const files = findTests('test/services', '.test.ts');
    if (files.length === 0) throw new Error('No service tests found under test/services.');
    const r = await run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files]);
    noteFailures('unit', r.out);
    const counts = countNodeTests(r.out);
    if (r.code !== 0 && counts.failed === 0) counts.failed = 1;
    // The webview's Preact views, rendered under Node with the webview's compiler settings (JSX).
    const views = findTests('test/webview', '.test.ts');
    if (views.length === 0) throw new Error('No webview component tests found under test/webview.');
    const w = await run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...views], {
      env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'test', 'webview', 'tsconfig.json') },
    });
    noteFailures('unit (webview)', w.out);
    const viewCounts = countNodeTests(w.out);
    if (w.code !== 0 && viewCounts.failed === 0) viewCounts.failed = 1;
    return { passed: counts.passed + viewCounts.passed, failed: counts.failed + viewCounts.failed };
  },

  async host() {
    ensureEditorTestEnv();
    const build = await run(process.execPath, ['esbuild.mjs']);
    if (build.code !== 0) return { passed: 0, failed: 1 };
    const { runTests } = await import('@vscode/test-electron');
    const workspace = makeGitRepo({ name: 'sample-repo' });
    // The mocha run inside the extension host writes its counts here (test/host/index.ts).
    const resultsDir = mkdtempSync(join(tmpdir(), 'cm-host-results-'));
    const resultsFile = join(resultsDir, 'results.json');
    let code = 0;
    try {
      await runTests({
        vscodeExecutablePath: join(root, 'scripts', 'codeServerLauncher.mjs'),
        extensionDevelopmentPath: root,
        extensionTestsPath: join(root, 'out', 'test', 'host', 'index.js'),
        launchArgs: [workspace.repo],
        extensionTestsEnv: { CM_HOST_RESULTS: resultsFile, CM_RELIABILITY_OUT: reliabilityOut },
      });
    } catch (error) {
      process.stderr.write(`${error.message}\n`);
      code = 1;
    }
    let counts = { passed: 0, failed: 0 };
    try {
      counts = JSON.parse(readFileSync(resultsFile, 'utf8'));
    } catch {
      process.stderr.write('The extension-host tests reported no results.\n');
    }
    workspace.cleanup();
    rmSync(resultsDir, { recursive: true, force: true });
    if (code !== 0 && counts.failed === 0) counts.failed = 1;
    return counts;
  },

  async ui() {
    const env = ensureEditorTestEnv();
    // The journeys run the packaged .vsix, installed as a user would: what ships is what is tested.
    const pack = await run('npm', ['run', '--silent', 'package']);
    if (pack.code !== 0) return { passed: 0, failed: 1 };
    const installed = mkdtempSync(join(tmpdir(), 'cm-vsix-'));
    mkdirSync(join(installed, 'ext'));
    installVsix(env, join(root, 'dist', 'claude-manager.vsix'), join(installed, 'ext'));
    rmSync(join(root, 'test-results', 'screenshots'), { recursive: true, force: true });
    const files = findTests('test/ui', '.test.ts');
    if (files.length === 0) throw new Error('No UI journeys found under test/ui.');
    // CM_UI_ONLY=<pattern> runs only the journeys whose names match (while working on them).
    const only = process.env.CM_UI_ONLY ? [`--test-name-pattern=${process.env.CM_UI_ONLY}`] : [];
    const r = await run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...only, ...files], {
      env: {
        ...process.env,
        CM_CHROMIUM: env.chromium,
        CM_CODE_SERVER: env.codeServer,
        CM_NODE24: env.node24,
        CM_EXTENSIONS_DIR: join(installed, 'ext'),
      },
    });
    rmSync(installed, { recursive: true, force: true });
    noteFailures('ui', r.out);
    const counts = countNodeTests(r.out);
    if (r.code !== 0 && counts.failed === 0) counts.failed = 1;
    return counts;
  },
};

for (const stage of stages) {
  heading(`${stage}`);
  const started = Date.now();
  let counts;
  try {
    counts = await stageRunners[stage]();
  } catch (error) {
    process.stderr.write(`${stage}: ${error.stack ?? error}\n`);
    counts = { passed: 0, failed: 1 };
  }
  if (stage !== 'check' && counts.passed + counts.failed === 0) {
    // A layer that ran nothing proves nothing: count it as a failure, never a pass.
    process.stderr.write(`${stage}: no test ran.\n`);
    counts = { passed: 0, failed: 1 };
  }
  const seconds = (Date.now() - started) / 1000;
  timings.push({ stage, seconds, ...counts });
  totals.passed += counts.passed;
  totals.failed += counts.failed;
}

if (failures.length) {
  heading('failures');
  process.stdout.write(`${failures.join('\n')}\n`);
}
heading('summary');
for (const t of timings) {
  process.stdout.write(`${t.stage.padEnd(6)} ${t.seconds.toFixed(1).padStart(7)} s   ${t.passed} passed, ${t.failed} failed\n`);
}
process.stdout.write(`${totals.passed} passed, ${totals.failed} failed\n`);
process.exit(totals.failed > 0 ? 1 : 0);
