import type { SortMode } from '../storage/records';

/** What ordering an agent needs: the fields the sort modes read. */
interface Orderable {
  id: string;
  name: string;
  status: 'running' | 'waiting' | 'error' | 'finished';
  pendingPermissions: readonly unknown[];
  displayOrder: number;
}

let collator: Intl.Collator | undefined;
/**
 * Names compared as people read them: without case, numbers by value ("agent 2" before "agent 10").
 * One collator for all: `localeCompare` with options builds a new one per comparison, which made
 * sorting a thousand agents cost tens of milliseconds.
 */
export function compareNames(a: string, b: string): number {
  return (collator ??= new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })).compare(a, b);
}

const byName = (a: { name: string }, b: { name: string }) => compareNames(a.name, b.name);

/** Those who need the user first, then those at work, then failures, then the idle. */
function statusRank(a: Orderable): number {
  if (a.status === 'waiting') return a.pendingPermissions.length ? 0 : 1;
  return a.status === 'running' ? 2 : a.status === 'error' ? 3 : 4;
}

/** A worktree's agents in its sort mode: as arranged (free), by status, or by name. */
export function orderAgents<T extends Orderable>(agents: readonly T[], mode: SortMode): T[] {
  return [...agents].sort((a, b) => {
    if (mode === 'name') return byName(a, b) || a.displayOrder - b.displayOrder;
    if (mode === 'status') return statusRank(a) - statusRank(b) || a.displayOrder - b.displayOrder || byName(a, b);
    return a.displayOrder - b.displayOrder || byName(a, b);
  });
}

/**
 * The order after dropping `moved` (in their current order) onto `target`: they take its place,
 * landing after it when they came from above and before it when they came from below, the way
 * a dragged row settles where it is dropped. `target` undefined puts them last. Ids not in
 * `current` are ignored; a drop onto one of the moved rows changes nothing.
 */
export function dropOnto(current: readonly string[], moved: readonly string[], target: string | undefined): string[] {
  const moving = current.filter((id) => moved.includes(id));
  if (moving.length === 0 || (target !== undefined && moving.includes(target))) return [...current];
  const rest = current.filter((id) => !moving.includes(id));
  if (target === undefined || !rest.includes(target)) return [...rest, ...moving];
  const fromAbove = current.indexOf(moving[0]!) < current.indexOf(target);
  const at = rest.indexOf(target) + (fromAbove ? 1 : 0);
  return [...rest.slice(0, at), ...moving, ...rest.slice(at)];
}
