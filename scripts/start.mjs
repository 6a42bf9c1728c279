// `npm start`: builds in watch mode and opens VS Code with the extension loaded from this folder.
// Desktop VS Code (`code` on PATH) gets --extensionDevelopmentPath; otherwise a local code-server
// on 127.0.0.1 runs with the extension linked into its extensions folder, and its URL is printed.
// `npm start -- /path/to/folder` opens that folder (default: this project).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeProfileDir, startCodeServer, workbenchUrl } from './lib/codeServer.mjs';
import { cacheRoot, ensureCodeServer, findOnPath, node24Dir } from './lib/testEnv.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const folder = resolve(process.argv[2] ?? root);

function startWatch() {
  const child = spawn(process.execPath, ['esbuild.mjs', '--watch'], { cwd: root, stdio: 'inherit' });
  return child;
}

async function firstBuild() {
  await new Promise((done, fail) => {
    const child = spawn(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
    child.on('close', (code) => (code === 0 ? done() : fail(new Error('The build failed.'))));
  });
}

async function main() {
  await firstBuild();
  const watcher = startWatch();
  const code = findOnPath(['code', 'code-insiders']);
  if (code && !process.env.CM_START_CODE_SERVER) {
    process.stdout.write(`Opening ${folder} in ${code} with the extension in development mode.\n`);
    const editor = spawn(code, ['--new-window', `--extensionDevelopmentPath=${root}`, folder], { stdio: 'inherit' });
    editor.on('close', () => process.stdout.write('VS Code opened; the build keeps watching (Ctrl+C to stop).\n'));
    return;
  }

  const codeServer = ensureCodeServer();
  // A profile kept between runs, so settings and open editors survive a restart.
  const profile = join(cacheRoot(), 'start-profile');
  if (!existsSync(join(profile, 'config.yaml'))) makeProfileDir({ dir: profile });
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const link = join(profile, 'ext', `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  rmSync(link, { recursive: true, force: true });
  symlinkSync(root, link, 'dir');

  const port = Number(process.env.PORT ?? 8080);
  const server = await startCodeServer({
    node24: join(node24Dir(), 'bin', 'node'),
    codeServer,
    profile,
    port,
  });
  process.stdout.write(
    `\nVS Code (code-server) with Claude Manager: ${workbenchUrl(server, folder)}\n` +
      'The build rebuilds on change; reload the window (F1 → Developer: Reload Window) to load it. Ctrl+C stops.\n',
  );
  const stop = async () => {
    watcher.kill();
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
