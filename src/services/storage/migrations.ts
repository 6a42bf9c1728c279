import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from 'sql.js';
import { ClaudeManagerError } from '../errors';

/** One numbered SQL file of `migrations/`. */
export interface Migration {
  version: number;
  name: string;
  /** The file name, e.g. `001_initial_schema.sql`. */
  file: string;
  sql: string;
  /** SHA-256 of the file's bytes, hex. */
  checksum: string;
}

const FILE_PATTERN = /^(\d{3,})_([a-z0-9_]+)\.sql$/;

/**
 * Reads the migrations folder: files named `NNN_name.sql`, in version order. Versions must be
 * unique and start at 1 without gaps, so that a missing file is noticed rather than skipped.
 */
export async function readMigrations(dir: string): Promise<Migration[]> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch (error) {
    throw new ClaudeManagerError(
      'STORAGE_FAILED',
      `The database migrations (${dir}) could not be read: ${(error as Error).message}. Reinstall the extension.`,
      { cause: error },
    );
  }
  const migrations: Migration[] = [];
  for (const file of files) {
    if (!file.endsWith('.sql')) continue;
    const match = FILE_PATTERN.exec(file);
    if (!match) {
      throw new ClaudeManagerError('STORAGE_FAILED', `Migration file ${file} is not named NNN_name.sql (lower case, digits, underscores).`);
    }
    const bytes = await readFile(join(dir, file));
    migrations.push({
      version: Number(match[1]),
      name: match[2] ?? '',
      file,
      sql: bytes.toString('utf8'),
      checksum: createHash('sha256').update(bytes).digest('hex'),
    });
  }
  migrations.sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      const previous = migrations[i - 1];
      throw new ClaudeManagerError(
        'STORAGE_FAILED',
        m.version === previous?.version
          ? `Two migrations have version ${m.version}: ${previous.file} and ${m.file}.`
          : `Migration ${String(i + 1).padStart(3, '0')} is missing (found ${m.file} after ${previous?.file ?? 'nothing'}).`,
      );
    }
  });
  return migrations;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

function appliedMigrations(db: Database): AppliedRow[] {
  db.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const [result] = db.exec('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
  return (result?.values ?? []).map(([version, name, checksum]) => ({
    version: Number(version),
    name: String(name),
    checksum: String(checksum),
  }));
}

/**
 * Brings a database up to the newest migration. Each migration runs inside a transaction
 * together with its `schema_migrations` row, so it is recorded only when it succeeded; a failure
 * rolls it back and names the file. Start-up stops, naming the file, when an applied migration's
 * file has changed since, or when the database was written by a newer version of the extension.
 * Returns the versions it applied.
 */
export function applyMigrations(db: Database, migrations: readonly Migration[], now: () => string = () => new Date().toISOString()): number[] {
  const applied = appliedMigrations(db);
  const byVersion = new Map(migrations.map((m) => [m.version, m]));
  for (const row of applied) {
    const migration = byVersion.get(row.version);
    if (!migration) {
      throw new ClaudeManagerError(
        'STORAGE_FAILED',
        `The store was written by a newer version of Claude Manager (it has migration ${row.version} "${row.name}", ` +
          'which this version does not know). Update the extension.',
      );
    }
    if (migration.checksum !== row.checksum) {
      throw new ClaudeManagerError(
        'STORAGE_FAILED',
        `Migration ${migration.file} has changed since it was applied to this store (checksum ${row.checksum.slice(0, 12)}…, ` +
          `now ${migration.checksum.slice(0, 12)}…). Applied migrations must never be edited: restore the file ` +
          'and put the change in a new numbered migration.',
      );
    }
  }
  const done = new Set(applied.map((r) => r.version));
  const newlyApplied: number[] = [];
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    db.run('BEGIN');
    try {
      db.exec(migration.sql);
      db.run('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)', [
        migration.version,
        migration.name,
        migration.checksum,
        now(),
      ]);
      db.run('COMMIT');
    } catch (error) {
      db.run('ROLLBACK');
      throw new ClaudeManagerError(
        'STORAGE_FAILED',
        `Migration ${migration.file} failed and was rolled back: ${(error as Error).message}`,
        { cause: error },
      );
    }
    newlyApplied.push(migration.version);
  }
  return newlyApplied;
}
