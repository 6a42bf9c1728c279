import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SqlJsStatic } from 'sql.js';
import { ClaudeManagerError } from '../../src/services/errors';
import { importDatabase } from '../../src/services/storage/importer';
import { loadSqlJs } from '../../src/services/storage/sqlJs';
import { LocalStore } from '../../src/services/storage/localStore';
import { migrationsDir, quiet, wasmPath } from '../helpers/storage';


function invalid(pattern: RegExp) {
  return (e: unknown) => e instanceof ClaudeManagerError && e.code === 'INVALID_INPUT' && pattern.test(e.message);
}

describe('importing a database of the earlier app', () => {
  let SQL: SqlJsStatic;
  let root: string;
  let legacy: string;
  before(async () => {
    SQL = await loadSqlJs(wasmPath);
    root = mkdtempSync(join(tmpdir(), 'cm-import-'));
    const db = new SQL.Database();
    db.exec(readFileSync(join(__dirname, '..', 'fixtures', 'legacySchema.sql'), 'utf8'));
    db.exec(`
      INSERT INTO workspaces (id, name, path) VALUES ('w1', 'alpha', '/repos/alpha'), ('w2', 'beta', '/repos/beta');
      INSERT INTO worktrees (id, workspace_id, name, branch, path, is_main, sort_mode) VALUES
        ('t1', 'w1', 'alpha', 'main', '/repos/alpha', 1, 'status'), ('t2', 'w1', 'feature', 'feature/x', '/repos/alpha-wt/feature', 0, 'free'),
        ('t3', 'w2', 'beta', 'main', '/repos/beta', 1, 'free');
      INSERT INTO agents (id, worktree_id, name, status, mode, permissions, created_at, deleted_at, parent_agent_id, context_level) VALUES
        ('fork-1', 't1', 'Fork', 'finished', 'plan', '["read","write"]', '2025-06-01 10:00:00', NULL, 'a-1', 12),
        ('a-1', 't1', 'Builder', 'running', 'auto', '["read","write","execute"]', '2025-05-01 09:00:00', NULL, NULL, 80),
        ('a-2', 't2', 'Old one', 'error', 'regular', 'not json', '2025-04-01 08:00:00', '2025-04-02 08:00:00', NULL, 0);
      INSERT INTO messages (id, agent_id, role, content, created_at, tool_name, tool_input, tool_output, is_complete) VALUES
        ('m1', 'a-1', 'user', 'build it', '2025-05-01 09:00:01', NULL, NULL, NULL, 1),
        ('m2', 'a-1', 'assistant', 'on it', '2025-05-01 09:00:01', NULL, NULL, NULL, 1),
        ('m3', 'a-1', 'tool', '', '2025-05-01 09:00:02', 'Bash', '{"command":"npm test"}', 'ok', 1),
        ('m4', 'a-2', 'user', 'hello', '2025-04-01 08:00:05', NULL, NULL, NULL, 1),
        ('m5', 'ghost', 'user', 'orphan', '2025-04-01 08:00:05', NULL, NULL, NULL, 1);
      INSERT INTO usage_stats (date, period, input_tokens, output_tokens, total_tokens, request_count, error_count) VALUES
        ('2025-05-01', 'daily', 1000, 200, 1200, 7, 1), ('2025-05-02', 'daily', 500, 100, 600, 3, 0),
        ('2025-04-28', 'weekly', 1500, 300, 1800, 10, 1);
    `);
    legacy = join(root, 'claude-manager.db');
    writeFileSync(legacy, db.export());
    db.close();
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('merges workspaces, worktrees, agents, messages and usage, matching what exists, and adds nothing the second time', async () => {
    const store = await LocalStore.open({ dir: join(root, 'store'), wasmPath, migrationsDir, logger: quiet });
    const known = await store.workspaces.create({ path: '/repos/beta', name: 'Beta (already here)' });

    const first = await importDatabase(store, SQL, legacy);
    assert.deepEqual(first, { workspaces: 1, worktrees: 3, agents: 3, messages: 4, usageDays: 2 });
    assert.equal(store.workspaces.findByPath('/repos/beta')?.id, known.id, 'a known path is matched, not duplicated');
    assert.equal(store.workspaces.findByPath('/repos/beta')?.name, 'Beta (already here)');

    const alpha = store.workspaces.findByPath('/repos/alpha')!;
    const [main, feature] = store.worktrees.list(alpha.id);
    assert.deepEqual([main?.name, main?.isMain, main?.sortMode, feature?.branch], ['alpha', true, 'status', 'feature/x']);

    const builder = store.agents.get('ag_a-1');
    assert.deepEqual(
      [builder.name, builder.status, builder.statusReason, builder.mode, builder.permissions, builder.contextLevel, builder.createdAt],
      ['Builder', 'finished', 'imported', 'auto', ['read', 'write', 'execute'], 80, '2025-05-01T09:00:00.000Z'],
    );
    assert.equal(store.agents.get('ag_fork-1').parentAgentId, 'ag_a-1', 'a fork listed before its parent keeps its parent');
    const old = store.agents.get('ag_a-2');
    assert.deepEqual([old.status, old.permissions, old.deletedAt], ['error', ['read'], '2025-04-02T08:00:00.000Z']);

    const page = await store.messages.page('ag_a-1');
    assert.deepEqual(page.messages.map((m) => m.content || m.toolName), ['Bash', 'on it', 'build it']);
    assert.deepEqual(page.messages[0]?.toolInput, { command: 'npm test' });
    assert.equal(page.messages[0]?.kind, 'tool');

    const may1 = store.usage.get('daily', '2025-05-01');
    assert.deepEqual([may1.inputTokens, may1.outputTokens, may1.requestCount, may1.errorCount], [1000, 200, 7, 1]);
    assert.equal(store.usage.get('monthly', '2025-05-01').requestCount, 10, 'weekly rows are not counted again');

    const second = await importDatabase(store, SQL, legacy);
    assert.deepEqual(second, { workspaces: 0, worktrees: 0, agents: 0, messages: 0, usageDays: 0 });
    assert.equal(await store.messages.count('ag_a-1'), 3);
    assert.equal(store.usage.get('daily', '2025-05-01').requestCount, 7);
    await store.close();
  });

  it('refuses a file that is not a database, or not one of ours, and writes nothing', async () => {
    const store = await LocalStore.open({ dir: join(root, 'store2'), wasmPath, migrationsDir, logger: quiet });
    const text = join(root, 'notes.txt');
    writeFileSync(text, 'just some notes, not a database at all. '.repeat(200));
    await assert.rejects(importDatabase(store, SQL, text), invalid(/notes\.txt is not a SQLite database/));

    const other = new SQL.Database();
    other.exec('CREATE TABLE recipes (id INTEGER, name TEXT)');
    const otherFile = join(root, 'recipes.db');
    writeFileSync(otherFile, other.export());
    other.close();
    await assert.rejects(importDatabase(store, SQL, otherFile), invalid(/recipes\.db is not a Claude Manager database: it has no "workspaces" table\. Nothing was imported/));

    const partial = new SQL.Database();
    partial.exec(readFileSync(join(__dirname, '..', 'fixtures', 'legacySchema.sql'), 'utf8'));
    partial.exec('ALTER TABLE messages RENAME COLUMN content TO body');
    const partialFile = join(root, 'partial.db');
    writeFileSync(partialFile, partial.export());
    partial.close();
    await assert.rejects(importDatabase(store, SQL, partialFile), invalid(/"messages" table lacks "content"/));
    await assert.rejects(importDatabase(store, SQL, join(root, 'missing.db')), invalid(/could not be read/));
    assert.deepEqual(store.workspaces.list(), []);
    await store.close();
  });
});
