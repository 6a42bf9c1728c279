import { randomBytes } from 'node:crypto';

/** Prefixes of the ids the API hands out. */
export type IdPrefix = 'ws' | 'wt' | 'ag' | 'msg' | 'img' | 'grp' | 'att';

/**
 * A new id such as `msg_0m3k2x9a1b2c3d4e5f6a7b8c`: the prefix names the kind of object; the time
 * part keeps ids of one process roughly in creation order; 64 random bits keep them unique across
 * processes and windows.
 */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${Date.now().toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;
}
