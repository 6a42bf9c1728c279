/**
 * The one contract between the extension host and the webview panels. Both sides import it;
 * nothing else crosses the boundary. Shapes follow three kinds of descriptor:
 * - requests from the webview that expect one reply (`{ kind: 'request', id, method, params }`),
 *   answered by `{ kind: 'response', id, result }` or `{ kind: 'response', id, error }`;
 * - commands from the webview that expect none (`{ kind: 'command', command, params }`);
 * - notifications from the host (`{ kind: 'notification', method, params }`).
 * The host validates every incoming message against these schemas and answers malformed or
 * unknown ones with an error, changing nothing.
 */
// zod/mini: the same validation at a fraction of the size, since the webview bundles it too.
import * as z from 'zod/mini';

/** The Claude Code CLI the extension would run, or why none can be run. */
const cliInfo = z.union([
  z.strictObject({ found: z.literal(true), path: z.string(), version: z.string() }),
  z.strictObject({ found: z.literal(false), message: z.string() }),
]);
export type CliInfo = z.infer<typeof cliInfo>;

/** Request methods the webview may call, with their parameters and results. */
export const requestSchemas = {
  /** Facts about the host the panel shows; answered from the extension's own state. */
  getInfo: {
    params: z.strictObject({}),
    result: z.strictObject({
      extensionVersion: z.string(),
      editorVersion: z.string(),
      uiKind: z.enum(['desktop', 'web']),
      remoteName: z.nullable(z.string()),
      cli: cliInfo,
      /** The SQLite engine (sql.js) the extension loaded from its own install folder. */
      storage: z.union([
        z.strictObject({ ok: z.literal(true), sqliteVersion: z.string() }),
        z.strictObject({ ok: z.literal(false), message: z.string() }),
      ]),
    }),
  },
  /** Round trip check: the host answers with the same text and the time it saw it. */
  echo: {
    params: z.strictObject({ text: z.string().check(z.maxLength(10_000)) }),
    result: z.strictObject({ text: z.string(), receivedAt: z.string() }),
  },
} as const;

export type RequestMethod = keyof typeof requestSchemas;
export type RequestParams<M extends RequestMethod> = z.infer<(typeof requestSchemas)[M]['params']>;
export type RequestResult<M extends RequestMethod> = z.infer<(typeof requestSchemas)[M]['result']>;

/** Commands from the webview: fire and forget. */
export const commandSchemas = {
  /** Sent once the webview's script runs; the host holds notifications until then. */
  ready: z.strictObject({}),
  /** A line for the extension's log, so webview failures are visible to the user. */
  log: z.strictObject({ level: z.enum(['info', 'warn', 'error']), message: z.string().check(z.maxLength(10_000)) }),
} as const;

export type CommandName = keyof typeof commandSchemas;
export type CommandParams<C extends CommandName> = z.infer<(typeof commandSchemas)[C]>;

/** Notifications from the host. */
export const notificationSchemas = {
  /** `claudeManager.claudePath` changed: the CLI the extension would run now. */
  didChangeCli: cliInfo,
} as const;

export type NotificationMethod = keyof typeof notificationSchemas;
export type NotificationParams<N extends NotificationMethod> = z.infer<(typeof notificationSchemas)[N]>;

const messageId = z.int().check(z.nonnegative());

const requestEnvelope = z.strictObject({
  kind: z.literal('request'),
  id: messageId,
  method: z.string(),
  params: z.unknown(),
});

const commandEnvelope = z.strictObject({ kind: z.literal('command'), command: z.string(), params: z.unknown() });

/** Any message the webview may send, before its params are checked against its method. */
export const webviewMessageEnvelope = z.discriminatedUnion('kind', [requestEnvelope, commandEnvelope]);
export type WebviewMessageEnvelope = z.infer<typeof webviewMessageEnvelope>;

/** Error codes a response can carry. */
export const protocolErrorCodes = ['INVALID_MESSAGE', 'UNKNOWN_METHOD', 'INVALID_PARAMS', 'FAILED'] as const;
export type ProtocolErrorCode = (typeof protocolErrorCodes)[number];

export const responseEnvelope = z.union([
  z.strictObject({ kind: z.literal('response'), id: messageId, result: z.unknown() }),
  z.strictObject({
    kind: z.literal('response'),
    /** null when the message was too malformed to carry an id. */
    id: z.nullable(messageId),
    error: z.strictObject({ code: z.enum(protocolErrorCodes), message: z.string() }),
  }),
]);
export type ResponseEnvelope = z.infer<typeof responseEnvelope>;

export const notificationEnvelope = z.strictObject({ kind: z.literal('notification'), method: z.string(), params: z.unknown() });
export type NotificationEnvelope = z.infer<typeof notificationEnvelope>;

/** Any message the host may send. */
export const hostMessageEnvelope = z.union([responseEnvelope, notificationEnvelope]);
export type HostMessageEnvelope = z.infer<typeof hostMessageEnvelope>;

export function isRequestMethod(method: string): method is RequestMethod {
  return Object.prototype.hasOwnProperty.call(requestSchemas, method);
}

export function isCommandName(command: string): command is CommandName {
  return Object.prototype.hasOwnProperty.call(commandSchemas, command);
}

export function isNotificationMethod(method: string): method is NotificationMethod {
  return Object.prototype.hasOwnProperty.call(notificationSchemas, method);
}
