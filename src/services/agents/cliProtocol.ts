import * as z from 'zod';

/**
 * The Claude Code CLI's stream-json protocol, as far as the runtime relies on it (see
 * docs/agents.md; facts checked against the CLI version the tests pin). Every stdout line is
 * parsed with these schemas; they check the fields the runtime reads and let everything else
 * through, because the CLI adds fields and line types from version to version. A line of a type
 * not listed here is kept as a raw event, never an error.
 */

const usage = z.looseObject({
  input_tokens: z.number().optional(),
  output_tokens: z.number().optional(),
  cache_read_input_tokens: z.number().nullish(),
  cache_creation_input_tokens: z.number().nullish(),
});
export type CliUsage = z.infer<typeof usage>;

const textBlock = z.looseObject({ type: z.literal('text'), text: z.string() });
const thinkingBlock = z.looseObject({ type: z.literal('thinking'), thinking: z.string() });
const toolUseBlock = z.looseObject({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() });
const toolResultBlock = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  content: z.unknown().optional(),
  is_error: z.boolean().optional(),
});
const otherBlock = z.looseObject({ type: z.string() });
export const contentBlock = z.union([textBlock, thinkingBlock, toolUseBlock, toolResultBlock, otherBlock]);
export type ContentBlock = z.infer<typeof contentBlock>;

export const systemLine = z.looseObject({
  type: z.literal('system'),
  subtype: z.string(),
  session_id: z.string().optional(),
  model: z.string().optional(),
  cwd: z.string().optional(),
  permissionMode: z.string().optional(),
  tools: z.array(z.string()).optional(),
  slash_commands: z.array(z.string()).optional(),
  claude_code_version: z.string().optional(),
  // api_retry
  attempt: z.number().optional(),
  max_retries: z.number().optional(),
  error_status: z.number().nullish(),
  retry_delay_ms: z.number().optional(),
  // A subagent's task lines (task_started, task_notification): read only when they have the expected shape.
  tool_use_id: z.unknown().optional(),
  status: z.unknown().optional(),
  summary: z.unknown().optional(),
  is_backgrounded: z.unknown().optional(),
});

export const assistantLine = z.looseObject({
  type: z.literal('assistant'),
  message: z.looseObject({
    id: z.string(),
    model: z.string().optional(),
    content: z.array(contentBlock),
    usage: usage.optional(),
    stop_reason: z.string().nullish(),
  }),
  parent_tool_use_id: z.string().nullish(),
  session_id: z.string().optional(),
});

export const userLine = z.looseObject({
  type: z.literal('user'),
  message: z.looseObject({ role: z.string().optional(), content: z.union([z.string(), z.array(contentBlock)]) }),
  parent_tool_use_id: z.string().nullish(),
  session_id: z.string().optional(),
  /** What the tool returned, as data (stream-json; a transcript says `toolUseResult`): read only where its shape is checked. */
  tool_use_result: z.unknown().optional(),
  toolUseResult: z.unknown().optional(),
});

export const resultLine = z.looseObject({
  type: z.literal('result'),
  subtype: z.string(),
  is_error: z.boolean().optional(),
  result: z.string().optional(),
  session_id: z.string().optional(),
  total_cost_usd: z.number().optional(),
  usage: usage.optional(),
  modelUsage: z.record(z.string(), z.looseObject({ contextWindow: z.number().optional() })).optional(),
  api_error_status: z.number().nullish(),
  num_turns: z.number().optional(),
});

export const streamEventLine = z.looseObject({
  type: z.literal('stream_event'),
  event: z.looseObject({
    type: z.string(),
    index: z.number().optional(),
    message: z.looseObject({ id: z.string().optional(), model: z.string().optional(), usage: usage.optional() }).optional(),
    content_block: z.looseObject({ type: z.string(), name: z.string().optional(), id: z.string().optional() }).optional(),
    delta: z.looseObject({ type: z.string().optional(), text: z.string().optional(), thinking: z.string().optional(), partial_json: z.string().optional() }).optional(),
    // message_delta: the final output tokens of the API message.
    usage: usage.optional(),
  }),
  parent_tool_use_id: z.string().nullish(),
});

export const controlRequestLine = z.looseObject({
  type: z.literal('control_request'),
  request_id: z.string(),
  request: z.looseObject({
    subtype: z.string(),
    tool_name: z.string().optional(),
    display_name: z.string().optional(),
    description: z.string().optional(),
    input: z.record(z.string(), z.unknown()).optional(),
    tool_use_id: z.string().optional(),
    permission_suggestions: z.array(z.unknown()).optional(),
    // Read only when they have the expected shape: a request the schema refused would never be answered.
    decision_reason: z.unknown().optional(),
    blocked_path: z.unknown().optional(),
  }),
});

export const controlResponseLine = z.looseObject({
  type: z.literal('control_response'),
  response: z.looseObject({
    subtype: z.string(),
    request_id: z.string(),
    response: z.unknown().optional(),
    error: z.string().optional(),
  }),
});

export const controlCancelLine = z.looseObject({ type: z.literal('control_cancel_request'), request_id: z.string() });

/** A subscription's usage limit as the CLI last heard it from the API (checked: sent with an OAuth login, not with an API key). */
export const rateLimitEventLine = z.looseObject({
  type: z.literal('rate_limit_event'),
  rate_limit_info: z.looseObject({
    status: z.string(),
    /** Unix seconds. */
    resetsAt: z.number().nullish(),
    rateLimitType: z.string().optional(),
    utilization: z.number().nullish(),
    overageStatus: z.string().optional(),
    isUsingOverage: z.boolean().optional(),
    /**
     * Each window of the plan's limits ("five_hour", "seven_day", …) with its own status, share
     * used (0–1) and reset (unix seconds): reported by 2.1.332 with a subscription login.
     */
    unifiedWindows: z
      .record(z.string(), z.looseObject({ status: z.string().optional(), utilization: z.number().nullish(), resetsAt: z.number().nullish() }))
      .optional()
      .catch(undefined),
  }),
});
export type RateLimitEventLine = z.infer<typeof rateLimitEventLine>;

export type SystemLine = z.infer<typeof systemLine>;
export type AssistantLine = z.infer<typeof assistantLine>;
export type UserLine = z.infer<typeof userLine>;
export type ResultLine = z.infer<typeof resultLine>;
export type StreamEventLine = z.infer<typeof streamEventLine>;
export type ControlRequestLine = z.infer<typeof controlRequestLine>;
export type ControlResponseLine = z.infer<typeof controlResponseLine>;

/** One stdout line, understood. `raw` is a line of a type the runtime does not know (kept, not an error). */
export type CliLine =
  | { kind: 'system'; line: SystemLine }
  | { kind: 'assistant'; line: AssistantLine }
  | { kind: 'user'; line: UserLine }
  | { kind: 'result'; line: ResultLine }
  | { kind: 'stream_event'; line: StreamEventLine }
  | { kind: 'control_request'; line: ControlRequestLine }
  | { kind: 'control_response'; line: ControlResponseLine }
  | { kind: 'control_cancel_request'; line: z.infer<typeof controlCancelLine> }
  | { kind: 'rate_limit_event'; line: RateLimitEventLine }
  | { kind: 'raw'; type: string; value: unknown }
  | { kind: 'invalid'; reason: string; text: string };

const byType = {
  system: systemLine,
  assistant: assistantLine,
  user: userLine,
  result: resultLine,
  stream_event: streamEventLine,
  control_request: controlRequestLine,
  control_response: controlResponseLine,
  control_cancel_request: controlCancelLine,
  rate_limit_event: rateLimitEventLine,
} as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const DELTA_KEYS = ['type', 'text', 'thinking', 'partial_json'] as const;

/**
 * Whether a `stream_event` line is one that `streamEventLine` accepts as it is and that carries no
 * message, content block or usage (a content delta, a block's or message's stop): most of a
 * stream's lines are these, and checking them by hand is several times cheaper than the schema.
 * Anything else goes through the schema.
 */
function isPlainStreamEvent(value: Record<string, unknown>): value is StreamEventLine {
  const event = value.event;
  if (!isObject(event) || typeof event.type !== 'string' || (event.index !== undefined && typeof event.index !== 'number')) return false;
  if (event.message !== undefined || event.content_block !== undefined || event.usage !== undefined) return false;
  const delta = event.delta;
  if (delta !== undefined) {
    if (!isObject(delta)) return false;
    for (const key of DELTA_KEYS) if (delta[key] !== undefined && typeof delta[key] !== 'string') return false;
  }
  const parent = value.parent_tool_use_id;
  return parent === undefined || parent === null || typeof parent === 'string';
}

/** Parses one stdout line. Never throws: what cannot be understood comes back as `invalid` with why. */
export function parseCliLine(text: string): CliLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'invalid', reason: 'not JSON', text: text.slice(0, 200) };
  }
  if (typeof value !== 'object' || value === null || typeof (value as { type?: unknown }).type !== 'string') {
    return { kind: 'invalid', reason: 'no "type"', text: text.slice(0, 200) };
  }
  const type = (value as { type: string }).type;
  if (type === 'stream_event' && isPlainStreamEvent(value as Record<string, unknown>)) return { kind: 'stream_event', line: value as StreamEventLine };
  const schema = (byType as Record<string, z.ZodType>)[type];
  if (!schema) return { kind: 'raw', type, value };
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    return { kind: 'invalid', reason: `a "${type}" line of an unexpected shape: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, text: text.slice(0, 200) };
  }
  return { kind: type, line: parsed.data } as CliLine;
}

/** A user message's content as the CLI takes it: text, or content blocks (images, then the text). */
export type UserContent = string | readonly ({ type: 'text'; text: string } | { type: 'image'; source: { type: 'base64'; media_type: string; data: string } })[];

/** What the app writes to the CLI's stdin. */
export const toCli = {
  user(content: UserContent): string {
    return JSON.stringify({ type: 'user', message: { role: 'user', content } });
  },
  control(requestId: string, request: Record<string, unknown>): string {
    return JSON.stringify({ type: 'control_request', request_id: requestId, request });
  },
  controlResponse(requestId: string, response: Record<string, unknown>): string {
    return JSON.stringify({ type: 'control_response', response: { subtype: 'success', request_id: requestId, response } });
  },
  controlError(requestId: string, error: string): string {
    return JSON.stringify({ type: 'control_response', response: { subtype: 'error', request_id: requestId, error } });
  },
};
