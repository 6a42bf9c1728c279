import type { Logger } from '../logger';
import { isLimited, limitedReason } from '../usage/limitsText';
import type { Agent } from './agentRuntime';

/** What LimitResume needs of the runtime. */
export interface LimitRuntime {
  onDidHitLimit(listener: (e: { agentId: string; until: string }) => void): () => void;
  get(id: string): Promise<Agent>;
  sendMessage(id: string, content: string): Promise<unknown>;
  noteLimit(id: string, reason: string): Promise<void>;
}

/** What the CLI is told to go on with (what a user types after a limit). */
export const RESUME_MESSAGE = 'continue';

/**
 * Resumes agents whose turn ended on the plan's usage limit once it resets
 * (`claudeManager.resumeAfterLimit`): each is sent "continue" a moment after the reset, in the
 * order they were limited, `staggerMs` apart, so that twenty agents limited together do not all
 * call the API in the same second. Only an agent still limited is resumed (one the user sent a
 * message meanwhile, or stopped, is left alone); `cancel` keeps one from resuming.
 */
export class LimitResume {
  private readonly waiting = new Map<string, { timer: NodeJS.Timeout; until: string }>();
  private readonly off: () => void;

  constructor(
    private readonly runtime: LimitRuntime,
    private readonly enabled: () => boolean,
    private readonly logger: Logger,
    private readonly staggerMs = 3000,
    private readonly now: () => number = Date.now,
  ) {
    this.off = runtime.onDidHitLimit((e) => this.limited(e.agentId, e.until));
  }

  /** Whether the agent will resume by itself. */
  scheduled(agentId: string): boolean {
    return this.waiting.has(agentId);
  }

  private limited(agentId: string, until: string): void {
    this.clear(agentId);
    if (!this.enabled()) return;
    // After the agents limited before it that resume at the same time.
    const before = [...this.waiting.values()].filter((w) => Math.abs(Date.parse(w.until) - Date.parse(until)) < 60_000).length;
    const delay = Math.max(0, Date.parse(until) - this.now()) + 1000 + before * this.staggerMs;
    this.waiting.set(agentId, { until, timer: setTimeout(() => void this.resume(agentId), delay) });
    void this.runtime.noteLimit(agentId, limitedReason(until, '; resumes by itself then')).catch(() => undefined);
  }

  private async resume(agentId: string): Promise<void> {
    this.waiting.delete(agentId);
    try {
      const agent = await this.runtime.get(agentId);
      if (!isLimited(agent) || !agent.ownedByThisWindow) return;
      this.logger.info(`${agent.name}: its usage limit has reset; it goes on ("${RESUME_MESSAGE}").`);
      await this.runtime.sendMessage(agentId, RESUME_MESSAGE);
    } catch (error) {
      this.logger.warn(`Agent ${agentId} could not be resumed after its usage limit: ${(error as Error).message}`);
    }
  }

  /** Keeps the agent from resuming by itself; false when it was not going to. */
  async cancel(agentId: string): Promise<boolean> {
    const w = this.waiting.get(agentId);
    if (!w) return false;
    this.clear(agentId);
    await this.runtime.noteLimit(agentId, limitedReason(w.until));
    return true;
  }

  private clear(agentId: string): void {
    const w = this.waiting.get(agentId);
    if (w) clearTimeout(w.timer);
    this.waiting.delete(agentId);
  }

  dispose(): void {
    this.off();
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    this.waiting.clear();
  }
}
