import type { UsageEntry as LedgerEntry } from '../storage/usageRepository';
import type { AssistantLine, ResultLine } from './cliProtocol';

/** One API message's usage as far as it is known (the ledger's entry without where it belongs): the ledger keeps the latest of each. */
export type UsageEntry = Pick<LedgerEntry, 'messageId' | 'model' | 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheCreationTokens' | 'costUsd' | 'costReported'>;

const DEFAULT_CONTEXT_WINDOW = 200_000;

/**
 * The context window of the main model from a result's `modelUsage`. Its keys are the model as
 * chosen, which may carry a suffix the API messages lack ("claude-sonnet-4-5[1m]" for
 * "claude-sonnet-4-5"): the exact key, else the model with a bracketed suffix, else the only key.
 */
export function contextWindowOf(modelUsage: ResultLine['modelUsage'], model: string | undefined): number | undefined {
  if (!modelUsage) return undefined;
  const keys = Object.keys(modelUsage);
  const key = (model && (keys.find((k) => k === model) ?? keys.find((k) => k.startsWith(`${model}[`)))) || (keys.length === 1 ? keys[0] : undefined);
  return key ? modelUsage[key]?.contextWindow : undefined;
}

/** Where the meter says what it found. */
export interface UsageSink {
  usage(usage: UsageEntry): void;
  context(level: number): void;
  notice(text: string): void;
}

/**
 * Usage per API message and the context's fill. Usage is kept per API message id, so a message
 * reported on several lines counts once (a subagent's too); a turn's cost is the difference of the
 * process's running `total_cost_usd` figures, added to the turn's last API message. The context
 * fill is that of the last main-thread message over the model's window, with a notice when it
 * crosses the threshold.
 */
export class UsageMeter {
  /** The API messages of the turn under way, with their usage so far. */
  private readonly turnUsage = new Map<string, UsageEntry>();
  private lastCostTotal: number | undefined;
  private lastApiMessageId: string | undefined;
  private contextWindow = DEFAULT_CONTEXT_WINDOW;
  private lastContextTokens = 0;
  private lastLevel = 0;

  constructor(
    private readonly sink: UsageSink,
    private readonly threshold: () => number,
  ) {}

  /** `message_delta`: an API message's final output tokens. */
  outputTokens(apiId: string, tokens: number): void {
    const usage = this.turnUsage.get(apiId);
    if (usage && usage.outputTokens !== tokens) {
      usage.outputTokens = tokens;
      this.sink.usage({ ...usage });
    }
  }

  /** An `assistant` line's usage (`model`: the one known when the line names none); the context fill for the main thread's. */
  assistant(line: AssistantLine, model: string | undefined): void {
    const apiId = line.message.id;
    const u = line.message.usage;
    // "<synthetic>" messages are the CLI's own (e.g. "Not logged in"): no API call, no usage.
    if (!u || line.message.model === '<synthetic>') return;
    this.lastApiMessageId = apiId;
    const seen = this.turnUsage.get(apiId);
    // One API message arrives on several lines; its output grows (the final count comes with
    // `message_delta`), so a later line never lowers what was seen.
    const usage: UsageEntry = {
      messageId: apiId,
      model: line.message.model ?? model ?? 'unknown',
      inputTokens: u.input_tokens ?? 0,
      outputTokens: Math.max(seen?.outputTokens ?? 0, u.output_tokens ?? 0),
      cacheReadTokens: u.cache_read_input_tokens ?? 0,
      cacheCreationTokens: u.cache_creation_input_tokens ?? 0,
      costUsd: seen?.costUsd ?? 0,
    };
    this.turnUsage.set(apiId, usage);
    this.sink.usage({ ...usage });
    if (!line.parent_tool_use_id) {
      this.lastContextTokens = (u.input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0);
      this.updateContext();
    }
  }

  /** A `result`: the turn's cost, and the model's context window. */
  result(line: ResultLine, model: string | undefined): void {
    // The running total covers this process; a turn's cost is what it added.
    if (line.total_cost_usd !== undefined) {
      const turnCost = Math.max(0, line.total_cost_usd - (this.lastCostTotal ?? 0));
      this.lastCostTotal = line.total_cost_usd;
      const usage = this.lastApiMessageId ? this.turnUsage.get(this.lastApiMessageId) : undefined;
      if (usage && turnCost > 0) {
        usage.costUsd += turnCost;
        this.sink.usage({ ...usage });
      }
    }
    // The turn is over: no more lines of its API messages will come.
    this.endTurn();
    const window = contextWindowOf(line.modelUsage, model);
    if (window) {
      this.contextWindow = window;
      this.updateContext();
    }
  }

  /** What was kept of the turn's API messages can go. */
  endTurn(): void {
    this.turnUsage.clear();
  }

  private updateContext(): void {
    const level = Math.max(0, Math.min(100, Math.round((this.lastContextTokens / this.contextWindow) * 100)));
    if (level === this.lastLevel) return;
    const threshold = this.threshold();
    const crossed = this.lastLevel < threshold && level >= threshold;
    this.lastLevel = level;
    this.sink.context(level);
    if (crossed) this.sink.notice(`The context is ${level}% full. Consider /compact, or a fresh agent for the next task.`);
  }
}
