import type { StoredMessage } from '../storage/messageStore';

/** A fence longer than any backtick run in the text, so the text cannot close it. */
function fence(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(Math.max(3, longest + 1));
}

function block(text: string, language = ''): string {
  const f = fence(text);
  return `${f}${language}\n${text.replace(/\n$/, '')}\n${f}`;
}

/** The images a message carried, named (their files stay in the store). */
function images(m: StoredMessage): string[] {
  return m.images?.length ? [`*${m.images.length === 1 ? 'Image' : `${m.images.length} images`}: ${m.images.map((i) => `${(i.name ?? i.id).replace(/\*/g, '\\*')} (${i.mediaType})`).join(', ')}*`, ''] : [];
}

/**
 * A conversation as Markdown, oldest first: the user's messages and the assistant's text as they
 * were, thinking folded in a quote, tool calls with their input and result in fenced blocks,
 * notices in italics; a subagent's tool calls marked as its, its report after its call; the
 * images a message carried named. `messages` is in any order; they are sorted by time.
 */
export function chatToMarkdown(input: { name: string; where: string; exportedAt: Date; messages: readonly StoredMessage[] }): string {
  const out = [`# ${input.name}`, '', `Agent in ${input.where}, exported ${input.exportedAt.toISOString()}.`, ''];
  const sorted = [...input.messages].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  for (const m of sorted) {
    if (m.kind === 'notice') {
      out.push(`*${m.content.replace(/\*/g, '\\*')}*`, '');
    } else if (m.kind === 'tool') {
      out.push(`**Tool ${m.toolName ?? ''}**${m.parentId ? ' (subagent)' : ''}: ${m.content}${m.isError ? ' (failed)' : ''}`, '');
      if (m.toolInput && Object.keys(m.toolInput).length) out.push(block(JSON.stringify(m.toolInput, null, 2), 'json'), '');
      if (m.toolOutput !== undefined) out.push(block(m.toolOutput), '');
      out.push(...images(m));
      if (m.subagent?.result !== undefined) out.push(`**Subagent's report** (${m.subagent.status}):`, '', m.subagent.result, '');
    } else if (m.kind === 'thinking') {
      out.push('> *Thinking*', '>', ...m.content.split('\n').map((l) => `> ${l}`), '');
    } else {
      out.push(`## ${m.role === 'user' ? 'You' : 'Claude'} (${m.createdAt})`, '', ...images(m), m.content, '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}
