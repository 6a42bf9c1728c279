import {
  type CommandName,
  type CommandParams,
  hostMessageEnvelope,
  isNotificationMethod,
  type NotificationMethod,
  type NotificationParams,
  notificationSchemas,
  type RequestMethod,
  type RequestParams,
  type RequestResult,
  requestSchemas,
} from '../protocol';

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
 * and notifications from the host. Host messages are validated too, so a mismatch between the
 * two bundles shows up as a logged error rather than a broken view.
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
    const parsed = hostMessageEnvelope.safeParse(data);
    if (!parsed.success) {
      this.command('log', { level: 'error', message: `unexpected message from the host: ${JSON.stringify(data).slice(0, 500)}` });
      return;
    }
    const message = parsed.data;
    if (message.kind === 'notification') {
      if (!isNotificationMethod(message.method)) return;
      const params = notificationSchemas[message.method].safeParse(message.params);
      if (!params.success) return;
      const listeners = this.listeners.get(message.method);
      if (listeners?.size) for (const listener of listeners) listener(params.data);
      else if (this.unheard.length < MAX_UNHEARD) this.unheard.push({ method: message.method, params: params.data });
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
    const result = requestSchemas[waiter.method].result.safeParse(message.result);
    if (result.success) waiter.resolve(result.data);
    else waiter.reject(new HostError('INVALID_MESSAGE', `the host's reply to ${waiter.method} did not match the protocol`));
  }
}
