import { Limiter } from '../src/services/limiter';
import type { SpawnHost } from '../src/services/spawn/spawnHost';

/**
 * Runs a bare git command the way the extension starts git: from the spawn worker (in the editor,
 * a start from the host's thread blocks it for tens of milliseconds), `concurrency` at a time. A
 * benchmark's ratio against it is what a service adds to running git, not what the worker costs
 * in a process as small as a benchmark's.
 */
export function bareGit(spawner: SpawnHost, concurrency: number): (cwd: string, args: string[]) => Promise<void> {
  const limiter = new Limiter(concurrency);
  const env = { ...process.env };
  return (cwd, args) =>
    limiter.run(
      () =>
        new Promise<void>((resolve, reject) => {
          const child = spawner.spawn({ command: 'git', args, cwd, env, detached: false });
          child.stdout.resume();
          child.stderr.resume();
          child.stdin.end();
          child.once('error', reject);
          child.once('close', (code: number | null) => (code === 0 ? resolve() : reject(new Error(`git ${args.join(' ')} exited with ${code}`))));
        }),
    );
}
