// Real git repositories in temp folders for tests and benchmarks, isolated from the user's own
// git configuration (signing, hooks, templates), so they behave the same on every machine.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The environment git runs in for fixtures: no global or system configuration, no prompts. */
export function isolatedGitEnv() {
  return { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };
}

/**
 * A repository named `name` (the folder name the editor shows) on branch `main`, with one commit
 * holding `files`. `cleanup()` removes it with its temp parent.
 * @param {{ name?: string, files?: Record<string, string> }} [options]
 * @returns {{ repo: string, cleanup: () => void }}
 */
export function makeGitRepo({ name = 'sample-repo', files = { 'README.md': '# sample\n' } } = {}) {
  const parent = mkdtempSync(join(tmpdir(), 'cm-repo-'));
  const repo = join(parent, name);
  mkdirSync(repo);
  const cleanup = () => rmSync(parent, { recursive: true, force: true });
  const git = (...args) => execFileSync('git', args, { cwd: repo, stdio: 'pipe', env: isolatedGitEnv() });
  try {
    git('init', '--quiet', '--initial-branch=main');
    git('config', 'user.name', 'Claude Manager Tests');
    git('config', 'user.email', 'tests@example.invalid');
    git('config', 'commit.gpgsign', 'false');
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(dirname(join(repo, file)), { recursive: true });
      writeFileSync(join(repo, file), content);
    }
    git('add', '--all');
    git('commit', '--quiet', '--message', 'initial commit');
  } catch (error) {
    cleanup();
    throw new Error(`Could not make a test repository: ${error.stderr?.toString() || error.message}`, { cause: error });
  }
  return { repo, cleanup };
}
