// Finds or installs what the editor-facing test layers need: Node 24 and code-server from the npm
// registry (cached per user, keyed by version, so fresh clones reuse them) and a Chromium from the
// system. Never silently skips: when something cannot be installed it names what to install.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, platform, arch } from 'node:os';
import { delimiter, join } from 'node:path';

export const NODE_VERSION = '24.21.0';
export const CODE_SERVER_VERSION = '4.139.1';

export function cacheRoot() {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'claude-manager-dev');
}

function log(msg) {
  process.stderr.write(`[test-env] ${msg}\n`);
}

/**
 * The environment for a nested npm: without the npm_* variables of an enclosing `npm test`, which
 * the inner npm would take as its own configuration (code-server's install script, for one,
 * reads the Node version from the inherited npm_config_user_agent and refuses to install).
 */
function cleanNpmEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key)) env[key] = value;
  }
  return { ...env, ...extra };
}

function run(cmd, args, options = {}) {
  const started = Date.now();
  const result = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...options });
  if (result.error) throw new Error(`${cmd} could not be run: ${result.error.message}`);
  if (result.status !== 0) {
    const tail = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} failed with code ${result.status}:\n${tail}`);
  }
  log(`${cmd} ${args.slice(0, 3).join(' ')}… took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result.stdout;
}

export function findOnPath(names) {
  const dirs = (process.env.PATH || '').split(delimiter).filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function hasApt() {
  return platform() === 'linux' && findOnPath(['apt-get']) !== undefined;
}

let aptUpdated = false;
function aptInstall(packages) {
  if (!aptUpdated) {
    run('apt-get', ['update'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    aptUpdated = true;
  }
  run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

function dpkgInstalled(pkg) {
  if (!findOnPath(['dpkg-query'])) return false;
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/** Ensures system packages are present; installs them with apt-get as root, else fails naming them. */
function ensureSystemPackages(packages, why) {
  const missing = packages.filter((p) => !dpkgInstalled(p));
  if (missing.length === 0) return;
  if (hasApt() && isRoot()) {
    log(`installing ${missing.join(', ')} with apt-get (${why})`);
    aptInstall(missing);
    return;
  }
  throw new Error(
    `Missing system packages for ${why}: ${missing.join(', ')}. ` +
      `Install them (on Debian/Ubuntu: sudo apt-get install ${missing.join(' ')}) and run again.`,
  );
}

/** Chromium from $CHROMIUM_PATH or PATH; installed with apt-get when possible. */
export function ensureChromium() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH points to ${fromEnv}, which does not exist.`);
    return fromEnv;
  }
  const names = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];
  let found = findOnPath(names);
  if (found) return found;
  if (hasApt() && isRoot()) {
    log('installing chromium with apt-get (UI tests)');
    aptInstall(['chromium']);
    found = findOnPath(names);
    if (found) return found;
  }
  throw new Error(
    'Chromium is needed for the editor tests and was not found on PATH. Install it ' +
      '(Debian/Ubuntu: apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome executable.',
  );
}

function npmPlatformNodePackage() {
  const os = platform() === 'win32' ? 'win' : platform();
  return `node-${os}-${arch()}@${NODE_VERSION}`;
}

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Holds a lock folder while `fn` runs, so that two runs sharing the cache (two clones, a CI run
 * beside a developer's) never install into, or delete, the same folder at once. A lock left by a
 * run that died is taken over after `staleMs`.
 */
function withLock(lockDir, fn, staleMs = 20 * 60_000) {
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      let age;
      try {
        age = Date.now() - statSync(lockDir).mtimeMs;
      } catch {
        continue; // released meanwhile
      }
      if (age > staleMs) {
        log(`taking over the stale lock ${lockDir}`);
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      log(`waiting for another run to finish installing (${lockDir})`);
      sleepSync(5000);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/** Installs an npm package set into a versioned cache folder once, atomically (temp folder + rename). */
function ensureCachedInstall(name, marker, install) {
  const dir = join(cacheRoot(), name);
  if (existsSync(join(dir, marker))) return dir;
  mkdirSync(cacheRoot(), { recursive: true });
  return withLock(`${dir}.lock`, () => {
    // Another run may have finished the install while this one waited for the lock.
    if (existsSync(join(dir, marker))) return dir;
    const tmp = `${dir}.partial-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      install(tmp);
      if (!existsSync(join(tmp, marker))) throw new Error(`Installing ${name} did not produce ${marker}.`);
      // Only an incomplete folder can be here: a complete one returned above, and we hold the lock.
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return dir;
  });
}

export function node24Dir() {
  return join(cacheRoot(), `node-${NODE_VERSION}`, 'node_modules', npmPlatformNodePackage().split('@')[0]);
}

/** Node 24 from the npm registry (code-server requires it). Returns the folder holding bin/node. */
export function ensureNode24() {
  const marker = join('node_modules', npmPlatformNodePackage().split('@')[0], 'bin', 'node');
  ensureCachedInstall(`node-${NODE_VERSION}`, marker, (tmp) => {
    log(`installing Node ${NODE_VERSION} from npm into ${tmp}`);
    writeFileSync(join(tmp, 'package.json'), JSON.stringify({ name: 'node-runtime', private: true }));
    run('npm', ['install', '--no-audit', '--no-fund', '--prefix', tmp, npmPlatformNodePackage()], { env: cleanNpmEnv() });
  });
  return node24Dir();
}

export function codeServerDir() {
  return join(cacheRoot(), `code-server-${CODE_SERVER_VERSION}`, 'node_modules', 'code-server');
}

/** code-server from npm, built under Node 24 against its headers. Returns the code-server package folder. */
export function ensureCodeServer() {
  const nodeDir = ensureNode24();
  const marker = join('node_modules', 'code-server', 'out', 'node', 'entry.js');
  const cached = join(cacheRoot(), `code-server-${CODE_SERVER_VERSION}`, marker);
  if (!existsSync(cached)) {
    // The kerberos module of code-server compiles against these headers.
    ensureSystemPackages(['libkrb5-dev'], 'building code-server');
  }
  ensureCachedInstall(`code-server-${CODE_SERVER_VERSION}`, marker, (tmp) => {
    log(`installing code-server ${CODE_SERVER_VERSION} from npm into ${tmp} (takes ~3 minutes)`);
    writeFileSync(
      join(tmp, 'package.json'),
      JSON.stringify({
        name: 'code-server-runtime',
        private: true,
        allowScripts: { [`code-server@${CODE_SERVER_VERSION}`]: true, argon2: true },
      }),
    );
    run('npm', ['install', '--no-audit', '--no-fund', '--prefix', tmp, `code-server@${CODE_SERVER_VERSION}`], {
      env: cleanNpmEnv({
        PATH: `${join(nodeDir, 'bin')}${delimiter}${process.env.PATH}`,
        npm_config_nodedir: nodeDir,
      }),
      maxBuffer: 64 * 1024 * 1024,
    });
  });
  return codeServerDir();
}

/**
 * The environment of a user whose editor runs in German (`LANG=de_DE.UTF-8`, `LANGUAGE=de`), for
 * the tests of what the extension does under the user's own locale. When the system has no
 * de_DE.UTF-8 locale, it is compiled into the cache with `localedef` (no root needed; `LOCPATH`
 * points the C library at it), after installing Debian's locale definitions (`locales`) with
 * apt-get as root if they are missing. Git's own German messages come with Debian's git package.
 * @returns {Record<string, string>}
 */
export function germanLocaleEnv() {
  /** @type {Record<string, string>} */
  const env = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(LC_|LANG)/.test(key) && value !== undefined) env[key] = value;
  Object.assign(env, { LANG: 'de_DE.UTF-8', LANGUAGE: 'de' });
  if (platform() !== 'linux') return env;
  const listed = spawnSync('locale', ['-a'], { encoding: 'utf8' });
  if (listed.status === 0 && /^de_DE\.utf-?8$/im.test(listed.stdout)) return env;
  const locpath = join(cacheRoot(), 'locales');
  const target = join(locpath, 'de_DE.UTF-8');
  if (!existsSync(join(target, 'LC_MESSAGES'))) {
    if (!existsSync('/usr/share/i18n/locales/de_DE')) ensureSystemPackages(['locales'], 'the tests under a German locale');
    if (!findOnPath(['localedef'])) throw new Error('localedef is needed to make the de_DE.UTF-8 locale for the tests; install the C library\'s tools (Debian: libc-bin).');
    mkdirSync(locpath, { recursive: true });
    withLock(`${target}.lock`, () => {
      if (existsSync(join(target, 'LC_MESSAGES'))) return;
      const tmp = `${target}.partial-${process.pid}`;
      rmSync(tmp, { recursive: true, force: true });
      // localedef exits with 1 when it only warned; what counts is that the locale was written.
      const made = spawnSync('localedef', ['-i', 'de_DE', '-f', 'UTF-8', tmp], { encoding: 'utf8' });
      if (!existsSync(join(tmp, 'LC_MESSAGES'))) {
        rmSync(tmp, { recursive: true, force: true });
        throw new Error(`localedef could not make the de_DE.UTF-8 locale: ${made.error?.message ?? `${made.stderr}`.trim()}`);
      }
      rmSync(target, { recursive: true, force: true });
      renameSync(tmp, target);
      log(`made the de_DE.UTF-8 locale in ${locpath}`);
    });
  }
  env.LOCPATH = locpath;
  return env;
}

/** Everything the editor layers need, installed if missing. */
export function ensureEditorTestEnv() {
  const chromium = ensureChromium();
  const codeServer = ensureCodeServer();
  return { chromium, codeServer, node24: join(node24Dir(), 'bin', 'node') };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const env = ensureEditorTestEnv();
  process.stdout.write(`${JSON.stringify(env, null, 2)}\n`);
}
