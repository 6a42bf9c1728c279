// Builds the extension (Node, CommonJS) and each webview panel (browser, Preact), plus the
// extension-host test bundles. `--production` minifies without source maps; `--watch` rebuilds.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const watch = args.has('--watch');
const withTests = !production || args.has('--tests');

/** Webview panels: one Preact app each, under src/webview/<panel>/main.tsx. */
export const PANELS = ['overview', 'chat', 'compare'];
/**
 * Scripts a webview adds to its page itself, when it needs them (with the page's nonce, from
 * beside its own script): the chat's code highlighter (src/webview/chat/highlight/loader.ts).
 */
export const WEBVIEW_LAZY = {
  chatHighlight: 'src/webview/chat/highlight/common.ts',
  chatHighlightMore: 'src/webview/chat/highlight/more.ts',
};

const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  legalComments: production ? 'none' : 'inline',
  logLevel: 'warning',
  metafile: true,
  define: { 'process.env.NODE_ENV': JSON.stringify(production ? 'production' : 'development') },
};

/**
 * Modules the extension `require()`s on first use. In its bundle each such call becomes
 * `require('./lazy.js')`, a bundle of its own that exports them all (src/extension/lazy.ts):
 * activation then compiles a third of the code. Static imports of them are left alone.
 */
const LAZY = /^(\.\.\/services\/agents\/agentRuntime|\.\.\/services\/workspaces\/worktreeSetup|\.\.\/services\/spawn\/spawnHost|\.\.\/services\/windows\/agentWindows|\.\/apiInputs|\.\.\/\.\.\/webview\/protocol|\.\.\/\.\.\/webview\/compareProtocol|\.\.\/\.\.\/webview\/overviewProtocol)$/;
const lazyPlugin = {
  name: 'claude-manager-lazy',
  setup(build) {
    build.onResolve({ filter: LAZY }, (args) => (args.kind === 'require-call' ? { path: './lazy.js', external: true } : undefined));
  },
};

/**
 * One `require('vscode')` in the extension's bundle, not one per module that imports it: the
 * editor answers each such call through its module interceptor, which works out which extension
 * asks (measured in the extension host: 0.15–0.5 ms a call, 4–15 ms for the 28 modules of the
 * bundle at activation). Every import of 'vscode' becomes the one module below, which requires it.
 */
const vscodeOncePlugin = {
  name: 'claude-manager-vscode-once',
  setup(build) {
    build.onResolve({ filter: /^vscode$/ }, (args) =>
      args.namespace === 'vscode-once' ? { path: 'vscode', external: true } : { path: 'vscode', namespace: 'vscode-once' },
    );
    build.onLoad({ filter: /.*/, namespace: 'vscode-once' }, () => ({ contents: "module.exports = require('vscode');", loader: 'js' }));
  },
};

const extensionOptions = {
  ...common,
  // The store (sql.js, the repositories, the message logs) runs in a worker thread started on
  // first use from a bundle of its own; the extension bundle holds only the thin client.
  entryPoints: {
    extension: 'src/extension/extension.ts',
    storeWorker: 'src/services/storage/storeWorker.ts',
    spawnWorker: 'src/services/spawn/spawnWorker.ts',
    // A process of its own that ends the agents' process groups if the extension host dies.
    agentWatchdog: 'src/services/agents/watchdogMain.ts',
    lazy: 'src/extension/lazy.ts',
  },
  plugins: [lazyPlugin, vscodeOncePlugin],
  outdir: 'dist',
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  mainFields: ['module', 'main'],
  // Let activate() report what the extension's own code costs: evaluating the bundle (from its
  // first line to its last) plus the activate call, apart from what the editor does in between.
  banner: { js: 'var __claudeManagerLoadStart = performance.now();' },
  footer: { js: 'var __claudeManagerLoadEnd = performance.now();' },
};

const webviewOptions = {
  ...common,
  entryPoints: { ...Object.fromEntries(PANELS.map((p) => [p, `src/webview/${p}/main.tsx`])), ...WEBVIEW_LAZY },
  outdir: 'dist/webview',
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  // Chromium's explicit compile hint (V8): every function of the file is compiled as the file is,
  // not on its first call. A panel calls most of its code in its first draw, where compiling
  // function by function (a first pass over the file, then each function again) took a third of
  // the chat's time from its start to its first page on screen.
  banner: { js: '//# allFunctionsCalledOnLoad' },
};

function hostTestEntries() {
  const dir = 'test/host';
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

const hostTestOptions = {
  ...common,
  minify: false,
  sourcemap: 'inline',
  entryPoints: hostTestEntries(),
  outdir: 'out/test/host',
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // mocha is loaded from node_modules at run time: it discovers test files itself.
  external: ['vscode', 'mocha'],
};

/** sql.js locates its .wasm at run time; ship it beside the bundle. */
function copyAssets() {
  mkdirSync('dist', { recursive: true });
  const wasm = join(dirname(require.resolve('sql.js')), 'sql-wasm.wasm');
  copyFileSync(wasm, 'dist/sql-wasm.wasm');
}

function writeMeta(results) {
  const outputs = {};
  for (const r of results) {
    for (const [file, info] of Object.entries(r.metafile?.outputs ?? {})) outputs[file] = info.bytes;
  }
  mkdirSync('dist', { recursive: true });
  writeFileSync('dist/build-meta.json', JSON.stringify({ production, outputs }, null, 2));
}

const configs = [extensionOptions, webviewOptions, ...(withTests ? [hostTestOptions] : [])];

if (watch) {
  copyAssets();
  const contexts = await Promise.all(configs.map((c) => esbuild.context(c)));
  await Promise.all(contexts.map((c) => c.watch()));
  process.stderr.write('[esbuild] watching for changes…\n');
} else {
  rmSync('dist', { recursive: true, force: true });
  rmSync('out', { recursive: true, force: true });
  const started = Date.now();
  const results = await Promise.all(configs.map((c) => esbuild.build(c)));
  copyAssets();
  writeMeta(results);
  process.stderr.write(
    `[esbuild] ${production ? 'production' : 'development'} build in ${Date.now() - started} ms\n`,
  );
}
