import { ClaudeManagerError } from '../errors';

/** The agent a message is delivered to, as delivery sees it. */
export interface DeliveryTarget<T = string> {
  /** Whether the agent's process runs and answered `initialize` (a message written before could overtake the first prompt). */
  ready(): boolean;
  /** A start under way, if any. */
  starting(): Promise<void> | undefined;
  /** Begins a start (or joins the one under way). */
  start(): Promise<void>;
  /** Writes the message to the CLI (once what it carries is ready: its images kept); returns its stored id. */
  write(content: T): string | Promise<string>;
}

/**
 * Every message accepted for an agent is written to its CLI once, in the order accepted: after
 * the one before it, after the start under way, or after a start it begins itself. A message
 * that cannot be delivered rejects, so that its sender keeps it.
 */
export class MessageDelivery {
  /** Per agent, the last message accepted. */
  private readonly last = new Map<string, Promise<unknown>>();
  /** Per agent, how many accepted messages are not written yet. */
  private readonly waiting = new Map<string, number>();

  /** Whether messages wait for the agent (a start then does not say "waiting for your message"). */
  has(agentId: string): boolean {
    return (this.waiting.get(agentId) ?? 0) > 0;
  }

  accept<T>(agentId: string, content: T, target: DeliveryTarget<T>): Promise<{ messageId: string }> {
    this.waiting.set(agentId, (this.waiting.get(agentId) ?? 0) + 1);
    const previous = this.last.get(agentId) ?? Promise.resolve();
    const delivery = previous
      .catch(() => undefined)
      .then(async () => {
        await target.starting();
        if (!target.ready()) await target.start();
        if (!target.ready()) throw new ClaudeManagerError('NOT_RUNNING', 'The agent stopped before the message could be sent. Send it again.');
        return { messageId: await target.write(content) };
      })
      .finally(() => {
        const left = (this.waiting.get(agentId) ?? 1) - 1;
        if (left > 0) this.waiting.set(agentId, left);
        else this.waiting.delete(agentId);
        if (this.last.get(agentId) === delivery) this.last.delete(agentId);
      });
    this.last.set(agentId, delivery);
    return delivery;
  }
}
