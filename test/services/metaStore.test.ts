import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SqlJsStatic } from 'sql.js';
import { ClaudeManagerError } from '../../src/services/errors';
import { MetaStore, type MetaStoreOptions } from '../../src/services/storage/metaStore';
import { type Migration, readMigrations } from '../../src/services/storage/migrations';
import { loadSqlJs } from '../../src/services/storage/sqlJs';
import { migrationsDir, RecordingLogger, wasmPath } from '../helpers/storage';

const T = '2026-11-23T10:00:00.000Z';

const workspace = (id: string, path: string) => ({ id, name: path.split('/').pop() ?? path, path, created_at: T, updated_at: T });
const worktree = (id: string, ws: string, path: string) => ({
  id, workspace_id: ws, name: 'main', branch: 'main', path, sort_mode: 'free', display_order: 0, is_main: 1, created_at: T, updated_at: T,
});
const agent = (id: string, wt: string, name: string) => ({ id, worktree_id: wt, name, created_at: T, updated_at: T });

describe('MetaStore', () => {
  let SQL: SqlJsStatic;
  let migrations: Migration[];
  let root: string;
  let logger: RecordingLogger;
  before(async () => {
    SQL = await loadSqlJs(wasmPath);
    migrations = await readMigrations(migrationsDir);
    root = mkdtempSync(join(tmpdir(), 'cm-meta-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  let n = 0;
  function options(extra: Partial<MetaStoreOptions> = {}): MetaStoreOptions {
    logger = new RecordingLogger();
    return { dir: join(root, `store${n}`), sql: SQL, migrations, logger, ...extra };
  }
  function freshOptions(extra: Partial<MetaStoreOptions> = {}): MetaStoreOptions {
    n++;
    return options(extra);
  }

  /** Three stores on one folder (three windows) that all hold a workspace and its worktree. */
  async function threeWindows() {
    const o = freshOptions();
    const [a, b, c] = [await MetaStore.open(o), await MetaStore.open(o), await MetaStore.open(o)];
    await a.put('workspaces', workspace('ws_1', '/r'));
    await a.put('worktrees', worktree('wt_1', 'ws_1', '/r'));
    await Promise.all([b.follow(), c.follow()]);
    return { o, a, b, c };
  }

  /** The journal a store appends to, to run something between a write's catch-up and its append. */
  const journalOf = (store: MetaStore) => (store as unknown as { journal: { appendMany: (records: unknown[]) => Promise<void> } }).journal;

  it('keeps writes across a restart by replaying the journal', async () => {
    const o = freshOptions();
    const store = await MetaStore.open(o);
    await store.put('workspaces', workspace('ws_1', '/repos/a'));
    await store.put('worktrees', worktree('wt_1', 'ws_1', '/repos/a'));
    await store.write([
      { op: 'put', table: 'agents', row: agent('ag_1', 'wt_1', 'first') },
      { op: 'put', table: 'agents', row: agent('ag_2', 'wt_1', 'second') },
    ]);
    await store.put('agents', { ...agent('ag_1', 'wt_1', 'renamed'), status: 'waiting', status_reason: 'waiting for your message' });
    await store.close();

    const again = await MetaStore.open(o);
    assert.equal(again.report.replayed, 5);
    assert.deepEqual(again.query('SELECT id, name, status, status_reason FROM agents ORDER BY id'), [
      { id: 'ag_1', name: 'renamed', status: 'waiting', status_reason: 'waiting for your message' },
      { id: 'ag_2', name: 'second', status: 'finished', status_reason: 'not started' },
    ]);
    // An update is an upsert, never delete-and-insert: the worktree's agents survive its rename.
    await again.put('worktrees', { ...worktree('wt_1', 'ws_1', '/repos/a'), name: 'renamed' });
    assert.equal(again.query('SELECT count(*) AS n FROM agents')[0]?.n, 2);
    await again.delete('workspaces', 'ws_1');
    assert.equal(again.query('SELECT count(*) AS n FROM agents')[0]?.n, 0, 'deleting a workspace cascades');
    await again.close();
  });

  it('refuses a change the schema rejects, applies none of its batch, journals nothing', async () => {
    const o = freshOptions();
    const store = await MetaStore.open(o);
    await store.put('workspaces', workspace('ws_1', '/r'));
    await assert.rejects(
      store.write([
        { op: 'put', table: 'worktrees', row: worktree('wt_1', 'ws_1', '/r') },
        { op: 'put', table: 'agents', row: { ...agent('ag_1', 'wt_1', 'a'), status: 'dancing' } },
      ]),
      (e: unknown) => e instanceof ClaudeManagerError && e.code === 'INVALID_INPUT' && /CHECK constraint/.test(e.message),
    );
    await assert.rejects(store.put('no_such_table', { id: 1 }), /Unknown table no_such_table/);
    assert.equal(store.query('SELECT count(*) AS n FROM worktrees')[0]?.n, 0);
    await store.close();
    const again = await MetaStore.open(o);
    assert.equal(again.query('SELECT count(*) AS n FROM worktrees')[0]?.n, 0);
    assert.equal(again.report.replayed, 1);
    await again.close();
  });

  it('refuses a single change the schema rejects and goes on writing afterwards', async () => {
    const o = freshOptions();
    const store = await MetaStore.open(o);
    await store.put('workspaces', workspace('ws_1', '/r'));
    await store.put('worktrees', worktree('wt_1', 'ws_1', '/r'));
    await assert.rejects(
      store.put('agents', { ...agent('ag_1', 'wt_1', 'a'), status: 'dancing' }),
      (e: unknown) => e instanceof ClaudeManagerError && e.code === 'INVALID_INPUT' && /CHECK constraint/.test(e.message),
    );
    await store.put('agents', agent('ag_2', 'wt_1', 'b'));
    assert.deepEqual(store.query('SELECT id FROM agents').map((r) => r.id), ['ag_2']);
    await store.close();
    const again = await MetaStore.open(o);
    assert.deepEqual(again.query('SELECT id FROM agents').map((r) => r.id), ['ag_2']);
    assert.equal(again.report.replayed, 3);
    await again.close();
  });

  it('answers every query right while it keeps prepared reads, past the number it keeps and after failures', async () => {
    const store = await MetaStore.open(freshOptions());
    await store.put('workspaces', workspace('ws_1', '/r'));
    await store.put('worktrees', worktree('wt_1', 'ws_1', '/r'));
    const names = (prefix: number) => store.query(`SELECT name, ${prefix} AS k FROM agents WHERE name >= ? ORDER BY name`, ['a']).map((r) => `${String(r.name)}${String(r.k)}`);
    for (let round = 0; round < 3; round++) {
      await store.put('agents', agent(`ag_${round}`, 'wt_1', `a${round}`));
      const expected = Array.from({ length: round + 1 }, (_, i) => `a${i}`);
      // 100 different texts: more than are kept, so the first ones are prepared again each round.
      for (let k = 0; k < 100; k++) assert.deepEqual(names(k), expected.map((n) => `${n}${k}`));
      assert.throws(() => store.query('SELECT no_such_column FROM agents'), /no such column/);
      assert.throws(() => store.query('SELECT name FROM agents WHERE name = ?', [{} as never]));
      assert.deepEqual(store.query('SELECT name FROM agents WHERE name = ?', ['a0']), [{ name: 'a0' }]);
    }
    await store.close();
  });

  it('two stores on one folder (two windows) see each other\'s writes and converge', async () => {
    const o = freshOptions();
    const a = await MetaStore.open(o);
    const b = await MetaStore.open(o);
    await a.put('workspaces', workspace('ws_1', '/r'));
    await a.put('worktrees', worktree('wt_1', 'ws_1', '/r'));
    await b.follow();
    assert.equal(b.query('SELECT count(*) AS n FROM worktrees')[0]?.n, 1);
    // Both rename the same agent, interleaved; the file's order decides, for both.
    await b.put('agents', agent('ag_1', 'wt_1', 'from b'));
    await a.put('agents', agent('ag_1', 'wt_1', 'from a'));
    await b.put('agents', agent('ag_2', 'wt_1', 'only b'));
    await Promise.all([a.follow(), b.follow()]);
    const rows = (s: MetaStore) => s.query('SELECT id, name FROM agents ORDER BY id');
    assert.deepEqual(rows(a), [{ id: 'ag_1', name: 'from a' }, { id: 'ag_2', name: 'only b' }]);
    assert.deepEqual(rows(b), rows(a));
    await Promise.all([a.close(), b.close()]);
  });

  it('a write is seen by the next read at once, and the file\'s order still wins when another window wrote in between', async () => {
    const o = freshOptions();
    const a = await MetaStore.open(o);
    const b = await MetaStore.open(o);
    await a.put('workspaces', workspace('ws_1', '/r'));
    await a.put('worktrees', worktree('wt_1', 'ws_1', '/r'));
    await a.put('agents', agent('ag_1', 'wt_1', 'first'));
    await b.follow();
    // b renames the agent; the record is in the file before a's.
    await b.put('agents', agent('ag_1', 'wt_1', 'from b'));
    // a renames it too: applied at once, so a read right after the call sees it ...
    const writing = a.put('agents', agent('ag_1', 'wt_1', 'from a'));
    assert.equal(a.query('SELECT name FROM agents WHERE id = ?', ['ag_1'])[0]?.name, 'from a');
    // ... then, catching up before it appends, a applies b's older record over it. Read back,
    // a's own record comes after b's in the file, so it is applied again: the file's order wins.
    await writing;
    await Promise.all([a.follow(), b.follow()]);
    const name = (s: MetaStore) => s.query('SELECT name FROM agents WHERE id = ?', ['ag_1'])[0]?.name;
    assert.equal(name(b), 'from a');
    assert.equal(name(a), 'from a', 'a converges on the file\'s order');
    await Promise.all([a.close(), b.close()]);
  });

  it('a record appended to a journal that another window\'s compaction had just retired still reaches every window', async () => {
    const { o, a, b, c } = await threeWindows();
    // The interleaving two processes can produce: a has caught up and is about to append when c
    // compacts (a new journal begins) and b reads the old journal to its end and moves on.
    const journal = journalOf(a);
    const append = journal.appendMany.bind(journal);
    journal.appendMany = async (records) => {
      journal.appendMany = append;
      assert.equal(await c.compact(), true);
      await b.follow();
      await append(records);
    };
    await a.put('agents', agent('ag_1', 'wt_1', 'late'));
    await b.follow();
    assert.equal(b.query('SELECT name FROM agents WHERE id = ?', ['ag_1'])[0]?.name, 'late', 'b sees the record');
    await Promise.all([a.close(), b.close(), c.close()]);
    const again = await MetaStore.open(o);
    assert.equal(again.query('SELECT name FROM agents WHERE id = ?', ['ag_1'])[0]?.name, 'late', 'a window opened later sees it');
    await again.close();
  });

  it('a window that sees a new journal begin reads the retired one to its end first', async () => {
    const { a, b, c } = await threeWindows();
    // b has read the journal; before it looks for a newer one, a appends (no newer one yet, so a
    // appends once) and then c compacts.
    const reader = b as unknown as { journalGenerations: () => Promise<number[]> };
    const generations = reader.journalGenerations.bind(b);
    let interleaved = false;
    reader.journalGenerations = async () => {
      if (!interleaved) {
        interleaved = true;
        await a.put('agents', agent('ag_1', 'wt_1', 'between'));
        assert.equal(await c.compact(), true);
      }
      return generations();
    };
    await b.follow();
    assert.ok(interleaved);
    assert.equal(b.query('SELECT name FROM agents WHERE id = ?', ['ag_1'])[0]?.name, 'between', 'b sees the record');
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it('counts the other window\'s records it applied, whoever caught up: a compaction\'s catch-up too', async () => {
    const o = freshOptions();
    const a = await MetaStore.open(o);
    const b = await MetaStore.open(o);
    await b.follow();
    const before = b.appliedRecords;
    await a.put('workspaces', workspace('ws_1', '/r'));
    await a.put('worktrees', worktree('wt_1', 'ws_1', '/r'));
    assert.equal(await b.compact(), true);
    assert.equal(b.appliedRecords - before, 2);
    assert.equal(await b.follow(), 0, 'the follow after it finds nothing new');
    await Promise.all([a.close(), b.close()]);
  });

  it('appends concurrent writes side by side, so that the journal groups them into one fsync', async () => {
    const store = await MetaStore.open(freshOptions());
    await store.put('workspaces', workspace('ws_1', '/r'));
    await store.put('worktrees', worktree('wt_1', 'ws_1', '/r'));
    // (A new store compacts after its migrations: the journal it appends to is the one after that.)
    await (store as unknown as { compacting?: Promise<unknown> }).compacting;
    const journal = journalOf(store);
    const append = journal.appendMany.bind(journal);
    let inFlight = 0;
    let most = 0;
    journal.appendMany = async (records) => {
      most = Math.max(most, ++inFlight);
      try {
        await append(records);
      } finally {
        inFlight--;
      }
    };
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.put('agents', agent(`ag_${i}`, 'wt_1', `agent ${i}`))));
    assert.ok(most > 10, `at most ${most} appends were under way at once`);
    assert.equal(store.query('SELECT count(*) AS n FROM agents')[0]?.n, 50);
    await store.close();
  });

  it('compacts the journal into a snapshot, atomically, and reopens from it', async () => {
    const o = freshOptions({ compactAfterBytes: 4_000 });
    const store = await MetaStore.open(o);
    await store.put('workspaces', workspace('ws_1', '/r'));
    await store.put('worktrees', worktree('wt_1', 'ws_1', '/r'));
    for (let i = 0; i < 60; i++) await store.put('agents', agent(`ag_${i}`, 'wt_1', `agent ${i}`));
    await store.close();
    const files = readdirSync(o.dir).sort();
    assert.ok(files.includes('meta.sqlite'), files.join(', '));
    assert.ok(!files.some((f) => f.endsWith('.tmp')), 'no temp file left behind');
    assert.ok(!files.includes('meta-0.log'), `old journals are removed: ${files.join(', ')}`);
    const again = await MetaStore.open(o);
    assert.equal(again.query('SELECT count(*) AS n FROM agents')[0]?.n, 60);
    assert.ok(again.report.replayed < 60, `most came from the snapshot (replayed ${again.report.replayed})`);
    await again.close();
  });

  it('drops the free pages a mass delete left when it compacts, and keeps the rest', async () => {
    const o = freshOptions();
    const store = await MetaStore.open(o);
    await store.put('workspaces', workspace('ws_1', '/r'));
    await store.put('worktrees', worktree('wt_1', 'ws_1', '/r'));
    const long = 'x'.repeat(1000);
    await store.write(Array.from({ length: 3000 }, (_, i) => ({ op: 'put' as const, table: 'agents', row: agent(`ag_${i}`, 'wt_1', `${i} ${long}`) })));
    await store.compact();
    const full = statSync(join(o.dir, 'meta.sqlite')).size;
    await store.write(Array.from({ length: 2900 }, (_, i) => ({ op: 'del' as const, table: 'agents', key: `ag_${i}` })));
    await store.compact();
    const after = statSync(join(o.dir, 'meta.sqlite')).size;
    assert.ok(after < full / 3, `snapshot ${full} → ${after} bytes`);
    assert.ok(logger.lines.some((l) => /dropped \d+ free pages/.test(l)), logger.lines.join('\n'));
    await store.close();
    const again = await MetaStore.open(o);
    assert.deepEqual(again.query('SELECT count(*) AS n, min(name) AS first FROM agents')[0], { n: 100, first: `2900 ${long}` });
    await again.close();
  });

  it('moves a corrupt snapshot aside, says where, and starts afresh with what the journal holds', async () => {
    const o = freshOptions();
    const store = await MetaStore.open(o);
    await store.put('workspaces', workspace('ws_1', '/r'));
    await store.close();
    writeFileSync(join(o.dir, 'meta.sqlite'), 'this is not a database');
    const again = await MetaStore.open(o);
    assert.equal(again.report.movedAside.length, 1);
    const moved = again.report.movedAside[0]!;
    assert.match(moved.to, /meta\.sqlite\.corrupt-\d{4}-\d\d-\d\dT/);
    assert.ok(existsSync(moved.to), 'the old file is kept');
    assert.ok(logger.lines.some((l) => l.startsWith('error') && l.includes(moved.to.split('/').pop()!)));
    assert.equal(again.query('SELECT count(*) AS n FROM workspaces')[0]?.n, 1, 'the journal was replayed');
    await again.close();
  });
});
