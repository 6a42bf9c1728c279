import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { ClaudeManagerError } from './errors';
import type { Logger } from './logger';
import { runProcess } from './processRunner';

/** Where the CLI was found and why that place was chosen. */
export interface CliLocation {
  path: string;
  source: 'setting' | 'path' | 'installLocation';
}

export interface LocateOptions {
  /** `claudeManager.claudePath`: a bare command name is looked up on PATH, a path is used as is. */
  configured?: string;
  /** Defaults to process.env.PATH. */
  pathEnv?: string;
  /** Defaults to the user's home folder. */
  home?: string;
  platform?: NodeJS.Platform;
}

export const INSTALL_HINT =
  'Install it with "npm install -g @anthropic-ai/claude-code" (or the installer from the Claude Code docs), ' +
  'or set "claudeManager.claudePath" to the claude executable.';

async function isExecutableFile(path: string, platform: NodeJS.Platform): Promise<boolean> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return false;
    if (platform !== 'win32') await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** On Windows only the native .exe: npm's .cmd shims cannot be spawned without a shell. */
function executableNames(name: string, platform: NodeJS.Platform): string[] {
  return platform === 'win32' && !/\.exe$/i.test(name) ? [`${name}.exe`] : [name];
}

/**
 * Places the CLI's installers put it, for remote hosts whose PATH is thinner than a login
 * shell's: the native installer's ~/.local/bin, the older local install, npm's user prefix,
 * and the system-wide bins.
 */
export function usualInstallLocations(home: string, platform: NodeJS.Platform): string[] {
  if (platform === 'win32') {
    return [
      join(home, '.local', 'bin', 'claude.exe'),
      join(home, 'AppData', 'Roaming', 'npm', 'node_modules', '@anthropic-ai', 'claude-code', 'bin', 'claude.exe'),
    ];
  }
  return [
    join(home, '.local', 'bin', 'claude'),
    join(home, '.claude', 'local', 'claude'),
    join(home, '.npm-global', 'bin', 'claude'),
    '/usr/local/bin/claude',
    '/opt/homebrew/bin/claude',
  ];
}

/**
 * Finds the claude CLI: the configured path, else the configured name (default `claude`) on
 * PATH, else the usual install locations. Rejects with CLI_NOT_FOUND naming where it looked.
 */
export async function locateClaudeCli(options: LocateOptions = {}): Promise<CliLocation> {
  const platform = options.platform ?? process.platform;
  const home = options.home ?? homedir();
  const configured = options.configured?.trim() || 'claude';
  const looksLikePath = isAbsolute(configured) || configured.includes('/') || configured.includes('\\');

  if (looksLikePath) {
    const resolved = configured.startsWith('~') ? join(home, configured.slice(1)) : configured;
    if (!isAbsolute(resolved)) {
      // Relative to what? The extension host's working directory is no place a user chose.
      throw new ClaudeManagerError(
        'CLI_NOT_FOUND',
        `"claudeManager.claudePath" is set to ${configured}, a relative path. ` +
          'Set it to the absolute path of the claude executable, or to a command name found on PATH.',
      );
    }
    if (await isExecutableFile(resolved, platform)) return { path: resolved, source: 'setting' };
    throw new ClaudeManagerError(
      'CLI_NOT_FOUND',
      `"claudeManager.claudePath" is set to ${configured}, but no executable file is there. ` +
        'Correct the setting, or clear it to use "claude" from PATH.',
    );
  }

  const dirs = (options.pathEnv ?? process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const dir of dirs) {
    for (const name of executableNames(configured, platform)) {
      const candidate = join(dir, name);
      if (await isExecutableFile(candidate, platform)) {
        return { path: candidate, source: configured === 'claude' ? 'path' : 'setting' };
      }
    }
  }
  if (configured === 'claude') {
    for (const candidate of usualInstallLocations(home, platform)) {
      if (await isExecutableFile(candidate, platform)) return { path: candidate, source: 'installLocation' };
    }
  }
  throw new ClaudeManagerError(
    'CLI_NOT_FOUND',
    `The Claude Code CLI ("${configured}") was not found on PATH` +
      (configured === 'claude' ? ' or in its usual install locations' : '') +
      `. ${INSTALL_HINT}`,
  );
}

/** Reads the CLI's version ("2.1.197") from `claude --version`. */
export async function readCliVersion(cliPath: string, logger?: Logger): Promise<string> {
  const result = await runProcess(cliPath, ['--version'], { timeoutMs: 15_000, ...(logger ? { logger } : {}) });
  // The CLI prints "2.1.197 (Claude Code)"; anything else is some other program.
  const match = /^\d+\.\d+\.\d+(?:[-+][\w.]+)?/.exec(result.stdout.trim());
  if (!match) {
    throw new ClaudeManagerError(
      'CLI_NOT_FOUND',
      `${cliPath} --version printed "${result.stdout.trim().slice(0, 200)}", which is not a Claude Code version. ` +
        `Check that "claudeManager.claudePath" points to the Claude Code CLI.`,
    );
  }
  return match[0];
}
