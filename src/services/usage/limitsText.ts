import type { UsageLimit } from '../agents/usageLimits';

const NAMES: Record<string, string> = { five_hour: '5-hour', seven_day: '7-day', seven_day_opus: '7-day (Opus)', seven_day_sonnet: '7-day (Sonnet)' };
const STATES: Record<string, string> = { allowed: 'within the limit', allowed_warning: 'near the limit', rejected: 'limit reached' };

/** "14:05" today, else "Tue 14:05", in the user's local time. */
export function localReset(iso: string, now = new Date()): string {
  const at = new Date(iso);
  const time = `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
  if (at.toDateString() === now.toDateString()) return time;
  return `${at.toLocaleDateString('en-US', { weekday: 'short', month: 'short', day: 'numeric' })} ${time}`;
}

/**
 * The reason of an agent whose turn the plan's usage limit refused ("limited until 13:33", with
 * `more` after it): the one place it is written, and `isLimited` the one place it is read.
 */
export function limitedReason(until: string, more = ''): string {
  return `limited until ${localReset(until)}${more}`;
}

/** Whether an agent waits for the plan's usage limit to reset (see `limitedReason`). */
export function isLimited(agent: { status: string; statusReason: string }): boolean {
  return agent.status === 'error' && agent.statusReason.startsWith('limited until ');
}

/** One plan limit as a line: "5-hour: near the limit, 85% used, resets 14:05". */
export function limitLine(limit: UsageLimit, now = new Date()): string {
  const parts = [STATES[limit.status] ?? limit.status];
  if (limit.utilization !== undefined) parts.push(`${Math.round(limit.utilization * 100)}% used`);
  if (limit.resetsAt) parts.push(`resets ${localReset(limit.resetsAt, now)}`);
  return `${NAMES[limit.type] ?? limit.type}: ${parts.join(', ')}`;
}
