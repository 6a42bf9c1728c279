import type { ChatMessage } from '../protocol';

/** How far a subagent's call has come: none said, running, ended. */
const subagentStage = (m: ChatMessage): number => (m.subagent === undefined ? 0 : m.subagent.status === 'running' ? 1 : 2);

/**
 * Of two versions of one message, the further one: complete, else the one whose subagent has come
 * further (its status changes while its text stays), else the longer (it only grows).
 */
export function newer(a: ChatMessage, b: ChatMessage): ChatMessage {
  if (a.isComplete !== b.isComplete) return a.isComplete ? a : b;
  if (subagentStage(a) !== subagentStage(b)) return subagentStage(b) > subagentStage(a) ? b : a;
  return b.content.length > a.content.length || (b.toolOutput?.length ?? 0) > (a.toolOutput?.length ?? 0) ? b : a;
}
