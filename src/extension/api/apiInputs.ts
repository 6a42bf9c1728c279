import * as z from 'zod';
import { ClaudeManagerError } from '../../services/errors';

/**
 * The inputs of every method of the public API, checked before anything is done: each method is
 * listed with its parameters in order, and a call whose arguments do not match is refused with
 * INVALID_INPUT naming the method, the parameter and what was wrong. Objects are strict: a key the
 * API does not know (a typo such as `initalPrompt`) is refused rather than ignored.
 */

/** A parameter: its name (for the message) and its schema; optional ones may be left out. */
type Param = readonly [name: string, schema: z.ZodType];

/**
 * The table, built on the first call of a method: making a hundred schemas costs milliseconds
 * that activation should not pay.
 */
function buildInputs() {
  const id = (prefix: 'ws' | 'wt' | 'ag' | 'msg' | 'grp' | 'att', what: string) =>
    z.string({ error: `expected ${what} id ("${prefix}_…")` }).regex(new RegExp(`^${prefix}_[0-9a-z]{1,64}$`), { error: `expected ${what} id ("${prefix}_…")` });
  const workspaceId = id('ws', 'a workspace');
  const worktreeId = id('wt', 'a worktree');
  const agentId = id('ag', 'an agent');
  const messageId = id('msg', 'a message');
  const groupId = id('grp', 'an attempt group');
  const attemptId = id('att', 'an attempt');
  /** A string with something in it besides spaces; passed on as given (a message keeps its indentation). */
  const text = (what: string, max = 1000) =>
    z
      .string({ error: `expected ${what} (a string)` })
      .max(max, { error: `${what} is longer than ${max} characters` })
      .refine((s) => s.trim().length > 0, { error: `${what} cannot be empty` });
  const flag = z.boolean({ error: 'expected true or false' });
  const mode = z.enum(['auto', 'plan', 'regular'], { error: 'expected "auto", "plan" or "regular"' });
  const sortMode = z.enum(['free', 'status', 'name'], { error: 'expected "free", "status" or "name"' });
  const period = z.enum(['daily', 'weekly', 'monthly'], { error: 'expected "daily", "weekly" or "monthly"' });
  const permissions = z.array(z.enum(['read', 'write', 'execute'], { error: 'expected "read", "write" or "execute"' }), { error: 'expected a list of permissions' });
  const localDate = z.string({ error: 'expected a date (YYYY-MM-DD)' }).regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'expected a date (YYYY-MM-DD)' });
  const ids = (item: z.ZodType, what: string) => z.array(item, { error: `expected a list of ${what}` }).max(10_000);
  const options = <S extends z.ZodRawShape>(shape: S) => z.strictObject(shape, { error: 'expected an object' });
  /** Question text → an answer, or several for a multiple-choice question (checked against the questions by the runtime). */
  const questionAnswers = z.record(
    z.string({ error: 'expected question texts as keys' }).max(10_000),
    z.union([z.string().max(10_000, { error: 'an answer is longer than 10000 characters' }), z.array(z.string().max(10_000), { error: 'expected a list of answers' }).max(100)], { error: 'expected an answer (a string) or a list of them' }),
    { error: 'expected answers: an object of question text → answer' },
  );
  const usageShape = { workspaceId: workspaceId.optional(), worktreeId: worktreeId.optional(), agentId: agentId.optional() };

  return {
    'workspaces.list': [],
    'workspaces.get': [['id', workspaceId]],
    'workspaces.create': [['input', options({ path: text('path', 4096), name: text('name', 200).optional() })]],
    'workspaces.delete': [['id', workspaceId]],
    'workspaces.refresh': [['id', workspaceId]],
    'worktrees.list': [['workspaceId', workspaceId]],
    'worktrees.get': [['id', worktreeId]],
    'worktrees.create': [
      [
        'input',
        options({
          workspaceId,
          branch: text('branch', 250),
          newBranch: flag.optional(),
          baseRef: text('baseRef', 250).optional(),
          path: text('path', 4096).optional(),
        }),
      ],
    ],
    'worktrees.update': [['id', worktreeId], ['patch', options({ name: text('name', 200).optional(), sortMode: sortMode.optional(), baseBranch: text('baseBranch', 250).nullable().optional() })]],
    'worktrees.delete': [['id', worktreeId], ['options', options({ force: flag.optional(), deleteBranch: flag.optional() }).optional()]],
    'worktrees.checkoutBranch': [['id', worktreeId], ['branch', text('branch', 250)], ['options', options({ create: flag.optional() }).optional()]],
    'worktrees.reorder': [['workspaceId', workspaceId], ['orderedIds', ids(worktreeId, 'worktree ids')]],
    'worktrees.gitStatus': [['id', worktreeId]],
    'worktrees.listBranches': [['id', worktreeId]],
    'worktrees.prune': [['workspaceId', workspaceId]],
    // Bringing work back (docs/merge.md).
    'worktrees.commit': [['id', worktreeId], ['message', text('message', 100_000)]],
    'worktrees.merge': [['id', worktreeId], ['options', options({ strategy: z.enum(['merge', 'squash', 'rebase'], { error: 'expected "merge", "squash" or "rebase"' }) })]],
    'worktrees.continueMerge': [['id', worktreeId]],
    'worktrees.abortMerge': [['id', worktreeId]],
    'worktrees.push': [['id', worktreeId]],
    'worktrees.changes': [['id', worktreeId]],
    'worktrees.collisions': [['workspaceId', workspaceId]],
    'agents.list': [['filter', options({ worktreeId: worktreeId.optional(), includeDeleted: flag.optional() }).optional()]],
    'agents.get': [['id', agentId]],
    'agents.create': [
      ['input', options({ worktreeId, name: text('name', 200).optional(), mode: mode.optional(), permissions: permissions.optional(), model: text('model', 200).optional() })],
    ],
    'agents.update': [['id', agentId], ['patch', options({ name: text('name', 200).optional(), mode: mode.optional(), permissions: permissions.optional(), model: text('model', 200).optional() })]],
    'agents.delete': [['id', agentId], ['options', options({ archive: flag.optional() }).optional()]],
    'agents.restore': [['id', agentId]],
    'agents.reorder': [['worktreeId', worktreeId], ['orderedIds', ids(agentId, 'agent ids')]],
    'agents.start': [['id', agentId], ['options', options({ initialPrompt: z.string({ error: 'expected a string' }).max(1_000_000).optional() }).optional()]],
    'agents.stop': [['id', agentId], ['options', options({ force: flag.optional() }).optional()]],
    'agents.interrupt': [['id', agentId]],
    'agents.takeOver': [['id', agentId], ['options', options({ initialPrompt: text('initialPrompt', 1_000_000).optional() }).optional()]],
    'agents.sendMessage': [
      ['id', agentId],
      ['content', text('content', 1_000_000)],
      [
        'options',
        options({
          // Their number, size and type are checked by the runtime, which names the image and the limit.
          images: z
            .array(
              options({
                data: z.string({ error: 'expected the image\'s bytes as base64 (a string)' }),
                mediaType: z.string({ error: 'expected a media type such as "image/png"' }).max(100).optional(),
                name: z.string({ error: 'expected a file name (a string)' }).max(255).optional(),
              }),
              { error: 'expected a list of images' },
            )
            .optional(),
        }).optional(),
      ],
    ],
    'agents.getImage': [['id', agentId], ['imageId', z.string({ error: 'expected an image id ("img_…")' }).regex(/^img_[A-Za-z0-9_-]{1,64}$/, { error: 'expected an image id ("img_…")' })]],
    'agents.getQueuedMessages': [['id', agentId]],
    'agents.editQueuedMessage': [['id', agentId], ['messageId', messageId], ['content', text('content', 1_000_000)]],
    'agents.removeQueuedMessage': [['id', agentId], ['messageId', messageId]],
    'agents.sendQueuedMessageNow': [['id', agentId], ['messageId', messageId]],
    'agents.getMessages': [
      ['id', agentId],
      ['options', options({ limit: z.int({ error: 'expected a whole number' }).min(1, { error: 'must be at least 1' }).max(500, { error: 'must be at most 500' }).optional(), before: text('before', 200).optional() }).optional()],
    ],
    'agents.fork': [['id', agentId], ['options', options({ name: text('name', 200).optional() }).optional()]],
    'agents.listCliSessions': [['worktreeId', worktreeId]],
    'agents.adoptSession': [
      ['worktreeId', worktreeId],
      ['sessionId', z.string({ error: 'expected a session id of the CLI (a UUID)' }).regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, { error: 'expected a session id of the CLI (a UUID)' })],
      ['options', options({ name: text('name', 200).optional() }).optional()],
    ],
    'agents.respondToPermission': [
      ['id', agentId],
      ['requestId', text('requestId', 200)],
      ['answer', options({ behavior: z.enum(['allow', 'deny'], { error: 'expected "allow" or "deny"' }), message: z.string({ error: 'expected a string' }).max(10_000).optional(), always: flag.optional(), suggestion: z.int({ error: 'expected a whole number' }).min(0, { error: 'must be 0 or more' }).max(100, { error: 'must be at most 100' }).optional(), answers: questionAnswers.optional() })],
    ],
    'agents.answerQuestion': [['id', agentId], ['requestId', text('requestId', 200)], ['answers', questionAnswers]],
    'agents.setMode': [['id', agentId], ['mode', mode]],
    'usage.today': [['filter', options(usageShape).optional()]],
    'usage.get': [['period', period], ['date', localDate.optional()], ['filter', options(usageShape).optional()]],
    'usage.history': [['options', options({ period, from: localDate.optional(), to: localDate.optional(), ...usageShape })]],
    'usage.limits': [],
    // Best of N: one prompt to several agents, each in its own new worktree.
    'attempts.start': [
      [
        'input',
        options({
          workspaceId,
          name: text('name', 200),
          prompt: text('prompt', 1_000_000),
          count: z.int({ error: 'expected a whole number' }).min(2, { error: 'must be at least 2' }).max(5, { error: 'must be at most 5' }).optional(),
          models: z.array(z.union([text('model', 200), z.null()], { error: 'expected a model (a string) or null for the default' }), { error: 'expected a list of models' }).min(2, { error: 'give at least 2' }).max(5, { error: 'give at most 5' }).optional(),
          baseBranch: text('baseBranch', 250).optional(),
          mode: mode.optional(),
          permissions: permissions.optional(),
        }),
      ],
    ],
    'attempts.list': [['workspaceId', workspaceId]],
    'attempts.get': [['id', groupId]],
    'attempts.compare': [['id', groupId]],
    'attempts.keep': [['id', groupId], ['attemptId', attemptId], ['options', options({ commitMessage: text('commitMessage', 10_000).optional(), strategy: z.enum(['merge', 'squash', 'rebase'], { error: 'expected "merge", "squash" or "rebase"' }).optional() }).optional()]],
    'attempts.discardOthers': [['id', groupId], ['options', options({ removeWorktrees: flag.optional() }).optional()]],
  } as const satisfies Record<string, readonly Param[]>;
}

export type ApiMethod = keyof ReturnType<typeof buildInputs>;
let inputs: Record<ApiMethod, readonly Param[]> | undefined;

/** Each method's parameters, in order. */
export function apiInputs(): Record<ApiMethod, readonly Param[]> {
  return (inputs ??= buildInputs());
}

function describe(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? `.${issue.path.map(String).join('.')}` : '';
  if (issue.code === 'unrecognized_keys') return `${where ? `${where.slice(1)}: ` : ''}unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return `${where ? `${where.slice(1)}: ` : ''}${issue.message}`;
}

/**
 * Checks a call's arguments against its method's parameters and returns them as parsed. Throws INVALID_INPUT: "agents.start: options.initalPrompt: unknown key".
 */
export function checkInput(method: ApiMethod, args: readonly unknown[]): unknown[] {
  const params = apiInputs()[method];
  if (!params) throw new Error(`The API method ${method} has no input schema.`);
  const extra = args.slice(params.length).findIndex((a) => a !== undefined);
  if (extra >= 0) {
    throw new ClaudeManagerError('INVALID_INPUT', `${method} takes ${params.length === 0 ? 'no arguments' : `${params.length} argument${params.length === 1 ? '' : 's'} (${params.map(([n]) => n).join(', ')})`}; it was given ${params.length + extra + 1}.`);
  }
  return params.map(([name, schema], i) => {
    const result = schema.safeParse(args[i]);
    if (result.success) return result.data;
    const issue = result.error.issues[0]!;
    const detail = issue.path.length ? `${name}.${describe(issue)}` : `${name}: ${describe(issue)}`;
    throw new ClaudeManagerError('INVALID_INPUT', `${method}: ${detail}.`);
  });
}
