import * as z from 'zod';
import { ClaudeManagerError } from '../errors';
import type { Logger } from '../logger';
import { MAX_IMAGES_PER_MESSAGE } from '../agents/images';
import type { MessageImage } from '../storage/imageFiles';
import type { StoredMessage } from '../storage/messageStore';
import type { AgentMode } from '../storage/records';
import type { MessageQueue } from '../agents/messageQueue';
import type { PermissionAnswer, PermissionRequest } from '../agents/permissions';
import { ChannelClient, type ChannelMethod, ChannelServer, channelAddress, channelMethod } from './windowChannel';

export { socketFolder, storeSecret } from './windowChannel';

/**
 * The agents of one window reached from the user's other windows through the window channel
 * (windowChannel.ts): what a window serves of the agents it runs, and how another window asks it.
 */

/** What a window's runtime offers the others, for the agents it runs. */
export interface ServedAgents {
  isRunning(id: string): boolean;
  pendingPermissions(id: string): Promise<PermissionRequest[]>;
  /** `keptImages`: the message's images, kept by the asking window as files of the store both share. */
  sendMessage(id: string, content: string, options?: { keptImages?: readonly MessageImage[] }): Promise<{ messageId: string }>;
  interrupt(id: string): Promise<void>;
  respondToPermission(id: string, requestId: string, answer: PermissionAnswer): Promise<void>;
  setMode(id: string, mode: AgentMode): Promise<unknown>;
  stop(id: string, options: { force?: boolean }): Promise<unknown>;
  onDidReceiveMessage(listener: (e: { agentId: string; message: StoredMessage }) => void): () => void;
  onDidRequestPermission(listener: (e: { agentId: string; request: PermissionRequest }) => void): () => void;
  /** The messages sent to its agents while they work (its own queue of each). */
  readonly queue: Pick<MessageQueue, 'list' | 'edit' | 'remove' | 'sendNow' | 'onDidChange'>;
}

const agentId = z.string().min(1).max(200);
const messageId = z.string().min(1).max(200);
const answer = z.object({
  behavior: z.enum(['allow', 'deny']),
  message: z.string().max(10_000).optional(),
  always: z.boolean().optional(),
  suggestion: z.number().int().min(0).max(100).optional(),
  answers: z.record(z.string().max(10_000), z.union([z.string().max(10_000), z.array(z.string().max(10_000)).max(100)])).optional(),
});

/** An image the asking window kept for a message (a reference: the channel carries no image bytes). */
const keptImage = z.object({ id: z.string().regex(/^img_[A-Za-z0-9_-]{1,80}$/), mediaType: z.string().max(100), bytes: z.number().int().min(0), name: z.string().max(255).optional() });

/** A method about one agent this window runs: refused with NOT_RUNNING for any other. */
function about<P extends { agentId: string }>(agents: ServedAgents, params: z.ZodType<P>, run: (p: P) => Promise<unknown>): ChannelMethod {
  return channelMethod(params, async (p) => {
    if (!agents.isRunning(p.agentId)) throw new ClaudeManagerError('NOT_RUNNING', 'The agent no longer runs in that window. Start it again.');
    return run(p);
  });
}

/** The methods a window serves (each checked against its schema by the channel). */
export function agentMethods(agents: ServedAgents): Record<string, ChannelMethod> {
  return {
    ping: channelMethod(z.object({}), async () => 'pong'),
    pendingPermissions: about(agents, z.object({ agentId }), (p) => agents.pendingPermissions(p.agentId)),
    sendMessage: about(agents, z.object({ agentId, content: z.string().min(1).max(1_000_000), images: z.array(keptImage).max(MAX_IMAGES_PER_MESSAGE).optional() }), (p) => agents.sendMessage(p.agentId, p.content, p.images ? { keptImages: p.images } : {})),
    interrupt: about(agents, z.object({ agentId }), (p) => agents.interrupt(p.agentId)),
    respondToPermission: about(agents, z.object({ agentId, requestId: z.string().min(1).max(200), answer }), (p) => agents.respondToPermission(p.agentId, p.requestId, p.answer as PermissionAnswer)),
    setMode: about(agents, z.object({ agentId, mode: z.enum(['auto', 'plan', 'regular']) }), async (p) => void (await agents.setMode(p.agentId, p.mode))),
    stop: about(agents, z.object({ agentId, force: z.boolean().optional() }), async (p) => void (await agents.stop(p.agentId, p.force ? { force: true } : {}))),
    queuedMessages: about(agents, z.object({ agentId }), (p) => agents.queue.list(p.agentId)),
    editQueued: about(agents, z.object({ agentId, messageId, content: z.string().min(1).max(1_000_000) }), (p) => agents.queue.edit(p.agentId, p.messageId, p.content)),
    removeQueued: about(agents, z.object({ agentId, messageId }), async (p) => void (await agents.queue.remove(p.agentId, p.messageId))),
    sendQueuedNow: about(agents, z.object({ agentId, messageId }), (p) => agents.queue.sendNow(p.agentId, p.messageId)),
    // The conversation as it streams, and the agent's permission requests: pushed until the asker goes.
    watch: channelMethod(z.object({ agentId }), async (p, connection) => {
      const offs = [
        agents.onDidReceiveMessage((e) => e.agentId === p.agentId && connection.push('message', e.message)),
        agents.onDidRequestPermission((e) => e.agentId === p.agentId && connection.push('permission', e.request)),
        agents.queue.onDidChange((e) => e.agentId === p.agentId && connection.push('queue', e.messages)),
      ];
      connection.onClose(() => offs.forEach((off) => off()));
      return null;
    }),
  };
}

/** Serves this window's agents to the user's other windows on the store. */
export function serveAgents(options: { agents: ServedAgents; folder: string; storeDir: string; windowId: string; secret: string; logger: Logger }): Promise<ChannelServer> {
  return ChannelServer.start({ address: channelAddress(options.folder, options.storeDir, options.windowId), secret: options.secret, methods: agentMethods(options.agents), logger: options.logger });
}

/** This window asking the others: one connection per window, made on first use and made again after it broke. */
export class OtherWindows {
  private readonly clients = new Map<string, Promise<ChannelClient>>();

  constructor(private readonly options: { folder: string; storeDir: string; secret: string; connectTimeoutMs?: number }) {}

  async call(windowId: string, method: string, params: unknown, timeoutMs?: number): Promise<unknown> {
    return (await this.client(windowId)).call(method, params, timeoutMs);
  }

  /** Whether the window answers within `timeoutMs`. */
  async answers(windowId: string, timeoutMs = 3000): Promise<boolean> {
    try {
      return (await this.call(windowId, 'ping', {}, timeoutMs)) === 'pong';
    } catch {
      return false;
    }
  }

  /** Streams an agent of another window: `onEvent` gets its messages, permission requests and queue until the returned function is called. */
  async watch(windowId: string, id: string, onEvent: (event: 'message' | 'permission' | 'queue', data: unknown) => void, onEnd: (error: Error) => void): Promise<() => void> {
    const client = await ChannelClient.connect(this.address(windowId), this.options.secret, this.options.connectTimeoutMs);
    client.on('event', (event: string, data: unknown) => (event === 'message' || event === 'permission' || event === 'queue') && onEvent(event, data));
    let ended = false;
    client.on('close', (error: Error) => !ended && onEnd(error));
    await client.call('watch', { agentId: id });
    return () => {
      ended = true;
      client.close();
    };
  }

  dispose(): void {
    for (const client of this.clients.values()) void client.then((c) => c.close(), () => undefined);
    this.clients.clear();
  }

  private address(windowId: string): string {
    return channelAddress(this.options.folder, this.options.storeDir, windowId);
  }

  private client(windowId: string): Promise<ChannelClient> {
    let client = this.clients.get(windowId);
    if (!client) {
      client = ChannelClient.connect(this.address(windowId), this.options.secret, this.options.connectTimeoutMs);
      this.clients.set(windowId, client);
      const forget = () => this.clients.get(windowId) === client && this.clients.delete(windowId);
      client.then((c) => c.on('close', forget), forget);
    }
    return client;
  }
}
