import type { Logger } from '../logger';
import type { WorktreeRecord } from '../storage/records';
import type { Store } from '../storage/store';
import type { SpawnFn } from './cliProcess';
import type { OtherWindowsLink } from './ownership';
import type { AgentWatchdog } from './watchdog';

export interface AgentRuntimeOptions {
  store: Store;
  logger: Logger;
  /** This window's id: the owner recorded on the agents it runs. */
  windowId: string;
  /** The CLI to run (claudeManager.claudePath, PATH, install locations); rejects with CLI_NOT_FOUND. */
  locateCli: () => Promise<string>;
  /** The CLI's environment: the extension host's plus the configured extra variables. */
  env: () => NodeJS.ProcessEnv;
  /** What an agent of this worktree (or its terminal) gets on top of `env`: its ports, its repository's setup `env`. */
  worktreeEnv?: (worktree: WorktreeRecord) => Promise<Record<string, string>>;
  /** Extra CLI arguments from the settings (refused when they hold a flag the product sets itself). */
  extraArgs?: () => readonly string[];
  /** How long `start` waits for `system/init`. */
  startTimeoutMs?: number;
  /** Ends the agents' process groups if this process dies without stopping them. */
  watchdog?: AgentWatchdog;
  /** A notice is added when the context fills past this percentage (`claudeManager.contextWarningThreshold`, default 80). */
  contextWarningThreshold?: () => number;
  /** At most this many agents run at once (`claudeManager.maxConcurrentAgents`, default 8); later starts queue. */
  maxConcurrent?: () => number;
  /** Starts the CLI processes (the extension: `SpawnHost`, from a worker thread; default: on this thread). */
  spawn?: SpawnFn;
  /** Whether the editor trusts the workspace (default: yes). Agents run tools: none starts in an untrusted one. */
  trusted?: () => boolean;
  /** Where the files that file tools change are kept, before and after, for diffs (none kept without it). */
  snapshotsDir?: string;
  /** Where the images of messages are kept (default: the store's `images` folder, which goes with an agent's messages). */
  imagesDir?: string;
  /** The user's other windows on this store: an agent one of them runs is used through it. */
  otherWindows?: OtherWindowsLink;
}

export interface StartOptions {
  /** The first user message, sent once the process runs (before any message sent after this call). */
  initialPrompt?: string;
  /** Told the stored id of that message. */
  onSent?: (messageId: string) => void;
}

/** How to run an agent's session in a terminal: the CLI's interactive UI, reporting through hooks. */
export interface TerminalLaunch {
  name: string;
  binary: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}
