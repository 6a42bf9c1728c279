import type { QueuedMessage } from '../../services/agents/messageQueue';
import type { ChatQueued } from '../../webview/protocol';
import type { Services } from '../services';
import type { RequestHandlers } from './webviewHost';

/**
 * What a chat asks of its agent's queued messages (docs/chat.md, "Messages sent while the agent
 * works"): edit, remove, send now. `mine` refuses another agent's id.
 */
export function queueRequests(services: () => Promise<Services>, mine: <P extends { agentId: string }>(params: P) => P): Pick<RequestHandlers, 'chatQueueEdit' | 'chatQueueRemove' | 'chatQueueSendNow'> {
  const queue = async () => (await services()).runtime.queue;
  return {
    chatQueueEdit: async (p) => {
      await (await queue()).edit(mine(p).agentId, p.messageId, p.text);
      return {};
    },
    chatQueueRemove: async (p) => {
      await (await queue()).remove(mine(p).agentId, p.messageId);
      return {};
    },
    chatQueueSendNow: async (p) => {
      await (await queue()).sendNow(mine(p).agentId, p.messageId);
      return {};
    },
  };
}

/** The chat's view of queued messages: their text, and how many images each carries. */
export function chatQueued(messages: readonly QueuedMessage[]): ChatQueued[] {
  return messages.map((m) => ({ id: m.id, content: m.content, queuedAt: m.queuedAt, ...(m.images?.length ? { images: m.images.length } : {}) }));
}
