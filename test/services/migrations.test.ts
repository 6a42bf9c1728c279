import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Database, SqlJsStatic } from 'sql.js';
import { ClaudeManagerError } from '../../src/services/errors';
import { applyMigrations, readMigrations } from '../../src/services/storage/migrations';
import { loadSqlJs } from '../../src/services/storage/sqlJs';
import { migrationsDir, wasmPath } from '../helpers/storage';


function storageError(pattern: RegExp) {
  return (error: unknown) => error instanceof ClaudeManagerError && error.code === 'STORAGE_FAILED' && pattern.test(error.message);
}

function tables(db: Database): string[] {
  const [r] = db.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
  return (r?.values ?? []).map((v) => String(v[0]));
}

function applied(db: Database): [number, string][] {
  const [r] = db.exec('SELECT version, name FROM schema_migrations ORDER BY version');
  return (r?.values ?? []).map((v) => [Number(v[0]), String(v[1])]);
}

describe('migrations', () => {
  let SQL: SqlJsStatic;
  const dirs: string[] = [];
  before(async () => {
    SQL = await loadSqlJs(wasmPath);
  });
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function folder(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), 'cm-migrations-'));
    dirs.push(dir);
    // Written in reverse so that directory order cannot stand in for version order.
    for (const [name, sql] of Object.entries(files).reverse()) writeFileSync(join(dir, name), sql);
    return dir;
  }

  it('applies the shipped schema to a new store once, recording each file with its checksum', async () => {
    const migrations = await readMigrations(migrationsDir);
    assert.equal(migrations[0]?.file, '001_initial_schema.sql');
    const db = new SQL.Database();
    assert.deepEqual(applyMigrations(db, migrations, () => '2026-01-01T00:00:00.000Z'), migrations.map((m) => m.version));
    assert.deepEqual(tables(db), ['agent_sessions', 'agent_tasks', 'agents', 'attempt_groups', 'attempts', 'schema_migrations', 'settings', 'usage_ledger', 'workspaces', 'worktrees']);
    const [row] = db.exec('SELECT checksum, applied_at FROM schema_migrations WHERE version = 1')[0]?.values ?? [];
    assert.equal(row?.[0], migrations[0]?.checksum);
    assert.match(String(row?.[0]), /^[0-9a-f]{64}$/);
    assert.equal(row?.[1], '2026-01-01T00:00:00.000Z');
    assert.deepEqual(applyMigrations(db, migrations), [], 'a second start applies nothing');
    db.close();
  });

  it('enforces the schema\'s checks: id prefixes, statuses, context level, nullable branch', async () => {
    const db = new SQL.Database();
    db.run('PRAGMA foreign_keys = ON');
    applyMigrations(db, await readMigrations(migrationsDir));
    const t = '2026-01-01T00:00:00.000Z';
    db.run('INSERT INTO workspaces VALUES (?, ?, ?, ?, ?)', ['ws_1', 'repo', '/r', t, t]);
    assert.throws(() => db.run('INSERT INTO workspaces VALUES (?, ?, ?, ?, ?)', ['1', 'repo2', '/r2', t, t]), /CHECK/);
    db.run('INSERT INTO worktrees (id, workspace_id, name, branch, path, created_at, updated_at) VALUES (?, ?, ?, NULL, ?, ?, ?)', [
      'wt_1', 'ws_1', 'detached', '/r/wt', t, t,
    ]);
    const agent = (id: string, status: string, level: number) =>
      db.run('INSERT INTO agents (id, worktree_id, name, status, context_level, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        id, 'wt_1', 'a', status, level, t, t,
      ]);
    agent('ag_1', 'waiting', 100);
    assert.throws(() => agent('ag_2', 'sleeping', 0), /CHECK/);
    assert.throws(() => agent('ag_3', 'running', 101), /CHECK/);
    assert.throws(
      () => db.run('INSERT INTO agents (id, worktree_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', ['ag_4', 'wt_none', 'a', t, t]),
      /FOREIGN KEY/,
    );
    db.run('DELETE FROM workspaces WHERE id = ?', ['ws_1']);
    assert.equal(db.exec('SELECT count(*) FROM agents')[0]?.values[0]?.[0], 0, 'deleting a workspace cascades to its agents');
    db.close();
  });

  it('applies files in version order, whatever their order on disk', async () => {
    const migrations = await readMigrations(
      folder({
        '001_a.sql': 'CREATE TABLE a (x INTEGER);',
        '002_b.sql': 'ALTER TABLE a ADD COLUMN y INTEGER;',
        '010_c.sql': 'SELECT 1;',
      }),
    ).catch((e: Error) => e);
    // 010 after 002 leaves a gap: refused, naming the missing version.
    assert.ok(migrations instanceof ClaudeManagerError && /Migration 003 is missing/.test(migrations.message));

    const ok = await readMigrations(
      folder({
        '001_a.sql': 'CREATE TABLE a (x INTEGER);',
        '002_b.sql': 'ALTER TABLE a ADD COLUMN y INTEGER;',
        '003_c.sql': 'INSERT INTO a (x, y) VALUES (1, 2);',
      }),
    );
    assert.deepEqual(ok.map((m) => m.file), ['001_a.sql', '002_b.sql', '003_c.sql']);
    const db = new SQL.Database();
    assert.deepEqual(applyMigrations(db, ok), [1, 2, 3]);
    assert.deepEqual(db.exec('SELECT x, y FROM a')[0]?.values, [[1, 2]]);
    assert.deepEqual(applied(db), [[1, 'a'], [2, 'b'], [3, 'c']]);
    db.close();
  });

  it('refuses a changed applied migration, naming the file', async () => {
    const db = new SQL.Database();
    applyMigrations(db, await readMigrations(folder({ '001_a.sql': 'CREATE TABLE a (x INTEGER);' })));
    const edited = await readMigrations(folder({ '001_a.sql': 'CREATE TABLE a (x INTEGER, z TEXT);' }));
    assert.throws(() => applyMigrations(db, edited), storageError(/Migration 001_a\.sql has changed since it was applied.*new numbered migration/));
    db.close();
  });

  it('rolls a failing migration back whole and records nothing for it', async () => {
    const db = new SQL.Database();
    const migrations = await readMigrations(
      folder({
        '001_a.sql': 'CREATE TABLE a (x INTEGER);',
        '002_broken.sql': 'CREATE TABLE b (y INTEGER);\nINSERT INTO a VALUES (1);\nINSERT INTO nowhere VALUES (1);',
      }),
    );
    assert.throws(() => applyMigrations(db, migrations), storageError(/Migration 002_broken\.sql failed and was rolled back: no such table: nowhere/));
    assert.deepEqual(tables(db), ['a', 'schema_migrations']);
    assert.equal(db.exec('SELECT count(*) FROM a')[0]?.values[0]?.[0], 0);
    assert.deepEqual(applied(db), [[1, 'a']]);
    db.close();
  });

  it('refuses a store written by a newer version of the extension', async () => {
    const db = new SQL.Database();
    applyMigrations(db, await readMigrations(folder({ '001_a.sql': 'SELECT 1;', '002_b.sql': 'SELECT 2;' })));
    const older = await readMigrations(folder({ '001_a.sql': 'SELECT 1;' }));
    assert.throws(() => applyMigrations(db, older), storageError(/newer version of Claude Manager.*migration 2 "b".*Update the extension/));
    db.close();
  });

  it('refuses badly named and duplicate files', async () => {
    await assert.rejects(readMigrations(folder({ '001_a.sql': '', '1-b.sql': '' })), storageError(/1-b\.sql is not named NNN_name\.sql/));
    await assert.rejects(readMigrations(folder({ '001_a.sql': '', '0001_b.sql': '' })), storageError(/Two migrations have version 1/));
    await assert.rejects(readMigrations('/nonexistent/migrations'), storageError(/could not be read/));
  });
});
