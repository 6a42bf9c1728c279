import type { ChatAgent, SlashCommand } from '../protocol';

/**
 * The draft with `/name ` at its start: a command already there is replaced, the rest of the
 * text kept after it (the CLI reads a command only at the start of a message). The cursor goes
 * after the command's space, where its arguments are typed.
 */
export function withCommand(draft: string, name: string): { text: string; caret: number } {
  const rest = draft.startsWith('/') ? draft.replace(/^\/\S*\s*/, '') : draft.replace(/^\s+/, '');
  return { text: `/${name} ${rest}`, caret: name.length + 2 };
}

/** The commands the hint lists: by name; the CLI's internal ones (`__…`) stay out (they still complete). */
export function listedCommands(commands: readonly SlashCommand[]): SlashCommand[] {
  return commands.filter((c) => !c.name.startsWith('_')).sort((a, b) => a.name.localeCompare(b.name));
}

/** A command's tooltip: what it does, and how its arguments are written. */
function tooltipOf(c: SlashCommand): string {
  return [c.description, c.argumentHint ? `/${c.name} ${c.argumentHint}` : undefined].filter(Boolean).join('\n');
}

/** What the hint says of the commands while none is known. */
function notYet(status: ChatAgent['status']): string {
  if (status === 'finished') return ', listed here once the agent has started (your first message starts it).';
  if (status === 'running') return ', listed here once the agent has started.';
  return '.';
}

/**
 * What an empty conversation shows: what to type, how to send it, `/` for the CLI's commands
 * (the known ones listed, a click puts one in the composer) and `@` for a file of the worktree.
 * It goes away with the conversation's first message.
 */
export function EmptyChat(props: { commands: readonly SlashCommand[]; status: ChatAgent['status']; onCommand: (name: string) => void }) {
  const listed = listedCommands(props.commands);
  return (
    <section class="empty-chat" aria-label="How to start" data-testid="empty-chat">
      <p class="lead">
        Say what the agent should do. <kbd>Enter</kbd> sends, <kbd>Shift+Enter</kbd> starts a new line.
      </p>
      <p>
        <kbd>/</kbd> runs one of Claude Code's commands{listed.length ? ':' : notYet(props.status)}
      </p>
      {listed.length > 0 && (
        <ul class="command-list" aria-label="Claude Code's commands">
          {listed.map((c) => (
            <li key={c.name}>
              <button type="button" class="secondary command" title={tooltipOf(c)} onClick={() => props.onCommand(c.name)}>
                /{c.name}
              </button>
            </li>
          ))}
        </ul>
      )}
      <p>
        <kbd>@</kbd> mentions a file of the worktree. Images pasted or dropped here go with the message.
      </p>
    </section>
  );
}
