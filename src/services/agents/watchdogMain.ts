/**
 * The agent watchdog: a small process of its own (dist/agentWatchdog.js) that outlives a crashed
 * extension host. The host tells it, on its stdin, which process groups its agents run in
 * ("+<pid>", "-<pid>"), and "quit" when it shuts down in order. If stdin ends without "quit" (the
 * host died: crash, SIGKILL, OOM), or the host's pid is gone, it ends every group it was told of:
 * SIGTERM, then SIGKILL after 2 s. Windows has no groups: the tree is killed with taskkill.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const groups = new Set<number>();
const hostPid = Number(process.argv[2]) || process.ppid;
let quitting = false;

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    if (process.platform === 'win32') {
      if (sig === 'SIGKILL') spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true }).on('error', () => undefined);
    } else process.kill(-pid, sig);
  } catch {
    // gone already
  }
}

function endAll(): void {
  if (quitting) return;
  quitting = true;
  for (const pid of groups) signal(pid, 'SIGTERM');
  setTimeout(() => {
    for (const pid of groups) signal(pid, 'SIGKILL');
    process.exit(0);
  }, 2000);
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const text = line.trim();
  if (text === 'quit') {
    quitting = true;
    process.exit(0);
  }
  const pid = Number(text.slice(1));
  if (!Number.isInteger(pid) || pid <= 0) return;
  if (text.startsWith('+')) groups.add(pid);
  else if (text.startsWith('-')) groups.delete(pid);
});
// The host's end of the pipe closes when the host dies, whatever killed it.
lines.on('close', endAll);
// A backstop: the host's pid is gone.
setInterval(() => {
  try {
    process.kill(hostPid, 0);
  } catch {
    endAll();
  }
}, 1000).unref();
