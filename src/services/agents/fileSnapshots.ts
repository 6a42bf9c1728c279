import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import * as z from 'zod';
import { ClaudeManagerError } from '../errors';

export { FILE_TOOLS } from './fileTools';

/** Files larger than this are not kept (the diff names why). */
export const MAX_SNAPSHOT_BYTES = 2 * 1024 * 1024;

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
});
/** A file as a tool call found it and as it left it. */
export type FileChange = z.infer<typeof changeSchema>;

/** The file a file tool works on, from its input (`file_path`, or a notebook's `notebook_path`). */
export function toolFilePath(input: Record<string, unknown> | undefined, cwd: string): string | undefined {
  const path = input?.file_path ?? input?.notebook_path;
  if (typeof path !== 'string' || !path.trim()) return undefined;
  return isAbsolute(path) ? path : resolve(cwd, path);
}

async function readSide(path: string): Promise<SnapshotSide> {
  const at = new Date().toISOString();
  // Looked at before it is opened: opening a named pipe would wait for a writer, and the CLI
  // waits for this read.
  try {
    if (!(await stat(path)).isFile()) return { state: 'unavailable', reason: 'it is not a file', at };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: 'absent', at };
    return { state: 'unavailable', reason: `it could not be read (${code ?? (error as Error).message})`, at };
  }
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: 'absent', at };
    return { state: 'unavailable', reason: `it could not be read (${code ?? (error as Error).message})`, at };
  }
  try {
    const { size, isFile } = await handle.stat().then((s) => ({ size: s.size, isFile: s.isFile() }));
    if (!isFile) return { state: 'unavailable', reason: 'it is not a file', at };
    if (size > MAX_SNAPSHOT_BYTES) return { state: 'unavailable', reason: `it is larger than ${MAX_SNAPSHOT_BYTES / 1024 / 1024} MB`, at };
    const bytes = await handle.readFile();
    if (bytes.includes(0)) return { state: 'unavailable', reason: 'it is binary', at };
    return { state: 'file', content: bytes.toString('utf8'), at };
  } finally {
    await handle.close();
  }
}

/**
 * The content of files as file tools (Edit, Write, …) found and left them, kept per agent and per
 * tool message, so that a chat can show what a tool call changed in the file itself rather than in
 * the tool's input strings. One JSON file per tool call under `<dir>/<agentId>/`; written whole
 * through a rename, so a reader never sees half of one.
 */
export class FileSnapshots {
  constructor(private readonly dir: string) {}

  private agentDir(agentId: string): string {
    if (!/^ag_[A-Za-z0-9_-]+$/.test(agentId)) throw new ClaudeManagerError('INVALID_INPUT', `"${agentId}" is not an agent id.`);
    return join(this.dir, agentId);
  }

  /** Where a change is kept: `<id>.json` once whole, `<id>.before.json` while only its "before" is. */
  private path(agentId: string, messageId: string, part?: 'before'): string {
    if (!/^msg_[A-Za-z0-9_-]+$/.test(messageId)) throw new ClaudeManagerError('INVALID_INPUT', `"${messageId}" is not a message id.`);
    return join(this.agentDir(agentId), part ? `${messageId}.before.json` : `${messageId}.json`);
  }

  /**
   * Reads `filePath` now and keeps it as the `side` of the tool message's change. A `before`
   * taken again (the file read once more when the user allows the call) replaces the first.
   */
  async capture(agentId: string, messageId: string, toolName: string, filePath: string, side: 'before' | 'after'): Promise<void> {
    const existing = (await this.get(agentId, messageId)) ?? { filePath, toolName };
    const change: FileChange = { ...existing, filePath, [side]: await readSide(filePath) };
    await mkdir(this.agentDir(agentId), { recursive: true });
    const whole = change.before !== undefined && change.after !== undefined;
    const path = this.path(agentId, messageId, whole ? undefined : 'before');
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(change), { mode: 0o600 });
    await rename(temp, path);
    if (whole) await rm(this.path(agentId, messageId, 'before'), { force: true });
  }

  /** The change kept for a tool message, or undefined when none was. */
  async get(agentId: string, messageId: string): Promise<FileChange | undefined> {
    for (const part of [undefined, 'before'] as const) {
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
    try {
      return new Set((await readdir(this.agentDir(agentId))).filter((n) => /^msg_[A-Za-z0-9_-]+\.json$/.test(n)).map((n) => n.slice(0, -5)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
      throw error;
    }
  }

  /** Forgets the change kept for one tool message (a call the user denied: it changed nothing). */
  async remove(agentId: string, messageId: string): Promise<void> {
    await rm(this.path(agentId, messageId, 'before'), { force: true });
    await rm(this.path(agentId, messageId), { force: true });
  }

  /** Forgets every change kept for an agent. */
  async deleteAgent(agentId: string): Promise<void> {
    await rm(this.agentDir(agentId), { recursive: true, force: true });
  }
}
