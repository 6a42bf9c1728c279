import { stat, readdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ClaudeManagerError, untrustedGitError } from '../errors';
import { Limiter } from '../limiter';
import type { Logger } from '../logger';
import { ProcessError, runProcess, type SpawnFn } from '../processRunner';
import { type GitBranches, type GitStatus, type GitWorktree, parseBranches, parseStatus, parseWorktreeList } from './porcelain';

export type { GitBranches, GitStatus, GitWorktree } from './porcelain';

/** A repository as git sees it from any folder inside it (or inside one of its worktrees). */
export interface RepositoryInfo {
  /** The main worktree's folder: the repository's identity here. */
  mainPath: string;
  /** The shared git folder (`.git` of the main worktree). */
  commonDir: string;
}

/** What removing a worktree (or deleting a branch) would lose. */
export interface LossReport {
  /** Files with changes not committed: `XY path` as git status shows them. */
  uncommitted: string[];
  /** Commits reachable from nothing else: no other branch, remote branch or tag. Newest first, at most `LOSS_LIST_MAX`. */
  commits: { sha: string; subject: string }[];
  /** How many such commits there are in all. */
  commitCount: number;
}

export const LOSS_LIST_MAX = 20;

export interface GitServiceOptions {
  /** The git program: a path, or a name found on PATH (default "git"). */
  gitPath?: string;
  logger: Logger;
  /** Git processes run at once, across all repositories (default 4). */
  maxConcurrent?: number;
  /**
   * How long a git command may run before it is ended (default 60 s); commands that write a
   * worktree's files (adding, removing, switching) get `longTimeoutMs` (default 10 minutes).
   */
  timeoutMs?: number;
  longTimeoutMs?: number;
  /**
   * Whether the editor trusts the workspace (default: yes). A repository's own configuration runs
   * programs through git (`core.fsmonitor`, hooks, `diff.external`): no git runs in an untrusted one.
   */
  trusted?: () => boolean;
  /**
   * How git's processes are started (default: on this thread). The editor passes its spawn
   * worker's: a start forks the extension host, which blocks its thread for tens of milliseconds,
   * and fifty worktrees' status is fifty starts.
   */
  spawn?: SpawnFn;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_LONG_TIMEOUT_MS = 10 * 60_000;
/** A large repository's `ls-files` runs to tens of megabytes. */
const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

/**
 * The environment git runs in: the extension host's, with messages in English whatever the user's
 * locale (errors are recognised by git's words) and never a prompt for credentials. `LC_ALL=C`
 * outranks `LANG` and `LC_MESSAGES`; gettext ignores `LANGUAGE` under the "C" locale, and it is
 * dropped anyway (it would win under "C.UTF-8").
 */
export function gitEnvironment(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' };
  delete env.LANGUAGE;
  return env;
}

/** What a failed git command said, to map it to a clear error. */
function stderrOf(error: unknown): string {
  if (error instanceof ProcessError) return error.stderr || error.message;
  return error instanceof Error ? error.message : String(error);
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** What git said went wrong: its "fatal:"/"error:" lines when there are any (progress lines say nothing). */
function firstLines(text: string, lines = 3): string {
  const all = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const errors = all.filter((l) => /^(fatal|error): /.test(l));
  return (errors.length ? errors : all)
    .map((l) => l.replace(/^(fatal|error): /, ''))
    .slice(0, lines)
    .join(' ');
}

/**
 * The only door to git. Every command runs with an argument array in a given folder, at most
 * `maxConcurrent` at once, without optional locks (reading status never takes `index.lock` away
 * from an agent that is committing), in English, within a time limit that ends it with
 * everything it started, and never while the workspace is not trusted; every failure becomes a
 * ClaudeManagerError naming what failed and what to do.
 */
export class GitService {
  private readonly limiter: Limiter;
  private readonly gitPath: string;
  private environment: NodeJS.ProcessEnv | undefined;

  constructor(private readonly options: GitServiceOptions) {
    this.limiter = new Limiter(options.maxConcurrent ?? 4);
    this.gitPath = options.gitPath?.trim() || 'git';
  }

  /** Whether git may run now: not while the editor does not trust the workspace. */
  get trusted(): boolean {
    return this.options.trusted?.() ?? true;
  }

  /** Refuses with UNTRUSTED_WORKSPACE, naming `what` needed git, while git may not run. */
  requireTrust(what: string): void {
    if (!this.trusted) throw untrustedGitError(what);
  }

  /**
   * Runs `git <args>` in `cwd`; resolves with its stdout. `long`: the command writes a worktree's
   * files, and gets the longer time limit. `env`: added to git's environment (e.g. `GIT_EDITOR`).
   */
  async run(cwd: string, args: string[], what: string, options: { long?: boolean; env?: Readonly<Record<string, string>> } = {}): Promise<string> {
    this.requireTrust(what);
    const timeoutMs = options.long ? (this.options.longTimeoutMs ?? DEFAULT_LONG_TIMEOUT_MS) : (this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    return this.limiter.run(async () => {
      // Again once a slot is free: trust can be taken back while a command waits.
      this.requireTrust(what);
      try {
        // (The environment is copied once: copying process.env costs more than the rest of a start's setup.)
        const base = (this.environment ??= Object.freeze(gitEnvironment()));
        const result = await runProcess(this.gitPath, ['--no-optional-locks', '-c', 'core.quotepath=off', ...args], { cwd, env: options.env ? { ...base, ...options.env } : base, timeoutMs, maxOutputBytes: MAX_OUTPUT_BYTES, logger: this.options.logger, spawn: this.options.spawn });
        return result.stdout;
      } catch (error) {
        throw await this.mapError(error, what, cwd, args, timeoutMs);
      }
    });
  }

  private async mapError(error: unknown, what: string, cwd: string, args: readonly string[], timeoutMs: number): Promise<ClaudeManagerError> {
    const text = stderrOf(error);
    const fail = (code: ConstructorParameters<typeof ClaudeManagerError>[0], message: string) => new ClaudeManagerError(code, message, { cause: error });
    if (error instanceof ProcessError && error.reason === 'timeout') {
      const command = `git ${args.join(' ')}`;
      this.options.logger.warn(`${command} in ${cwd} did not finish within ${seconds(timeoutMs)}; it was ended with the processes it started.`);
      return fail(
        'GIT_FAILED',
        `${what} failed: "${command}" in ${cwd} did not finish within ${seconds(timeoutMs)} and was ended. Something made git wait: a hook or a core.fsmonitor program of the repository, or another git process holding a lock. Run that command in a terminal in ${cwd} to see what it waits for, then try again.`,
      );
    }
    if (error instanceof ProcessError && error.reason === 'spawn') {
      // Node says ENOENT both for a missing program and for a missing working folder.
      const folderThere = await stat(cwd).then((s) => s.isDirectory(), () => false);
      if (!folderThere) return fail('NOT_FOUND', `${what} failed: the folder ${cwd} does not exist. Refresh, or prune worktrees whose folders were removed.`);
      // Not the program: the worker that starts processes stopped, or the system refused (EAGAIN).
      const code = (error.cause as NodeJS.ErrnoException | undefined)?.code;
      if (code !== 'ENOENT') return fail('GIT_FAILED', `${what} failed: git could not be started (${error.message}). Try again; the log ("Claude Manager: Show Log") has the details.`);
      return fail('GIT_FAILED', `${what} failed: git was not found ("${this.gitPath}"). Install git, or set "git.path" / put git on PATH, then try again.`);
    }
    if (/not a git repository/i.test(text)) return fail('NOT_A_REPOSITORY', `${cwd} is not inside a git repository. Choose the folder of a repository (one with a .git folder).`);
    let m = /'([^']+)' is already (?:checked out|used by worktree) at '([^']+)'/.exec(text);
    if (m) return fail('BRANCH_IN_USE', `${what} failed: branch "${m[1]}" is already checked out in the worktree at ${m[2]}. Choose another branch, or open that worktree.`);
    m = /a branch named '([^']+)' already exists/.exec(text);
    if (m) return fail('INVALID_INPUT', `${what} failed: a branch named "${m[1]}" already exists. Pick it as an existing branch, or choose another name.`);
    m = /'([^']+)' already exists/.exec(text);
    if (m) return fail('PATH_EXISTS', `${what} failed: ${m[1]} already exists. Choose another folder or branch name, or remove what is there.`);
    if (/is locked|locked working tree/i.test(text)) return fail('LOCKED', `${what} failed: the worktree is locked (${firstLines(text, 1)}). Unlock it with "git worktree unlock" first.`);
    if (/would be overwritten by checkout|Please commit your changes or stash them/.test(text)) {
      return fail('GIT_FAILED', `${what} failed: local changes in the worktree would be overwritten. Commit or stash them first.`);
    }
    if (/invalid reference|not a valid (?:object|branch) name|unknown revision|not a commit/i.test(text)) {
      return fail('INVALID_INPUT', `${what} failed: ${firstLines(text, 1)}. Check the branch or commit name.`);
    }
    return fail('GIT_FAILED', `${what} failed: ${firstLines(text) || 'git exited with an error'}.`);
  }

  /** The installed git's version, e.g. "2.39.5". */
  async version(): Promise<string> {
    const out = await this.run(process.cwd(), ['--version'], 'Reading the git version');
    return /(\d+\.\d+(?:\.\d+)?)/.exec(out)?.[1] ?? out.trim();
  }

  /**
   * The repository holding `path`: its main worktree and shared git folder. A worktree's folder
   * gives its main repository. A bare repository, or a folder outside any repository, is refused.
   */
  async repository(path: string): Promise<RepositoryInfo> {
    const what = `Opening ${path} as a repository`;
    this.requireTrust(what);
    try {
      if (!(await stat(path)).isDirectory()) throw new Error('not a folder');
    } catch {
      throw new ClaudeManagerError('NOT_A_REPOSITORY', `${path} is not a folder. Choose the folder of a git repository.`);
    }
    const out = await this.run(path, ['rev-parse', '--path-format=absolute', '--git-common-dir', '--is-bare-repository'], what);
    const [commonDir, bare] = out.split('\n').map((l) => l.trim());
    if (bare === 'true') {
      throw new ClaudeManagerError('NOT_A_REPOSITORY', `${path} is a bare repository: it has no working folder for agents to work in. Choose a clone with a working tree.`);
    }
    const worktrees = await this.listWorktrees(path);
    const main = worktrees[0];
    if (!main || main.bare) {
      throw new ClaudeManagerError('NOT_A_REPOSITORY', `${path} is a worktree of a bare repository; Claude Manager needs the repository's own working folder. Choose a clone with a working tree.`);
    }
    return { mainPath: main.path, commonDir: commonDir ?? join(main.path, '.git') };
  }

  /** The files of a worktree git would show: tracked ones and untracked ones not ignored, relative, with "/". */
  async listFiles(worktreePath: string): Promise<string[]> {
    const out = await this.run(worktreePath, ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], 'Listing the worktree\'s files');
    // A tracked file with changes is listed more than once (git's --deduplicate needs 2.31).
    return [...new Set(out.split('\0').filter((p) => p.length > 0))];
  }

  async listWorktrees(repoPath: string): Promise<GitWorktree[]> {
    return parseWorktreeList(await this.run(repoPath, ['worktree', 'list', '--porcelain', '-z'], `Listing the worktrees of ${repoPath}`));
  }

  async status(worktreePath: string): Promise<GitStatus> {
    return parseStatus(await this.run(worktreePath, ['status', '--porcelain=v2', '--branch', '-z'], `Reading the status of ${worktreePath}`));
  }

  async branches(worktreePath: string): Promise<GitBranches> {
    const [refs, current] = await Promise.all([
      this.run(worktreePath, ['for-each-ref', '--format=%(refname)', 'refs/heads', 'refs/remotes'], `Listing the branches of ${worktreePath}`),
      this.run(worktreePath, ['branch', '--show-current'], `Reading the branch of ${worktreePath}`),
    ]);
    return parseBranches(refs, current.trim() || null);
  }

  /** Refuses a name git would not take as a branch (`git check-ref-format --branch`). */
  async checkBranchName(repoPath: string, name: string): Promise<void> {
    const problem = branchNameProblem(name);
    if (problem) throw new ClaudeManagerError('INVALID_INPUT', `"${name}" is not a valid branch name: ${problem}.`);
    try {
      await this.run(repoPath, ['check-ref-format', '--branch', name], `Checking the branch name "${name}"`);
    } catch (error) {
      if (error instanceof ClaudeManagerError && error.code === 'GIT_FAILED' && /git was not found/.test(error.message)) throw error;
      throw new ClaudeManagerError('INVALID_INPUT', `"${name}" is not a valid branch name: git refuses it (no spaces, "..", "~", "^", ":", "?", "*", "[", "\\\\", and no "/" at either end).`, { cause: error });
    }
  }

  async hasLocalBranch(repoPath: string, name: string): Promise<boolean> {
    // (Not `rev-parse --verify --quiet`: a failure there is silent, and only the exit code tells.)
    const out = await this.run(repoPath, ['for-each-ref', '--format=%(refname)', `refs/heads/${name}`], `Looking up branch ${name}`);
    return out.split('\n').includes(`refs/heads/${name}`);
  }

  /**
   * Adds a worktree at `path` (which must not exist, or be an empty folder):
   * - `newBranch`: a new branch `branch` off `baseRef` (default HEAD of the main worktree);
   * - else `branch` names an existing local branch;
   * - else `branch` is "remote/name" of a remote branch: checked out as local "name" tracking it.
   */
  async addWorktree(repoPath: string, input: { path: string; branch: string; newBranch?: boolean; baseRef?: string; remoteBranch?: boolean }): Promise<void> {
    const what = `Creating the worktree ${input.path}`;
    await assertFreePath(input.path);
    if (input.newBranch) {
      await this.checkBranchName(repoPath, input.branch);
      if (await this.hasLocalBranch(repoPath, input.branch)) {
        throw new ClaudeManagerError('INVALID_INPUT', `A branch named "${input.branch}" already exists. Pick it as an existing branch, or choose another name.`);
      }
      await this.run(repoPath, ['worktree', 'add', '-b', input.branch, '--', input.path, input.baseRef?.trim() || 'HEAD'], what, { long: true });
      return;
    }
    if (input.remoteBranch) {
      const slash = input.branch.indexOf('/');
      const local = slash > 0 ? input.branch.slice(slash + 1) : '';
      if (!local) throw new ClaudeManagerError('INVALID_INPUT', `"${input.branch}" is not a remote branch: give it as "remote/name", e.g. "origin/main".`);
      await this.checkBranchName(repoPath, local);
      if (await this.hasLocalBranch(repoPath, local)) {
        throw new ClaudeManagerError('INVALID_INPUT', `A local branch "${local}" already exists. Pick it as an existing local branch instead of ${input.branch}.`);
      }
      await this.run(repoPath, ['worktree', 'add', '--track', '-b', local, '--', input.path, `refs/remotes/${input.branch}`], what, { long: true });
      return;
    }
    await this.checkBranchName(repoPath, input.branch);
    if (!(await this.hasLocalBranch(repoPath, input.branch))) {
      throw new ClaudeManagerError('NOT_FOUND', `There is no local branch "${input.branch}". Create it as a new branch, or pick a remote branch as "remote/name".`);
    }
    await this.run(repoPath, ['worktree', 'add', '--', input.path, input.branch], what, { long: true });
  }

  /** `git worktree remove`; with `force`, also when it holds changes (the caller checked what would be lost). */
  async removeWorktree(repoPath: string, path: string, options: { force?: boolean } = {}): Promise<void> {
    await this.run(repoPath, ['worktree', 'remove', ...(options.force ? ['--force'] : []), '--', path], `Removing the worktree ${path}`, { long: true });
  }

  /** Forgets worktrees whose folders are gone; resolves with their paths. */
  async prune(repoPath: string): Promise<string[]> {
    const before = await this.listWorktrees(repoPath);
    await this.run(repoPath, ['worktree', 'prune'], `Pruning the worktrees of ${repoPath}`);
    const after = new Set((await this.listWorktrees(repoPath)).map((w) => w.path));
    return before.filter((w) => !after.has(w.path)).map((w) => w.path);
  }

  async checkout(worktreePath: string, branch: string, options: { create?: boolean } = {}): Promise<void> {
    await this.checkBranchName(worktreePath, branch);
    await this.run(worktreePath, ['switch', ...(options.create ? ['-c'] : []), branch], `Switching ${worktreePath} to ${branch}`, { long: true });
  }

  /** `git branch -D`, after the caller checked what would be lost. */
  async deleteBranch(repoPath: string, branch: string): Promise<void> {
    await this.run(repoPath, ['branch', '-D', '--', branch], `Deleting the branch ${branch}`);
  }

  /**
   * Commits reachable from `rev` and from nothing else: no other local branch (`branch`, the one
   * `rev` is on, excepted), no remote branch, no tag. These are what deleting the branch, or
   * removing a detached worktree, loses.
   */
  async unmergedCommits(cwd: string, rev: string, branch: string | null): Promise<{ commits: { sha: string; subject: string }[]; count: number }> {
    const others = [...(branch ? [`--exclude=${branch}`] : []), '--branches', '--remotes', '--tags'];
    const what = `Looking for commits only ${branch ?? rev} holds`;
    const [list, count] = await Promise.all([
      this.run(cwd, ['log', `--max-count=${LOSS_LIST_MAX}`, '--format=%H%x00%s', rev, '--not', ...others, '--'], what),
      this.run(cwd, ['rev-list', '--count', rev, '--not', ...others, '--'], what),
    ]);
    const commits = list
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [sha = '', subject = ''] = line.split('\0');
        return { sha, subject };
      });
    return { commits, count: Number(count.trim()) || 0 };
  }

  /**
   * What removing the worktree at `path` would lose: uncommitted changes, and the commits its HEAD
   * holds that nothing else does (no other branch, remote branch or tag). Commits of its own
   * branch count too: a branch left behind without its worktree is easily forgotten.
   */
  async lossReport(path: string): Promise<LossReport> {
    const status = await this.status(path);
    const uncommitted = [
      ...status.conflicted.map((p) => `conflicted: ${p}`),
      ...status.staged.map((p) => `staged: ${p}`),
      ...status.modified.filter((p) => !status.staged.includes(p)).map((p) => `modified: ${p}`),
      ...status.untracked.map((p) => `untracked: ${p}`),
    ];
    if (!status.head) return { uncommitted, commits: [], commitCount: 0 };
    const { commits, count } = await this.unmergedCommits(path, 'HEAD', status.branch);
    return { uncommitted, commits, commitCount: count };
  }
}

/** Git's rules for branch names that can be told without running git, with a reason a person can act on. */
export function branchNameProblem(name: string): string | undefined {
  if (!name.trim()) return 'it is empty';
  if (name.startsWith('-')) return 'it must not start with "-"';
  if (/\s/.test(name)) return 'it must not contain spaces';
  return undefined;
}

async function assertFreePath(path: string): Promise<void> {
  let entries: string[] | undefined;
  try {
    entries = await readdir(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw new ClaudeManagerError('PATH_EXISTS', `${path} already exists as a file. Choose another folder or branch name.`);
    throw error;
  }
  if (entries.length > 0) throw new ClaudeManagerError('PATH_EXISTS', `${path} already exists and is not empty. Choose another folder or branch name, or remove what is there.`);
}

/** A folder name for a branch: its "/" become "-", so that each branch has one folder directly under the root. */
export function folderForBranch(branch: string): string {
  return branch.replace(/[/\\]+/g, '-').replace(/^\.+/, '_');
}

/**
 * Where a new worktree of `repoPath` goes: `<root>/<branch folder>`, the root being `worktreesRoot`
 * when set (absolute, or relative to the repository's parent folder), else a sibling of the
 * repository named after it (`../<repo>.worktrees`). Refuses a path that would leave the root.
 */
export function worktreePathFor(repoPath: string, branch: string, worktreesRoot?: string, repoName?: string): { root: string; path: string } {
  const name = repoName ?? repoPath.split(/[/\\]/).filter(Boolean).pop() ?? 'repository';
  const configured = worktreesRoot?.trim();
  const root = configured ? (isAbsolute(configured) ? resolve(configured, name) : resolve(dirname(repoPath), configured, name)) : resolve(dirname(repoPath), `${name}.worktrees`);
  const path = resolve(root, folderForBranch(branch));
  const rel = relative(root, path);
  if (!rel || rel.startsWith('..') || isAbsolute(rel) || rel.includes(sep)) {
    throw new ClaudeManagerError('INVALID_INPUT', `The branch "${branch}" would put the worktree outside ${root}. Choose another branch name.`);
  }
  return { root, path };
}
