import type { Database, SqlValue, Statement } from 'sql.js';
import type { Cell, Row } from './metaStore';

/** How many prepared reads are kept (see `Statements.read`). */
const MAX_READ_STATEMENTS = 64;

/**
 * The prepared statements of one database, kept: writes come in a few shapes that a journal's
 * replay runs thousands of times, and the same few reads run for every status and announcement,
 * where preparing one cost about as much as running it. Reads are kept least recently used first,
 * at most `MAX_READ_STATEMENTS` (queries with lists in their text would otherwise pile up).
 */
export class Statements {
  private readonly writes = new Map<string, Statement>();
  private readonly reads = new Map<string, { statement: Statement; names: string[] }>();

  constructor(private readonly db: Database) {}

  /** A statement for a write, prepared once. */
  write(sql: string): Statement {
    let statement = this.writes.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.writes.set(sql, statement);
    }
    return statement;
  }

  /** Runs a read, with each row an object of its columns. */
  query(sql: string, params: SqlValue[] = []): Row[] {
    const { statement, names } = this.read(sql);
    try {
      statement.bind(params);
      const rows: Row[] = [];
      // The column names once per statement, not per row (getAsObject reads them from the engine
      // for every row and builds each object from entries, which cost ~0.25 ms a row of the agents table).
      while (statement.step()) {
        const values = statement.get();
        const row: Row = {};
        for (let i = 0; i < names.length; i++) row[names[i]!] = values[i] as Cell;
        rows.push(row);
      }
      return rows;
    } finally {
      statement.reset();
    }
  }

  private read(sql: string): { statement: Statement; names: string[] } {
    let read = this.reads.get(sql);
    if (read) this.reads.delete(sql);
    else {
      const statement = this.db.prepare(sql);
      // The schema changes only while the store opens (migrations), before any read is kept.
      read = { statement, names: statement.getColumnNames() };
      if (this.reads.size >= MAX_READ_STATEMENTS) {
        const [oldest, old] = this.reads.entries().next().value!;
        old.statement.free();
        this.reads.delete(oldest);
      }
    }
    this.reads.set(sql, read);
    return read;
  }

  free(): void {
    for (const statement of this.writes.values()) statement.free();
    for (const read of this.reads.values()) read.statement.free();
    this.writes.clear();
    this.reads.clear();
  }
}
