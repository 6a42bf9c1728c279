/**
 * The public API of the Claude Manager extension, for other extensions and scripts:
 *
 *   const ext = vscode.extensions.getExtension<ClaudeManagerExtension>('claude-manager.claude-manager');
 *   const api = (await ext.activate()).getAPI(1);
 *
 * Versioned like the built-in git extension's: a version, once published, only grows compatibly
 * (new optional fields, new methods).
 *
 * Every method is async and checks its arguments before it does anything: a wrong type, an id of
 * the wrong kind ("ws_…", "wt_…", "ag_…"), an empty name, a key the method does not know (a typo)
 * or an extra argument rejects with code INVALID_INPUT and a message naming the method and the
 * parameter, e.g. `agents.start: options: unknown key "initalPrompt".` Nothing is changed then.
 */

/** Codes carried by every error the API rejects or throws with. */
export type ErrorCode =
  | 'NOT_FOUND'
  | 'INVALID_INPUT'
  | 'NOT_A_REPOSITORY'
  | 'GIT_FAILED'
  | 'BRANCH_IN_USE'
  | 'PATH_EXISTS'
  | 'LOCKED'
  | 'UNSAFE_DELETE'
  | 'AGENTS_RUNNING'
  | 'CLI_NOT_FOUND'
  | 'CLI_NOT_LOGGED_IN'
  | 'ALREADY_RUNNING'
  | 'NOT_RUNNING'
  | 'OWNED_BY_OTHER_WINDOW'
  | 'NO_PENDING_PERMISSION'
  | 'UNTRUSTED_WORKSPACE'
  | 'STORAGE_FAILED'
  /** The worktree, or the base branch's worktree, has uncommitted changes: the message names them. */
  | 'DIRTY_WORKTREE'
  | 'NOTHING_TO_COMMIT'
  /** A git hook refused (commit, merge, push); `detail` holds its output. */
  | 'HOOK_FAILED'
  /** A merge or rebase already waits for its conflicts to be resolved there. */
  | 'MERGE_IN_PROGRESS'
  | 'NO_MERGE_IN_PROGRESS'
  /** The repository has no remote to push to. */
  | 'NO_REMOTE';

/** An error from the API: `message` says what failed and what to do. */
export interface ClaudeManagerApiError extends Error {
  readonly code: ErrorCode;
  /** What a program said at length, when there is more than the message (a refusing hook's output). */
  readonly detail?: string;
}

/** Something to stop listening with (a `vscode.Disposable`). */
export interface Disposable {
  dispose(): unknown;
}

/** An event: call it with a listener; dispose the result to stop listening (a `vscode.Event`). */
export type Event<T> = (listener: (e: T) => unknown) => Disposable;

export type SortMode = 'free' | 'status' | 'name';

/** A git repository Claude Manager works with. */
export interface Workspace {
  readonly id: string;
  readonly name: string;
  /** The main worktree's folder. */
  readonly path: string;
  readonly worktreeCount: number;
  readonly agentCount: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Worktree {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  /** Null when HEAD is detached. */
  readonly branch: string | null;
  readonly path: string;
  readonly isMain: boolean;
  /** The commit checked out ("" before the first commit). */
  readonly head: string;
  readonly locked: boolean;
  /** Its folder is gone from disk. */
  readonly missing: boolean;
  /** The address of the pull request opened for its branch from Claude Manager, if any. */
  readonly pullRequestUrl?: string;
  /** How its agents are sorted. */
  readonly sortMode: SortMode;
  readonly displayOrder: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The branch its work goes back to, when one is recorded (else `changes()` uses the repository's default). */
  readonly baseBranch?: string;
}

/** Git's letter for a changed file: added, modified, deleted, renamed, copied, type changed. */
export type ChangeStatus = 'A' | 'M' | 'D' | 'R' | 'C' | 'T';

/** A file that differs between a worktree's merge-base with its base branch and its working folder. */
export interface ChangedFile {
  /** Relative to the worktree, with "/" (a deleted file: where it was). */
  readonly path: string;
  /** Renamed or copied: where it came from. */
  readonly oldPath?: string;
  readonly status: ChangeStatus;
  /** Not known to git yet (counted as added). */
  readonly untracked?: true;
  /** Lines added and removed, as `git diff --numstat` counts them; absent for a binary file. */
  readonly insertions?: number;
  readonly deletions?: number;
  readonly binary?: true;
}

/** What a worktree changed since its base: committed and uncommitted together. */
export interface WorktreeChanges {
  readonly worktreeId: string;
  readonly baseBranch: string;
  /** Whether the base was recorded for the worktree (else it is the repository's default: origin/HEAD, main, master). */
  readonly baseRecorded: boolean;
  /** The commit compared with: the merge-base of the base branch and HEAD. */
  readonly mergeBase: string;
  readonly head: string;
  /** Sorted by path. */
  readonly files: readonly ChangedFile[];
  readonly insertions: number;
  readonly deletions: number;
}

/** Two worktrees of a repository that changed the same files (each in its own way). */
export interface Collision {
  readonly worktreeIds: readonly [string, string];
  readonly files: readonly string[];
}

export interface GitStatus {
  readonly branch: string | null;
  readonly upstream?: string;
  readonly ahead: number;
  readonly behind: number;
  readonly staged: readonly string[];
  readonly modified: readonly string[];
  readonly untracked: readonly string[];
  readonly conflicted: readonly string[];
  readonly isClean: boolean;
}

export interface Branches {
  readonly current: string | null;
  readonly local: readonly string[];
  /** As "remote/name". */
  readonly remote: readonly string[];
}

export interface WorkspacesApi {
  list(): Promise<Workspace[]>;
  get(id: string): Promise<Workspace>;
  /** Adds the repository holding `path`; a known one returns the existing workspace. NOT_A_REPOSITORY otherwise. */
  create(input: { path: string; name?: string }): Promise<Workspace>;
  /** Forgets it; touches no files. */
  delete(id: string): Promise<void>;
  /** Reads its worktrees from git again. */
  refresh(id: string): Promise<Workspace>;
}

export interface WorktreesApi {
  list(workspaceId: string): Promise<Worktree[]>;
  get(id: string): Promise<Worktree>;
  /**
   * `newBranch`: a new branch off `baseRef` (default: the main worktree's HEAD); else an existing
   * local branch; else a remote branch "remote/name", checked out as local "name" tracking it.
   */
  create(input: { workspaceId: string; branch: string; newBranch?: boolean; baseRef?: string; path?: string }): Promise<Worktree>;
  /** `baseBranch`: the branch its work goes back to (local, or "remote/name"); null uses the repository's default again. */
  update(id: string, patch: { name?: string; sortMode?: SortMode; baseBranch?: string | null }): Promise<Worktree>;
  /**
   * Refuses the main worktree; a locked one (LOCKED); one with running agents unless `force`
   * (AGENTS_RUNNING; `force` stops them); and, unless `force`, one whose removal loses work
   * (UNSAFE_DELETE, listing it).
   */
  delete(id: string, options?: { force?: boolean; deleteBranch?: boolean }): Promise<void>;
  checkoutBranch(id: string, branch: string, options?: { create?: boolean }): Promise<Worktree>;
  reorder(workspaceId: string, orderedIds: readonly string[]): Promise<Worktree[]>;
  gitStatus(id: string): Promise<GitStatus>;
  listBranches(id: string): Promise<Branches>;
  /** Forgets worktrees whose folders are gone. */
  prune(workspaceId: string): Promise<{ pruned: string[] }>;
  /**
   * Stages everything (`git add -A`) and commits it. Hooks run as git runs them: one that refuses
   * rejects with HOOK_FAILED, its output in `detail` (the changes stay, staged). NOTHING_TO_COMMIT
   * when clean; MERGE_IN_PROGRESS while a merge or rebase waits there.
   */
  commit(id: string, message: string): Promise<{ commit: string; summary: string }>;
  /**
   * Merges the worktree's branch into its base branch: `merge` (a merge commit, `--no-ff`),
   * `squash` (one commit listing the branch's commits) or `rebase` (the branch rebased onto the
   * base in its own worktree, then the base fast-forwarded). Runs in the worktree where the base is
   * checked out, else in a temporary worktree removed afterwards. Refused with DIRTY_WORKTREE when
   * either worktree has uncommitted changes (untracked files do not count), MERGE_IN_PROGRESS when
   * a merge already waits there. Conflicts resolve with `status: "conflicts"`: the merge stays in
   * progress in `worktreeId`, to be continued or aborted.
   */
  merge(id: string, options: { strategy: MergeStrategy }): Promise<MergeResult>;
  /**
   * Goes on with a merge (or rebase) stopped on conflicts, given the worktree where it waits or the
   * one being merged: resolved files (no conflict markers left) are staged and the merge committed;
   * files still holding markers give the conflicts result again. NO_MERGE_IN_PROGRESS when none waits.
   */
  continueMerge(id: string): Promise<MergeResult>;
  /** Aborts it with git's own abort: HEAD, index and files as they were before the merge. */
  abortMerge(id: string): Promise<void>;
  /** `git push --set-upstream` of its branch, to its upstream's remote, else "origin", else the only one (NO_REMOTE when none). */
  push(id: string): Promise<{ remote: string; branch: string; upstream: string }>;
  /**
   * The files a linked worktree changed since the merge-base with its base branch, committed,
   * uncommitted and untracked together, with +/− counts. INVALID_INPUT for the main worktree;
   * NOT_FOUND when its folder or its base branch is gone.
   */
  changes(id: string): Promise<WorktreeChanges>;
  /** The files two active linked worktrees of the repository both changed (the same change in both is not one). */
  collisions(workspaceId: string): Promise<Collision[]>;
}

export type MergeStrategy = 'merge' | 'squash' | 'rebase';

/** How a merge ended; conflicts are a result, not an error. */
export type MergeResult =
  | {
      readonly status: 'merged';
      /** The worktree whose branch was merged. */
      readonly worktreeId: string;
      readonly strategy: MergeStrategy;
      readonly baseBranch: string;
      /** The base branch's commit after the merge. */
      readonly commit: string;
    }
  /** The base already holds every commit of the branch. */
  | { readonly status: 'up-to-date'; readonly worktreeId: string; readonly baseBranch: string }
  | {
      readonly status: 'conflicts';
      /** Where the merge waits (the base's worktree; for a rebase, the worktree itself): continue or abort it with this id. */
      readonly worktreeId: string;
      /** The worktree being merged, when known. */
      readonly sourceWorktreeId?: string;
      readonly operation: 'merge' | 'squash' | 'rebase';
      /** Conflicted files, relative to `path`. */
      readonly files: readonly string[];
      /** The folder where it waits. */
      readonly path: string;
      readonly baseBranch?: string;
    };

export type AgentStatus = 'running' | 'waiting' | 'error' | 'finished';
export type AgentMode = 'auto' | 'plan' | 'regular';
export type Permission = 'read' | 'write' | 'execute';

/** A tool call waiting for the user's answer. */
export interface PermissionRequest {
  readonly requestId: string;
  readonly toolName: string;
  readonly input: Readonly<Record<string, unknown>>;
  /** One line, e.g. "Write src/a.ts". */
  readonly summary: string;
  readonly requestedAt: string;
  /**
   * The CLI's own "don't ask again" choices for this call, in its order (for Bash, a command
   * prefix such as `Bash(npm test *)`), each worded as its prompt words it. Answer with
   * `{ behavior: "allow", suggestion: <index> }` to allow the call and add that rule.
   */
  readonly suggestions?: readonly { readonly label: string; readonly value: unknown }[];
  /** Why the CLI asks ("This command requires approval"), when it says. */
  readonly reason?: string;
  /**
   * Present when the agent asks the user questions (its `AskUserQuestion` tool): answer with
   * `answerQuestion`, or `respondToPermission` with `answers`; `deny` declines to answer.
   */
  readonly questions?: readonly Question[];
}

/** A question the agent asks, with its choices; any other answer is the user's own words. */
export interface Question {
  /** The whole question; answers are keyed by it. */
  readonly question: string;
  /** A short tag for it, e.g. "Library". */
  readonly header: string;
  /** Whether several choices may be taken (answered with a list). */
  readonly multiSelect: boolean;
  readonly options: readonly { readonly label: string; readonly description: string; readonly preview?: string }[];
}

/** Question text → a choice's label or the user's own words; a list for a multiple-choice question. */
export type QuestionAnswers = Readonly<Record<string, string | readonly string[]>>;

export interface Agent {
  readonly id: string;
  readonly worktreeId: string;
  readonly name: string;
  readonly status: AgentStatus;
  /** Why it has that status: "thinking", "needs permission: Write src/a.ts", "API error 401: …". */
  readonly statusReason: string;
  /** Fill of the model's context window, 0–100. */
  readonly contextLevel: number;
  readonly mode: AgentMode;
  readonly permissions: readonly Permission[];
  readonly model?: string;
  readonly displayOrder: number;
  /** Only while its process lives. */
  readonly pid?: number;
  readonly sessionId?: string;
  readonly parentAgentId?: string;
  /** False when another window runs it. */
  readonly ownedByThisWindow: boolean;
  /** Oldest first. */
  readonly pendingPermissions: readonly PermissionRequest[];
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number; readonly cacheReadTokens: number; readonly cacheCreationTokens: number; readonly costUsd: number };
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt?: string;
  readonly stoppedAt?: string;
  readonly deletedAt?: string;
}

export interface Message {
  readonly id: string;
  readonly agentId: string;
  readonly role: 'user' | 'assistant' | 'system' | 'tool';
  readonly kind: 'text' | 'thinking' | 'tool' | 'notice';
  readonly content: string;
  readonly tokenCount?: number;
  readonly toolName?: string;
  readonly toolInput?: Readonly<Record<string, unknown>>;
  readonly toolOutput?: string;
  readonly isError?: boolean;
  /**
   * The images the user sent with the message (before its text), or a tool's result carried (a
   * Read of a PNG): references only; `agents.getImage` reads one. Absent when there are none.
   */
  readonly images?: readonly MessageImage[];
  readonly isComplete: boolean;
  readonly createdAt: string;
}

/** An image of a message, kept by Claude Manager as a file of its own (deleted with the agent). */
export interface MessageImage {
  /** "img_…" */
  readonly id: string;
  /** "image/png", "image/jpeg", "image/gif" or "image/webp". */
  readonly mediaType: string;
  /** Its size in bytes. */
  readonly bytes: number;
  /** The file name it was sent with, if any. */
  readonly name?: string;
}

/**
 * An image to send with a message. Accepted: PNG, JPEG, GIF and WebP (the type is read from the
 * bytes), at most 3.75 MB each (5 MB once encoded: the Messages API's limit), at most 10 images
 * and 15 MB in all per message. Anything else is refused with INVALID_INPUT naming the image and
 * the limit, and nothing is sent.
 */
export interface ImageAttachment {
  /** The image's bytes, base64-encoded (no `data:` prefix). */
  readonly data: string;
  /** The type it came with; the bytes decide, so a PNG named "photo.jpg" goes as a PNG. */
  readonly mediaType?: string;
  /** A name for the messages (and for errors about it), e.g. the file name. */
  readonly name?: string;
}

/**
 * A message sent while the agent worked, waiting to be written to its CLI: it can be edited or
 * removed until then. Once written it is an ordinary user message, stored under the same `id`.
 */
export interface QueuedMessage {
  /** "msg_…": the id the message is stored under once it is sent. */
  readonly id: string;
  readonly agentId: string;
  readonly content: string;
  readonly queuedAt: string;
  /** The images it carries, sent before its text (`agents.getImage` reads one). */
  readonly images?: readonly MessageImage[];
}

/** A session of the Claude Code CLI started outside Claude Manager (in a terminal, by `claude --worktree`…), as `listCliSessions` finds it. */
export interface CliSession {
  readonly sessionId: string;
  /** Its transcript file. */
  readonly path: string;
  /** The first thing the user typed ('' when it holds no prompt). */
  readonly firstPrompt: string;
  /** Its first and last entries' times (ISO 8601). */
  readonly startedAt: string;
  readonly updatedAt: string;
  /** The user's prompts and the agent's replies it holds. */
  readonly messages: number;
  /** Lines of its transcript that are not JSON (skipped when it is adopted). */
  readonly skippedLines: number;
  readonly gitBranch?: string;
}

export interface MessagePage {
  /** Newest first. */
  readonly messages: readonly Message[];
  readonly hasMore: boolean;
  /** Pass as `before` for the next (older) page. */
  readonly nextCursor?: string;
}

export interface UsageCounters {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheCreationTokens: number;
  readonly totalTokens: number;
  readonly costUsd: number;
  readonly requestCount: number;
  readonly errorCount: number;
  /**
   * Requests whose cost the CLI did not report: those of an agent run in a terminal, whose
   * transcript gives tokens but no cost. Their tokens are counted; `costUsd` leaves them out.
   */
  readonly unpricedRequestCount: number;
}

export interface Usage extends UsageCounters {
  readonly period: 'daily' | 'weekly' | 'monthly';
  /**
   * Local date of the period's first day, YYYY-MM-DD. Weeks begin on the day
   * `claudeManager.firstDayOfWeek` names: Monday unless the user chose Sunday or Saturday.
   */
  readonly date: string;
  readonly byModel: Readonly<Record<string, UsageCounters>>;
}

export interface UsageFilter {
  workspaceId?: string;
  worktreeId?: string;
  agentId?: string;
}

export interface AgentsApi {
  list(filter?: { worktreeId?: string; includeDeleted?: boolean }): Promise<Agent[]>;
  get(id: string): Promise<Agent>;
  /** Created `finished`, not started. */
  create(input: { worktreeId: string; name?: string; mode?: AgentMode; permissions?: Permission[]; model?: string }): Promise<Agent>;
  update(id: string, patch: { name?: string; mode?: AgentMode; permissions?: Permission[]; model?: string }): Promise<Agent>;
  /** Archives by default (`archive: false` deletes it with its messages); a running agent is stopped first. */
  delete(id: string, options?: { archive?: boolean }): Promise<void>;
  restore(id: string): Promise<Agent>;
  reorder(worktreeId: string, orderedIds: readonly string[]): Promise<Agent[]>;
  /** Resolves once the CLI process runs with its session (pid and sessionId set); resumes the agent's session. */
  start(id: string, options?: { initialPrompt?: string }): Promise<Agent>;
  /** An agent another window of this user runs is stopped by that window. */
  stop(id: string, options?: { force?: boolean }): Promise<Agent>;
  /** Ends the current turn; the process and session stay. Another window's agent is interrupted by that window. */
  interrupt(id: string): Promise<void>;
  /**
   * Moves here an agent whose window is closed or does not answer: its process, if it still runs,
   * is ended (a turn under way stops; what it said so far is kept), and it resumes its session in
   * this window, like `start`. OWNED_BY_OTHER_WINDOW while its window answers (use it from here
   * anyway: messages, answers, interrupt, mode and stop reach it through that window).
   */
  takeOver(id: string, options?: { initialPrompt?: string }): Promise<Agent>;
  /**
   * Resolves once written to the CLI; an agent without a process is started (resumed) first.
   * While a turn is under way (or earlier messages are queued), the message is queued instead and
   * this resolves at once with `queued: true`: it is sent when the turn ends, after those queued
   * before it, each as a turn of its own, and is stored under `messageId` then. See
   * `getQueuedMessages`; `onDidChangeQueuedMessages` tells when it leaves the queue. `images` go
   * before the text, as image blocks of the user message (see `ImageAttachment` for what is
   * accepted); they are checked before anything is sent (or queued).
   */
  sendMessage(id: string, content: string, options?: { images?: readonly ImageAttachment[] }): Promise<{ messageId: string; queued?: boolean }>;
  /** An image of one of the agent's messages (`Message.images`), its bytes base64-encoded. NOT_FOUND when it is not kept. */
  getImage(id: string, imageId: string): Promise<{ mediaType: string; data: string }>;
  /**
   * The agent's queued messages, first to be sent first. They wait while a turn runs; after a
   * failed turn or while the agent is stopped they wait until it runs again (its start sends
   * them), or until `sendQueuedMessageNow`. For an agent another window runs, that window (which
   * holds its queue) is asked, for these methods as for `sendMessage`.
   */
  getQueuedMessages(id: string): Promise<QueuedMessage[]>;
  /** Changes a queued message's text; NOT_FOUND once it was sent or removed. */
  editQueuedMessage(id: string, messageId: string, content: string): Promise<QueuedMessage>;
  /** Takes a message out of the queue without sending it; NOT_FOUND once it was sent or removed. */
  removeQueuedMessage(id: string, messageId: string): Promise<void>;
  /**
   * Writes a queued message to the CLI now, ahead of the rest of the queue: during a turn the CLI
   * keeps it and runs it right after that turn (with anything else written meanwhile, as one turn);
   * an agent without a process is started. Resolves once written; NOT_FOUND once it was sent or removed.
   */
  sendQueuedMessageNow(id: string, messageId: string): Promise<{ messageId: string }>;
  getMessages(id: string, options?: { limit?: number; before?: string }): Promise<MessagePage>;
  /** A new agent (not started) continuing a copy of this one's conversation. */
  fork(id: string, options?: { name?: string }): Promise<Agent>;
  /**
   * The CLI's sessions recorded for the worktree's folder (under `CLAUDE_CONFIG_DIR`, else
   * `~/.claude`, in `projects/`) that no agent holds yet, newest first.
   */
  listCliSessions(worktreeId: string): Promise<CliSession[]>;
  /**
   * Adopts a session of `listCliSessions`: a new agent (not started) bound to it, with its history
   * imported from the transcript (unreadable lines skipped and counted in its status reason); its
   * next message resumes the session. NOT_FOUND when the CLI recorded no such session for the
   * worktree; INVALID_INPUT when an agent holds it already. Close the session in its terminal
   * first: two processes writing one session interleave their turns.
   */
  adoptSession(worktreeId: string, sessionId: string, options?: { name?: string }): Promise<Agent>;
  /**
   * Answers a permission request: `allow` once; `allow` with `suggestion` (an index into the
   * request's `suggestions`) to add that rule as the CLI offered it; `allow` with `always` to
   * allow the whole tool for the rest of the session (every command, for Bash); `deny` with a
   * `message` the agent reads. NO_PENDING_PERMISSION when the request was answered or withdrawn;
   * INVALID_INPUT for a suggestion the request does not offer. A request with `questions` is
   * allowed with `answers` (one for each question), and takes no `always` or `suggestion`.
   */
  respondToPermission(id: string, requestId: string, answer: { behavior: 'allow' | 'deny'; message?: string; always?: boolean; suggestion?: number; answers?: QuestionAnswers }): Promise<void>;
  /**
   * Answers the agent's questions (a request with `questions`): one answer for each, keyed by its
   * question text. INVALID_INPUT names a question left unanswered, or one the agent did not ask.
   */
  answerQuestion(id: string, requestId: string, answers: QuestionAnswers): Promise<void>;
  setMode(id: string, mode: AgentMode): Promise<Agent>;
}

/** A usage limit of the user's Claude subscription, as the CLI last reported it. */
export interface UsageLimit {
  /** "five_hour", "seven_day", … as the CLI names it. */
  readonly type: string;
  /** "allowed", "allowed_warning", "rejected", … */
  readonly status: string;
  /** When the limit's window resets (ISO-8601), if reported. */
  readonly resetsAt?: string;
  /** 0–1, if reported. */
  readonly utilization?: number;
  readonly overageStatus?: string;
  readonly isUsingOverage?: boolean;
  /** When the CLI reported it (ISO-8601). */
  readonly reportedAt: string;
}

export type UsageLimits = { readonly available: true; readonly limits: readonly UsageLimit[] } | { readonly available: false; readonly reason: string };

export interface UsageApi {
  today(filter?: UsageFilter): Promise<Usage>;
  get(period: 'daily' | 'weekly' | 'monthly', date?: string, filter?: UsageFilter): Promise<Usage>;
  history(options: { period: 'daily' | 'weekly' | 'monthly'; from?: string; to?: string } & UsageFilter): Promise<Usage[]>;
  /** What the CLI reported last (with reset times); reported only for a Claude subscription login, not an API key. */
  limits(): Promise<UsageLimits>;
}

/** One attempt of a group: its own worktree (branch `<name>-<position>`) and agent. */
export interface Attempt {
  readonly id: string;
  readonly position: number;
  readonly branch: string;
  /** Absent once the worktree was removed (`agentId`: once the agent was deleted for good). */
  readonly worktreeId?: string;
  readonly agentId?: string;
  readonly model?: string;
}

/** Agents started from one prompt, each in a new worktree off the same commit of `baseBranch`. */
export interface AttemptGroup {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  readonly prompt: string;
  readonly baseBranch: string;
  readonly baseCommit: string;
  readonly keptAttemptId?: string;
  readonly keptAt?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly attempts: readonly Attempt[];
}

/** A file an attempt changed since the merge-base with its base (committed or not; untracked files as added). */
export interface AttemptFile {
  readonly path: string;
  /** "A", "M", "D", "R", "C" or "T". `added`/`deleted`: absent for a binary file. */
  readonly status: string;
  readonly added?: number;
  readonly deleted?: number;
  readonly oldPath?: string;
}

/** An attempt as compared: its agent's status, turns and cost, its changes, its last message. */
export interface AttemptResult extends Attempt {
  readonly worktreePath?: string;
  readonly worktreeGone: boolean;
  readonly agentName?: string;
  readonly status?: AgentStatus;
  readonly statusReason?: string;
  /** The model's turns so far (API requests). */
  readonly turns: number;
  readonly costUsd: number;
  readonly files: readonly AttemptFile[];
  readonly added: number;
  readonly deleted: number;
  readonly lastMessage?: string;
  readonly changesError?: string;
  readonly kept: boolean;
}

export interface AttemptComparison {
  readonly group: Omit<AttemptGroup, 'attempts'>;
  readonly attempts: readonly AttemptResult[];
}

/** Conflicts are a result: the merge stays in progress in the worktree named, to be resolved or aborted there. */
export type KeepAttemptResult =
  | { readonly status: 'clean'; readonly group: AttemptGroup }
  | { readonly status: 'conflicts'; readonly worktreeId: string; readonly files: readonly string[]; readonly operation: 'merge' | 'squash' | 'rebase'; readonly group: AttemptGroup };

/** Best of N: one prompt, 2–5 agents, each in its own new worktree; compare them, keep one. */
export interface AttemptsApi {
  /**
   * Makes `count` (2–5; default the number of `models`, else 2) worktrees off the current commit
   * of `baseBranch` (default the main worktree's branch) on new branches `<name>-1` … `<name>-N`,
   * an agent in each (`models[i]`, null for the default), and sends each `prompt`. Resolves once
   * the prompts are sent. Everything is checked first (INVALID_INPUT for a branch that exists or
   * a name git refuses, NOT_FOUND for an unknown base); a failure while making them removes
   * what was made.
   */
  start(input: { workspaceId: string; name: string; prompt: string; count?: number; models?: (string | null)[]; baseBranch?: string; mode?: AgentMode; permissions?: Permission[] }): Promise<AttemptGroup>;
  /** Newest first. */
  list(workspaceId: string): Promise<AttemptGroup[]>;
  get(id: string): Promise<AttemptGroup>;
  compare(id: string): Promise<AttemptComparison>;
  /**
   * Merges the attempt's branch into the group's base, as `worktrees.merge` does (`strategy`,
   * default a merge commit). Its uncommitted work is committed first with `commitMessage`; without
   * one such an attempt is refused (INVALID_INPUT, naming the files). AGENTS_RUNNING while its
   * agent works. Conflicts are a result: the merge waits in `worktreeId` (continue or abort it
   * with `worktrees.continueMerge` / `abortMerge`).
   */
  keep(id: string, attemptId: string, options?: { commitMessage?: string; strategy?: 'merge' | 'squash' | 'rebase' }): Promise<KeepAttemptResult>;
  /**
   * After `keep`: archives the other attempts' agents and, with `removeWorktrees`, removes their
   * worktrees and branches (their agents go with them). Resolves with what could not be done.
   */
  discardOthers(id: string, options?: { removeWorktrees?: boolean }): Promise<{ archived: string[]; removed: string[]; failed: { branch: string; reason: string }[] }>;
}

/** Version 1 of the API. */
export interface ClaudeManagerApi {
  /** Always 1 for this interface. */
  readonly version: 1;
  readonly workspaces: WorkspacesApi;
  readonly worktrees: WorktreesApi;
  readonly onDidChangeWorkspaces: Event<Workspace[]>;
  readonly onDidChangeWorktrees: Event<{ workspaceId: string }>;
  readonly agents: AgentsApi;
  readonly usage: UsageApi;
  readonly attempts: AttemptsApi;
  readonly onDidChangeAgent: Event<Agent>;
  /** A streaming message is sent again under the same id as it grows. */
  readonly onDidReceiveMessage: Event<{ agentId: string; message: Message }>;
  readonly onDidRequestPermission: Event<{ agentId: string; request: PermissionRequest }>;
  readonly onDidChangeUsage: Event<{ agentId: string }>;
  /** An agent's queued messages changed: queued, edited, removed, or sent (the whole queue). */
  readonly onDidChangeQueuedMessages: Event<{ agentId: string; messages: readonly QueuedMessage[] }>;
}

/** What `activate()` returns. */
export interface ClaudeManagerExtension {
  /** Throws an error with code INVALID_INPUT for a version this extension does not provide. */
  getAPI(version: 1): ClaudeManagerApi;
}
