import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { ClaudeManagerError } from '../errors';
import type { WorkspaceRecord, WorktreeRecord } from '../storage/records';
import type { Store } from '../storage/store';

import { SETUP_FILE } from './setupFile';

export { SETUP_FILE };

const PORT_MAX = 65_535;

/** What `.claude-manager.json` holds (the same is stored per repository when the team keeps no file). */
export const setupConfigSchema = z
  .strictObject({
    setup: z.optional(z.array(z.string().min(1)).describe('Commands run in each new worktree, in order, each once the one before succeeded, in a terminal you can watch. Asked for once before they first run (and again when they change).')),
    run: z.optional(z.string().min(1).describe("The worktree's dev command, started by the Run action on its row (one per worktree, stopped with it).")),
    ports: z.optional(
      z
        .strictObject({
          base: z.int().min(1024).max(PORT_MAX).describe('The first port a worktree may take.'),
          count: z.int().min(1).max(100).describe('How many ports each worktree holds.'),
        })
        .describe('Each worktree holds its own block of `count` ports from `base` up, held by no other worktree of the repository. Its agents, terminals and Run get PORT (the first) and CLAUDE_MANAGER_PORTS (all, comma-separated).'),
    ),
    env: z.optional(z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).describe("Extra environment variables for the repository's agents and terminals.")),
  })
  .describe('How Claude Manager makes the worktrees of this repository ready to work in.');
export type SetupConfig = z.infer<typeof setupConfigSchema>;

/** A repository's setup and where it came from. */
export interface RepositorySetup {
  config: SetupConfig;
  /** The committed file, or what the user stored for the repository. */
  source: 'file' | 'stored';
  /** Of what runs or changes the environment (setup, run, env): a committed file's must be allowed again when it changes. */
  digest: string;
}

const storedKey = (workspaceId: string) => `setup.config.${workspaceId}`;
const allowedKey = (workspaceId: string) => `setup.allowed.${workspaceId}`;

/** The digest of what a setup would run or put in the environment (ports run nothing). */
export function setupDigest(config: SetupConfig): string {
  return createHash('sha256')
    .update(JSON.stringify({ setup: config.setup ?? [], run: config.run ?? null, env: Object.entries(config.env ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)) }))
    .digest('hex');
}

/** Reads a setup: JSON text checked against the schema; INVALID_INPUT names where it is wrong. */
export function parseSetup(text: string, where: string): SetupConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ClaudeManagerError('INVALID_INPUT', `${where} is not valid JSON (${(error as Error).message}). Fix it, or remove it.`);
  }
  const parsed = setupConfigSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.length ? issue.path.join('.') : 'the top level';
    throw new ClaudeManagerError('INVALID_INPUT', `${where}: ${path}: ${issue.message}. See the schema the editor offers for ${SETUP_FILE}.`);
  }
  return parsed.data;
}

/**
 * Each repository's worktree setup (`.claude-manager.json`, or one stored for it with `save`): the
 * ports each worktree holds, and the environment its agents and terminals get. What a committed
 * file would run or put in the environment applies only once the user allowed that file's content
 * (asked through `ask`, again when it changes), as the editor asks before automatic tasks; ports
 * run nothing and apply at once.
 */
export class WorktreeSetup {
  constructor(
    private readonly store: Store,
    /** Asks the user whether a repository's committed file may run and set what it holds. */
    private readonly ask?: (workspace: WorkspaceRecord, setup: RepositorySetup) => Promise<boolean>,
  ) {}

  /** The repository's setup, or undefined when it has none; INVALID_INPUT when its file is wrong. */
  async of(workspaceId: string): Promise<RepositorySetup | undefined> {
    const workspace = await this.store.workspaces.get(workspaceId);
    const file = join(workspace.path, SETUP_FILE);
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw new ClaudeManagerError('INVALID_INPUT', `${file} could not be read: ${error.message}.`);
    });
    if (text !== undefined) {
      const config = parseSetup(text, file);
      return { config, source: 'file', digest: setupDigest(config) };
    }
    const stored = await this.store.settings.get(storedKey(workspaceId));
    if (stored === undefined || stored === null) return undefined;
    const config = parseSetup(JSON.stringify(stored), `The worktree setup stored for ${workspace.name}`);
    return { config, source: 'stored', digest: setupDigest(config) };
  }

  /** Stores a setup for a repository that keeps no file (null forgets it). */
  async save(workspaceId: string, config: SetupConfig | null): Promise<void> {
    if (config !== null) parseSetup(JSON.stringify(config), 'The worktree setup');
    await this.store.settings.set(storedKey(workspaceId), config);
  }

  /**
   * Whether what the setup runs and puts in the environment may apply: the user's own stored
   * setup, a file that runs and sets nothing, or a file whose content the user allowed (asked now
   * when not yet, if there is someone to ask).
   */
  async allowed(workspaceId: string, setup: RepositorySetup): Promise<boolean> {
    const { env, setup: commands, run } = setup.config;
    if (setup.source === 'stored' || !(env || commands?.length || run)) return true;
    if ((await this.store.settings.get(allowedKey(workspaceId))) === setup.digest) return true;
    if (!this.ask || !(await this.ask(await this.store.workspaces.get(workspaceId), setup))) return false;
    await this.allow(workspaceId, setup);
    return true;
  }

  /** The user allowed this content of the repository's file. */
  async allow(workspaceId: string, setup: RepositorySetup): Promise<void> {
    await this.store.settings.set(allowedKey(workspaceId), setup.digest);
  }

  /**
   * The worktree's block of ports, taken now if it holds none: the lowest block of `count` ports
   * from `base` up that no other worktree of the repository holds (the main worktree takes one
   * too: it runs servers as well). Undefined when the setup asks for none.
   */
  async ports(worktree: WorktreeRecord, setup: RepositorySetup | undefined): Promise<{ base: number; count: number } | undefined> {
    const wanted = setup?.config.ports;
    if (!wanted) return undefined;
    if (worktree.ports && worktree.ports.count === wanted.count && worktree.ports.base >= wanted.base) return worktree.ports;
    const held = (await this.store.worktrees.list(worktree.workspaceId)).filter((w) => w.id !== worktree.id && w.ports).map((w) => w.ports!);
    for (let base = wanted.base; base + wanted.count - 1 <= PORT_MAX; base += wanted.count) {
      const end = base + wanted.count - 1;
      if (held.some((h) => base <= h.base + h.count - 1 && h.base <= end)) continue;
      const ports = { base, count: wanted.count };
      await this.store.worktrees.update(worktree.id, { ports });
      return ports;
    }
    throw new ClaudeManagerError('INVALID_INPUT', `No block of ${wanted.count} ports from ${wanted.base} is free for ${worktree.name}: remove worktrees you no longer need.`);
  }

  /**
   * The repository's setup as it applies to the worktree: whether what it runs may run (see
   * `allowed`), and what the worktree's agents, terminals and setup commands get on top of the
   * editor's environment: `PORT` (its first port) and `CLAUDE_MANAGER_PORTS` (all of them, taken
   * now if it holds none), and the setup's `env` once allowed.
   */
  async applied(worktree: WorktreeRecord): Promise<{ setup?: RepositorySetup; allowed: boolean; env: Record<string, string> }> {
    const setup = await this.of(worktree.workspaceId);
    if (!setup) return { allowed: true, env: {} };
    const ports = await this.ports(worktree, setup);
    const allowed = await this.allowed(worktree.workspaceId, setup);
    const env: Record<string, string> = allowed ? { ...setup.config.env } : {};
    if (ports) {
      env.PORT = String(ports.base);
      env.CLAUDE_MANAGER_PORTS = Array.from({ length: ports.count }, (_, i) => ports.base + i).join(',');
    }
    return { setup, allowed, env };
  }

  /** The worktree's part of its agents' and terminals' environment (see `applied`). */
  async environment(worktree: WorktreeRecord): Promise<Record<string, string>> {
    return (await this.applied(worktree)).env;
  }
}
