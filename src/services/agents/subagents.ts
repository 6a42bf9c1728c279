import type { StoredMessage, SubagentState } from '../storage/messageStore';
import type { AssistantLine, ContentBlock, SystemLine, UserLine } from './cliProtocol';

/** The tools that start a subagent ("Agent"; "Task" in older releases). */
export const SUBAGENT_TOOLS: ReadonlySet<string> = new Set(['Agent', 'Task']);

/** What the subagents' part needs of the translator. */
export interface SubagentHost {
  /** The message of a content block, whole (a tool call not yet complete: its result comes later), as the agent's own are made. */
  blockMessage(block: ContentBlock, fields: { parentId: string }): StoredMessage | undefined;
  /** Our message of a tool call, by the CLI's tool_use id: the agent's own, or a subagent's (a subagent may start one of its own). */
  toolMessageId(toolUseId: string): string | undefined;
  /** Records a tool call's message under its tool_use id (hooks and permission requests find it by that). */
  registerTool(toolUseId: string, messageId: string): void;
  /** Emits a message version. */
  emit(message: StoredMessage): void;
  log(text: string): void;
}

/** The task line's word for how a subagent ended, as the card shows it. */
function endStatus(status: unknown): SubagentState['status'] {
  return status === 'completed' ? 'completed' : status === 'failed' ? 'failed' : 'stopped';
}

/**
 * The subagents' part of the conversation. A subagent's lines carry `parent_tool_use_id`, the id of
 * the call (Agent, Task) that started it: its tool calls become messages of their own whose
 * `parentId` is that call's message, completed by their results as the agent's are (the CLI
 * 2.1.332 sends a subagent's prompt, its tool calls and their results, not its text, and no stream
 * events of it). The CLI's task lines say how the subagent is doing: `task_started`, and
 * `task_notification` with how it ended and its report. That goes on the call's message as
 * `subagent`, a new version of it each time, since a subagent started in the background works on
 * after its call's result (which only says it was launched).
 */
export class Subagents {
  /** How each subagent is doing, by its call's tool_use id. */
  private readonly states = new Map<string, SubagentState>();
  /** The latest version of each subagent call's message, by tool_use id (kept after its result: a background one reports later). */
  private readonly calls = new Map<string, StoredMessage>();
  /** The subagents' own tool calls waiting for their results, by tool_use id (not dropped at a turn's end: a background subagent outlives it). */
  private readonly waiting = new Map<string, StoredMessage>();

  constructor(private readonly host: SubagentHost) {}

  /**
   * A version of a subagent call's message (of the agent's, or of a subagent's), about to be
   * emitted: with how the subagent is doing, kept as its latest. Other messages pass unchanged.
   */
  version(toolUseId: string, message: StoredMessage): StoredMessage {
    if (!message.toolName || !SUBAGENT_TOOLS.has(message.toolName)) return message;
    const state = this.states.get(toolUseId);
    const out = state ? { ...message, subagent: state } : message;
    this.calls.set(toolUseId, out);
    return out;
  }

  /** The message id a subagent's line belongs to; undefined (and logged) for a call this process never saw. */
  private parentOf(toolUseId: string): string | undefined {
    const parentId = this.host.toolMessageId(toolUseId);
    if (!parentId) this.host.log(`a subagent's line for a call not seen (${toolUseId}) was skipped`);
    return parentId;
  }

  /** A subagent's API message: its blocks, as messages of the call that started it. */
  assistant(line: AssistantLine): void {
    const parentId = this.parentOf(line.parent_tool_use_id!);
    if (!parentId) return;
    for (const block of line.message.content) {
      const toolUseId = block.type === 'tool_use' && 'id' in block ? String(block.id) : undefined;
      // A call already seen (the same block on a later line of its API message) is not made twice.
      if (toolUseId && this.host.toolMessageId(toolUseId)) continue;
      const message = this.host.blockMessage(block, { parentId });
      if (!message) continue;
      if (toolUseId) {
        this.host.registerTool(toolUseId, message.id);
        this.waiting.set(toolUseId, message);
        this.host.emit(this.version(toolUseId, message));
      } else this.host.emit(message);
    }
  }

  /** A subagent's user line: its tool results complete its calls. (Its prompt, a text, is the call's input already.) */
  user(line: UserLine, outputOf: (block: ContentBlock) => { toolOutput: string; isError: boolean }): void {
    if (typeof line.message.content === 'string') return;
    for (const block of line.message.content) {
      if (block.type !== 'tool_result' || !('tool_use_id' in block)) continue;
      const toolUseId = String(block.tool_use_id);
      const message = this.waiting.get(toolUseId);
      if (!message) continue;
      this.waiting.delete(toolUseId);
      this.host.emit(this.version(toolUseId, { ...message, ...outputOf(block), isComplete: true }));
    }
  }

  /** A task line of the CLI: a subagent began, or ended with its report. Other task lines say nothing the chat shows. */
  task(line: SystemLine): void {
    const toolUseId = typeof line.tool_use_id === 'string' ? line.tool_use_id : undefined;
    if (!toolUseId) return;
    if (line.subtype === 'task_started') {
      this.update(toolUseId, { status: 'running', ...(line.is_backgrounded === true ? { background: true } : {}) });
    } else if (line.subtype === 'task_notification') {
      const before = this.states.get(toolUseId);
      const result = typeof line.summary === 'string' && line.summary.trim() ? line.summary : before?.result;
      this.update(toolUseId, { ...before, status: endStatus(line.status), ...(result !== undefined ? { result } : {}) });
    }
  }

  /** The process ended: a subagent still at work is not any more. */
  exited(): void {
    for (const [toolUseId, state] of this.states) if (state.status === 'running') this.update(toolUseId, { ...state, status: 'stopped' });
    this.waiting.clear();
  }

  private update(toolUseId: string, state: SubagentState): void {
    this.states.set(toolUseId, state);
    const latest = this.calls.get(toolUseId);
    if (latest) this.host.emit(this.version(toolUseId, latest));
  }
}
