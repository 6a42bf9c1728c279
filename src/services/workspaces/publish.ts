import { ClaudeManagerError, isClaudeManagerError } from '../errors';
import { type GitService, gitEnvironment } from '../git/gitService';
import type { Logger } from '../logger';
import { ProcessError, runProcess, type SpawnFn } from '../processRunner';
import type { Store } from '../storage/store';
import type { Worktree, WorkspaceService } from './workspaceService';

/** What a pull request starts with: editable by the user before it is opened. */
export interface PullRequestDraft {
  title: string;
  body: string;
  /** The branch it goes into. */
  base: string;
  /** The branch it comes from. */
  head: string;
}

export type PullRequestOutcome =
  | { status: 'created'; url: string }
  /** gh cannot open it: `reason` says why and what to do; `compareUrl` is the host's page for it, for GitHub and GitLab remotes. */
  | { status: 'no-gh'; reason: string; compareUrl?: string };

const GH_TIMEOUT_MS = 60_000;

/**
 * The host's page for opening a pull (merge) request from `head` into `base`, for GitHub and
 * GitLab remotes (https, ssh and scp-like addresses); undefined for any other host.
 */
export function compareUrl(remoteUrl: string, base: string, head: string): string | undefined {
  const url = remoteUrl.trim();
  const m = /^(?:https?:\/\/(?:[^@/]+@)?|ssh:\/\/(?:[^@/]+@)?|[^@/]+@)([^/:]+)(?::\d+)?[/:](.+?)(?:\.git)?\/?$/.exec(url);
  if (!m) return undefined;
  const [, host = '', path = ''] = m;
  const enc = (s: string) => encodeURIComponent(s).replace(/%2F/g, '/');
  if (/(^|\.)github\./i.test(host) || /^github\.com$/i.test(host)) return `https://${host}/${path}/compare/${enc(base)}...${enc(head)}?expand=1`;
  if (/(^|\.)gitlab\./i.test(host)) {
    return `https://${host}/${path}/-/merge_requests/new?merge_request%5Bsource_branch%5D=${encodeURIComponent(head)}&merge_request%5Btarget_branch%5D=${encodeURIComponent(base)}`;
  }
  return undefined;
}

/** "fix/login-page" → "Fix/login page": what gh makes of a branch name for a title. */
function titleFromBranch(branch: string): string {
  const words = branch.replace(/[-_]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * Pushes a worktree's branch (setting its upstream) and opens a pull request for it with the
 * GitHub CLI when it is installed and logged in. Git through GitService; gh through the same
 * process runner, and like git never in an untrusted workspace.
 */
export class PublishService {
  constructor(
    private readonly options: {
      store: Store;
      git: GitService;
      workspaces: WorkspaceService;
      logger: Logger;
      /** The base branch of a worktree (MergeService.baseBranch). */
      baseBranch: (worktreeId: string) => Promise<string | undefined>;
      /** The GitHub CLI: a path, or a name found on PATH (default "gh"). */
      ghPath?: string;
      spawn?: SpawnFn;
    },
  ) {}

  private get git(): GitService {
    return this.options.git;
  }

  private async branchOf(id: string): Promise<{ wt: Worktree; branch: string }> {
    const wt = await this.options.workspaces.getWorktree(id);
    if (wt.missing) throw new ClaudeManagerError('NOT_FOUND', `The folder of ${wt.name} (${wt.path}) is gone. Prune it, or restore the folder.`);
    if (!wt.branch) throw new ClaudeManagerError('INVALID_INPUT', `${wt.name} is on a detached HEAD: there is no branch to push. Switch it to a branch first.`);
    return { wt, branch: wt.branch };
  }

  /** The remote a branch goes to: its upstream's, else "origin", else the only one. */
  async remoteFor(cwd: string, branch: string): Promise<string> {
    const [upstream, list] = await Promise.all([
      this.git.run(cwd, ['for-each-ref', '--format=%(upstream:remotename)', `refs/heads/${branch}`], `Reading the upstream of ${branch}`),
      this.git.run(cwd, ['remote'], 'Listing the remotes'),
    ]);
    const remotes = list.split('\n').map((r) => r.trim()).filter(Boolean);
    const chosen = [upstream.trim()].find((r) => r && remotes.includes(r)) ?? (remotes.includes('origin') ? 'origin' : remotes.length === 1 ? remotes[0] : undefined);
    if (!chosen) {
      throw new ClaudeManagerError('NO_REMOTE', remotes.length ? `The repository has several remotes (${remotes.join(', ')}) and none is "origin" or ${branch}'s upstream. Push once from a terminal ("git push -u <remote> ${branch}").` : 'The repository has no remote to push to. Add one ("git remote add origin <address>"), then push.');
    }
    return chosen;
  }

  /** `git push --set-upstream <remote> <branch>`; hooks (pre-push) run as git runs them. */
  async push(id: string): Promise<{ remote: string; branch: string; upstream: string }> {
    this.git.requireTrust('Pushing');
    const { wt, branch } = await this.branchOf(id);
    const remote = await this.remoteFor(wt.path, branch);
    try {
      await this.git.run(wt.path, ['push', '--set-upstream', remote, `refs/heads/${branch}:refs/heads/${branch}`], `Pushing ${branch} to ${remote}`, { long: true });
    } catch (error) {
      throw this.pushError(error, remote, branch);
    }
    this.options.logger.info(`Pushed ${branch} to ${remote}`);
    return { remote, branch, upstream: `${remote}/${branch}` };
  }

  private pushError(error: unknown, remote: string, branch: string): unknown {
    if (!isClaudeManagerError(error) || !(error.cause instanceof ProcessError)) return error;
    const text = error.cause.stderr;
    if (/\[rejected\]|non-fast-forward|fetch first/.test(text)) {
      return new ClaudeManagerError('GIT_FAILED', `${remote} has commits on ${branch} that this branch lacks, so the push was refused. Pull (or rebase onto ${remote}/${branch}) first, then push again.`, { cause: error });
    }
    if (/Authentication failed|could not read Username|Permission denied|terminal prompts disabled/i.test(text)) {
      return new ClaudeManagerError('GIT_FAILED', `Pushing to ${remote} needs credentials git could not get without asking. Set up a credential helper or an SSH key (or push once from a terminal), then try again.`, { cause: error });
    }
    return error;
  }

  /** A pull request's title and body from the branch's commits: one commit gives its own; several, the branch's name and their list. */
  async draft(id: string): Promise<PullRequestDraft> {
    const { wt, branch } = await this.branchOf(id);
    const base = await this.options.baseBranch(id);
    if (!base) throw new ClaudeManagerError('NOT_FOUND', `${wt.name} has no base branch for a pull request.`);
    const log = await this.git.run(wt.path, ['log', '--reverse', '--format=%s%x00%b%x1e', `refs/heads/${base}..refs/heads/${branch}`], 'Reading the branch\'s commits');
    const commits = log.split('\x1e').map((c) => c.trim()).filter(Boolean).map((c) => {
      const [subject = '', body = ''] = c.split('\0');
      return { subject: subject.trim(), body: body.trim() };
    });
    if (commits.length === 1) return { title: commits[0]!.subject, body: commits[0]!.body, base, head: branch };
    return { title: titleFromBranch(branch), body: commits.map((c) => `- ${c.subject}`).join('\n'), base, head: branch };
  }

  /** Runs gh in `cwd`: its stdout, or why it could not run. */
  private async gh(cwd: string, args: string[]): Promise<{ ok: true; stdout: string } | { ok: false; missing: boolean; message: string }> {
    this.git.requireTrust('Opening a pull request');
    const env = { ...gitEnvironment(), GH_PROMPT_DISABLED: '1', NO_COLOR: '1', GH_NO_UPDATE_NOTIFIER: '1' };
    try {
      const result = await runProcess(this.options.ghPath ?? 'gh', args, { cwd, env, timeoutMs: GH_TIMEOUT_MS, ...(this.options.logger ? { logger: this.options.logger } : {}), ...(this.options.spawn ? { spawn: this.options.spawn } : {}) });
      return { ok: true, stdout: result.stdout };
    } catch (error) {
      if (error instanceof ProcessError && error.reason === 'spawn') return { ok: false, missing: true, message: error.message };
      const text = error instanceof ProcessError ? error.stderr.trim() || error.message : (error as Error).message;
      return { ok: false, missing: false, message: text };
    }
  }

  /**
   * Opens a pull request with gh (`gh pr create`), keeps its address on the worktree, and returns
   * it; without gh (not installed, or not logged in) says so, with the host's compare page.
   */
  async createPullRequest(id: string, draft: PullRequestDraft): Promise<PullRequestOutcome> {
    const { wt } = await this.branchOf(id);
    const remote = await this.remoteFor(wt.path, draft.head);
    const remoteUrl = (await this.git.run(wt.path, ['remote', 'get-url', remote], `Reading the address of ${remote}`)).trim();
    const page = compareUrl(remoteUrl, draft.base, draft.head);
    const without = (reason: string): PullRequestOutcome => ({ status: 'no-gh', reason, ...(page ? { compareUrl: page } : {}) });
    const auth = await this.gh(wt.path, ['auth', 'status']);
    if (!auth.ok) {
      return without(
        auth.missing
          ? `The GitHub CLI (gh) is not installed, so no pull request was created.${page ? ' Open it on the host\'s page instead.' : ' Install gh (cli.github.com), or open it on the host.'}`
          : `The GitHub CLI (gh) is not logged in (${auth.message.split('\n')[0]}), so no pull request was created. Run "gh auth login"${page ? ', or open it on the host\'s page' : ''}.`,
      );
    }
    const created = await this.gh(wt.path, ['pr', 'create', '--head', draft.head, '--base', draft.base, '--title', draft.title, '--body', draft.body]);
    if (!created.ok) throw new ClaudeManagerError('GIT_FAILED', `gh could not create the pull request: ${created.message.split('\n').slice(0, 3).join(' ')}`);
    const url = created.stdout.split('\n').map((l) => l.trim()).filter((l) => /^https?:\/\//.test(l)).pop();
    if (!url) throw new ClaudeManagerError('GIT_FAILED', `gh created the pull request but printed no address: ${created.stdout.trim().slice(0, 200)}`);
    await this.options.store.worktrees.update(id, { pullRequestUrl: url });
    this.options.logger.info(`Opened pull request ${url} for ${draft.head}`);
    return { status: 'created', url };
  }
}
