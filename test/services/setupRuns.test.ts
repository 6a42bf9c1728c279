import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SetupRuns } from '../../src/services/workspaces/setupRuns';
import { makeTempGitRepo } from '../helpers/claudeCli';
import { quiet } from '../helpers/storage';

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
