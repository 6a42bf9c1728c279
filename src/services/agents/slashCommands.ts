import * as z from 'zod';

/** One of the CLI's slash commands: its name (without the `/`), what it does, and what it takes. */
export interface SlashCommand {
  name: string;
  description?: string;
  /** How its arguments are written, as the CLI says it ("[issue description]", "<model>"). */
  argumentHint?: string;
}

/** The longest description kept: some skills describe themselves in a page, a tooltip needs a line or two. */
const MAX_DESCRIPTION = 200;

/** One entry of the `commands` of the CLI's `initialize` response (checked with 2.1.332). */
const commandEntry = z.looseObject({
  name: z.string().check(z.regex(/^[\w:.-]{1,100}$/)),
  description: z.string().optional(),
  argumentHint: z.string().optional(),
});

/** A description cut to about a tooltip's length, at a word, marked "…" when cut. */
function shortened(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= MAX_DESCRIPTION) return flat;
  const cut = flat.slice(0, MAX_DESCRIPTION);
  const space = cut.lastIndexOf(' ');
  return `${(space > MAX_DESCRIPTION / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.—-]+$/, '')}…`;
}

function commandOf(entry: z.infer<typeof commandEntry>): SlashCommand {
  const description = entry.description ? shortened(entry.description) : '';
  const hint = entry.argumentHint?.trim() ?? '';
  return { name: entry.name, ...(description ? { description } : {}), ...(hint ? { argumentHint: shortened(hint) } : {}) };
}

/**
 * The slash commands of the CLI's `initialize` response (its `commands`), in its order; an entry
 * of another shape is left out, not the whole list. Undefined when the response has no list (an
 * older CLI): the names come with the first turn's `system/init` then.
 */
export function commandsOfInitialize(response: unknown): SlashCommand[] | undefined {
  const commands = (response as { commands?: unknown } | null | undefined)?.commands;
  if (!Array.isArray(commands)) return undefined;
  const out: SlashCommand[] = [];
  const seen = new Set<string>();
  for (const entry of commands) {
    const parsed = commandEntry.safeParse(entry);
    if (!parsed.success || seen.has(parsed.data.name)) continue;
    seen.add(parsed.data.name);
    out.push(commandOf(parsed.data));
  }
  return out;
}

/**
 * The commands known with the names a `system/init` line lists: the known ones keep their
 * descriptions, a name not known yet joins them (by name only). Names the line no longer lists
 * stay: the CLI lists the same commands in both, so a missing one is only a difference of the two lists.
 */
export function withInitNames(known: readonly SlashCommand[] | undefined, names: readonly string[] | undefined): SlashCommand[] | undefined {
  if (!names) return known ? [...known] : undefined;
  const out = known ? [...known] : [];
  const have = new Set(out.map((c) => c.name));
  for (const name of names) {
    if (typeof name !== 'string' || !name || have.has(name)) continue;
    have.add(name);
    out.push({ name });
  }
  return out;
}

/** The commands kept in a session's data: the whole list (`commands`), else the names of its `system/init` (`slashCommands`). */
export function commandsOfSession(data: Record<string, unknown> | undefined): SlashCommand[] {
  if (!data) return [];
  const rich = commandsOfInitialize({ commands: data.commands });
  const names = Array.isArray(data.slashCommands) ? data.slashCommands.filter((c): c is string => typeof c === 'string') : undefined;
  return withInitNames(rich?.length ? rich : undefined, names) ?? [];
}

/** Whether two lists say the same. */
export function sameCommands(a: readonly SlashCommand[] | undefined, b: readonly SlashCommand[] | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * The slash commands each agent's CLI offers, as this window last learnt them: from the CLI's
 * `initialize` response (so they are known as soon as the agent has started, before any turn),
 * and from each `system/init`. Kept in memory after the process ends; the store keeps them with
 * the session (`commands` in its data) once the session has its first turn, since a session
 * recorded before that would be resumed and the CLI has no such session yet.
 */
export class AgentCommands {
  private readonly known = new Map<string, SlashCommand[]>();

  constructor(private readonly changed: (agentId: string, commands: SlashCommand[]) => void) {}

  get(agentId: string): SlashCommand[] | undefined {
    return this.known.get(agentId);
  }

  /** The `initialize` response of the agent's CLI: its `commands`, when it lists them. */
  initialized(agentId: string, response: unknown): void {
    const commands = commandsOfInitialize(response);
    if (commands) this.set(agentId, commands);
  }

  /** A session's data as it is stored: with the commands known, the names of its `system/init` added to them. */
  sessionData<D extends { slashCommands?: string[] }>(agentId: string, data: D): D & { commands?: SlashCommand[] } {
    const commands = withInitNames(this.known.get(agentId), data.slashCommands);
    if (!commands) return data;
    this.set(agentId, commands);
    return { ...data, commands };
  }

  forget(agentId: string): void {
    this.known.delete(agentId);
  }

  private set(agentId: string, commands: SlashCommand[]): void {
    if (sameCommands(this.known.get(agentId), commands)) return;
    this.known.set(agentId, commands);
    this.changed(agentId, commands);
  }
}
