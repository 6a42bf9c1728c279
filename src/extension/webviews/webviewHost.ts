import * as vscode from 'vscode';
import type { ZodMiniType } from 'zod/mini';
import type * as ProtocolModule from '../../webview/protocol';
import type {
  CommandName,
  CommandParams,
  HostMessageEnvelope,
  NotificationMethod,
  NotificationParams,
  ProtocolErrorCode,
  RequestMethod,
  RequestParams,
  RequestResult,
} from '../../webview/protocol';

let loaded: typeof ProtocolModule | undefined;
/**
 * The protocol's schemas (zod), loaded with the first webview's first message rather than with the
 * extension: activation then evaluates none of them (the build puts them in `dist/lazy.js`).
 */
export function protocol(): typeof ProtocolModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loaded ??= require('../../webview/protocol') as typeof ProtocolModule);
}

/**
 * The schemas a panel's messages are checked against: protocol.ts's for the chat and the manager
 * panel; a panel with a protocol file of its own (the Compare panel's) gives its tables. The
 * envelopes are protocol.ts's for every panel.
 */
export interface WebviewContract {
  requestSchemas: Readonly<Record<string, { params: ZodMiniType; result: ZodMiniType }>>;
  commandSchemas: Readonly<Record<string, ZodMiniType>>;
  notificationSchemas: Readonly<Record<string, ZodMiniType>>;
}

const has = (table: object, name: string): boolean => Object.prototype.hasOwnProperty.call(table, name);

/** One message from the webview and the response it got, if it was a request or was refused. */
export interface HandledMessage {
  message: unknown;
  response: HostMessageEnvelope | undefined;
}

/** The requests one panel serves (each panel serves its own; the others are unknown to it). */
export type RequestHandlers = { [M in RequestMethod]?: (params: RequestParams<M>) => Promise<RequestResult<M>> | RequestResult<M> };
export type CommandHandlers = { [C in CommandName]: (params: CommandParams<C>) => void };
/** The commands one panel handles: `log` and `copy` every panel, a chat's own ones only a chat (`ready` is the host's). */
export type PanelCommandHandlers = Pick<CommandHandlers, 'log' | 'copy'> & Partial<Omit<CommandHandlers, 'ready' | 'log' | 'copy'>>;

function describeIssues(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  return error.issues
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(message)'}: ${i.message}`)
    .join('; ');
}

/**
 * The host side of one webview's message channel. Every incoming message is validated against
 * the protocol; a malformed or unknown one is answered with an error and changes nothing.
 * Notifications are held until the webview says it is `ready`, since messages posted before its
 * script runs are lost.
 */
export class WebviewHost implements vscode.Disposable {
  private isReady = false;
  /** Notifications held until the webview is ready: the latest per method (per message for chatMessage), in order of arrival. */
  private readonly pending = new Map<string, HostMessageEnvelope>();
  private readonly readyEmitter = new vscode.EventEmitter<void>();
  /** Fires once the webview's script has started and can receive messages. */
  readonly onDidBecomeReady = this.readyEmitter.event;
  private readonly handledEmitter = new vscode.EventEmitter<HandledMessage>();
  /** Fires after each message from the webview was handled, with what was answered. */
  readonly onDidHandleMessage = this.handledEmitter.event;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly webview: vscode.Webview,
    private readonly requests: RequestHandlers,
    private readonly commands: PanelCommandHandlers,
    private readonly log: vscode.LogOutputChannel,
    /** The panel's own schemas, loaded on first use; protocol.ts's when not given. */
    private readonly ownContract?: () => WebviewContract,
  ) {
    this.subscription = webview.onDidReceiveMessage(async (raw: unknown) => {
      const response = await this.handleMessage(raw);
      this.handledEmitter.fire({ message: raw, response });
    });
  }

  private contract(): WebviewContract {
    return this.ownContract?.() ?? protocol();
  }

  get ready(): boolean {
    return this.isReady;
  }

  /** The webview is being torn down (hidden) and will load again: hold messages until it is ready. */
  reset(): void {
    this.isReady = false;
  }

  /**
   * Sends a notification, or queues it until the webview is ready. It is checked against the
   * protocol here, as the webview takes what its host sends as typed: one that does not match is
   * a bug of the host's, logged, and not sent.
   */
  notify<N extends NotificationMethod>(method: N, params: NotificationParams<N>): void {
    const checked = this.contract().notificationSchemas[method]!.safeParse(params);
    if (!checked.success) {
      this.log.error(`webview notification ${method} does not match the protocol, not sent: ${describeIssues(checked.error)}`);
      return;
    }
    this.send({ kind: 'notification', method, params: checked.data });
  }

  /**
   * Handles one message from the webview and returns the response it sent (if any), so callers
   * and tests can see exactly what the webview was told.
   */
  async handleMessage(raw: unknown): Promise<HostMessageEnvelope | undefined> {
    const { webviewMessageEnvelope } = protocol();
    const { commandSchemas, requestSchemas } = this.contract();
    const envelope = webviewMessageEnvelope.safeParse(raw);
    if (!envelope.success) {
      const id = typeof raw === 'object' && raw !== null && Number.isInteger((raw as { id?: unknown }).id)
        ? ((raw as { id: number }).id >= 0 ? (raw as { id: number }).id : null)
        : null;
      return this.fail(id, 'INVALID_MESSAGE', `Malformed message from the webview: ${describeIssues(envelope.error)}`);
    }
    const message = envelope.data;
    if (message.kind === 'command') {
      if (!has(commandSchemas, message.command) || (message.command !== 'ready' && !this.commands[message.command as Exclude<CommandName, 'ready'>])) {
        return this.fail(null, 'UNKNOWN_METHOD', `Unknown command from the webview: ${message.command}`);
      }
      const params = commandSchemas[message.command]!.safeParse(message.params ?? {});
      if (!params.success) {
        return this.fail(null, 'INVALID_PARAMS', `Invalid parameters for ${message.command}: ${describeIssues(params.error)}`);
      }
      this.runCommand(message.command as CommandName, params.data);
      return undefined;
    }
    if (!has(requestSchemas, message.method) || !this.requests[message.method as RequestMethod]) {
      return this.fail(message.id, 'UNKNOWN_METHOD', `Unknown request from the webview: ${message.method}`);
    }
    return this.answer(message.id, message.method as RequestMethod, message.params);
  }

  private runCommand(command: CommandName, params: unknown): void {
    if (command === 'ready') {
      this.isReady = true;
      for (const message of this.pending.values()) void this.webview.postMessage(message);
      this.pending.clear();
      this.readyEmitter.fire();
      return;
    }
    (this.commands[command as Exclude<CommandName, 'ready'>] as (p: unknown) => void)(params);
  }

  private async answer(id: number, method: RequestMethod, rawParams: unknown): Promise<HostMessageEnvelope> {
    const schema = this.contract().requestSchemas[method]!;
    const params = schema.params.safeParse(rawParams ?? {});
    if (!params.success) {
      return this.fail(id, 'INVALID_PARAMS', `Invalid parameters for ${method}: ${describeIssues(params.error)}`);
    }
    try {
      const handler = this.requests[method] as (p: unknown) => Promise<unknown> | unknown;
      const result = schema.result.parse(await handler(params.data));
      const response: HostMessageEnvelope = { kind: 'response', id, result };
      this.send(response);
      return response;
    } catch (error) {
      this.log.error(`webview request ${method} failed: ${(error as Error).message}`);
      return this.fail(id, 'FAILED', (error as Error).message);
    }
  }

  private fail(id: number | null, code: ProtocolErrorCode, message: string): HostMessageEnvelope {
    this.log.warn(`webview: ${message}`);
    const response: HostMessageEnvelope = { kind: 'response', id, error: { code, message } };
    this.send(response);
    return response;
  }

  /**
   * Responses go out at once (the webview asked, so it is listening); notifications wait for
   * ready, and a newer notification of the same method replaces a held one.
   */
  private send(message: HostMessageEnvelope): void {
    if (this.isReady || message.kind === 'response') {
      void this.webview.postMessage(message);
    } else {
      // One per method (a newer state replaces the held one), except messages: one per message id,
      // since each is news of its own (a growing message replaces only its earlier versions).
      const id = message.method === 'chatMessage' ? (message.params as { message?: { id?: unknown } }).message?.id : undefined;
      const key = typeof id === 'string' ? `${message.method}:${id}` : message.method;
      this.pending.delete(key);
      this.pending.set(key, message);
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.readyEmitter.dispose();
    this.handledEmitter.dispose();
  }
}

/**
 * What every panel's host needs from its panel: a hidden webview is torn down (no
 * retainContextWhenHidden) and reloads when shown, so messages are held until its new script says
 * it is ready; and closing the panel disposes its owner.
 */
export function followPanel(panel: vscode.WebviewPanel, host: WebviewHost, dispose: () => void): vscode.Disposable[] {
  return [
    panel.onDidChangeViewState(({ webviewPanel }) => {
      if (!webviewPanel.visible) host.reset();
    }),
    panel.onDidDispose(dispose),
  ];
}
