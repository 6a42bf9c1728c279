import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Store } from '../../src/services/storage/store';
import { type SetupBook, SetupRuns, settingsBook } from '../../src/services/workspaces/setupRuns';
import { makeTempGitRepo } from '../helpers/claudeCli';
import { quiet, suiteTempDir } from '../helpers/storage';
import { openStore } from '../helpers/storeWorker';

describe('SetupRuns: a worktree\'s setup commands, run in order in its folder', { skip: process.platform === 'win32' }, () => {
  const repo = makeTempGitRepo();

  it('runs each command once the one before succeeded, with the environment given, and keeps what they printed', async () => {
    const runs = new SetupRuns(quiet);
    const printed: string[] = [];
    const off = runs.onDidOutput((e) => printed.push(e.text));
    const states: string[] = [];
    runs.onDidChange((r) => states.push(r.state));
    const run = await runs.run('wt_a', repo.path, ['echo first > order.txt', 'echo "second $PORT" >> order.txt', 'cat order.txt; echo to-stderr 1>&2'], { ...process.env, PORT: '3003' });
    off();
    assert.equal(run.state, 'done');
    assert.deepEqual(states, ['running', 'done']);
    assert.equal(readFileSync(join(repo.path, 'order.txt'), 'utf8'), 'first\nsecond 3003\n');
    assert.match(run.output, /^\$ echo first > order\.txt\r\n\$ echo "second \$PORT" >> order\.txt\r\n\$ cat order\.txt; echo to-stderr 1>&2\r\n/);
    assert.ok(run.output.includes('first\r\nsecond 3003\r\n') && run.output.includes('to-stderr\r\n'), run.output);
    assert.equal(printed.join(''), run.output, 'what was announced is what was kept');
    assert.equal(runs.of('wt_a'), run);
  });

  it('stops at the first command that fails, marks the setup failed with the command, and runs nothing after it', async () => {
    const runs = new SetupRuns(quiet);
    const run = await runs.run('wt_b', repo.path, ['echo before', 'echo "npm ERR! missing script" 1>&2; exit 3', 'touch after.txt'], process.env);
    assert.equal(run.state, 'failed');
    assert.deepEqual(run.failure, { command: 'echo "npm ERR! missing script" 1>&2; exit 3', exitCode: 3, signal: null });
    assert.match(run.output, /npm ERR! missing script\r\n\r\nIt exited with code 3\. The setup stopped there\./);
    assert.equal(existsSync(join(repo.path, 'after.txt')), false);
  });

  it('runs a second setup of the same worktree after the first, not beside it', async () => {
    const runs = new SetupRuns(quiet);
    const [a, b] = await Promise.all([runs.run('wt_c', repo.path, ['sleep 0.3; echo a >> serial.txt'], process.env), runs.run('wt_c', repo.path, ['echo b >> serial.txt'], process.env)]);
    assert.deepEqual([a.state, b.state], ['done', 'done']);
    assert.equal(readFileSync(join(repo.path, 'serial.txt'), 'utf8'), 'a\nb\n');
  });
});

// What the extension keeps of each worktree's last setup in the store's settings (servicesBuilder),
// read back by the next window (a reload) through the real store.
describe('SetupRuns kept for the next window', { skip: process.platform === 'win32' }, () => {
  const repo = makeTempGitRepo();
  const storeDir = suiteTempDir('cm-setup-book-');
  let store: Store;
  const book = (): SetupBook => settingsBook(store.settings);
  before(async () => {
    store = await openStore(storeDir(), quiet);
  });
  after(async () => {
    await store.close();
    repo.cleanup();
  });

  it('reads back a failed setup with its command and output; a worktree gone is forgotten', async () => {
    const first = await new SetupRuns(quiet, undefined, book()).run('wt_kept', repo.path, ['echo "the toolchain is missing" 1>&2; exit 4'], process.env);
    await store.settings.get('setup.run.wt_kept');
    const next = new SetupRuns(quiet, undefined, book());
    const changes: string[] = [];
    next.onDidChange((r) => changes.push(`${r.worktreeId}:${r.state}`));
    await next.restore();
    assert.deepEqual(next.of('wt_kept'), { ...first }, 'the same run, as it ended');
    assert.equal(next.of('wt_never'), undefined);
    assert.deepEqual(changes, ['wt_kept:failed'], 'announced, so that the tree marks the row');
    next.forget('wt_kept');
    assert.equal(next.of('wt_kept'), undefined);
    assert.equal(await store.settings.get('setup.run.wt_kept'), undefined, 'forgotten in the store too');
  });

  it('reads a setup the window closed under as failed, saying it did not finish', async () => {
    const runs = new SetupRuns(quiet, undefined, book());
    const running = runs.run('wt_cut', repo.path, ['echo started; sleep 2'], process.env);
    const deadline = Date.now() + 10_000;
    while (((await store.settings.get('setup.run.wt_cut')) as { state?: string } | undefined)?.state !== 'running') {
      assert.ok(Date.now() < deadline, 'the running setup was kept');
      await new Promise((r) => setTimeout(r, 50));
    }
    // A new window reads it while it still runs in the old one (which never got to keep its end).
    const next = new SetupRuns(quiet, undefined, book());
    // (Kept as it was when it began: what it printed since is the old window's.)
    await next.restore();
    const run = next.of('wt_cut')!;
    assert.equal(run.state, 'failed');
    assert.deepEqual(run.failure, { command: 'the setup', exitCode: null, signal: null, error: 'the window closed while it ran' });
    assert.match(run.output, /The window closed while the setup ran: it did not finish\./);
    await running;
  });
});
