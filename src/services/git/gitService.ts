import { stat, readdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { simpleGit as SimpleGitFactory } from 'simple-git';
import { ClaudeManagerError } from '../errors';
import { Limiter } from '../limiter';
import type { Logger } from '../logger';
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
}

let factory: typeof SimpleGitFactory | undefined;

/** simple-git, loaded on the first git command rather than while the extension activates. */
function loadSimpleGit(): typeof SimpleGitFactory {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  factory ??= (require('simple-git') as { simpleGit: typeof SimpleGitFactory }).simpleGit;
  return factory;
}

/** What a failed git command said, to map it to a clear error. */
function stderrOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
 * The only door to git (and the only importer of simple-git). Every command runs with an argument
 * array in a given folder, at most `maxConcurrent` at once, without optional locks (reading status
 * never takes `index.lock` away from an agent that is committing), and every failure becomes a
 * ClaudeManagerError naming what failed and what to do.
 */
export class GitService {
  private readonly limiter: Limiter;
  private readonly gitPath: string;

  constructor(private readonly options: GitServiceOptions) {
    this.limiter = new Limiter(options.maxConcurrent ?? 4);
    this.gitPath = options.gitPath?.trim() || 'git';
  }

  /** Runs `git <args>` in `cwd`; resolves with its stdout. */
  async run(cwd: string, args: string[], what: string): Promise<string> {
    return this.limiter.run(async () => {
      let git;
      try {
        git = loadSimpleGit()({ baseDir: cwd, binary: this.gitPath, maxConcurrentProcesses: 1, trimmed: false });
      } catch (error) {
        throw new ClaudeManagerError('NOT_FOUND', `${what} failed: the folder ${cwd} does not exist. Refresh, or prune worktrees whose folders were removed.`, { cause: error });
      }
      try {
        return await git.raw(['--no-optional-locks', '-c', 'core.quotepath=off', ...args]);
      } catch (error) {
        throw this.mapError(error, what, cwd);
      }
    });
  }

  private mapError(error: unknown, what: string, cwd: string): ClaudeManagerError {
    const text = stderrOf(error);
    const fail = (code: ConstructorParameters<typeof ClaudeManagerError>[0], message: string) => new ClaudeManagerError(code, message, { cause: error });
    if (/spawn .* ENOENT|ENOENT/.test(text) && !/fatal:/.test(text)) {
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
      await this.run(repoPath, ['worktree', 'add', '-b', input.branch, '--', input.path, input.baseRef?.trim() || 'HEAD'], what);
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
      await this.run(repoPath, ['worktree', 'add', '--track', '-b', local, '--', input.path, `refs/remotes/${input.branch}`], what);
      return;
    }
    await this.checkBranchName(repoPath, input.branch);
    if (!(await this.hasLocalBranch(repoPath, input.branch))) {
      throw new ClaudeManagerError('NOT_FOUND', `There is no local branch "${input.branch}". Create it as a new branch, or pick a remote branch as "remote/name".`);
    }
    await this.run(repoPath, ['worktree', 'add', '--', input.path, input.branch], what);
  }

  /** `git worktree remove`; with `force`, also when it holds changes (the caller checked what would be lost). */
  async removeWorktree(repoPath: string, path: string, options: { force?: boolean } = {}): Promise<void> {
    await this.run(repoPath, ['worktree', 'remove', ...(options.force ? ['--force'] : []), '--', path], `Removing the worktree ${path}`);
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
    await this.run(worktreePath, ['switch', ...(options.create ? ['-c'] : []), branch], `Switching ${worktreePath} to ${branch}`);
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
