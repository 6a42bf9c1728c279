import type * as vscode from 'vscode';
import type { Services } from '../services';

/** How long a burst of other windows' writes is gathered before the tree is redrawn. */
const SETTLE_MS = 250;

/**
 * Keeps this window up to date with the agents the user's other windows run: the tree is redrawn
 * when they write to the store, and each of their agents that waits for the user is followed live
 * (its pending request known here, so that it is answered from this window's "Needs you").
 */
export class OtherWindowAgents implements vscode.Disposable {
  private readonly held = new Map<string, Promise<() => void>>();
  private timer: NodeJS.Timeout | undefined;
  private readonly off: () => void;
  private disposed = false;
  private othersWrote = false;

  constructor(
    private readonly services: Services,
    private readonly redraw: () => void,
    private readonly log: { warn(message: string): void },
  ) {
    this.off = services.store.onDidChange(() => this.soon(true));
    // Those waiting already when this window opens (nothing to redraw unless there are).
    this.soon(false);
  }

  private soon(othersWrote: boolean): void {
    this.othersWrote ||= othersWrote;
    if (this.timer || this.disposed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const redraw = this.othersWrote;
      this.othersWrote = false;
      void this.update(redraw).catch((error: Error) => this.log.warn(`Following the other windows' agents failed: ${error.message}`));
    }, SETTLE_MS);
  }

  private async update(othersWrote: boolean): Promise<void> {
    const agents = await this.services.runtime.list();
    if (this.disposed) return;
    const waiting = new Set(agents.filter((a) => !a.ownedByThisWindow && a.pid !== undefined && a.status === 'waiting' && !a.deletedAt).map((a) => a.id));
    const before = this.held.size;
    let changed = false;
    for (const id of waiting) {
      if (this.held.has(id)) continue;
      changed = true;
      this.held.set(
        id,
        this.services.runtime.watch(id).catch((error: Error) => {
          this.log.warn(`Agent ${id} of another window cannot be followed: ${error.message}`);
          this.held.delete(id);
          return () => undefined;
        }),
      );
    }
    for (const [id, release] of [...this.held]) {
      if (waiting.has(id)) continue;
      changed = true;
      this.held.delete(id);
      void release.then((r) => r());
    }
    if (othersWrote || changed || before !== this.held.size) this.redraw();
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.off();
    for (const release of this.held.values()) void release.then((r) => r());
    this.held.clear();
  }
}
