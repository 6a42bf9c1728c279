import type { ChatMessage } from '../protocol';

/** Of two versions of one message, the further one: complete, else the longer (it only grows). */
export function newer(a: ChatMessage, b: ChatMessage): ChatMessage {
  if (a.isComplete !== b.isComplete) return a.isComplete ? a : b;
  return b.content.length > a.content.length || (b.toolOutput?.length ?? 0) > (a.toolOutput?.length ?? 0) ? b : a;
}
