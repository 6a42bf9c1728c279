import * as assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ProcessError, runProcess } from '../../src/services/processRunner';

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

describe('runProcess', () => {
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
});
