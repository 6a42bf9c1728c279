import { ClaudeManagerError } from '../errors';
import type { Logger } from '../logger';
import type { AgentRecord } from '../storage/records';
import type { Store } from '../storage/store';
import type { AgentWrites } from './agentWrites';
import type { AgentRuntimeOptions, TerminalLaunch } from './runtimeOptions';
import { checkExtraArgs } from './cliArgs';
import { HookServer } from './hookServer';
import type { LiveAgent } from './liveAgent';
import { TerminalProcess } from './terminalProcess';
import { openTerminalAgent } from './terminalSession';

/** What handing a session to a terminal needs of the runtime. */
export interface TerminalHandoffHost {
  options: AgentRuntimeOptions;
  store: Store;
  logger: Logger;
  host: AgentWrites;
  /** This window's live agents (a terminal's is one of them while it holds the session). */
  live: Map<string, LiveAgent>;
  /** The agent's record, if a CLI may run for it here (see `AgentRuntime.requireStartable`). */
  requireStartable(id: string): Promise<AgentRecord>;
  /** Ends the agent's stream-json process, or its start under way or queued, if there is one. */
  stopStreamJson(id: string): Promise<void>;
  cliArgs(record: AgentRecord): Promise<{ args: string[]; sessionId: string; resumed: boolean }>;
}

/**
 * An agent's session in an integrated terminal: the CLI's own interactive UI (`--resume`, or a new
 * or forked session as a start would), run by the caller in the worktree. One writer per session:
 * a stream-json process of the agent is stopped first, and none is started while the terminal
 * holds the session. The CLI reports through HTTP hooks (passed with `--settings`) to this window,
 * which sets the status; the history is read from the session's transcript.
 */
export class TerminalHandoff {
  private hookServer: HookServer | undefined;

  constructor(private readonly runtime: TerminalHandoffHost) {}

  /** How to run the agent's session in a terminal; report its process with `started` and its end with `closed`. */
  async open(id: string): Promise<TerminalLaunch> {
    const { options, store, host, live } = this.runtime;
    let record = await this.runtime.requireStartable(id);
    if (this.holds(id)) throw new ClaudeManagerError('ALREADY_RUNNING', `${record.name} is open in a terminal already.`);
    await this.runtime.stopStreamJson(id);
    const binary = await options.locateCli();
    const extra = checkExtraArgs(options.extraArgs?.() ?? []);
    record = await store.agents.get(id);
    const worktree = await store.worktrees.get(record.worktreeId);
    const { args, sessionId, resumed } = await this.runtime.cliArgs(record);
    const env = { ...options.env(), ...(await options.worktreeEnv?.(worktree)) };
    this.hookServer ??= new HookServer(this.runtime.logger);
    const opened = await openTerminalAgent({ agentId: id, name: record.name, worktree, sessionId, resumed, env: () => env, hookServer: this.hookServer, store, host, tasks: record.tasks, setStatus: (status, reason) => host.setStatus(id, status, reason) });
    args.push(...opened.settingsArgs, ...extra);
    live.set(id, opened.live);
    const now = new Date().toISOString();
    await store.agents.update(id, { ownerWindow: options.windowId, ownerHeartbeatAt: now, startedAt: now, stoppedAt: undefined, status: 'waiting', statusReason: 'waiting for your message in the terminal' });
    await host.agentChanged(id);
    return { name: `Claude: ${record.name}`, binary, args, cwd: worktree.path, env };
  }

  /** The terminal's process for the agent (its pid, for stop and for other windows to see it runs). */
  async started(id: string, pid: number): Promise<void> {
    const live = this.runtime.live.get(id);
    if (!(live?.process instanceof TerminalProcess)) return;
    live.process.pid = pid;
    await this.runtime.store.agents.update(id, { pid });
    await this.runtime.host.agentChanged(id);
  }

  /** The terminal holding the agent's session closed or its process exited (`code` undefined when the terminal was closed). */
  async closed(id: string, code?: number): Promise<void> {
    const live = this.runtime.live.get(id);
    if (!(live?.process instanceof TerminalProcess)) return;
    live.process.ended(code ?? null);
    await live.settled();
  }

  /** Whether a terminal of this window holds the agent's session. */
  holds(id: string): boolean {
    const live = this.runtime.live.get(id);
    return Boolean(live?.terminal && live.process.alive);
  }

  /** Stops the hooks' server (the window closes). */
  dispose(): void {
    this.hookServer?.close();
    this.hookServer = undefined;
  }
}
