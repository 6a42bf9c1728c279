import type { CommandName, CommandParams, HostMessageEnvelope, NotificationMethod, NotificationParams, RequestMethod, RequestParams, RequestResult } from '../protocol';

interface VsCodeApi<State> {
  postMessage(message: unknown): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi<State>(): VsCodeApi<State>;

/** A request the host refused or failed; `code` is one of the protocol's error codes. */
export class HostError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Listener<N extends NotificationMethod> = (params: NotificationParams<N>) => void;

/**
 * The webview's side of the protocol: typed requests with replies, fire-and-forget commands,
 * and notifications from the host. What the host sends was checked against the protocol's schemas
 * by the host before it was sent (webviewHost.ts), so it is taken as typed here: the schemas (and
 * zod) stay out of the webview's bundle. Only the host can post to its webview.
 */
/** Notifications kept for a listener to come, at most. */
const MAX_UNHEARD = 5000;

export class HostClient<State> {
  private readonly vscode = acquireVsCodeApi<State>();
  private nextId = 0;
  private readonly waiting = new Map<number, { method: RequestMethod; resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Map<NotificationMethod, Set<(params: unknown) => void>>();
  /** Notifications that came before anyone listened for them (the view subscribes after its first draw). */
  private readonly unheard: { method: NotificationMethod; params: unknown }[] = [];

  constructor() {
    window.addEventListener('message', (event: MessageEvent<unknown>) => this.receive(event.data));
  }

  /** UI state only (scroll positions, drafts): data is always refetched from the host. */
  get state(): State | undefined {
    return this.vscode.getState();
  }

  set state(value: State) {
    this.vscode.setState(value);
  }

  request<M extends RequestMethod>(method: M, params: RequestParams<M>): Promise<RequestResult<M>> {
    const id = this.nextId++;
    return new Promise<RequestResult<M>>((resolve, reject) => {
      this.waiting.set(id, { method, resolve: resolve as (v: unknown) => void, reject });
      this.vscode.postMessage({ kind: 'request', id, method, params });
    });
  }

  command<C extends CommandName>(command: C, params: CommandParams<C>): void {
    this.vscode.postMessage({ kind: 'command', command, params });
  }

  on<N extends NotificationMethod>(method: N, listener: Listener<N>): () => void {
    let set = this.listeners.get(method);
    if (!set) this.listeners.set(method, (set = new Set()));
    const entry = listener as (params: unknown) => void;
    set.add(entry);
    // What came for this method before anyone listened, in order.
    const waiting = this.unheard.filter((n) => n.method === method);
    if (waiting.length) {
      this.unheard.splice(0, this.unheard.length, ...this.unheard.filter((n) => n.method !== method));
      for (const n of waiting) entry(n.params);
    }
    return () => set.delete(entry);
  }

  private receive(data: unknown): void {
    const kind = typeof data === 'object' && data !== null ? (data as { kind?: unknown }).kind : undefined;
    if (kind !== 'notification' && kind !== 'response') {
      this.command('log', { level: 'error', message: `unexpected message from the host: ${JSON.stringify(data).slice(0, 500)}` });
      return;
    }
    const message = data as HostMessageEnvelope;
    if (message.kind === 'notification') {
      const method = message.method as NotificationMethod;
      const listeners = this.listeners.get(method);
      if (listeners?.size) for (const listener of listeners) listener(message.params);
      else if (this.unheard.length < MAX_UNHEARD) this.unheard.push({ method, params: message.params });
      return;
    }
    if (message.id === null) {
      const error = 'error' in message ? message.error.message : 'unknown';
      this.command('log', { level: 'warn', message: `the host rejected a message: ${error}` });
      return;
    }
    const waiter = this.waiting.get(message.id);
    if (!waiter) return;
    this.waiting.delete(message.id);
    if ('error' in message) {
      waiter.reject(new HostError(message.error.code, message.error.message));
      return;
    }
    waiter.resolve(message.result);
  }
}
