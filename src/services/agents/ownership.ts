import { hostname } from 'node:os';
import { ClaudeManagerError } from '../errors';
import { killProcessTree, processIsAlive } from '../processRunner';
import type { AgentRecord } from '../storage/records';
import type { Store } from '../storage/store';
import { isOurCli } from './orphans';
import { windowGone } from './windowId';

/** How a window asks another about an agent that one runs (see src/services/windows/agentWindows.ts). */
export interface OtherWindowsLink {
  call(windowId: string, method: string, params: unknown, timeoutMs?: number): Promise<unknown>;
  answers(windowId: string, timeoutMs?: number): Promise<boolean>;
  /** Streams an agent of that window: its messages and permission requests, until the returned function is called or `onEnd`. */
  watch(windowId: string, agentId: string, onEvent: (event: 'message' | 'permission' | 'queue', data: unknown) => void, onEnd: (error: Error) => void): Promise<() => void>;
}

/** The window that runs the agent's process, when it is another window that still lives. */
export function otherOwner(record: AgentRecord, windowId: string): string | undefined {
  const owner = record.ownerWindow;
  return owner && owner !== windowId && record.pid !== undefined && !windowGone(owner) ? owner : undefined;
}

/** How long a process ended for a take-over gets to exit. */
const EXIT_WAIT_MS = 5000;

/**
 * Makes an agent of another window this window's to start: refused while that window answers;
 * else its process, if it still runs on this machine and is one of ours, is ended (the turn under
 * way stops there; what was stored of it stays), and the record no longer names an owner.
 */
export async function releaseForTakeOver(store: Store, record: AgentRecord, windowId: string, others: OtherWindowsLink | undefined): Promise<void> {
  const owner = record.ownerWindow;
  if (!owner || owner === windowId || record.pid === undefined) return;
  if (!windowGone(owner) && (await others?.answers(owner))) {
    throw new ClaudeManagerError('OWNED_BY_OTHER_WINDOW', `${record.name} runs in another window that answers: use it there, or stop it there first.`);
  }
  const here = owner.split(':')[0] === hostname();
  if (!here && !windowGone(owner)) {
    throw new ClaudeManagerError('OWNED_BY_OTHER_WINDOW', `${record.name} runs on another machine (${owner.split(':')[0]}); it cannot be ended from here. Stop it there.`);
  }
  if (processIsAlive(record.pid) && (await isOurCli(record.pid))) {
    killProcessTree(record.pid);
    const deadline = Date.now() + EXIT_WAIT_MS;
    while (processIsAlive(record.pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await store.agents.update(record.id, { pid: undefined, ownerWindow: undefined, ownerHeartbeatAt: undefined, status: 'finished', statusReason: 'taken over by another window', stoppedAt: new Date().toISOString() });
}
