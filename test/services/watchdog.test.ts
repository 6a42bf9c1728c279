import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeTempGitRepo, makeTempHome } from '../helpers/claudeCli';
import { running, runningInGroup } from '../helpers/processes';
import { MockAnthropicApi, textReply } from '../mocks/anthropicApi';
import { recordReliability } from '../helpers/reliability';

const host = join(__dirname, '..', 'fixtures', 'watchdogHost.ts');

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts the stand-in host; resolves with it and the agent group's pid it printed. */
function startHost(...args: string[]): Promise<{ kill: () => void; pid: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', host, ...args], { stdio: ['ignore', 'pipe', 'inherit'], cwd: join(__dirname, '..', '..') });
    child.on('error', reject);
    child.stdout.once('data', (chunk: Buffer) => resolve({ kill: () => child.kill('SIGKILL'), pid: Number(chunk.toString().trim()) }));
  });
}

describe('agent watchdog', () => {
  it('ends the agents\' process groups, children included, within 10 s of the host being SIGKILLed', async () => {
    const { kill, pid } = await startHost('crash');
    // Give the watchdog time to have read the group's pid.
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(groupAlive(pid), 'the group runs while the host lives');
    const killedAt = Date.now();
    kill();
    while (groupAlive(pid) && Date.now() - killedAt < 10_000) await new Promise((r) => setTimeout(r, 100));
    assert.equal(groupAlive(pid), false, 'no process of the group is left 10 s after the host died');
  });

  it('ends a real claude CLI, mid-turn, within 10 s of the host being SIGKILLed: no process of its group runs, checked by pid', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
    const api = await MockAnthropicApi.start();
    const home = makeTempHome();
    const repo = makeTempGitRepo();
    try {
      api.enqueue(textReply('late', { initialDelayMs: 20_000 }));
      const { kill, pid } = await startHost('cli', api.url, home.path, repo.path);
      const asked = Date.now();
      while (api.mainRequests.length === 0 && Date.now() - asked < 30_000) await new Promise((r) => setTimeout(r, 100));
      assert.equal(api.mainRequests.length, 1, 'the CLI is mid-turn');
      assert.ok(running(pid), 'the CLI runs while the host lives');
      const killedAt = Date.now();
      kill();
      while (runningInGroup(pid).length > 0 && Date.now() - killedAt < 10_000) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(runningInGroup(pid), [], 'no process of the CLI\'s group runs 10 s after the host died');
      recordReliability({ area: 'Processes left behind', what: 'the extension host SIGKILLed with the real CLI mid-turn, checked by pid', count: 1, outcome: '0 processes of its group left within 10 s (the watchdog ended them)', test: 'test/services/watchdog.test.ts' });
    } finally {
      await api.close();
      home.cleanup();
      repo.cleanup();
    }
  });

  it('leaves agents alone after an orderly shutdown told it to quit', async () => {
    const { kill, pid } = await startHost('orderly');
    await new Promise((r) => setTimeout(r, 1500));
    kill();
    await new Promise((r) => setTimeout(r, 4000));
    const alive = groupAlive(pid);
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
    assert.equal(alive, true, 'the watchdog had quit: the group was not its to end');
  });
});
