/**
 * Figures of reliability that tests measure as they run (kills survived and what was lost,
 * messages delivered in order, processes left behind, …). When `CM_RELIABILITY_OUT` names a file
 * (`npm test` sets it), each is appended there as a JSON line; `npm run reliability` makes
 * docs/reliability.md from them. Only what a test saw and asserted is recorded: call this after
 * the assertions it reports on.
 */
import { appendFileSync } from 'node:fs';

export interface ReliabilityFact {
  /** The table's row group, e.g. "kills", "delivery", "orphans", "untrusted git", "fuzz". */
  area: string;
  /** What was done, e.g. "SIGKILL of the store's writer at random moments". */
  what: string;
  /** How many times it was done, or how many inputs. */
  count: number;
  /** What the test found, e.g. "0 durable writes lost". */
  outcome: string;
  /** The test that measured it. */
  test: string;
}

export function recordReliability(fact: ReliabilityFact): void {
  const file = process.env.CM_RELIABILITY_OUT;
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ ...fact, at: new Date().toISOString() })}\n`);
}
