// What the storage tests share: the engine and migrations the extension ships, a silent logger,
// temp folders per suite, and a repository to hang agents on.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before } from 'node:test';
import type { Logger } from '../../src/services/logger';
import type { WorkspaceRecord, WorktreeRecord } from '../../src/services/storage/records';

export const wasmPath = join(dirname(createRequire(__filename).resolve('sql.js')), 'sql-wasm.wasm');
export const migrationsDir = join(__dirname, '..', '..', 'migrations');
export const quiet: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** A logger that keeps every line, "<level> <message>", for a test to read. */
export class RecordingLogger implements Logger {
  lines: string[] = [];
  trace = (m: string) => void this.lines.push(`trace ${m}`);
  debug = (m: string) => void this.lines.push(`debug ${m}`);
  info = (m: string) => void this.lines.push(`info ${m}`);
  warn = (m: string) => void this.lines.push(`warn ${m}`);
  error = (m: string | Error) => void this.lines.push(`error ${String(m)}`);
}

/** A temp folder made before the suite and removed after it; call the result for its path. */
export function suiteTempDir(prefix: string): () => string {
  let dir: string | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    if (!dir) throw new Error('the temp folder exists only while the suite runs');
    return dir;
  };
}

/** What seeding needs: a `LocalStore` or the worker-backed `Store` will do. */
interface Seedable {
  workspaces: { create(input: { path: string }): Promise<WorkspaceRecord> };
  worktrees: { create(input: { workspaceId: string; name: string; branch: string | null; path: string; isMain?: boolean }): Promise<WorktreeRecord> };
}

/** A workspace at `path` with its main worktree. */
export async function seedWorktree(store: Seedable, path = '/r'): Promise<{ ws: WorkspaceRecord; wt: WorktreeRecord }> {
  const ws = await store.workspaces.create({ path });
  const wt = await store.worktrees.create({ workspaceId: ws.id, name: ws.name, branch: 'main', path, isMain: true });
  return { ws, wt };
}
