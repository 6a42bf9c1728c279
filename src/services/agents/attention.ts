import type { Agent } from './agentRuntime';
import { waitingReason } from './permissions';
import { isLimited } from '../usage/limitsText';

/** What a change of an agent asks of the user, if anything: the notifications and the status bar's "needs you". */
export type Attention =
  | { kind: 'permission'; agentId: string; message: string; requestId: string }
  | { kind: 'waiting'; agentId: string; message: string }
  | { kind: 'failed'; agentId: string; message: string }
  | { kind: 'finished'; agentId: string; message: string };

/**
 * Compares an agent before and after a change. Only this window's agents, and only moments that
 * ask for the user: a new permission request, the end of a turn, a failure, a process that ended
 * on its own (not one the user stopped). A repeated status says nothing again.
 */
export function attentionFor(before: Agent | undefined, after: Agent): Attention | undefined {
  if (!after.ownedByThisWindow) return undefined;
  const oldest = after.pendingPermissions[0];
  if (oldest && oldest.requestId !== before?.pendingPermissions[0]?.requestId) {
    return { kind: 'permission', agentId: after.id, requestId: oldest.requestId, message: `${after.name} ${waitingReason(oldest)}` };
  }
  if (before?.status !== 'running') return undefined;
  if (after.status === 'waiting' && !oldest) return { kind: 'waiting', agentId: after.id, message: `${after.name} is ${after.statusReason}.` };
  // A turn the plan's usage limit refused did not fail as such: it waits for the limit to reset.
  if (isLimited(after)) return { kind: 'failed', agentId: after.id, message: `${after.name} reached the plan's usage limit: ${after.statusReason}.` };
  if (after.status === 'error') return { kind: 'failed', agentId: after.id, message: `${after.name} failed: ${after.statusReason}` };
  if (after.status === 'finished' && after.statusReason !== 'stopped') return { kind: 'finished', agentId: after.id, message: `${after.name} finished (${after.statusReason}).` };
  return undefined;
}
