import { EventEmitter } from 'node:events';
import * as z from 'zod';
import { ClaudeManagerError } from '../errors';
import { newId } from '../ids';
import type { Logger } from '../logger';
import type { MessageImage } from '../storage/imageFiles';
import type { AgentStatus } from '../storage/records';
import type { Store } from '../storage/store';
import { type DeliveryTarget, MessageDelivery } from './delivery';
import type { PreparedImage } from './images';

/** A message the user sent while the agent worked, waiting to be written to its CLI. */
export interface QueuedMessage {
  /** The id the message is stored under once it is delivered ("msg_…"). */
  id: string;
  content: string;
  /** When it was queued (ISO-8601). */
  queuedAt: string;
  /** The images it carries (kept as files: see ImageFiles), sent before its text. */
  images?: MessageImage[];
}

/** A message's images as it is taken: their files' references once kept, and their data when at hand. */
export interface Attached {
  refs: Promise<MessageImage[]>;
  prepared?: readonly PreparedImage[];
}

/** What the queue reads of an agent's live process. */
export interface QueueAgent {
  readonly process: { readonly alive: boolean };
  /** `initialize` was answered. */
  readonly ready: boolean;
  /** Its process is being ended on purpose (stopped, put to sleep): a message waits for the next start. */
  readonly isStopping: boolean;
  /** A turn is under way (from a message written, or the CLI's own start of a turn, to its result). */
  readonly inTurn: boolean;
  readonly terminal: unknown;
  readonly lastStatus: { status: AgentStatus } | undefined;
  sendUser(content: string, images: readonly PreparedImage[], refs: readonly MessageImage[], id: string): string;
}

/** What the queue needs of the runtime. */
export interface QueueHost {
  live(agentId: string): QueueAgent | undefined;
  /** A start under way, if any. */
  starting(agentId: string): Promise<void> | undefined;
  /** Begins a start, or joins the one under way. */
  start(agentId: string): Promise<void>;
  /** The images of a message read back from their files (and checked again), to be sent. */
  readImages(agentId: string, images: readonly MessageImage[]): Promise<PreparedImage[]>;
  /** A queued message with images was removed: their files go. */
  dropImages(agentId: string, images: readonly MessageImage[]): Promise<void>;
  /** Keeps a store write until it is durable (`settled` waits for it). */
  track(agentId: string, write: Promise<unknown>, what: string): void;
  /** The other window that runs the agent, if another does: it holds the agent's queue, and is asked. */
  elsewhere?(agentId: string): Promise<string | undefined>;
  /** Asks that window (see `agentMethods` in src/services/windows/agentWindows.ts). */
  call?(windowId: string, method: string, params: unknown): Promise<unknown>;
}

const queuedSchema = z.array(
  z.object({
    id: z.string(),
    content: z.string(),
    queuedAt: z.string(),
    images: z.array(z.object({ id: z.string(), mediaType: z.enum(['image/png', 'image/jpeg', 'image/gif', 'image/webp']), bytes: z.number(), name: z.string().optional() })).optional(),
  }),
);
const keyOf = (agentId: string) => `agents.queue.${agentId}`;

/**
 * The messages sent to an agent while it works (docs/agents.md, "Messages sent during a turn").
 * While a turn is under way, or earlier messages wait, a message is queued here instead of being
 * written to the CLI: it can be edited or removed until it is written. When a turn ends as it
 * should (waiting for a message), the first one is delivered, as a turn of its own; the next waits
 * for that turn's end. After a failed turn they wait for the user (Send Now, or the next message);
 * a stopped agent keeps them, and its next start delivers them. Kept in the store per agent
 * (setting `agents.queue.<agentId>`), so a reload of the window loses none. Every message,
 * queued or not, reaches the CLI through one `MessageDelivery`, in order. The window that runs the
 * agent holds its queue (in memory, the store following); another window asks that one, and reads
 * the store afresh for an agent no window runs.
 */
export class MessageQueue {
  private readonly lists = new Map<string, QueuedMessage[]>();
  private readonly loads = new Map<string, Promise<void>>();
  private readonly delivery = new MessageDelivery();
  private readonly events = new EventEmitter();
  /** The images of queued messages still being kept as files, by message id. */
  private readonly keeping = new Map<string, Attached>();
  /** This window's operations under way on an agent's queue (while there are some, its queue is not read afresh). */
  private readonly ops = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly host: QueueHost,
  ) {
    this.events.setMaxListeners(0);
  }

  /** Called with an agent's queue whenever it changes. */
  onDidChange(listener: (e: { agentId: string; messages: QueuedMessage[] }) => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  /**
   * Reads the agent's queue from the store: once while this window holds it, afresh (`fresh`)
   * when it may have changed elsewhere. Changes go through memory, and are written after.
   */
  load(agentId: string, fresh = false): Promise<void> {
    let loading = this.loads.get(agentId);
    if (!loading || fresh) {
      loading = this.store.getSetting(keyOf(agentId), queuedSchema).then(
        (stored) => void this.lists.set(agentId, stored ?? []),
        (error: unknown) => {
          this.loads.delete(agentId);
          throw new ClaudeManagerError('STORAGE_FAILED', `The queued messages could not be read: ${(error as Error).message}`, { cause: error });
        },
      );
      this.loads.set(agentId, loading);
    }
    return loading;
  }

  /** Before a start: the queue as the store has it, unless this window is at work on it. */
  loadForStart(agentId: string): Promise<void> {
    return this.load(agentId, !this.delivery.has(agentId) && !this.ops.get(agentId));
  }

  /** The agent's queued messages, first to be delivered first. */
  async list(agentId: string): Promise<QueuedMessage[]> {
    const owner = await this.host.elsewhere?.(agentId);
    if (owner) return (await this.host.call!(owner, 'queuedMessages', { agentId })) as QueuedMessage[];
    return this.working(agentId, async () => this.listOf(agentId).map((m) => ({ ...m })));
  }

  /**
   * Takes a message. Written to the CLI now (resolving once it is) when the agent is idle or not
   * running (it is started); queued (resolving at once, `queued: true`) while a turn is under way,
   * a message is on its way, or earlier messages wait. A queued message's id is the one it is
   * stored under once delivered.
   */
  send(agentId: string, content: string, attached?: Attached): Promise<{ messageId: string; queued?: true }> {
    return this.working(agentId, () => this.sendHere(agentId, content, attached));
  }

  private async sendHere(agentId: string, content: string, attached: Attached | undefined): Promise<{ messageId: string; queued?: true }> {
    const list = this.listOf(agentId);
    const live = this.host.live(agentId);
    const running = Boolean(live?.process.alive);
    const busy = list.length > 0 || this.delivery.has(agentId) || Boolean(running && live!.inTurn);
    // A terminal holding the session refuses the message (through the start, saying where to type).
    if (!busy || live?.terminal) return this.deliver(agentId, content, newId('msg'), { start: true, attached });
    const message: QueuedMessage = { id: newId('msg'), content, queuedAt: new Date().toISOString() };
    list.push(message);
    this.changed(agentId);
    if (attached) {
      // Delivered with these (they are awaited); recorded with the message once kept.
      this.keeping.set(message.id, attached);
      this.host.track(agentId, attached.refs, 'keeping the images of a queued message');
      void attached.refs.then(
        (refs) => {
          this.keeping.delete(message.id);
          message.images = refs;
          if (this.listOf(agentId).includes(message)) this.changed(agentId);
        },
        (error: Error) => {
          this.keeping.delete(message.id);
          this.logger.warn(`Agent ${agentId}: the images of a queued message could not be kept; it goes without them: ${error.message}`);
        },
      );
    }
    if (!running && !this.host.starting(agentId) && !this.delivery.has(agentId)) {
      // Nothing runs the agent (it stopped with messages queued): its start delivers them. A start
      // that fails gives this message back to its sender; those queued before it stay.
      try {
        await this.host.start(agentId);
      } catch (error) {
        this.take(agentId, message.id);
        throw error;
      }
    } else this.drain(agentId);
    return { messageId: message.id, queued: true };
  }

  /** Whether no message waits for the agent: none queued, none on its way to its CLI. */
  idle(agentId: string): boolean {
    return this.listOf(agentId).length === 0 && !this.delivery.has(agentId);
  }

  /** Changes a queued message's text; NOT_FOUND once it was delivered or removed. */
  async edit(agentId: string, messageId: string, content: string): Promise<QueuedMessage> {
    if (!content.trim()) throw new ClaudeManagerError('INVALID_INPUT', 'A queued message cannot be empty: remove it instead.');
    const owner = await this.host.elsewhere?.(agentId);
    if (owner) return (await this.host.call!(owner, 'editQueued', { agentId, messageId, content })) as QueuedMessage;
    return this.working(agentId, async () => {
      const message = this.find(agentId, messageId);
      message.content = content;
      this.changed(agentId);
      return { ...message };
    });
  }

  /** Takes a message out of the queue (it is never sent); NOT_FOUND once it was delivered or removed. */
  async remove(agentId: string, messageId: string): Promise<void> {
    const owner = await this.host.elsewhere?.(agentId);
    if (owner) return void (await this.host.call!(owner, 'removeQueued', { agentId, messageId }));
    return this.working(agentId, async () => {
      const message = this.find(agentId, messageId);
      this.take(agentId, messageId);
      const images = await (this.keeping.get(messageId)?.refs ?? Promise.resolve(message.images ?? [])).catch(() => []);
      if (images.length) await this.host.dropImages(agentId, images).catch((error: Error) => this.logger.warn(`Agent ${agentId}: the images of a removed message stay: ${error.message}`));
    });
  }

  /**
   * Writes a queued message to the CLI now, ahead of the others: during a turn the CLI holds it and
   * runs it after the turn (with anything else written meanwhile, as one turn); an agent not
   * running is started. Resolves once it is written; if it cannot be, it goes back where it was.
   */
  async sendNow(agentId: string, messageId: string): Promise<{ messageId: string }> {
    const owner = await this.host.elsewhere?.(agentId);
    if (owner) return (await this.host.call!(owner, 'sendQueuedNow', { agentId, messageId })) as { messageId: string };
    return this.working(agentId, () => this.sendNowHere(agentId, messageId));
  }

  private async sendNowHere(agentId: string, messageId: string): Promise<{ messageId: string }> {
    this.find(agentId, messageId);
    const list = this.listOf(agentId);
    const at = list.findIndex((m) => m.id === messageId);
    const [message] = list.splice(at, 1);
    this.changed(agentId);
    try {
      return await this.deliver(agentId, message!.content, message!.id, { start: true, attached: this.attachedOf(message!) });
    } catch (error) {
      list.splice(Math.min(at, list.length), 0, message!);
      this.changed(agentId);
      throw error;
    }
  }

  /** The agent's process answered `initialize`: the queue goes on. Whether a message is on its way (its turn begins). */
  started(agentId: string): boolean {
    this.drain(agentId);
    return this.delivery.has(agentId);
  }

  /** A turn ended (its result applied). After a failed one the queue waits for the user. */
  turnEnded(agentId: string): void {
    if (this.host.live(agentId)?.lastStatus?.status === 'error') return;
    this.drain(agentId);
  }

  /** The queue of an agent another window runs changed there (while this window watches it). */
  remoteChanged(agentId: string, messages: QueuedMessage[]): void {
    this.events.emit('change', { agentId, messages });
  }

  /** The agent was deleted for good: its queue goes with it. */
  async forget(agentId: string): Promise<void> {
    this.lists.set(agentId, []);
    this.loads.set(agentId, Promise.resolve());
    await this.store.settings.set(keyOf(agentId), []);
  }

  /** Delivers the first queued message if the agent runs and is idle, as a turn of its own. */
  private drain(agentId: string): void {
    const list = this.lists.get(agentId);
    if (!list?.length || this.delivery.has(agentId)) return;
    const live = this.host.live(agentId);
    if (!live?.process.alive || !live.ready || live.inTurn || live.terminal) return;
    const next = list.shift()!;
    this.changed(agentId);
    // Written only to the process running now: an agent stopped meanwhile keeps the message queued.
    this.deliver(agentId, next.content, next.id, { start: false, attached: this.attachedOf(next) }).catch((error: unknown) => {
      this.listOf(agentId).unshift(next);
      this.changed(agentId);
      this.logger.warn(`Agent ${agentId}: a queued message stays queued: ${(error as Error).message}`);
    });
  }

  /** A queued message's images: being kept still, or their files (read back when it is written). */
  private attachedOf(message: QueuedMessage): Attached | undefined {
    return this.keeping.get(message.id) ?? (message.images?.length ? { refs: Promise.resolve(message.images) } : undefined);
  }

  private deliver(agentId: string, content: string, id: string, options: { start: boolean; attached?: Attached | undefined }): Promise<{ messageId: string }> {
    const live = () => this.host.live(agentId);
    const target: DeliveryTarget = {
      ready: () => Boolean(live()?.process.alive && live()?.ready && !live()?.isStopping),
      starting: () => this.host.starting(agentId),
      start: () => (options.start ? this.host.start(agentId) : Promise.reject(new ClaudeManagerError('NOT_RUNNING', 'The agent stopped before its queued message could be sent.'))),
      write: async (text) => {
        // A message's images go with it: those at hand, else read back from their files.
        const refs = options.attached ? await options.attached.refs : [];
        const images = options.attached?.prepared?.length ? options.attached.prepared : refs.length ? await this.host.readImages(agentId, refs) : [];
        const agent = live();
        if (!agent?.process.alive) throw new ClaudeManagerError('NOT_RUNNING', 'The agent stopped before the message could be sent. Send it again.');
        return agent.sendUser(text, images, refs, id);
      },
    };
    return this.delivery.accept(agentId, content, target);
  }

  /**
   * Runs an operation on the agent's queue as this window has it. A queue this window does not
   * hold (no process of the agent here, no start, no message on its way, no other operation) is
   * read afresh first: another window may have changed it. Operations that overlap share one read.
   */
  private async working<T>(agentId: string, run: () => Promise<T>): Promise<T> {
    const held = Boolean(this.host.live(agentId) || this.host.starting(agentId) || this.delivery.has(agentId) || this.ops.get(agentId));
    this.ops.set(agentId, (this.ops.get(agentId) ?? 0) + 1);
    try {
      await this.load(agentId, !held);
      return await run();
    } finally {
      const left = this.ops.get(agentId)! - 1;
      if (left > 0) this.ops.set(agentId, left);
      else this.ops.delete(agentId);
    }
  }

  private listOf(agentId: string): QueuedMessage[] {
    let list = this.lists.get(agentId);
    if (!list) this.lists.set(agentId, (list = []));
    return list;
  }

  private find(agentId: string, messageId: string): QueuedMessage {
    const message = this.listOf(agentId).find((m) => m.id === messageId);
    if (!message) throw new ClaudeManagerError('NOT_FOUND', 'That message is no longer queued: it was sent or removed.');
    return message;
  }

  private take(agentId: string, messageId: string): void {
    const list = this.listOf(agentId);
    const at = list.findIndex((m) => m.id === messageId);
    if (at < 0) return;
    list.splice(at, 1);
    this.changed(agentId);
  }

  /** Records the agent's queue (without waiting for durability) and announces it. */
  private changed(agentId: string): void {
    const messages = this.listOf(agentId).map((m) => ({ ...m }));
    this.host.track(agentId, this.store.settings.set(keyOf(agentId), messages), 'recording its queued messages');
    this.events.emit('change', { agentId, messages });
  }
}
