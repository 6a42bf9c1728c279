import type { ChatMessage } from '../protocol';

/** The tools that start a subagent ("Agent"; "Task" in older releases of the CLI). */
const SUBAGENT_TOOLS: ReadonlySet<string> = new Set(['Agent', 'Task']);

/** Whether a message is a subagent's call, drawn as its card. */
export function isSubagentCall(m: ChatMessage): boolean {
  return m.kind === 'tool' && (m.subagent !== undefined || SUBAGENT_TOOLS.has(m.toolName ?? ''));
}

/** The conversation as the list draws it. */
export interface Threads {
  /** Its rows: the agent's own messages, and a subagent's whose call no page holds (none older is left to load). */
  rows: ChatMessage[];
  /** Each subagent call's messages, in order, by the call's id. */
  children: ReadonlyMap<string, readonly ChatMessage[]>;
  /** A subagent's message whose call is on an older page, not loaded yet. */
  waitsForOlder: boolean;
}

const NONE: readonly ChatMessage[] = [];

/**
 * A subagent's messages go in its call's card, not in rows of their own. Messages come oldest
 * first; a subagent's come after its call, so a call on an older page than its messages is loaded
 * before they show (`waitsForOlder`).
 */
export function threadsOf(messages: readonly ChatMessage[], hasOlder: boolean): Threads {
  if (!messages.some((m) => m.parentId !== undefined)) return { rows: messages as ChatMessage[], children: new Map(), waitsForOlder: false };
  const ids = new Set(messages.map((m) => m.id));
  const rows: ChatMessage[] = [];
  const children = new Map<string, ChatMessage[]>();
  let waitsForOlder = false;
  for (const m of messages) {
    if (m.parentId === undefined) rows.push(m);
    else if (ids.has(m.parentId)) {
      const list = children.get(m.parentId);
      if (list) list.push(m);
      else children.set(m.parentId, [m]);
    } else if (hasOlder) waitsForOlder = true;
    else rows.push(m);
  }
  return { rows, children, waitsForOlder };
}

/** A call's messages (none when it has none). */
export function childrenOf(threads: Threads, id: string): readonly ChatMessage[] {
  return threads.children.get(id) ?? NONE;
}

/** The row a message is drawn in: its own, or its call's (or that call's call's…); undefined when it is not there. */
export function rowOf(messages: readonly ChatMessage[], id: string): string | undefined {
  const byId = new Map(messages.map((m) => [m.id, m]));
  let m = byId.get(id);
  for (let depth = 0; m?.parentId !== undefined && byId.has(m.parentId) && depth < 100; depth++) m = byId.get(m.parentId);
  return m?.id;
}
