import * as z from 'zod';
import type { Store } from '../storage/store';
import type { RateLimitEventLine } from './cliProtocol';

/** A usage limit of the user's subscription, as the CLI last reported it. */
export interface UsageLimit {
  /** "five_hour", "seven_day", "seven_day_opus", … as the CLI names it. */
  type: string;
  /** "allowed", "allowed_warning", "rejected", … */
  status: string;
  /** When the limit's window resets (ISO-8601), if the CLI said. */
  resetsAt?: string;
  /** 0–1, when the CLI said. */
  utilization?: number;
  overageStatus?: string;
  isUsingOverage?: boolean;
  /** When the CLI reported it (ISO-8601). */
  reportedAt: string;
}

export type UsageLimits = { available: true; limits: UsageLimit[] } | { available: false; reason: string };

const LIMITS_KEY = 'usage.limits';
const usageLimitsSchema = z.array(
  z.object({
    type: z.string(),
    status: z.string(),
    resetsAt: z.string().optional(),
    utilization: z.number().optional(),
    overageStatus: z.string().optional(),
    isUsingOverage: z.boolean().optional(),
    reportedAt: z.string(),
  }),
);

/** The subscription's usage limits: the newest report of each, in memory and in the store (setting `usage.limits`). */
export class UsageLimitsBook {
  private seen: Map<string, UsageLimit> | undefined;

  constructor(private readonly store: Store) {}

  /**
   * A `rate_limit_event`; returns the store's write (the caller tracks it). Its windows, when it
   * lists them (`unifiedWindows`: each with its status, share used and reset), are recorded each
   * as a limit of its own. The window's own status is the finer one (2.1.332 reports a window at
   * "allowed_warning" in an event that says "allowed"), except when the event says the limit it
   * names (`rateLimitType`) was reached.
   */
  reported(info: RateLimitEventLine['rate_limit_info']): Promise<unknown> {
    const reportedAt = new Date().toISOString();
    const seen = (this.seen ??= new Map());
    const iso = (seconds: number | null | undefined) => (typeof seconds === 'number' ? { resetsAt: new Date(seconds * 1000).toISOString() } : {});
    for (const [type, w] of Object.entries(info.unifiedWindows ?? {})) {
      seen.set(type, {
        type,
        status: type === info.rateLimitType && info.status === 'rejected' ? 'rejected' : (w.status ?? info.status),
        ...iso(w.resetsAt),
        ...(typeof w.utilization === 'number' ? { utilization: w.utilization } : {}),
        reportedAt,
      });
    }
    const type = info.rateLimitType ?? 'unknown';
    const window = seen.get(type);
    const limit: UsageLimit = {
      type,
      status: info.status === 'rejected' ? 'rejected' : (window?.status ?? info.status),
      ...(window?.resetsAt ? { resetsAt: window.resetsAt } : {}),
      ...iso(info.resetsAt),
      ...(window?.utilization !== undefined ? { utilization: window.utilization } : {}),
      ...(typeof info.utilization === 'number' ? { utilization: info.utilization } : {}),
      ...(info.overageStatus !== undefined ? { overageStatus: info.overageStatus } : {}),
      ...(info.isUsingOverage !== undefined ? { isUsingOverage: info.isUsingOverage } : {}),
      reportedAt,
    };
    seen.set(limit.type, limit);
    return this.store.settings.set(LIMITS_KEY, [...seen.values()]);
  }

  /**
   * The limits as the CLI last reported them (it reports them with each API response for a
   * Claude subscription login; with an API key it reports none).
   */
  async limits(): Promise<UsageLimits> {
    if (!this.seen) {
      const stored = await this.store.getSetting(LIMITS_KEY, usageLimitsSchema);
      // Not kept while empty: another window may record some meanwhile.
      if (stored?.length) this.seen = new Map(stored.map((l) => [l.type, l as UsageLimit]));
    }
    if (!this.seen?.size) {
      return { available: false, reason: 'The Claude Code CLI has not reported usage limits yet. It reports them while an agent runs with a Claude subscription login (Pro, Max); with an API key there are none to report.' };
    }
    return { available: true, limits: [...this.seen.values()] };
  }
}
