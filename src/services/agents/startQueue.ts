/**
 * The cap on agents running at once: a start takes a slot or waits in line for one; a slot is
 * given back when the start fails or the agent's process ends.
 */
export class StartQueue {
  /** Agents holding a slot: running, or starting. */
  private readonly holders = new Set<string>();
  private readonly line: { id: string; go: () => void; cancel: (error: Error) => void }[] = [];

  constructor(
    /** The cap now (it is a setting, read at each decision). */
    private readonly max: () => number,
    /** Told whenever the line changes, with the ids in line, first first. */
    private readonly onLineChanged: (queued: readonly string[], max: number) => void,
  ) {}

  private cap(): number {
    return Math.max(1, Math.floor(this.max()));
  }

  /** Resolves once the agent holds a slot; rejects if its wait is cancelled. */
  async take(id: string): Promise<void> {
    if (this.holders.size < this.cap() && this.line.length === 0) {
      this.holders.add(id);
      return;
    }
    await new Promise<void>((resolve, reject) => {
      this.line.push({ id, go: resolve, cancel: reject });
      this.onLineChanged(this.queued, this.cap());
    });
  }

  /** Gives the agent's slot back (nothing if it holds none); the first in line takes it. */
  release(id: string): void {
    if (!this.holders.delete(id)) return;
    while (this.line.length && this.holders.size < this.cap()) {
      const next = this.line.shift()!;
      this.holders.add(next.id);
      next.go();
    }
    this.onLineChanged(this.queued, this.cap());
  }

  /** Takes the agent out of the line, its start rejected with `error`; false when it was not in line. */
  cancel(id: string, error: Error): boolean {
    const at = this.line.findIndex((q) => q.id === id);
    if (at < 0) return false;
    const [q] = this.line.splice(at, 1);
    q!.cancel(error);
    this.onLineChanged(this.queued, this.cap());
    return true;
  }

  cancelAll(error: Error): void {
    for (const q of this.line.splice(0)) q.cancel(error);
  }

  isQueued(id: string): boolean {
    return this.line.some((q) => q.id === id);
  }

  /** The ids in line, first first. */
  get queued(): string[] {
    return this.line.map((q) => q.id);
  }
}
