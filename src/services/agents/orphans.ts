import { readFile } from 'node:fs/promises';
import { killProcessTree, processIsAlive, runProcess } from '../processRunner';
import type { Store } from '../storage/store';
import { windowGone } from './windowId';

/** Whether the process is a claude CLI this extension starts (its stream-json flags on the command line). */
export async function isOurCli(pid: number): Promise<boolean> {
  let commandLine = '';
  try {
    if (process.platform === 'linux') commandLine = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
    else if (process.platform !== 'win32') commandLine = (await runProcess('ps', ['-o', 'args=', '-p', String(pid)], { timeoutMs: 5000 })).stdout;
  } catch {
    return false;
  }
  return commandLine.includes('--input-format') && commandLine.includes('stream-json') && commandLine.includes('--permission-prompt-tool');
}

/**
 * Agents recorded as running whose owner window is gone (its pid is dead on this machine, or no
 * heartbeat since `heartbeatStaleBefore`) are finished, "ended with the editor"; a process of
 * theirs that still runs and is one of ours (checked by its command line, so a reused pid is
 * never touched) is ended first. Agents of a live window, and those `isLive` here, are left alone.
 */
export async function reconcileOrphans(
  store: Store,
  options: { windowId: string; heartbeatStaleBefore: string; isLive: (agentId: string) => boolean },
): Promise<{ ended: string[]; cleared: string[] }> {
  const ended: string[] = [];
  const cleared: string[] = [];
  for (const agent of await store.agents.list({ includeDeleted: true, withProcess: true })) {
    if (agent.pid === undefined || options.isLive(agent.id)) continue;
    const ownerLive =
      agent.ownerWindow !== undefined &&
      agent.ownerWindow !== options.windowId &&
      !windowGone(agent.ownerWindow) &&
      (agent.ownerHeartbeatAt ?? '') >= options.heartbeatStaleBefore;
    if (ownerLive) continue;
    if (processIsAlive(agent.pid) && (await isOurCli(agent.pid))) {
      killProcessTree(agent.pid);
      ended.push(agent.id);
    }
    await store.agents.update(agent.id, { pid: undefined, ownerWindow: undefined, ownerHeartbeatAt: undefined, status: 'finished', statusReason: 'ended with the editor', stoppedAt: agent.stoppedAt ?? new Date().toISOString() });
    cleared.push(agent.id);
  }
  return { ended, cleared };
}

/** Every `intervalMs`, the window says it still runs its agents (another window treats a silent owner as gone). */
export function startHeartbeat(store: Store, liveIds: () => Iterable<string>, intervalMs = 30_000): () => void {
  const timer = setInterval(() => {
    const now = new Date().toISOString();
    for (const id of liveIds()) void store.agents.update(id, { ownerHeartbeatAt: now }).catch(() => undefined);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
