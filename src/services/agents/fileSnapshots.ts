import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, readFile, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import * as z from 'zod';
import { ClaudeManagerError } from '../errors';

export { FILE_TOOLS } from './fileTools';

/** Files larger than this are not kept (the diff names why). */
export const MAX_SNAPSHOT_BYTES = 2 * 1024 * 1024;

/** What one agent keeps at most; beyond it, its oldest changes are dropped first. */
export const MAX_AGENT_SNAPSHOT_BYTES = 50 * 1024 * 1024;

const sideSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('file'), content: z.string(), at: z.string() }),
  z.object({ state: z.literal('absent'), at: z.string() }),
  z.object({ state: z.literal('unavailable'), reason: z.string(), at: z.string() }),
]);
/** One side of a file change: its text, or that there was no file, or why it was not kept. */
export type SnapshotSide = z.infer<typeof sideSchema>;

const changeSchema = z.object({
  filePath: z.string(),
  toolName: z.string(),
  before: sideSchema.optional(),
  after: sideSchema.optional(),
  /** Set when the copies were dropped (the agent's cap): why; `before` and `after` are then gone. */
  gone: z.string().optional(),
});
/** A file as a tool call found it and as it left it. */
export type FileChange = z.infer<typeof changeSchema>;

/** The file a file tool works on, from its input (`file_path`, or a notebook's `notebook_path`). */
export function toolFilePath(input: Record<string, unknown> | undefined, cwd: string): string | undefined {
  const path = input?.file_path ?? input?.notebook_path;
  if (typeof path !== 'string' || !path.trim()) return undefined;
  return isAbsolute(path) ? path : resolve(cwd, path);
}

/** Whether `path` is `root` or below it (both real paths). */
function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * The real path of `path` (symbolic links resolved), refused unless it lies inside `root`. A file
 * that does not exist yet (a Write that creates it) is placed by its nearest existing folder.
 * `outcome` ends the refusals' messages: what the caller does not do with the file.
 */
export async function realPathWithin(root: string, path: string, outcome = 'no copy of it is kept'): Promise<string> {
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch (error) {
    throw new ClaudeManagerError('NOT_FOUND', `The agent's worktree ${root} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): ${path} is not read, ${outcome}.`);
  }
  let real: string | undefined;
  const missing: string[] = [];
  for (let at = path; real === undefined; at = dirname(at)) {
    try {
      real = join(await realpath(at), ...missing);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(at) === at) {
        throw new ClaudeManagerError('INVALID_INPUT', `${path} cannot be resolved (${code ?? (error as Error).message}): ${outcome}.`);
      }
      const name = basename(at);
      // Below a folder that does not exist, ".." would be resolved by name, not by the file system.
      if (name === '..' || name === '.') throw new ClaudeManagerError('INVALID_INPUT', `${path} cannot be resolved: ${outcome}.`);
      missing.unshift(name);
    }
  }
  if (!within(realRoot, real)) {
    throw new ClaudeManagerError('INVALID_INPUT', `${path} is outside the agent's worktree ${realRoot}${real !== resolve(path) ? ` (it leads to ${real})` : ''}: ${outcome}.`);
  }
  return real;
}

/**
 * The file at `path` as it is now: its text, "absent", or "unavailable" with why (not a file,
 * larger than `maxBytes`, binary). Refused (INVALID_INPUT, ending with `outcome`) when it is not
 * inside `root`, symbolic links resolved, also when a link is swapped in while it is opened.
 */
export async function readSide(root: string, path: string, options: { maxBytes?: number; outcome?: string } = {}): Promise<SnapshotSide> {
  const maxBytes = options.maxBytes ?? MAX_SNAPSHOT_BYTES;
  const at = new Date().toISOString();
  const real = await realPathWithin(root, path, options.outcome);
  // Looked at before it is opened: opening a named pipe would wait for a writer, and the CLI
  // waits for this read.
  try {
    if (!(await lstat(real)).isFile()) return { state: 'unavailable', reason: 'it is not a file', at };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: 'absent', at };
    return { state: 'unavailable', reason: `it could not be read (${code ?? (error as Error).message})`, at };
  }
  let handle;
  try {
    handle = await open(real, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: 'absent', at };
    return { state: 'unavailable', reason: `it could not be read (${code ?? (error as Error).message})`, at };
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) return { state: 'unavailable', reason: 'it is not a file', at };
    // A folder of the path swapped for a link between the check and the open would have opened
    // another file: what was opened must still be what the path, resolved again, names.
    const again = await realPathWithin(root, path, options.outcome);
    const named = await stat(again).catch(() => undefined);
    if (!named || named.ino !== opened.ino || named.dev !== opened.dev) {
      throw new ClaudeManagerError('INVALID_INPUT', `${path} changed while it was read (a link was swapped?): ${options.outcome ?? 'no copy of it is kept'}.`);
    }
    if (opened.size > maxBytes) return { state: 'unavailable', reason: `it is larger than ${+(maxBytes / 1024 / 1024).toFixed(2)} MB`, at };
    const bytes = await handle.readFile();
    if (bytes.includes(0)) return { state: 'unavailable', reason: 'it is binary', at };
    return { state: 'file', content: bytes.toString('utf8'), at };
  } finally {
    await handle.close();
  }
}

/** What an agent keeps, oldest first: per tool message, the bytes of its files and what it was. */
type Kept = Map<string, { bytes: number; filePath?: string; toolName?: string }>;

const MESSAGE_FILE = /^(msg_[A-Za-z0-9_-]+)(\.before)?\.json$/;

/**
 * The content of files as file tools (Edit, Write, …) found and left them, kept per agent and per
 * tool message, so that a chat can show what a tool call changed in the file itself rather than in
 * the tool's input strings. One JSON file per tool call under `<dir>/<agentId>/`; written whole
 * through a rename, so a reader never sees half of one. Only files inside the agent's worktree
 * are kept (symbolic links resolved); what one agent keeps is capped, its oldest changes dropped
 * first, each leaving a small mark (`<id>.gone.json`) that says so. Folders are the user's alone
 * (0700), files too (0600).
 */
export class FileSnapshots {
  private readonly maxAgentBytes: number;
  /** Per agent, what it keeps (read from its folder on first use), and the chain its writes wait in. */
  private readonly kept = new Map<string, Promise<Kept>>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private rootReady: Promise<void> | undefined;

  constructor(
    private readonly dir: string,
    options: { maxAgentBytes?: number } = {},
  ) {
    this.maxAgentBytes = options.maxAgentBytes ?? MAX_AGENT_SNAPSHOT_BYTES;
  }

  private agentDir(agentId: string): string {
    if (!/^ag_[A-Za-z0-9_-]+$/.test(agentId)) throw new ClaudeManagerError('INVALID_INPUT', `"${agentId}" is not an agent id.`);
    return join(this.dir, agentId);
  }

  /** Where a change is kept: `<id>.json` once whole, `<id>.before.json` while only its "before" is, `<id>.gone.json` once dropped. */
  private path(agentId: string, messageId: string, part?: 'before' | 'gone'): string {
    if (!/^msg_[A-Za-z0-9_-]+$/.test(messageId)) throw new ClaudeManagerError('INVALID_INPUT', `"${messageId}" is not a message id.`);
    return join(this.agentDir(agentId), part ? `${messageId}.${part}.json` : `${messageId}.json`);
  }

  /** Runs `task` after the agent's earlier writes: the accounting sees one change at a time. */
  private serial<T>(agentId: string, task: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(agentId) ?? Promise.resolve()).then(task);
    const tail = run.catch(() => undefined);
    this.queues.set(agentId, tail);
    void tail.then(() => {
      if (this.queues.get(agentId) === tail) this.queues.delete(agentId);
    });
    return run;
  }

  /** The folders exist and are the user's alone (also those an earlier version made 0755). */
  private async ready(agentId: string): Promise<void> {
    this.rootReady ??= (async () => {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await chmod(this.dir, 0o700);
    })().catch((error: unknown) => {
      this.rootReady = undefined;
      throw error;
    });
    await this.rootReady;
    const dir = this.agentDir(agentId);
    await mkdir(dir, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    await chmod(dir, 0o700);
  }

  /** What the agent keeps, oldest first, read from its folder once. */
  private keptOf(agentId: string): Promise<Kept> {
    let kept = this.kept.get(agentId);
    if (!kept) {
      kept = (async () => {
        const dir = this.agentDir(agentId);
        let names: string[];
        try {
          names = await readdir(dir);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map() as Kept;
          throw error;
        }
        const found = new Map<string, { bytes: number; at: number }>();
        for (const name of names) {
          const id = MESSAGE_FILE.exec(name)?.[1];
          if (!id) continue;
          const s = await stat(join(dir, name)).catch(() => undefined);
          if (!s) continue;
          const known = found.get(id);
          found.set(id, { bytes: (known?.bytes ?? 0) + s.size, at: Math.min(known?.at ?? Infinity, s.mtimeMs) });
        }
        return new Map([...found].sort((a, b) => a[1].at - b[1].at || (a[0] < b[0] ? -1 : 1)).map(([id, { bytes }]) => [id, { bytes }]));
      })();
      this.kept.set(agentId, kept);
      kept.catch(() => this.kept.delete(agentId));
    }
    return kept;
  }

  private async sizeOf(path: string): Promise<number> {
    return stat(path).then((s) => s.size, () => 0);
  }

  /**
   * Reads `filePath` now and keeps it as the `side` of the tool message's change. A `before`
   * taken again (the file read once more when the user allows the call) replaces the first.
   * Refused (INVALID_INPUT, saying why) when the file is not inside `worktree`, symbolic links
   * resolved. When the agent then keeps more than its cap, its oldest changes are dropped.
   */
  async capture(agentId: string, messageId: string, toolName: string, filePath: string, side: 'before' | 'after', worktree: string): Promise<void> {
    this.path(agentId, messageId);
    return this.serial(agentId, async () => {
      const read = await readSide(worktree, filePath);
      const existing = await this.get(agentId, messageId);
      const before = side === 'before' ? read : existing?.gone ? undefined : existing?.before;
      const after = side === 'after' ? read : existing?.gone ? undefined : existing?.after;
      // Written in this order on purpose: a dropped change's mark is made from its first bytes.
      const change: FileChange = { filePath, toolName: existing?.toolName ?? toolName, ...(before ? { before } : {}), ...(after ? { after } : {}) };
      await this.ready(agentId);
      const kept = await this.keptOf(agentId);
      const whole = change.before !== undefined && change.after !== undefined;
      const path = this.path(agentId, messageId, whole ? undefined : 'before');
      const temp = `${path}.${process.pid}.tmp`;
      await writeFile(temp, JSON.stringify(change), { mode: 0o600 });
      await rename(temp, path);
      await rm(this.path(agentId, messageId, 'gone'), { force: true });
      if (whole) await rm(this.path(agentId, messageId, 'before'), { force: true });
      const entry = kept.get(messageId);
      kept.set(messageId, { ...entry, bytes: await this.sizeOf(path), filePath: change.filePath, toolName: change.toolName });
      await this.enforceCap(agentId, messageId, kept);
    });
  }

  /** Drops the agent's oldest changes (never `current`) until what it keeps fits its cap. */
  private async enforceCap(agentId: string, current: string, kept: Kept): Promise<void> {
    let total = 0;
    for (const { bytes } of kept.values()) total += bytes;
    for (const [id, entry] of kept) {
      if (total <= this.maxAgentBytes) return;
      if (id === current) continue;
      let { filePath, toolName } = entry;
      if (filePath === undefined || toolName === undefined) {
        // Kept before this window started: its name and tool open the file.
        const head = await this.head(agentId, id);
        filePath ??= head.filePath;
        toolName ??= head.toolName;
      }
      const mark: FileChange = {
        filePath: filePath ?? '',
        toolName: toolName ?? 'the tool',
        gone: `an agent keeps at most ${+(this.maxAgentBytes / 1024 / 1024).toFixed(2)} MB of copies, and the oldest were dropped to make room`,
      };
      await writeFile(this.path(agentId, id, 'gone'), JSON.stringify(mark), { mode: 0o600 });
      await rm(this.path(agentId, id), { force: true });
      await rm(this.path(agentId, id, 'before'), { force: true });
      kept.delete(id);
      total -= entry.bytes;
    }
  }

  /** The file and tool of a kept change, from its first bytes (both lead every change written). */
  private async head(agentId: string, messageId: string): Promise<{ filePath?: string; toolName?: string }> {
    for (const part of [undefined, 'before'] as const) {
      let handle;
      try {
        handle = await open(this.path(agentId, messageId, part), 'r');
      } catch {
        continue;
      }
      try {
        const { buffer, bytesRead } = await handle.read(Buffer.alloc(16 * 1024), 0, 16 * 1024, 0);
        const match = /^\{"filePath":("(?:[^"\\]|\\.)*"),"toolName":("(?:[^"\\]|\\.)*")/.exec(buffer.subarray(0, bytesRead).toString('utf8'));
        if (match) return { filePath: JSON.parse(match[1]!) as string, toolName: JSON.parse(match[2]!) as string };
      } finally {
        await handle.close();
      }
    }
    return {};
  }

  /** The change kept for a tool message (with `gone` set when its copies were dropped), or undefined when none was. */
  async get(agentId: string, messageId: string): Promise<FileChange | undefined> {
    for (const part of [undefined, 'before', 'gone'] as const) {
      let text: string;
      try {
        text = await readFile(this.path(agentId, messageId, part), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return undefined;
      }
      const parsed = changeSchema.safeParse(json);
      return parsed.success ? parsed.data : undefined;
    }
    return undefined;
  }

  /** The tool messages of an agent whose change was kept whole: before and after. */
  async messageIds(agentId: string): Promise<Set<string>> {
    return this.idsOf(agentId, /^(msg_[A-Za-z0-9_-]+)\.json$/);
  }

  /** The tool messages of an agent whose kept change was dropped (the agent's cap). */
  async goneIds(agentId: string): Promise<Set<string>> {
    return this.idsOf(agentId, /^(msg_[A-Za-z0-9_-]+)\.gone\.json$/);
  }

  private async idsOf(agentId: string, pattern: RegExp): Promise<Set<string>> {
    try {
      return new Set((await readdir(this.agentDir(agentId))).flatMap((n) => pattern.exec(n)?.[1] ?? []));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
      throw error;
    }
  }

  /** Forgets the change kept for one tool message (a call the user denied: it changed nothing). */
  async remove(agentId: string, messageId: string): Promise<void> {
    this.path(agentId, messageId);
    return this.serial(agentId, async () => {
      await rm(this.path(agentId, messageId, 'before'), { force: true });
      await rm(this.path(agentId, messageId), { force: true });
      await rm(this.path(agentId, messageId, 'gone'), { force: true });
      (await this.kept.get(agentId)?.catch(() => undefined))?.delete(messageId);
    });
  }

  /** Forgets every change kept for an agent. */
  async deleteAgent(agentId: string): Promise<void> {
    const dir = this.agentDir(agentId);
    return this.serial(agentId, async () => {
      this.kept.delete(agentId);
      await rm(dir, { recursive: true, force: true });
    });
  }

  /** Forgets every change kept for each of these agents (deleted for good). */
  async deleteAgents(agentIds: Iterable<string>): Promise<void> {
    for (const id of agentIds) await this.deleteAgent(id);
  }
}
