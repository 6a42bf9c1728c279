import type { Store } from '../storage/store';
import { localDate } from '../storage/usageRepository';

/** What a budget counts: dollars as the CLI reports them, or tokens (all four kinds added up). */
export type BudgetUnit = 'dollars' | 'tokens';

/** The user's budgets: an amount per local day and per local month (0: none). */
export interface Budgets {
  daily: number;
  monthly: number;
  unit: BudgetUnit;
}

/** How much of one budget is used. */
export interface BudgetUse {
  period: 'day' | 'month';
  /** The local date of the period's first day, YYYY-MM-DD. */
  date: string;
  unit: BudgetUnit;
  budget: number;
  used: number;
  /** used / budget (1 = all of it). */
  share: number;
}

/** A budget whose use passed a threshold the user has not been told of yet in this period. */
export interface BudgetCrossing extends BudgetUse {
  threshold: 80 | 100;
}

const THRESHOLDS = [100, 80] as const;

/** "$4.02 of $5.00", "85,000 of 100,000 tokens". */
export function describeUse(use: BudgetUse): string {
  return use.unit === 'dollars' ? `$${use.used.toFixed(2)} of $${use.budget.toFixed(2)}` : `${Math.round(use.used).toLocaleString('en-US')} of ${use.budget.toLocaleString('en-US')} tokens`;
}

/**
 * The user's daily and monthly budgets against the usage ledger (local days and months, as the
 * usage figures count them): how much of each is used, and which threshold (80%, 100%) a budget
 * has newly passed. Each threshold is told once per period and budget: what was told is kept in
 * the store's settings, so a reload or another window does not tell it again.
 */
export class BudgetWatch {
  /** One check at a time: usage changes come in bursts, and a threshold is told once. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly budgets: () => Budgets,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The use of each budget set (none when no budget is). */
  async uses(): Promise<BudgetUse[]> {
    const { daily, monthly, unit } = this.budgets();
    const today = localDate(this.now());
    const uses: BudgetUse[] = [];
    for (const [period, budget, summary] of [
      ['day', daily, 'daily'],
      ['month', monthly, 'monthly'],
    ] as const) {
      if (!(budget > 0)) continue;
      const s = await this.store.usage.get(summary, today);
      const used = unit === 'dollars' ? s.costUsd : s.totalTokens;
      uses.push({ period, date: s.date, unit, budget, used, share: used / budget });
    }
    return uses;
  }

  /**
   * The use of each budget, and the thresholds passed since the last check and not told yet in
   * their period: the highest one only (use that jumps past 100% is told as 100%, not as 80% too).
   * Each is recorded as told.
   */
  check(): Promise<{ uses: BudgetUse[]; crossed: BudgetCrossing[] }> {
    const next = this.chain.catch(() => undefined).then(() => this.checkNow());
    this.chain = next;
    return next;
  }

  /** The thresholds newly passed (see `check`). */
  async crossings(): Promise<BudgetCrossing[]> {
    return (await this.check()).crossed;
  }

  private async checkNow(): Promise<{ uses: BudgetUse[]; crossed: BudgetCrossing[] }> {
    const uses = await this.uses();
    const crossed: BudgetCrossing[] = [];
    for (const use of uses) {
      const threshold = THRESHOLDS.find((t) => use.share * 100 >= t);
      if (!threshold) continue;
      const key = `budget.told.${use.period}.${use.date}.${use.unit}.${use.budget}`;
      const told = Number((await this.store.settings.get(key)) ?? 0);
      if (told >= threshold) continue;
      await this.store.settings.set(key, threshold);
      crossed.push({ ...use, threshold });
    }
    return { uses, crossed };
  }
}
