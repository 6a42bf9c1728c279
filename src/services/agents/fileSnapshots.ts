import { open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { PrivateFolder } from '../privateFolder';
import { ClaudeManagerError } from '../errors';
import { readSide, type SnapshotSide } from './worktreeFiles';

export { FILE_TOOLS } from './fileTools';

export { MAX_SNAPSHOT_BYTES, readSide, realPathWithin, type SnapshotSide, toolFilePath } from './worktreeFiles';

/** What one agent keeps at most; beyond it, its oldest changes are dropped first. */
export const MAX_AGENT_SNAPSHOT_BYTES = 50 * 1024 * 1024;

const sideSchema: z.ZodType<SnapshotSide> = z.discriminatedUnion('state', [
  z.object({ state: z.literal('file'), content: z.string(), at: z.string() }),
  z.object({ state: z.literal('absent'), at: z.string() }),
  z.object({ state: z.literal('unavailable'), reason: z.string(), at: z.string() }),
]);

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
  private readonly folders: PrivateFolder;

  constructor(
    private readonly dir: string,
    options: { maxAgentBytes?: number } = {},
  ) {
    this.maxAgentBytes = options.maxAgentBytes ?? MAX_AGENT_SNAPSHOT_BYTES;
    this.folders = new PrivateFolder(dir);
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
    await this.folders.ready(this.agentDir(agentId));
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
