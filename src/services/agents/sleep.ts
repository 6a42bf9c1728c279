import type { Logger } from '../logger';
import type { AgentRecord } from '../storage/records';
import type { Agent } from './agentCatalog';

/** The reason an agent put to sleep reads: finished (no process), its session kept. */
export const ASLEEP = 'asleep';

export function isAsleep(record: Pick<AgentRecord, 'status' | 'statusReason'>): boolean {
  return record.status === 'finished' && record.statusReason === ASLEEP;
}

/** Whether an agent may be put to sleep: it waits for a message, and no permission or question waits for the user. */
export function maySleep(agent: Pick<Agent, 'status' | 'pendingPermissions'>): boolean {
  return agent.status === 'waiting' && agent.pendingPermissions.length === 0;
}

/** What the chat says when an agent asleep is woken. */
export function wokeNotice(record: Pick<AgentRecord, 'stoppedAt'>): string {
  const minutes = record.stoppedAt ? Math.round((Date.now() - Date.parse(record.stoppedAt)) / 60_000) : undefined;
  const slept = minutes === undefined || Number.isNaN(minutes) ? '' : minutes < 1 ? ' after less than a minute asleep' : ` after ${minutes} minute${minutes === 1 ? '' : 's'} asleep`;
  return `Woke up${slept}: the conversation goes on in the same session.`;
}

/** What putting agents to sleep needs of the runtime. */
export interface SleepRuntime {
  onDidChangeAgent(listener: (agent: Agent) => void): () => void;
  get(id: string): Promise<Agent>;
  sleep(id: string): Promise<Agent>;
  inTerminal(id: string): boolean;
}

/**
 * Puts to sleep the agents of this window that have waited for the user's message longer than
 * `afterMs()` (0: never): their processes end (each holds 100–200 MB), their sessions stay, and
 * the next message, answer or start wakes them there (the runtime says so in the chat). Never one
 * that a permission or a question waits on, nor one open in a terminal. The time counts from when
 * the agent began to wait; a change of the setting applies to the agents waiting already.
 */
export class AgentSleep {
  /** agent id → when it began to wait, and the timer that puts it to sleep. */
  private readonly waiting = new Map<string, { since: number; timer: NodeJS.Timeout | undefined }>();
  private readonly off: () => void;

  constructor(
    private readonly runtime: SleepRuntime,
    private readonly afterMs: () => number,
    private readonly logger: Logger,
  ) {
    this.off = runtime.onDidChangeAgent((agent) => this.seen(agent));
  }

  /** The setting changed: the agents waiting are timed again from when they began to wait. */
  reschedule(): void {
    for (const [id, entry] of this.waiting) this.schedule(id, entry);
  }

  /** Whether this window runs the agent's process and the agent may sleep (the runtime checks again as it puts it to sleep). */
  private eligible(agent: Agent): boolean {
    return agent.ownedByThisWindow && agent.pid !== undefined && maySleep(agent) && !this.runtime.inTerminal(agent.id);
  }

  private seen(agent: Agent): void {
    const entry = this.waiting.get(agent.id);
    if (!this.eligible(agent)) {
      if (entry) clearTimeout(entry.timer);
      this.waiting.delete(agent.id);
      return;
    }
    if (entry) return; // still waiting: timed from when it began
    const next = { since: Date.now(), timer: undefined };
    this.waiting.set(agent.id, next);
    this.schedule(agent.id, next);
  }

  private schedule(id: string, entry: { since: number; timer: NodeJS.Timeout | undefined }): void {
    clearTimeout(entry.timer);
    entry.timer = undefined;
    const after = this.afterMs();
    if (!(after > 0)) return;
    entry.timer = setTimeout(() => void this.fire(id, entry), Math.max(0, entry.since + after - Date.now()));
    entry.timer.unref?.();
  }

  private async fire(id: string, entry: { since: number }): Promise<void> {
    if (this.waiting.get(id) !== entry) return;
    this.waiting.delete(id);
    try {
      const agent = await this.runtime.get(id);
      if (!this.eligible(agent)) return;
      await this.runtime.sleep(id);
      this.logger.info(`${agent.name} waited for a message for ${Math.round((Date.now() - entry.since) / 60_000)} minutes: put to sleep (its process ended; the next message wakes it on the same session).`);
    } catch (error) {
      this.logger.warn(`Agent ${id} could not be put to sleep: ${(error as Error).message}`);
    }
  }

  dispose(): void {
    this.off();
    for (const entry of this.waiting.values()) clearTimeout(entry.timer);
    this.waiting.clear();
  }
}
