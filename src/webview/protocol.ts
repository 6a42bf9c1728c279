/**
 * The contract between the extension host and the chat panels, and the envelopes every panel's
 * messages travel in (the Compare and Overview panels have their methods in compareProtocol.ts
 * and overviewProtocol.ts). Both sides import it; nothing else crosses the boundary. Shapes follow three kinds of descriptor:
 * - requests from the webview that expect one reply (`{ kind: 'request', id, method, params }`),
 *   answered by `{ kind: 'response', id, result }` or `{ kind: 'response', id, error }`;
 * - commands from the webview that expect none (`{ kind: 'command', command, params }`);
 * - notifications from the host (`{ kind: 'notification', method, params }`).
 * The host validates every incoming message against these schemas and answers malformed or
 * unknown ones with an error, changing nothing.
 */
// zod/mini: the same validation at a fraction of the size, since the webview bundles it too.
import * as z from 'zod/mini';
import { CHAT_IMAGE_LIMITS } from './protocolLimits';

const agentId = z.string().check(z.regex(/^ag_[0-9a-z]{1,64}$/));
const agentStatus = z.enum(['running', 'waiting', 'error', 'finished']);
const agentMode = z.enum(['regular', 'plan', 'auto']);

/** One line of a diff: ' ' in both, '-' only in the file now, '+' only in what the tool would leave. */
const diffLine = z.strictObject({ kind: z.enum([' ', '+', '-']), text: z.string(), noEol: z.optional(z.literal(true)) });

/**
 * The change a Write, Edit or MultiEdit would make to its file (`path`, relative to the worktree
 * when inside it): the first lines of its hunks (`more` lines left out, for Open Diff), or why it
 * is not shown (`fails`: the CLI will refuse the call).
 */
const chatChange = z.union([
  z.strictObject({ path: z.string(), problem: z.string(), fails: z.boolean() }),
  z.strictObject({
    path: z.string(),
    isNew: z.boolean(),
    added: z.number(),
    removed: z.number(),
    hunks: z.array(z.strictObject({ oldStart: z.number(), newStart: z.number(), lines: z.array(diffLine) })),
    more: z.number(),
  }),
]);
export type ChatChange = z.infer<typeof chatChange>;

/** A permission the CLI asks for (its `can_use_tool`), as the chat shows it. */
const chatPermission = z.strictObject({
  requestId: z.string(),
  toolName: z.string(),
  input: z.record(z.string(), z.unknown()),
  summary: z.string(),
  requestedAt: z.string(),
  /** The CLI's own "don't ask again" choices, in words, in its order; answered by their index. */
  suggestions: z.optional(z.array(z.string())),
  /** Why the CLI asks, when it says. */
  reason: z.optional(z.string()),
  /** The folder the tool runs in: the agent's worktree. */
  cwd: z.optional(z.string()),
  /** For a file tool: the change it would make, as the file is now. */
  change: z.optional(chatChange),
  /** The agent's questions (its AskUserQuestion tool), answered with `answers`. */
  questions: z.optional(
    z.array(
      z.strictObject({
        question: z.string(),
        header: z.string(),
        multiSelect: z.boolean(),
        options: z.array(z.strictObject({ label: z.string(), description: z.string(), preview: z.optional(z.string()) })),
      }),
    ),
  ),
});

/** One item of the agent's task list (its TodoWrite, TaskCreate and TaskUpdate calls). */
const chatTask = z.strictObject({
  id: z.optional(z.string()),
  content: z.string(),
  status: z.enum(['pending', 'in_progress', 'completed']),
  /** What it says while under way ("Running the tests"). */
  activeForm: z.optional(z.string()),
});
export type ChatTask = z.infer<typeof chatTask>;

/** What the chat shows of its agent: the header, the prompts, whether it can take a message. */
const chatAgent = z.strictObject({
  id: agentId,
  name: z.string(),
  status: agentStatus,
  statusReason: z.string(),
  contextLevel: z.number(),
  mode: agentMode,
  model: z.optional(z.string()),
  usage: z.strictObject({ inputTokens: z.number(), outputTokens: z.number(), cacheReadTokens: z.number(), cacheCreationTokens: z.number(), costUsd: z.number() }),
  pendingPermissions: z.array(chatPermission),
  /** Why a message cannot be sent now (another window runs it, a terminal holds it), else absent. */
  inputDisabledReason: z.optional(z.string()),
  /** Its task list, pinned above the conversation; absent while it has none. */
  tasks: z.optional(z.array(chatTask)),
});
export type ChatAgent = z.infer<typeof chatAgent>;

export { CHAT_IMAGE_LIMITS } from './protocolLimits';

/** An image of a message: `src` is the webview URI of its file (absent when this version cannot show it). */
const chatImage = z.strictObject({ id: z.string(), mediaType: z.string(), bytes: z.number(), name: z.optional(z.string()), src: z.optional(z.string()) });
export type ChatImage = z.infer<typeof chatImage>;

/** An image attached to a message the user sends: its bytes as base64. */
const chatImageUpload = z.strictObject({
  name: z.string().check(z.maxLength(255)),
  mediaType: z.string().check(z.maxLength(100)),
  data: z.string().check(z.maxLength((CHAT_IMAGE_LIMITS.maxBytes / 3) * 4)),
});
export type ChatImageUpload = z.infer<typeof chatImageUpload>;

/** One stored message (API.md, Message): text, thinking, a tool call with its result, a notice. */
const chatMessage = z.strictObject({
  id: z.string(),
  role: z.enum(['user', 'assistant', 'system', 'tool']),
  kind: z.enum(['text', 'thinking', 'tool', 'notice']),
  content: z.string(),
  toolName: z.optional(z.string()),
  toolInput: z.optional(z.record(z.string(), z.unknown())),
  toolOutput: z.optional(z.string()),
  isError: z.optional(z.boolean()),
  /** The images the user sent with it, or its tool's result carried. */
  images: z.optional(z.array(chatImage)),
  isComplete: z.boolean(),
  createdAt: z.string(),
  /**
   * A file tool call whose file was kept before and after it ran: "Open Diff" can show it; `gone`
   * when those copies were dropped since (an agent keeps at most 50 MB of them, oldest dropped first).
   */
  fileChange: z.optional(z.union([z.boolean(), z.literal('gone')])),
  /** A subagent's message: the id of its call's message (Agent, Task), whose card shows it. */
  parentId: z.optional(z.string()),
  /** A subagent's call: how the subagent is doing (it may work on after its call's result, in the background) and its report. */
  subagent: z.optional(
    z.strictObject({ status: z.enum(['running', 'completed', 'failed', 'stopped']), background: z.optional(z.boolean()), result: z.optional(z.string()) }),
  ),
});
export type ChatMessage = z.infer<typeof chatMessage>;

const chatPage = z.strictObject({ messages: z.array(chatMessage), hasMore: z.boolean(), nextCursor: z.optional(z.string()) });

/** One of the CLI's slash commands: its name (without the `/`), what it does, how its arguments are written. */
const slashCommand = z.strictObject({ name: z.string(), description: z.optional(z.string()), argumentHint: z.optional(z.string()) });
export type SlashCommand = z.infer<typeof slashCommand>;
/** A message sent while the agent worked, not yet written to its CLI: editable and removable until then. Its id is the one it is stored under once sent. */
const chatQueued = z.strictObject({ id: z.string(), content: z.string(), queuedAt: z.string(), /** How many images it carries. */ images: z.optional(z.number()) });
export type ChatQueued = z.infer<typeof chatQueued>;

/**
 * A chat as it opens, put by the host in the chat's page (the only way its first page comes):
 * its agent, its latest messages (newest first), its slash commands, the models to offer.
 */
export const chatOpened = z.strictObject({
  agent: chatAgent,
  page: chatPage,
  /** The CLI's slash commands, in its order (none before the agent's first start). */
  slashCommands: z.array(slashCommand),
  /** The messages waiting for the agent's turn to end, first to be sent first. */
  queued: z.array(chatQueued),
  contextWarningThreshold: z.number(),
  /** The models the selector offers (the CLI's aliases); the webview adds the agent's own when it is another. */
  models: z.array(z.string()),
});
export type ChatOpened = z.infer<typeof chatOpened>;
const empty = z.strictObject({});
const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

/** Request methods the webview may call, with their parameters and results. */
export const requestSchemas = {
  /** An older page of the conversation. */
  chatPage: { params: z.strictObject({ agentId, before: text(200), limit: z.optional(z.int().check(z.minimum(1), z.maximum(500))) }), result: chatPage },
  /** Sends a message, with the images attached to it (before its text); an agent without a live process is started (resumed) with it; during a turn it is queued (`queued`). */
  chatSend: {
    params: z.strictObject({ agentId, text: text(1_000_000), images: z.optional(z.array(chatImageUpload).check(z.maxLength(CHAT_IMAGE_LIMITS.maxPerMessage))) }),
    result: z.strictObject({ messageId: z.string(), queued: z.optional(z.boolean()) }),
  },
  /** Changes the text of a queued message (refused once it was sent or removed). */
  chatQueueEdit: { params: z.strictObject({ agentId, messageId: text(200), text: text(1_000_000) }), result: empty },
  /** Takes a message out of the queue: it is never sent. */
  chatQueueRemove: { params: z.strictObject({ agentId, messageId: text(200) }), result: empty },
  /** Writes a queued message to the CLI now: during a turn the CLI runs it right after that turn. */
  chatQueueSendNow: { params: z.strictObject({ agentId, messageId: text(200) }), result: empty },
  /** Ends the running turn, keeping the process. */
  chatInterrupt: { params: z.strictObject({ agentId }), result: empty },
  /** Answers a permission request: allow (once, with one of the CLI's rules, or the whole tool), or deny with a reason. */
  chatRespond: {
    params: z.strictObject({
      agentId,
      requestId: text(200),
      behavior: z.enum(['allow', 'deny']),
      message: z.optional(z.string().check(z.maxLength(10_000))),
      always: z.optional(z.boolean()),
      suggestion: z.optional(z.int().check(z.minimum(0), z.maximum(100))),
      /** For a question: question text → a choice's label or the user's words; several for a multiple choice. */
      answers: z.optional(z.record(z.string().check(z.maxLength(10_000)), z.union([z.string().check(z.maxLength(10_000)), z.array(z.string().check(z.maxLength(10_000))).check(z.maxLength(100))]))),
    }),
    result: empty,
  },
  chatSetMode: { params: z.strictObject({ agentId, mode: agentMode }), result: empty },
  /** Chooses the agent's model: live when it runs, from its next start otherwise. */
  chatSetModel: { params: z.strictObject({ agentId, model: z.string().check(z.regex(/^[A-Za-z0-9][\w.[\]-]{0,99}$/)) }), result: empty },
  /** Opens VS Code's diff editor on the file a tool call changed, before and after. */
  chatOpenDiff: { params: z.strictObject({ agentId, messageId: text(200) }), result: empty },
  /** Opens VS Code's diff editor on the file a waiting Write, Edit or MultiEdit asks to change: as it is now, and as the tool would leave it. */
  chatOpenProposedDiff: { params: z.strictObject({ agentId, requestId: text(200) }), result: empty },
  /** Paths of the agent's worktree for an `@` completion, best match first. */
  chatFiles: { params: z.strictObject({ agentId, query: z.string().check(z.maxLength(500)) }), result: z.strictObject({ paths: z.array(z.string()) }) },
  /** Finds text in the whole conversation: the matching messages' ids, newest first, and how many match. */
  chatFind: { params: z.strictObject({ agentId, query: text(500) }), result: z.strictObject({ ids: z.array(z.string()), total: z.number() }) },
  /** Starts (resumes) the agent: the error banner's Retry / Resume. */
  chatStart: { params: z.strictObject({ agentId }), result: empty },
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
  /** Puts text on the clipboard (a code block's Copy button). */
  copy: z.strictObject({ text: z.string().check(z.maxLength(10_000_000)) }),
  /**
   * A chat's page that cannot be drawn as it is: loaded again after its conversation was drawn (the
   * snapshot in it is old), or its conversation could not be read. The host gives the panel a new page.
   */
  chatReload: z.strictObject({ openedAt: z.number() }),
} as const;

export type CommandName = keyof typeof commandSchemas;
export type CommandParams<C extends CommandName> = z.infer<(typeof commandSchemas)[C]>;

/** Notifications from the host. */
export const notificationSchemas = {
  /** The chat's agent changed: status, reason, context, usage, prompts. */
  chatAgent: chatAgent,
  /** A message was added, or grew (a streaming one comes again under its id, longer). */
  chatMessage: z.strictObject({ agentId, message: chatMessage }),
  /** The CLI's slash commands became known (the agent started), or changed. */
  chatCommands: z.strictObject({ agentId, commands: z.array(slashCommand) }),
  /** The agent's queued messages changed (the whole queue, first to be sent first). */
  chatQueue: z.strictObject({ agentId, messages: z.array(chatQueued) }),
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
