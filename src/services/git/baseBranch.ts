import type { GitService } from './gitService';

/** The branches' tips of a repository, read with one `git for-each-ref`. */
export interface RefTips {
  /** Full ref name ("refs/heads/main", "refs/remotes/origin/main") → commit. */
  tips: Map<string, string>;
  /** Where `refs/remotes/origin/HEAD` points ("refs/remotes/origin/main"), when the clone has it. */
  originHead?: string;
}

const HEADS = 'refs/heads/';
const REMOTES = 'refs/remotes/';

/** Parses `for-each-ref --format=%(objectname)%00%(refname)%00%(symref)` (one ref a line). */
export function parseRefTips(output: string): RefTips {
  const tips = new Map<string, string>();
  let originHead: string | undefined;
  for (const line of output.split('\n')) {
    if (!line) continue;
    const [sha = '', ref = '', symref = ''] = line.split('\0');
    if (ref === `${REMOTES}origin/HEAD`) {
      if (symref) originHead = symref;
      continue;
    }
    tips.set(ref, sha);
  }
  return { tips, ...(originHead ? { originHead } : {}) };
}

/** Reads the tips of every local and remote branch of the repository at `repoPath` (one git). */
export async function readRefTips(git: GitService, repoPath: string): Promise<RefTips> {
  return parseRefTips(await git.run(repoPath, ['for-each-ref', '--format=%(objectname)%00%(refname)%00%(symref)', 'refs/heads', 'refs/remotes'], `Reading the branches of ${repoPath}`));
}

/**
 * The ref a base branch names: the local branch of that name, else the remote branch
 * ("origin/main"). Undefined when neither exists.
 */
export function resolveBase(tips: RefTips, branch: string): { ref: string; sha: string } | undefined {
  for (const ref of [`${HEADS}${branch}`, `${REMOTES}${branch}`]) {
    const sha = tips.tips.get(ref);
    if (sha) return { ref, sha };
  }
  return undefined;
}

/**
 * A repository's default base branch, for worktrees that have none recorded: where
 * `origin/HEAD` points (the local branch of that name if there is one, else the remote one), else
 * `main`, else `master`, else the main worktree's branch. Undefined when none of these exists.
 */
export function defaultBaseBranch(tips: RefTips, mainBranch: string | null): string | undefined {
  if (tips.originHead?.startsWith(`${REMOTES}origin/`)) {
    const name = tips.originHead.slice(`${REMOTES}origin/`.length);
    if (tips.tips.has(`${HEADS}${name}`)) return name;
    if (tips.tips.has(tips.originHead)) return `origin/${name}`;
  }
  for (const name of ['main', 'master']) {
    if (tips.tips.has(`${HEADS}${name}`)) return name;
  }
  for (const name of ['main', 'master']) {
    if (tips.tips.has(`${REMOTES}origin/${name}`)) return `origin/${name}`;
  }
  return mainBranch && tips.tips.has(`${HEADS}${mainBranch}`) ? mainBranch : undefined;
}

/** What a repository's default base branch is chosen from (see `defaultBaseBranch`). */
export interface RepositoryBranches {
  tips: RefTips;
  /** The branch of its main worktree (null when detached). */
  mainBranch: string | null;
}

/** Reads a repository's branches' tips (one git) and its main worktree's branch (as last listed). */
export async function readRepositoryBranches(
  git: GitService,
  workspaces: { getWorkspace(id: string): Promise<{ path: string }>; knownWorktrees(id: string): Promise<{ isMain: boolean; branch: string | null }[]> },
  workspaceId: string,
): Promise<RepositoryBranches> {
  const [tips, worktrees] = await Promise.all([workspaces.getWorkspace(workspaceId).then((ws) => readRefTips(git, ws.path)), workspaces.knownWorktrees(workspaceId)]);
  return { tips, mainBranch: worktrees.find((w) => w.isMain)?.branch ?? null };
}

/**
 * A worktree's base: the branch recorded for it, else the repository's default
 * (`defaultBaseBranch`, from what `repository` reads, only when it is needed). Undefined for the
 * main worktree, or when the repository has none of these. The changes listing and the merge both
 * ask here.
 */
export async function worktreeBase(
  worktree: { baseBranch?: string | undefined; isMain: boolean },
  repository: () => Promise<RepositoryBranches>,
): Promise<{ branch: string; recorded: boolean } | undefined> {
  if (worktree.isMain) return undefined;
  if (worktree.baseBranch) return { branch: worktree.baseBranch, recorded: true };
  const { tips, mainBranch } = await repository();
  const branch = defaultBaseBranch(tips, mainBranch);
  return branch ? { branch, recorded: false } : undefined;
}
