import { DEFAULT_AGENT_NAME } from '../storage/records';
import type { Store } from '../storage/store';

const MAX = 40;

/**
 * A short name from an agent's first prompt, as a person would title it: its first line, without
 * Markdown marks or a leading slash, at most 40 characters cut at a word; undefined when nothing
 * is left.
 */
export function nameFromPrompt(prompt: string): string | undefined {
  const line = prompt.split('\n').map((l) => l.trim()).find(Boolean) ?? '';
  let text = line
    .replace(/^(?:[#>*+-]+\s*|\d+[.)]\s+)+/, '')
    .replace(/^\[[ xX]\]\s*/, '')
    .replace(/^\//, '')
    .replace(/[`*_~]/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
  if (text.length > MAX) {
    const cut = text.slice(0, MAX + 1);
    const space = cut.lastIndexOf(' ');
    text = `${(space >= MAX / 2 ? cut.slice(0, space) : text.slice(0, MAX)).replace(/[\s,.;:!-]+$/, '')}…`;
  } else {
    text = text.replace(/[\s,.;:!]+$/, '');
  }
  if (!text) return undefined;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Names an agent created without a name ("Agent 3") from its first message: what it is about says
 * more in the tree and the chat's title than a number. A name the user gave, a fork's, or one
 * changed meanwhile stays. Call it before the message is delivered: the store answers in order,
 * so it reads the agent as it was. Resolves with whether the agent was renamed.
 */
export function nameFromFirstMessage(store: Store, id: string, content: string): Promise<boolean> {
  const before = Promise.all([store.agents.get(id), store.messages.count(id)]);
  return before.then(async ([record, count]) => {
    const name = nameFromPrompt(content);
    if (!name || !DEFAULT_AGENT_NAME.test(record.name) || record.parentAgentId || count > 0) return false;
    if ((await store.agents.get(id)).name !== record.name) return false;
    await store.agents.update(id, { name });
    return true;
  });
}
