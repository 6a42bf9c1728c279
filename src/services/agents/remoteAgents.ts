import type { Logger } from '../logger';
import type { StoredMessage } from '../storage/messageStore';
import type { OtherWindowsLink } from './ownership';
import type { QueuedMessage } from './messageQueue';
import type { PermissionRequest } from './permissions';

/** What this window learns of an agent another window runs while it watches it. */
export interface RemoteEvents {
  message(agentId: string, message: StoredMessage): void;
  permission(agentId: string, request: PermissionRequest): void;
  /** Its pending requests changed: the agent is announced again. */
  changed(agentId: string): void;
  /** Its queued messages changed (the whole queue). */
  queue(agentId: string, messages: QueuedMessage[]): void;
}

interface Watch {
  holders: number;
  owner: string;
  pending: PermissionRequest[];
  stop?: () => void;
  /** Set once the watch is ended (all holders gone, or the other window went away). */
  ended: boolean;
}

/**
 * The agents of other windows that this window shows live (an open chat, say): while held, each
 * streams here from its window as if it ran here — its messages and permission requests are
 * announced by this window's runtime, and its pending requests are known (asked of its window
 * when the watch begins and whenever the agent changes).
 */
export class RemoteAgents {
  private readonly watches = new Map<string, Watch>();

  constructor(
    private readonly link: OtherWindowsLink,
    private readonly events: RemoteEvents,
    private readonly logger: Logger,
  ) {}

  /** The pending requests of a watched agent of another window. */
  pendingOf(id: string): { readonly pending: readonly PermissionRequest[] } | undefined {
    return this.watches.get(id);
  }

  /** Streams the agent from `owner` until the returned function is called (by every holder). */
  async hold(id: string, owner: string): Promise<() => void> {
    let watch = this.watches.get(id);
    if (!watch || watch.ended || watch.owner !== owner) {
      watch?.stop?.();
      watch = { holders: 0, owner, pending: [], ended: false };
      this.watches.set(id, watch);
      const current = watch;
      try {
        current.stop = await this.link.watch(
          owner,
          id,
          (event, data) => {
            if (event === 'message') this.events.message(id, data as StoredMessage);
            else if (event === 'queue') this.events.queue(id, data as QueuedMessage[]);
            else {
              current.pending = [...current.pending.filter((p) => p.requestId !== (data as PermissionRequest).requestId), data as PermissionRequest];
              this.events.permission(id, data as PermissionRequest);
              this.events.changed(id);
            }
          },
          (error) => {
            current.ended = true;
            if (this.watches.get(id) === current) this.watches.delete(id);
            this.logger.info(`Agent ${id}: no longer streamed from its window (${error.message}).`);
            this.events.changed(id);
          },
        );
        await this.refresh(id);
      } catch (error) {
        if (this.watches.get(id) === current) this.watches.delete(id);
        throw error;
      }
    }
    const held = watch;
    held.holders++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--held.holders > 0) return;
      held.ended = true;
      held.stop?.();
      if (this.watches.get(id) === held) this.watches.delete(id);
    };
  }

  /** Asks the agent's window what waits for an answer now (after the agent changed). */
  async refresh(id: string): Promise<void> {
    const watch = this.watches.get(id);
    if (!watch || watch.ended) return;
    try {
      const pending = (await this.link.call(watch.owner, 'pendingPermissions', { agentId: id })) as PermissionRequest[];
      const before = JSON.stringify(watch.pending.map((p) => p.requestId));
      watch.pending = pending;
      if (JSON.stringify(pending.map((p) => p.requestId)) !== before) this.events.changed(id);
    } catch (error) {
      this.logger.debug(`Agent ${id}: its window did not say what waits: ${(error as Error).message}`);
    }
  }

  /** Other windows wrote to the store: each watched agent is asked again what waits, and announced (its status may have changed). */
  othersWrote(): void {
    for (const id of this.watches.keys()) {
      void this.refresh(id).then(() => this.events.changed(id));
    }
  }

  dispose(): void {
    for (const watch of this.watches.values()) {
      watch.ended = true;
      watch.stop?.();
    }
    this.watches.clear();
  }
}
