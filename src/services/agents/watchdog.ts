import { type ChildProcess, spawn } from 'node:child_process';
import type { Logger } from '../logger';

/** Tells the watchdog process (watchdogMain.ts) which process groups to end if this process dies. */
export interface AgentWatchdog {
  add(pid: number): void;
  remove(pid: number): void;
  /** An orderly shutdown: the watchdog leaves, ending nothing. */
  dispose(): void;
}

/**
 * Starts the watchdog: `command` runs the watchdog script (`args`), detached, in a process group of
 * its own so that nothing that kills the host's group reaches it. Its stdin is the only link.
 */
export function startWatchdog(command: string, args: readonly string[], logger: Logger, env: NodeJS.ProcessEnv = process.env): AgentWatchdog {
  let child: ChildProcess | undefined;
  try {
    child = spawn(command, [...args, String(process.pid)], { stdio: ['pipe', 'ignore', 'ignore'], detached: true, env, windowsHide: true });
    child.on('error', (error) => logger.warn(`The agent watchdog could not run (${error.message}); agents of a crashed window may outlive it.`));
    child.stdin?.on('error', () => undefined);
    child.unref();
    // The pipe must not keep this process alive either.
    (child.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null)?.unref?.();
  } catch (error) {
    logger.warn(`The agent watchdog could not start (${(error as Error).message}); agents of a crashed window may outlive it.`);
  }
  const send = (line: string) => {
    if (child?.stdin?.writable) child.stdin.write(`${line}\n`);
  };
  return {
    add: (pid) => send(`+${pid}`),
    remove: (pid) => send(`-${pid}`),
    dispose: () => {
      send('quit');
      child?.stdin?.end();
    },
  };
}
