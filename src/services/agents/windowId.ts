import { hostname } from 'node:os';
import { processIsAlive } from '../processRunner';

/** An id for this window's extension host: machine, pid and start time, so another window on the same machine can tell it died. */
export function currentWindowId(): string {
  return `${hostname()}:${process.pid}:${Math.round(performance.timeOrigin)}`;
}

/** True when the window is known to be gone: it ran on this machine and its process is no more. */
export function windowGone(windowId: string): boolean {
  const [host, pid] = windowId.split(':');
  return host === hostname() && Number(pid) > 0 && !processIsAlive(Number(pid));
}
