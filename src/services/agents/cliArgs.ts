import { randomUUID } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ClaudeManagerError } from '../errors';
import type { AgentMode, AgentRecord, PermissionKind } from '../storage/records';
import type { Store } from '../storage/store';
import { FILE_TOOLS } from './fileSnapshots';

/** Tools each permission pre-allows (`--allowedTools`). */
export const PERMISSION_TOOLS: Record<PermissionKind, readonly string[]> = {
  read: ['Read', 'Glob', 'Grep'],
  write: ['Edit', 'Write', 'NotebookEdit'],
  execute: ['Bash'],
};

/** The CLI's `--permission-mode` for each of the agent's modes. */
export const PERMISSION_MODE: Record<AgentMode, string> = { regular: 'default', plan: 'plan', auto: 'acceptEdits' };

/** The oldest CLI version the tests run (the devDependency they pin); an older one gets a warning. */
export const MIN_TESTED_CLI_VERSION = '2.1.332';

/** Compares dotted version numbers: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split(/[.-]/).map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The warning for a CLI older than the tested ones, or undefined. */
export function versionWarning(version: string | undefined): string | undefined {
  if (!version || compareVersions(version, MIN_TESTED_CLI_VERSION) >= 0) return undefined;
  return `This Claude Code CLI (${version}) is older than ${MIN_TESTED_CLI_VERSION}, the oldest version Claude Manager is tested with. Update it ("claude update").`;
}

/**
 * Hooks asked for at `initialize`: the CLI sends a `hook_callback` request for each and waits for
 * the answer, so the runtime reads a file before a file tool changes it and after (checked with
 * the real CLI: PreToolUse came with the file still absent, PostToolUse with it written).
 */
export const SNAPSHOT_HOOKS = {
  PreToolUse: [{ matcher: [...FILE_TOOLS].join('|'), hookCallbackIds: ['snapshot_before'] }],
  PostToolUse: [{ matcher: [...FILE_TOOLS].join('|'), hookCallbackIds: ['snapshot_after'] }],
};

/** What decides an agent's session flags. */
export interface SessionChoice {
  /** Whether a turn ran in the agent's session already (so the CLI has it to resume). */
  sessionKnown: boolean;
  /** A fork's parent session, on the fork's first start. */
  parentSessionId?: string;
  /** The id a new session takes (the agent's own when it has one). */
  newSessionId: string;
}

/**
 * The mode, tools and model flags, and those that continue (`--resume`), start (`--session-id`) or
 * fork (`--resume <parent> --fork-session --session-id`) the agent's session.
 */
export function agentCliArgs(record: AgentRecord, options: { bypass: boolean } & SessionChoice): { args: string[]; sessionId: string; resumed: boolean } {
  // Bypass only for an agent the user confirmed it for, never by default.
  const args: string[] = options.bypass ? ['--permission-mode', 'bypassPermissions', '--allow-dangerously-skip-permissions'] : ['--permission-mode', PERMISSION_MODE[record.mode]];
  const tools = record.permissions.flatMap((p) => PERMISSION_TOOLS[p]);
  if (tools.length) args.push('--allowedTools', tools.join(','));
  if (record.model) args.push('--model', record.model);
  if (options.sessionKnown && record.sessionId) {
    args.push('--resume', record.sessionId);
    return { args, sessionId: record.sessionId, resumed: true };
  }
  if (options.parentSessionId) args.push('--resume', options.parentSessionId, '--fork-session');
  args.push('--session-id', options.newSessionId);
  return { args, sessionId: options.newSessionId, resumed: false };
}

/**
 * The agent's flags as its stored state decides them. A session exists once a turn ran in it (its
 * init was recorded); before that the CLI has no conversation to resume, and the agent starts it
 * afresh under the id it already has (or a new one, chosen here).
 */
export async function storedAgentArgs(store: Store, record: AgentRecord, bypass: boolean): Promise<{ args: string[]; sessionId: string; resumed: boolean }> {
  const sessionKnown = record.sessionId !== undefined && (await store.sessions.list(record.id)).some((s) => s.id === record.sessionId);
  const parent = !sessionKnown && record.parentAgentId ? await store.agents.get(record.parentAgentId).catch(() => undefined) : undefined;
  return agentCliArgs(record, { bypass, sessionKnown, ...(parent?.sessionId ? { parentSessionId: parent.sessionId } : {}), newSessionId: record.sessionId ?? randomUUID() });
}

/**
 * Flags Claude Manager sets itself: permissions are the user's choice per agent, made in the
 * editor, so a setting (which a cloned repository's workspace settings could once supply) never
 * changes them. Each maps to what to use instead.
 */
const OWNED_FLAGS: ReadonlyMap<string, string> = new Map([
  ['--permission-mode', 'the agent\'s mode (Change Agent Mode…)'],
  ['--dangerously-skip-permissions', '"Bypass Permissions for Agent…"'],
  ['--allow-dangerously-skip-permissions', '"Bypass Permissions for Agent…"'],
  ['--permission-prompt-tool', 'nothing: Claude Manager answers permission requests itself'],
  ['--settings', 'the Claude Code settings files (~/.claude/settings.json, .claude/settings.json)'],
  ['--allowedTools', 'the agent\'s permissions (read, write, execute)'],
  ['--allowed-tools', 'the agent\'s permissions (read, write, execute)'],
  ['--disallowedTools', 'the Claude Code settings files (permissions.deny)'],
  ['--disallowed-tools', 'the Claude Code settings files (permissions.deny)'],
  ['--input-format', 'nothing: Claude Manager drives the CLI over stream-json'],
  ['--output-format', 'nothing: Claude Manager drives the CLI over stream-json'],
  ['--resume', 'Fork Agent, or a new agent'],
  ['--session-id', 'Fork Agent, or a new agent'],
  ['--fork-session', 'Fork Agent'],
  ['--continue', 'the agent\'s own session (it resumes by itself)'],
]);

/**
 * `claudeManager.extraArgs`, refused when it holds a flag the product owns (as `--flag` or
 * `--flag=value`), naming the flag and what to use instead.
 */
export function checkExtraArgs(extra: readonly string[]): readonly string[] {
  for (const arg of extra) {
    const flag = arg.split('=')[0]!;
    const instead = OWNED_FLAGS.get(flag) ?? (flag === '-c' ? OWNED_FLAGS.get('--continue') : flag === '-r' ? OWNED_FLAGS.get('--resume') : undefined);
    if (instead) {
      throw new ClaudeManagerError('INVALID_INPUT', `The setting claudeManager.extraArgs holds "${flag}", which Claude Manager sets itself. Remove it from the setting; use ${instead} instead.`);
    }
  }
  return extra;
}

/** The CLI's configuration folder: `CLAUDE_CONFIG_DIR`, else `~/.claude` (transcripts, plans, settings). */
export function cliConfigDir(env: NodeJS.ProcessEnv): string {
  return env.CLAUDE_CONFIG_DIR || join(env.HOME || homedir(), '.claude');
}
