import type {
  OverviewCommandName,
  OverviewCommandParams,
  OverviewNotificationMethod,
  OverviewNotificationParams,
  OverviewRequestMethod,
  OverviewRequestParams,
  OverviewRequestResult,
} from '../overviewProtocol';

interface VsCodeApi<State> {
  postMessage(message: unknown): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi<State>(): VsCodeApi<State>;

type Incoming =
  | { kind: 'notification'; method: OverviewNotificationMethod; params: unknown }
  | { kind: 'response'; id: number | null; result?: unknown; error?: { code: string; message: string } };

/**
 * The Overview panel's side of its protocol (overviewProtocol.ts): typed requests with replies,
 * commands, notifications. What the host sends was checked by the host against the schemas, so
 * it is taken as typed here: only types are imported, and the schemas (and zod) stay out of this
 * bundle.
 */
export class OverviewClient<State> {
  private readonly vscode = acquireVsCodeApi<State>();
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Map<OverviewNotificationMethod, Set<(params: unknown) => void>>();

  constructor() {
    window.addEventListener('message', (event: MessageEvent<unknown>) => this.receive(event.data as Incoming));
  }

  /** UI state only (the chosen period, span, order, filter, view): data is always asked of the host again. */
  get state(): State | undefined {
    return this.vscode.getState();
  }

  set state(value: State) {
    this.vscode.setState(value);
  }

  request<M extends OverviewRequestMethod>(method: M, params: OverviewRequestParams<M>): Promise<OverviewRequestResult<M>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.vscode.postMessage({ kind: 'request', id, method, params });
    });
  }

  command<C extends OverviewCommandName>(command: C, params: OverviewCommandParams<C>): void {
    this.vscode.postMessage({ kind: 'command', command, params });
  }

  /** Listens for a notification; returns what stops listening. */
  on<N extends OverviewNotificationMethod>(method: N, listener: (params: OverviewNotificationParams<N>) => void): () => void {
    let set = this.listeners.get(method);
    if (!set) this.listeners.set(method, (set = new Set()));
    const entry = listener as (params: unknown) => void;
    set.add(entry);
    return () => set.delete(entry);
  }

  private receive(message: Incoming): void {
    if (message?.kind === 'notification') {
      for (const listener of this.listeners.get(message.method) ?? []) listener(message.params);
      return;
    }
    if (message?.kind !== 'response' || message.id === null) return;
    const waiter = this.waiting.get(message.id);
    if (!waiter) return;
    this.waiting.delete(message.id);
    if (message.error) waiter.reject(new Error(message.error.message));
    else waiter.resolve(message.result);
  }
}
