/**
 * The methods of a panel's protocol file as types: its requests (params and result), commands and
 * notifications (params). compareProtocol.ts and overviewProtocol.ts each give theirs.
 */
export interface PanelMethods {
  requests: Record<string, { params: unknown; result: unknown }>;
  commands: Record<string, unknown>;
  notifications: Record<string, unknown>;
}

interface VsCodeApi<State> {
  postMessage(message: unknown): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi<State>(): VsCodeApi<State>;

type Incoming =
  | { kind: 'notification'; method: string; params: unknown }
  | { kind: 'response'; id: number | null; result?: unknown; error?: { code: string; message: string } };

/**
 * A panel's side of its own protocol file (the Compare and Overview panels'; the chat has
 * HostClient): typed requests with replies, commands, notifications. What the host sends was
 * checked by the host against the schemas, so it is taken as typed here: only types are imported,
 * and the schemas (and zod) stay out of the panel's bundle.
 */
export class PanelClient<P extends PanelMethods, State> {
  private readonly vscode = acquireVsCodeApi<State>();
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Map<string, Set<(params: unknown) => void>>();

  constructor() {
    window.addEventListener('message', (event: MessageEvent<unknown>) => this.receive(event.data as Incoming));
  }

  /** UI state only (what the user chose and where): data is always asked of the host again. */
  get state(): State | undefined {
    return this.vscode.getState();
  }

  set state(value: State) {
    this.vscode.setState(value);
  }

  request<M extends keyof P['requests'] & string>(method: M, params: P['requests'][M]['params']): Promise<P['requests'][M]['result']> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.vscode.postMessage({ kind: 'request', id, method, params });
    });
  }

  command<C extends keyof P['commands'] & string>(command: C, params: P['commands'][C]): void {
    this.vscode.postMessage({ kind: 'command', command, params });
  }

  /** Listens for a notification; returns what stops listening. */
  on<N extends keyof P['notifications'] & string>(method: N, listener: (params: P['notifications'][N]) => void): () => void {
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
