import { join } from 'node:path';
import { ClaudeManagerError } from '../errors';
import type { AgentRecord } from '../storage/records';
import type { AgentWrites } from './agentWrites';
import type { AgentRuntimeOptions } from './runtimeOptions';
import { checkExtraArgs, cliConfigDir, SNAPSHOT_HOOKS, storedAgentArgs } from './cliArgs';
import { CliProcess } from './cliProcess';
import type { FileSnapshots } from './fileSnapshots';
import { LiveAgent } from './liveAgent';
import type { AgentCommands } from './slashCommands';

/** What starting an agent's CLI needs of the runtime. */
export interface Launcher {
  options: AgentRuntimeOptions;
  host: AgentWrites;
  snapshots: FileSnapshots | undefined;
  /** Told the slash commands of the CLI's `initialize` answer. */
  commands: AgentCommands;
  bypassing(id: string): Promise<boolean>;
}

/** The agent's CLI flags; a new session's id is recorded at once, so the agent has its session the moment it starts. */
export async function agentCliArgs(launcher: Launcher, record: AgentRecord): Promise<{ args: string[]; sessionId: string; resumed: boolean }> {
  const result = await storedAgentArgs(launcher.options.store, record, await launcher.bypassing(record.id));
  if (!record.sessionId) launcher.host.updateAgent(record.id, { sessionId: result.sessionId }, 'recording its session');
  return result;
}

/**
 * Starts the agent's CLI process (its status says so, and why not when it cannot), hands the live
 * agent to `register` as soon as the process runs, and answers nothing before the CLI answered
 * `initialize`. `messageWaiting`: a message is about to be sent (else the agent waits for one).
 */
export async function launchAgent(launcher: Launcher, id: string, register: (live: LiveAgent) => void, messageWaiting: () => boolean): Promise<void> {
  const { options, host } = launcher;
  const { store, logger } = options;
  const record = await store.agents.get(id);
  const worktree = await store.worktrees.get(record.worktreeId);
  let binary: string;
  let args: string[];
  let env: NodeJS.ProcessEnv;
  try {
    binary = await options.locateCli();
    args = [...(await agentCliArgs(launcher, record)).args, ...checkExtraArgs(options.extraArgs?.() ?? [])];
    env = { ...options.env(), ...(await options.worktreeEnv?.(worktree)) };
  } catch (error) {
    await host.setStatus(id, 'error', `could not start: ${(error as Error).message}`);
    throw error;
  }
  const process = new CliProcess({ binary, args, cwd: worktree.path, env, logger, label: `Agent ${record.name}`, ...(options.spawn ? { spawn: options.spawn } : {}) });
  await host.setStatus(id, 'running', 'starting');
  try {
    await process.start();
  } catch (error) {
    await host.setStatus(id, 'error', `could not start: ${(error as Error).message}`);
    throw error;
  }
  const live = new LiveAgent(id, record.worktreeId, worktree.workspaceId, worktree.path, process, host, { planDir: join(cliConfigDir(env), 'plans'), tasks: record.tasks });
  process.on('oversized', (line) => live.oversized(line));
  register(live);
  if (process.pid !== undefined) options.watchdog?.add(process.pid);
  const now = new Date().toISOString();
  // Sent now, durable a moment later (the write is applied at once: reads see it).
  host.updateAgent(id, { pid: process.pid, ownerWindow: options.windowId, ownerHeartbeatAt: now, startedAt: now, stoppedAt: undefined }, 'recording its process');
  try {
    // Its answer lists the slash commands: known from here on, before any turn.
    launcher.commands.initialized(id, await process.request({ subtype: 'initialize', ...(launcher.snapshots ? { hooks: SNAPSHOT_HOOKS } : {}) }, options.startTimeoutMs ?? 30_000));
  } catch (error) {
    const exit = await process.stop({ force: true });
    // A CLI that refused to start says why on stderr (e.g. bypassing permissions as root).
    const why = exit.stderrTail.split('\n').filter(Boolean).pop();
    if (why && !process.alive) throw new ClaudeManagerError('NOT_RUNNING', `The CLI stopped as it started: ${why}`, { cause: error });
    throw error;
  }
  live.ready = true;
  // The CLI announces its session with the first turn's output; without a message waiting it waits.
  if (!messageWaiting()) await host.setStatus(id, 'waiting', 'waiting for your message');
}
