import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { parentPort } from 'node:worker_threads';
import type { FromSpawnWorker, SpawnMessage, ToSpawnWorker } from './spawnProtocol';

/**
 * The worker thread that starts the agents' processes and carries their pipes. Starting a process
 * forks the whole process, which blocks the calling thread for a time that grows with the
 * process's memory (~7 ms in a fresh Node, ~25 ms at 300 MB, more in a large extension host);
 * here it blocks this thread, not the extension host's.
 */

const port = parentPort;
const children = new Map<number, ChildProcessWithoutNullStreams>();
/** The environments the host sent, by id, until it says to forget them. */
const environments = new Map<number, NodeJS.ProcessEnv>();

function post(message: FromSpawnWorker, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

/** A chunk copied out of the stream's buffer (which may be shared and reused) and handed over without another copy. */
function relay(type: 'stdout' | 'stderr', id: number, chunk: Buffer): void {
  const data = new Uint8Array(chunk);
  post({ type, id, data }, [data.buffer as ArrayBuffer]);
}

function start(message: SpawnMessage): void {
  const { id } = message;
  for (const envId of message.forget ?? []) environments.delete(envId);
  if (message.env) environments.set(message.envId, message.env);
  const env = environments.get(message.envId);
  let child: ChildProcessWithoutNullStreams;
  try {
    if (!env) throw new Error(`environment ${message.envId} was not sent`);
    child = spawn(message.command, [...message.args], { cwd: message.cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: message.detached, windowsHide: true });
  } catch (error) {
    post({ type: 'error', id, message: (error as Error).message, ...((error as NodeJS.ErrnoException).code ? { code: (error as NodeJS.ErrnoException).code } : {}) });
    return;
  }
  children.set(id, child);
  child.once('spawn', () => post({ type: 'spawn', id, pid: child.pid }));
  child.once('error', (error: NodeJS.ErrnoException) => post({ type: 'error', id, message: error.message, ...(error.code ? { code: error.code } : {}) }));
  child.stdout.on('data', (chunk: Buffer) => relay('stdout', id, chunk));
  child.stdout.on('end', () => post({ type: 'stdoutEnd', id }));
  child.stderr.on('data', (chunk: Buffer) => relay('stderr', id, chunk));
  child.stderr.on('end', () => post({ type: 'stderrEnd', id }));
  child.stdin.on('error', (error) => post({ type: 'stdinError', id, message: error.message }));
  child.once('close', (code, signal) => {
    children.delete(id);
    post({ type: 'close', id, code, signal });
  });
}

port?.on('message', (message: ToSpawnWorker) => {
  if (message.type === 'spawn') return start(message);
  const child = children.get(message.id);
  if (!child) return;
  if (message.type === 'write') child.stdin.write(message.data);
  else if (message.type === 'end') child.stdin.end();
  else if (message.type === 'kill') child.kill(message.signal);
});
