/**
 * The contract between the extension host and the Compare panel (best of N), in the same three
 * kinds of descriptor as the chat's (protocol.ts, whose envelopes it shares): requests answered
 * once, commands without a reply, notifications from the host. The host checks every incoming
 * message and every outgoing result and notification against these schemas (WebviewHost).
 */
import * as z from 'zod/mini';

const groupId = z.string().check(z.regex(/^grp_[0-9a-z]{1,64}$/));
const attemptId = z.string().check(z.regex(/^att_[0-9a-z]{1,64}$/));
const agentId = z.string().check(z.regex(/^ag_[0-9a-z]{1,64}$/));
const empty = z.strictObject({});

/** A file an attempt changed since its base: git's status letter, lines added and deleted (none for a binary file). */
const compareFile = z.strictObject({
  path: z.string(),
  status: z.string(),
  added: z.optional(z.number()),
  deleted: z.optional(z.number()),
  oldPath: z.optional(z.string()),
});

/** One attempt as the panel shows it. */
const compareAttempt = z.strictObject({
  id: attemptId,
  position: z.number(),
  branch: z.string(),
  model: z.optional(z.string()),
  worktreeName: z.optional(z.string()),
  /** The worktree was removed, or its folder is gone. */
  worktreeGone: z.boolean(),
  agentId: z.optional(agentId),
  agentName: z.optional(z.string()),
  status: z.optional(z.enum(['running', 'waiting', 'error', 'finished'])),
  statusReason: z.optional(z.string()),
  turns: z.number(),
  costUsd: z.number(),
  files: z.array(compareFile),
  added: z.number(),
  deleted: z.number(),
  lastMessage: z.optional(z.string()),
  changesError: z.optional(z.string()),
  kept: z.boolean(),
});

/** The group and its attempts, in position order. */
const comparison = z.strictObject({
  groupId,
  name: z.string(),
  prompt: z.string(),
  baseBranch: z.string(),
  baseCommit: z.string(),
  keptAttemptId: z.optional(attemptId),
  createdAt: z.string(),
  attempts: z.array(compareAttempt),
});
export type CompareData = z.infer<typeof comparison>;
export type CompareAttempt = z.infer<typeof compareAttempt>;
export type CompareFile = z.infer<typeof compareFile>;

/** Either side of a diff: an attempt's version of the file, or the base's. */
const side = z.union([z.strictObject({ attemptId }), z.strictObject({ base: z.literal(true) })]);

export const compareRequestSchemas = {
  /** The comparison as it is now. */
  compareLoad: { params: z.strictObject({ groupId }), result: comparison },
  /** Opens VS Code's diff editor on one file: two attempts' versions, or the base's and an attempt's. */
  compareOpenDiff: { params: z.strictObject({ groupId, path: z.string().check(z.minLength(1), z.maxLength(4096)), left: side, right: side }), result: empty },
  /**
   * Keep This One: the host asks what it must (a commit message for uncommitted work), merges the
   * attempt into the base, then offers to put the others away. `cancelled` when the user stopped.
   */
  compareKeep: {
    params: z.strictObject({ groupId, attemptId }),
    result: z.strictObject({ outcome: z.enum(['clean', 'conflicts', 'cancelled']), message: z.optional(z.string()) }),
  },
  /** Opens an attempt's agent's chat. */
  compareOpenChat: { params: z.strictObject({ agentId }), result: empty },
} as const;

export type CompareRequestMethod = keyof typeof compareRequestSchemas;
export type CompareRequestParams<M extends CompareRequestMethod> = z.infer<(typeof compareRequestSchemas)[M]['params']>;
export type CompareRequestResult<M extends CompareRequestMethod> = z.infer<(typeof compareRequestSchemas)[M]['result']>;

export const compareCommandSchemas = {
  /** Sent once the webview's script runs; the host holds notifications until then. */
  ready: z.strictObject({}),
  /** A line for the extension's log. */
  log: z.strictObject({ level: z.enum(['info', 'warn', 'error']), message: z.string().check(z.maxLength(10_000)) }),
} as const;

export type CompareCommandName = keyof typeof compareCommandSchemas;
export type CompareCommandParams<C extends CompareCommandName> = z.infer<(typeof compareCommandSchemas)[C]>;

export const compareNotificationSchemas = {
  /** An attempt's agent, changes or the group changed: the whole comparison again. */
  compareChanged: comparison,
} as const;

export type CompareNotificationMethod = keyof typeof compareNotificationSchemas;
export type CompareNotificationParams<N extends CompareNotificationMethod> = z.infer<(typeof compareNotificationSchemas)[N]>;

/** The methods above as types, for the panel's client (PanelClient). */
export type CompareMethods = {
  requests: { [M in CompareRequestMethod]: { params: CompareRequestParams<M>; result: CompareRequestResult<M> } };
  commands: { [C in CompareCommandName]: CompareCommandParams<C> };
  notifications: { [N in CompareNotificationMethod]: CompareNotificationParams<N> };
};
