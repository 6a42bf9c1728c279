import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClaudeManagerError } from '../../src/services/errors';
import { loadSqlJs } from '../../src/services/storage/sqlJs';
import { wasmPath } from '../helpers/storage';


describe('loadSqlJs', () => {
  it('loads the engine from an explicit .wasm file and runs SQL', async () => {
    const SQL = await loadSqlJs(wasmPath);
    const db = new SQL.Database();
    try {
      db.run('CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER NOT NULL)');
      db.run('INSERT INTO t VALUES (?, ?), (?, ?)', ['a', 1, 'b', 2]);
      const [result] = db.exec('SELECT sum(n) FROM t');
      assert.equal(result?.values[0]?.[0], 3);
    } finally {
      db.close();
    }
  });

  it('names the missing file and what to do', async () => {
    await assert.rejects(
      loadSqlJs('/nonexistent/sql-wasm.wasm'),
      (error: unknown) =>
        error instanceof ClaudeManagerError &&
        error.code === 'STORAGE_FAILED' &&
        /\/nonexistent\/sql-wasm\.wasm.*Reinstall the extension/.test(error.message),
    );
  });
});
