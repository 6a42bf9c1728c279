import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ProcessError, type RunOptions, runProcess as runWith, type SpawnFn } from '../../src/services/processRunner';
import { spawnHost } from '../helpers/spawnWorker';
import { quiet } from '../helpers/storage';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function eventually(check: () => boolean, ms = 5_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

const worker = spawnHost(quiet);
after(() => worker.dispose());

// Every behaviour holds whether the process is started on this thread or from the spawn worker.
for (const [where, spawn] of [['on this thread', undefined], ['from the spawn worker', worker.spawn]] as [string, SpawnFn | undefined][]) {
  const runProcess = (command: string, args: readonly string[], options: RunOptions = {}) => runWith(command, args, { ...options, spawn });

  describe(`runProcess, started ${where}`, () => {
    it('passes arguments as an array, never through a shell', async () => {
      const result = await runProcess('node', ['-e', 'process.stdout.write(process.argv[1])', '$(echo injected); rm -rf /tmp/x']);
      assert.equal(result.stdout, '$(echo injected); rm -rf /tmp/x');
      assert.equal(result.exitCode, 0);
      assert.ok(result.durationMs >= 0);
    });

    it('rejects a non-zero exit with the exit code and stderr', async () => {
      await assert.rejects(
        runProcess('node', ['-e', 'console.error("fatal: not a git repository"); process.exit(128)']),
        (error: unknown) =>
          error instanceof ProcessError &&
          error.reason === 'exit' &&
          error.exitCode === 128 &&
          error.stderr.includes('not a git repository') &&
          /exited with code 128: fatal: not a git repository/.test(error.message),
      );
    });

    it('says when the program does not exist', async () => {
      await assert.rejects(
        runProcess('claude-manager-no-such-program', []),
        (error: unknown) => error instanceof ProcessError && error.reason === 'spawn' && /could not be started/.test(error.message),
      );
    });

    it('kills the whole process group on time-out, grandchildren included', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cm-proc-'));
      const pidFile = join(dir, 'grandchild.pid');
      try {
        const script = `const c = require('child_process').spawn('sleep', ['30'], { stdio: 'ignore' });
          require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid)); setInterval(() => {}, 1000);`;
        await assert.rejects(
          runProcess('node', ['-e', script], { timeoutMs: 1_000 }),
          (error: unknown) => error instanceof ProcessError && error.reason === 'timeout',
        );
        const grandchild = Number(readFileSync(pidFile, 'utf8'));
        assert.ok(grandchild > 0);
        assert.equal(await eventually(() => !isAlive(grandchild)), true, 'the grandchild outlived the time-out');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('stops when cancelled', async () => {
      const controller = new AbortController();
      const running = runProcess('sleep', ['30'], { signal: controller.signal });
      setTimeout(() => controller.abort(), 200);
      await assert.rejects(running, (error: unknown) => error instanceof ProcessError && error.reason === 'cancelled');
    });

    it('caps what it keeps of a huge output and says so', async () => {
      const result = await runProcess('node', ['-e', 'process.stdout.write("x".repeat(300000))'], { maxOutputBytes: 1000 });
      assert.ok(result.stdout.length < 2000);
      assert.match(result.stdout, /\[output cut at 1000 bytes\]$/);
    });

    it('ends a process cancelled before it was seen to start', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cm-proc-'));
      const pidFile = join(dir, 'pid');
      try {
        const controller = new AbortController();
        const running = runProcess('node', ['-e', `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000);`], { signal: controller.signal });
        // Aborted in the same turn: the pid is not known yet (from the worker it comes later).
        controller.abort();
        await assert.rejects(running, (error: unknown) => error instanceof ProcessError && error.reason === 'cancelled');
        const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
        if (pid > 0) assert.equal(await eventually(() => !isAlive(pid)), true, 'the process outlived its cancellation');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

describe('runProcess from a spawn worker that stops', () => {
  it('says the process was lost, not that it could not start, and settles', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cm-proc-'));
    const pidFile = join(dir, 'pid');
    const doomed = spawnHost(quiet);
    try {
      const running = runWith('node', ['-e', `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000);`], { spawn: doomed.spawn });
      assert.equal(await eventually(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').length > 0), true, 'the process started');
      await doomed.dispose();
      await assert.rejects(
        running,
        (error: unknown) => error instanceof ProcessError && error.reason === 'exit' && /was lost: the spawn worker stopped/.test(error.message),
      );
    } finally {
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
      if (pid > 0 && isAlive(pid)) process.kill(pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the spawn worker\'s environments', () => {
  it('gives each process the environment it was started with: one sent again by reference, a dozen others, and one after the worker was replaced', async () => {
    const host = spawnHost(quiet);
    const printEnv = (env: NodeJS.ProcessEnv) => runWith('node', ['-e', 'process.stdout.write(process.env.CM_PROBE ?? "none")'], { spawn: host.spawn, env });
    try {
      const shared = Object.freeze({ ...process.env, CM_PROBE: 'shared' });
      const others = Array.from({ length: 12 }, (_, i) => ({ ...process.env, CM_PROBE: `other-${i}` }));
      // The shared one between the others, so that it is sent by reference and evicted in turn.
      const runs = await Promise.all([shared, ...others.slice(0, 6), shared, ...others.slice(6), shared].map(printEnv));
      assert.deepEqual(
        runs.map((r) => r.stdout),
        ['shared', ...others.slice(0, 6).map((e) => e.CM_PROBE), 'shared', ...others.slice(6).map((e) => e.CM_PROBE), 'shared'],
      );
      // Sequentially too: past the number the worker keeps, the shared one comes back whole.
      for (const env of others) assert.equal((await printEnv(env)).stdout, env.CM_PROBE);
      assert.equal((await printEnv(shared)).stdout, 'shared');
      await host.dispose();
      assert.equal((await printEnv(shared)).stdout, 'shared', 'a new worker is sent the environment again');
    } finally {
      await host.dispose();
    }
  });
});
