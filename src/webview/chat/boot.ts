import type { ChatOpened } from '../protocol';
import { HostClient } from '../shared/hostClient';

/** What the webview keeps across reloads: UI state only. Messages come again from the host. */
export interface UiState {
  agentId: string;
  draft: string;
  /** The page's `openedAt` once its conversation was drawn: a page loaded again has an old snapshot. */
  openedAt?: number;
}

/** What the page can start with. */
export type Start =
  /** The page names no agent (it cannot happen unless the page was tampered with). */
  | { kind: 'unknown' }
  /** The page was drawn before (the panel was hidden and shown, or reloaded): the host is asked for a new one. */
  | { kind: 'stale'; agentId: string }
  /** The host could not read the conversation, or what it put in the page is not a conversation. */
  | { kind: 'failed'; agentId: string; message: string }
  | { kind: 'opened'; agentId: string; opened: ChatOpened };

/** What the host put in the page (`#root`'s `data-init`). */
interface PageInit {
  agentId?: unknown;
  openedAt?: unknown;
  opened?: unknown;
  error?: unknown;
}

function pageInit(): PageInit {
  try {
    return JSON.parse(document.getElementById('root')?.dataset.init ?? '{}') as PageInit;
  } catch {
    return {};
  }
}

/**
 * The chat's boot. The conversation comes in the page itself, read by the host before it gave the
 * page (checked here like any message from the host), so the first draw needs no round trip. A
 * page whose conversation was drawn before is old: it asks the host for a new page and does not
 * say it is ready, so that the host keeps holding the changes for the new one.
 */
export class Boot {
  readonly client = new HostClient<UiState>();
  readonly start: Start;
  /** When the page told the host it was ready: the latest page is timed from here (logged once). */
  readonly readyAt: number;
  private readonly openedAt: number | undefined;

  constructor() {
    const init = pageInit();
    const agentId = typeof init.agentId === 'string' ? init.agentId : this.client.state?.agentId;
    this.openedAt = typeof init.openedAt === 'number' ? init.openedAt : undefined;
    this.readyAt = performance.now();
    this.start = this.read(init, agentId);
    if (this.start.kind === 'stale') {
      this.client.command('chatReload', { openedAt: this.openedAt! });
      return;
    }
    if (agentId) this.save({ ...(this.openedAt !== undefined && this.start.kind === 'opened' ? { openedAt: this.openedAt } : {}) });
    this.client.command('ready', {});
  }

  private read(init: PageInit, agentId: string | undefined): Start {
    if (!agentId) return { kind: 'unknown' };
    if (this.openedAt !== undefined && this.client.state?.agentId === agentId && this.client.state.openedAt === this.openedAt) return { kind: 'stale', agentId };
    if (typeof init.error === 'string') return { kind: 'failed', agentId, message: init.error };
    // Checked against the protocol by the host as it made the page.
    const opened = init.opened as ChatOpened | undefined;
    if (typeof opened !== 'object' || opened === null || typeof opened.agent !== 'object') return { kind: 'failed', agentId, message: 'This page holds no conversation: close the chat and open it again.' };
    return { kind: 'opened', agentId, opened };
  }

  /** The draft kept across reloads. */
  get draft(): string {
    return this.client.state?.draft ?? '';
  }

  save(next: Partial<UiState>): void {
    const agentId = this.start.kind === 'unknown' ? undefined : this.start.agentId;
    if (agentId) this.client.state = { agentId, draft: '', ...this.client.state, ...next };
  }

  /** Asks the host for a new page (the conversation could not be read). */
  reload(): void {
    if (this.openedAt !== undefined) this.client.command('chatReload', { openedAt: this.openedAt });
  }

  /** When the first page's rows were in the document, and how many messages it has. */
  private firstDrawn: { at: number; messages: number } | undefined;

  /** The conversation's first page is in the document (called as it is drawn). */
  drawn(messages: number): void {
    this.firstDrawn ??= { at: performance.now(), messages };
  }

  /**
   * Logs when the latest page was first painted (for the log and the benchmark), timed from ready.
   * "Shown" is when the first frame that starts with the page's rows in the document has been
   * painted: a frame callback (requestAnimationFrame) that finds the rows drawn posts a message,
   * and the message is handled as a task after that frame's rendering (style, layout, the list's
   * measuring of its rows, paint, the hand-over to the compositor). A callback that finds no rows
   * yet waits for the next frame. Work after that paint (effects, held notifications, the rows
   * above and below the view) is not counted; work in that frame before its paint is. The pixels
   * reach the screen a little later (the compositor's raster and presentation, in other threads).
   * Called before the first draw, so that its callback is the frame's first: the view's own
   * (preact's effects are run from a timer set in one) come after it.
   */
  timeFirstPaint(): void {
    // (A conversation with no messages draws no rows: nothing to time.)
    if (this.start.kind !== 'opened' || this.start.opened.page.messages.length === 0) return;
    let frames = 0;
    const frame = () => {
      const drawn = this.firstDrawn;
      if (!drawn) {
        // (The rows are drawn as the script starts: a page that has none after a second never will.)
        if (++frames < 60) requestAnimationFrame(frame);
        return;
      }
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        this.logShown(drawn, performance.now());
      };
      channel.port2.postMessage(undefined);
    };
    requestAnimationFrame(frame);
  }

  private logShown(drawn: { at: number; messages: number }, shown: number): void {
    const at = (t: number) => (t - this.readyAt).toFixed(1);
    // (Wall clocks: the host's when it made the page, this document's when it began to load.)
    const sinceOpened =
      this.openedAt !== undefined
        ? `; ${Date.now() - this.openedAt} ms after the chat was opened (the document began ${Math.round(performance.timeOrigin - this.openedAt)} ms after, its script ${Math.round(performance.timeOrigin + this.readyAt - this.openedAt)} ms after)`
        : '';
    this.client.command('log', {
      level: 'info',
      message: `latest page (${drawn.messages} messages) shown ${at(shown)} ms after the panel was ready (answered after ${at(this.readyAt)} ms, in the page after ${at(drawn.at)} ms, in the page)${sinceOpened}`,
    });
  }
}
