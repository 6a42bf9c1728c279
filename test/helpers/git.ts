// Real git repositories for the git tests: made with the git CLI, isolated from the machine's git
// configuration, removed after the suite.
import { execFileSync } from 'node:child_process';
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isolatedGitEnv, makeGitRepo } from '../../scripts/lib/gitFixture.mjs';
import { after } from 'node:test';

const identityEnv = {
  ...isolatedGitEnv(),
  GIT_AUTHOR_NAME: 'Claude Manager Tests',
  GIT_AUTHOR_EMAIL: 'tests@example.invalid',
  GIT_COMMITTER_NAME: 'Claude Manager Tests',
  GIT_COMMITTER_EMAIL: 'tests@example.invalid',
};

/** Runs git in `cwd` for a test's setup or check; returns its stdout, trimmed. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: identityEnv }).trim();
}

/** Writes `files` (path → content) under `dir`, making folders as needed. */
export function write(dir: string, files: Record<string, string>): void {
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), content);
  }
}

/** Commits `files` in `cwd`; returns the new commit's sha. */
export function commit(cwd: string, message: string, files: Record<string, string>): string {
  write(cwd, files);
  git(cwd, 'add', '--all');
  git(cwd, 'commit', '--quiet', '--message', message);
  return git(cwd, 'rev-parse', 'HEAD');
}

/** A repository on `main` with one commit, removed when the suite ends; its path is real (no symlinks). */
export function repository(name = 'sample-repo'): string {
  const { repo, cleanup } = makeGitRepo({ name }) as { repo: string; cleanup: () => void };
  after(cleanup);
  return realpathSync(repo);
}
