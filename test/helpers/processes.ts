// Whether processes run, read from /proc (Linux): a process that has ended but was not reaped by
// its parent yet (a zombie) runs nothing and is not counted.
import { readdirSync, readFileSync } from 'node:fs';

function stat(pid: number): { state: string; pgrp: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses, so read after the last ')'.
    const [state, , pgrp] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: state ?? '', pgrp: Number(pgrp) };
  } catch {
    return undefined;
  }
}

/** Whether the process runs (exists and is not a zombie). */
export function running(pid: number): boolean {
  const s = stat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
}

/** The pids of the processes of a process group that run. */
export function runningInGroup(pgid: number): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(Number(name));
    if (s && s.pgrp === pgid && s.state !== 'Z' && s.state !== 'X') found.push(Number(name));
  }
  return found;
}

/** Waits until none of `pids` runs, or `ms` has passed; returns those still running. */
export async function untilEnded(pids: readonly number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  let left = pids.filter(running);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = left.filter(running);
  }
  return left;
}
