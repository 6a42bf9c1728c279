import { ClaudeManagerError } from '../errors';
import type { AgentRuntime } from '../agents/agentRuntime';

/** What the agent is asked: a line it can write from what it did in the worktree. */
export const COMMIT_MESSAGE_REQUEST =
  'Summarise the uncommitted changes in this worktree as a one-line git commit message (imperative, under 72 characters). Reply with that line only.';

/** The first line of a reply, without the quotes or backticks a model likes to put around it. */
export function firstLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((l) => l.trim().replace(/^[`"'*]+|[`"'*]+$/g, '').trim())
    .find(Boolean);
}

/**
 * Asks an agent for a one-line commit message, as a message of its conversation (so it answers
 * from what it did), and resolves with the first line of its reply once its turn has ended.
 * Refused (ALREADY_RUNNING) while a turn of its own runs: the request would wait in its queue.
 */
export async function askForCommitMessage(runtime: Pick<AgentRuntime, 'get' | 'sendMessage' | 'onDidChangeAgent' | 'getMessages' | 'settled'>, agentId: string): Promise<string | undefined> {
  const agent = await runtime.get(agentId);
  if (agent.status === 'running') throw new ClaudeManagerError('ALREADY_RUNNING', `${agent.name} is working. Ask again when its turn ends.`);
  let off = (): void => undefined;
  const turnEnded = new Promise<void>((resolve) => {
    let seenRunning = false;
    off = runtime.onDidChangeAgent((a) => {
      if (a.id !== agentId) return;
      if (a.status === 'running') seenRunning = true;
      else if (seenRunning || a.status === 'error') resolve();
    });
  });
  try {
    const sent = await runtime.sendMessage(agentId, COMMIT_MESSAGE_REQUEST);
    if (sent.queued) throw new ClaudeManagerError('ALREADY_RUNNING', `${agent.name} is busy; the request waits in its queue. Ask again once it has answered.`);
    await turnEnded;
    // The reply is stored once what the turn wrote has settled.
    await runtime.settled(agentId);
    const page = await runtime.getMessages(agentId, { limit: 20 });
    // Newest first: the assistant's text written after the request.
    const at = page.messages.findIndex((m) => m.id === sent.messageId);
    const replies = (at < 0 ? page.messages : page.messages.slice(0, at)).filter((m) => m.role === 'assistant' && m.kind === 'text');
    const last = replies[0];
    return last ? firstLine(last.content) : undefined;
  } finally {
    off();
  }
}
