/**
 * Runs at most `max` tasks at once; the rest wait in order. Tasks start one per turn of the event
 * loop: starting a process (`spawn`) blocks the thread for several milliseconds (more in a large
 * process), and when four git processes ended together, starting the next four in one tick made
 * blocks of 60–80 ms (measured with fifty worktrees' status). Paced, a block is one start.
 */
export class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private scheduled = false;

  constructor(private readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`A limiter needs a whole number ≥ 1, not ${max}`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      this.pump();
    });
    try {
      return await task();
    } finally {
      this.running--;
      this.pump();
    }
  }

  /** Starts the next waiting task in a later turn of the event loop, if a slot is free. */
  private pump(): void {
    if (this.scheduled || this.waiting.length === 0 || this.running >= this.max) return;
    this.scheduled = true;
    // An immediate queued from inside an immediate runs in the next turn: one start per turn.
    setImmediate(() => {
      this.scheduled = false;
      if (this.running < this.max) {
        const next = this.waiting.shift();
        if (next) {
          this.running++;
          next();
        }
      }
      this.pump();
    });
  }
}
