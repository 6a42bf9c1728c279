import type { Logger } from '../logger';
import type { ImageFiles } from '../storage/imageFiles';
import type { Store } from '../storage/store';
import type { PreparedImage } from './images';
import { type OtherWindowsLink, otherOwner, releaseForTakeOver } from './ownership';
import type { PermissionRequest } from './permissions';
import { RemoteAgents, type RemoteEvents } from './remoteAgents';

/**
 * The runtime's way to the agents other windows of this store run: which window runs an agent,
 * calls forwarded to it, messages sent through it, and the agents watched live from here (see
 * `RemoteAgents`). Without a link to other windows, every agent is this window's to run.
 */
/** An agent shown here (an open chat, say) that is streamed from its window whenever another window runs it. */
interface Wanted {
  holders: number;
  /** The window it is streamed from, and how to stop that. */
  owner?: string;
  release?: () => void;
  /** Follows one after another: a hold never starts twice at once. */
  chain: Promise<void>;
}

export class AgentsElsewhere {
  private readonly remote: RemoteAgents | undefined;
  private readonly wanted = new Map<string, Wanted>();

  constructor(
    private readonly o: {
      store: Store;
      windowId: string;
      link: OtherWindowsLink | undefined;
      logger: Logger;
      images: ImageFiles;
      /** Whether this window runs the agent's process. */
      isLive: (id: string) => boolean;
      events: RemoteEvents;
    },
  ) {
    if (o.link) {
      this.remote = new RemoteAgents(o.link, o.events, o.logger);
      o.store.onDidChange(() => {
        this.remote?.othersWrote();
        // An agent shown here may have been started, or taken over, by another window since.
        for (const [id, wanted] of this.wanted) this.follow(id, wanted).catch((error: Error) => o.logger.debug(`Agent ${id}: its window cannot be reached: ${error.message}`));
      });
    }
  }

  /** The other window that runs the agent, when this one does not (this window then asks it). */
  async owner(id: string): Promise<string | undefined> {
    if (this.o.isLive(id) || !this.o.link) return undefined;
    return otherOwner(await this.o.store.agents.get(id), this.o.windowId);
  }

  /** Calls a method of the runtime of the window `owner`. */
  call(owner: string, method: string, params: unknown, timeoutMs?: number): Promise<unknown> {
    if (!this.o.link) throw new Error('No link to other windows.');
    return this.o.link.call(owner, method, params, timeoutMs);
  }

  /** Calls the method on the window that runs the agent, if another one does: `{ result }`, or undefined when it is this window's to do. */
  async forward(id: string, method: string, params: Record<string, unknown>): Promise<{ result: unknown } | undefined> {
    const owner = await this.owner(id);
    return owner ? { result: await this.call(owner, method, { agentId: id, ...params }) } : undefined;
  }

  /** A message to an agent another window runs goes through that window, its images as files of the store both share (the channel carries only references). */
  async sendThrough(owner: string, id: string, content: string, images: readonly PreparedImage[]): Promise<{ messageId: string }> {
    const kept = await this.o.images.save(id, images);
    try {
      return (await this.call(owner, 'sendMessage', { agentId: id, content, ...(kept.length ? { images: kept } : {}) })) as { messageId: string };
    } catch (error) {
      await this.o.images.remove(id, kept).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Streams the agent from the window that runs it, whenever that is another window, until the
   * returned function is called: now if another window runs it, and later if another window starts
   * or takes it over (learnt from that window's writes to the store). Rejects, following nothing,
   * when the window that runs it now cannot be reached.
   */
  async watch(id: string): Promise<() => void> {
    let wanted = this.wanted.get(id);
    if (!wanted) {
      wanted = { holders: 0, chain: Promise.resolve() };
      this.wanted.set(id, wanted);
    }
    const held = wanted;
    held.holders++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      if (--held.holders > 0) return;
      if (this.wanted.get(id) === held) this.wanted.delete(id);
      held.release?.();
      held.release = undefined;
    };
    try {
      await this.follow(id, held);
    } catch (error) {
      release();
      throw error;
    }
    return release;
  }

  /** Streams the wanted agent from the window that runs it now, if that is another one (and it is not streamed from it already). */
  private follow(id: string, wanted: Wanted): Promise<void> {
    const next = wanted.chain.then(async () => {
      if (!this.remote || this.wanted.get(id) !== wanted) return;
      const owner = await this.owner(id);
      const streaming = wanted.release && wanted.owner === owner && this.remote.pendingOf(id);
      if (streaming) return;
      wanted.release?.();
      wanted.release = undefined;
      wanted.owner = owner;
      if (!owner) return;
      const release = await this.remote.hold(id, owner);
      // Released while the hold was made: let it go at once.
      if (this.wanted.get(id) === wanted) wanted.release = release;
      else release();
    });
    wanted.chain = next.catch(() => undefined);
    return next;
  }

  /** The permission requests of a watched agent of another window, as last learnt. */
  pendingOf(id: string): { readonly pending: readonly PermissionRequest[] } | undefined {
    return this.remote?.pendingOf(id);
  }

  /** Makes an agent whose window is gone or silent this window's to start (see `releaseForTakeOver`). */
  async release(id: string): Promise<void> {
    if (!this.o.isLive(id)) await releaseForTakeOver(this.o.store, await this.o.store.agents.get(id), this.o.windowId, this.o.link);
  }

  dispose(): void {
    this.wanted.clear();
    this.remote?.dispose();
  }
}
