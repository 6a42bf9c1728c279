import type { AgentStatus, TaskItem, WorktreeRecord } from '../storage/records';
import type { Store } from '../storage/store';
import type { HookEvent, HookServer } from './hookServer';
import { type AgentHost, LiveAgent } from './liveAgent';
import type { StreamTranslator, TranslatorEffect } from './streamTranslator';
import { TerminalProcess, TranscriptTail, transcriptPath } from './terminalProcess';
import { summarizeTool } from './toolSummary';
import { inWrittenOrder } from './transcripts';

/** The hook events a terminal session reports (all the CLI sends as HTTP hooks; SessionStart is command-only). */
export const TERMINAL_HOOKS = ['UserPromptSubmit', 'PreToolUse', 'PermissionRequest', 'PostToolUse', 'PostToolUseFailure', 'Notification', 'Stop', 'SessionEnd'] as const;
const TOOL_HOOKS = new Set<string>(['PreToolUse', 'PermissionRequest', 'PostToolUse', 'PostToolUseFailure']);

/** The `--settings` hooks that make a terminal's CLI report to `url`. */
export function terminalHookSettings(url: string): { hooks: Record<string, unknown> } {
  return {
    hooks: Object.fromEntries(TERMINAL_HOOKS.map((name) => [name, [{ ...(TOOL_HOOKS.has(name) ? { matcher: '*' } : {}), hooks: [{ type: 'http', url, timeout: 10 }] }]])),
  };
}

/** What a terminal session does to the agent beyond its messages. */
export interface TerminalSessionSink {
  apply(effects: TranslatorEffect[]): Promise<void>;
  setStatus(status: AgentStatus, reason: string): Promise<void>;
  /** The session changed (a /clear in the terminal). */
  sessionChanged(sessionId: string): Promise<void>;
  /** The session is one the CLI has (a later start resumes it). */
  recordSession(sessionId: string, cwd: string): Promise<void>;
  warn(text: string): void;
  env(): NodeJS.ProcessEnv;
}

/**
 * An agent's session held by a terminal running the CLI's own UI: its status from the CLI's HTTP
 * hooks, its history from the session's transcript, read as it grows and translated as the
 * stream-json lines would have been.
 */
export class TerminalSession {
  /** Why the session ended, from SessionEnd ("prompt_input_exit", "clear", …). */
  endReason: string | undefined;

  constructor(
    private readonly tail: TranscriptTail,
    public sessionId: string,
    /** Whether the session is recorded as one the CLI has: once the terminal reported from it. */
    private recorded: boolean,
    private readonly cwd: string,
    private readonly translator: StreamTranslator,
    private readonly sink: TerminalSessionSink,
    readonly unregister: () => void,
  ) {}

  async onHook(event: HookEvent): Promise<void> {
    if (event.session_id !== this.sessionId) {
      // A new session in the same terminal (/clear): the agent follows it.
      this.sessionId = event.session_id;
      this.recorded = false;
      this.tail.moveTo(event.transcript_path ?? transcriptPath(this.sink.env(), this.cwd, event.session_id));
      await this.sink.sessionChanged(event.session_id);
      await this.sink.apply(this.translator.notice('A new session started in the terminal.'));
    } else if (event.transcript_path && event.transcript_path !== this.tail.path) {
      this.sink.warn(`the CLI's transcript is ${event.transcript_path}, not ${this.tail.path}; reading that one from its current end.`);
      this.tail.moveTo(event.transcript_path, await TranscriptTail.sizeOf(event.transcript_path));
    }
    if (!this.recorded) {
      this.recorded = true;
      await this.sink.recordSession(event.session_id, event.cwd ?? this.cwd);
    }
    await this.readTranscript();
    const tool = TOOL_HOOKS.has(event.hook_event_name) ? summarizeTool(event.tool_name ?? 'a tool', event.tool_input, this.cwd) : '';
    switch (event.hook_event_name) {
      case 'UserPromptSubmit':
        if (event.prompt?.trim()) await this.sink.apply(this.translator.userMessage(event.prompt, { status: false }).effects);
        return this.sink.setStatus('running', 'thinking (in the terminal)');
      case 'PostToolUse':
      case 'PostToolUseFailure':
        return this.sink.setStatus('running', 'thinking (in the terminal)');
      case 'PreToolUse':
        return this.sink.setStatus('running', `running ${tool} (in the terminal)`);
      case 'PermissionRequest':
        return this.sink.setStatus('waiting', `needs permission in the terminal: ${tool}`);
      case 'Notification':
        // The CLI says this after about a minute without input: also what corrects the status
        // after an interrupt in the terminal, which no hook reports.
        if (event.notification_type === 'idle_prompt') return this.sink.setStatus('waiting', 'waiting for your message in the terminal');
        if (event.notification_type === 'permission_prompt') return this.sink.setStatus('waiting', `needs permission in the terminal${event.message ? `: ${event.message}` : ''}`);
        return;
      case 'Stop':
        this.translator.endTerminalTurn();
        return this.sink.setStatus('waiting', 'waiting for your message in the terminal');
      case 'SessionEnd':
        this.endReason = event.reason;
        return;
      default:
        return;
    }
  }

  /** Stores what the transcript gained since the last look, as the stream-json lines would have been. */
  async readTranscript(): Promise<void> {
    const { lines, skipped } = await this.tail.read();
    if (skipped) this.sink.warn(`skipped ${skipped} transcript lines over 8 MB`);
    if (lines.length === 0) return;
    for (const line of inWrittenOrder(lines)) {
      // The transcript also holds the CLI's bookkeeping (file snapshots, attachments, summaries): not messages.
      if (line.kind === 'assistant' || line.kind === 'user' || line.kind === 'system') await this.sink.apply(this.translator.line(line));
    }
  }
}

/**
 * A live agent whose session a terminal holds: its transcript read from where it stands (a resumed
 * session's history is stored already), its hooks registered, and the CLI arguments that make the
 * terminal's CLI report to them.
 */
export async function openTerminalAgent(o: {
  agentId: string;
  name: string;
  worktree: Pick<WorktreeRecord, 'id' | 'workspaceId' | 'path'>;
  sessionId: string;
  resumed: boolean;
  env: () => NodeJS.ProcessEnv;
  hookServer: HookServer;
  store: Store;
  host: AgentHost;
  /** The agent's task list as stored. */
  tasks?: readonly TaskItem[] | undefined;
  setStatus: (status: AgentStatus, reason: string) => Promise<void>;
}): Promise<{ live: LiveAgent; settingsArgs: string[] }> {
  const path = transcriptPath(o.env(), o.worktree.path, o.sessionId);
  const tail = new TranscriptTail(path, o.resumed ? await TranscriptTail.sizeOf(path) : 0);
  const holder: { live?: LiveAgent } = {};
  const hook = await o.hookServer.register((event) => holder.live?.hook(event), { env: o.env() });
  const live = new LiveAgent(o.agentId, o.worktree.id, o.worktree.workspaceId, o.worktree.path, new TerminalProcess(o.name), o.host, {
    tasks: o.tasks,
    terminal: (translator, apply) =>
      new TerminalSession(tail, o.sessionId, o.resumed, o.worktree.path, translator, {
        apply,
        setStatus: o.setStatus,
        sessionChanged: async (session) => {
          await o.store.agents.update(o.agentId, { sessionId: session });
        },
        recordSession: async (session, cwd) => {
          await o.store.sessions.save({ id: session, agentId: o.agentId, data: { cwd, startedIn: 'terminal' } });
        },
        warn: (text) => o.host.logger.warn(`Agent ${o.agentId}: ${text}`),
        env: o.env,
      }, hook.dispose),
  });
  holder.live = live;
  // A file only the user can read, not the command line: the address holds the hook's token.
  return { live, settingsArgs: ['--settings', await hook.settingsFile(terminalHookSettings(hook.url))] };
}
