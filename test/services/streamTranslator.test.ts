/**
 * The stream translator replayed on streams recorded from the real CLI (test/fixtures/cli, made by
 * its record.ts): the same lines in, the same messages, statuses, usage and context out, with no
 * process and no store.
 */
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseCliLine, streamEventLine } from '../../src/services/agents/cliProtocol';
import type { PermissionAnswer } from '../../src/services/agents/permissions';
import { StreamTranslator, type TranslatorEffect, type UsageEntry } from '../../src/services/agents/streamTranslator';
import type { StoredMessage } from '../../src/services/storage/messageStore';
import type { TaskItem } from '../../src/services/storage/records';

const FIXTURES = join(__dirname, '..', 'fixtures', 'cli');
const CURRENT = '2.1.332';

interface Replay {
  effects: TranslatorEffect[];
  /** The latest version of each message, in order of first appearance. */
  messages: StoredMessage[];
  statuses: string[];
  /** The latest usage of each API message. */
  usage: Map<string, UsageEntry>;
  translator: StreamTranslator;
}

/** Feeds a recording to a translator as the live agent would: CLI lines, the user's messages, permission answers, interrupts. */
function replay(version: string, scenario: string, options: { contextWarningThreshold?: number; tasks?: TaskItem[] } = {}): Replay {
  let n = 0;
  const translator = new StreamTranslator({
    agentId: 'ag_test',
    cwd: '/fixture/repo',
    contextWarningThreshold: () => options.contextWarningThreshold ?? 80,
    now: () => '2000-01-01T00:00:00.000Z',
    newId: () => `msg_${String(++n).padStart(4, '0')}`,
    tasks: options.tasks,
  });
  const effects: TranslatorEffect[] = [];
  const lines = readFileSync(join(FIXTURES, version, `${scenario}.jsonl`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { from: 'cli' | 'app'; line: Record<string, unknown> });
  for (const { from, line } of lines) {
    if (from === 'app') {
      if (line.type === 'user') effects.push(...translator.userMessage(String((line.message as { content: unknown }).content)).effects);
      if (line.type === 'control_request' && (line.request as { subtype?: string }).subtype === 'interrupt') translator.markInterrupted();
      if (line.type === 'control_response') {
        const response = line.response as { request_id: string; response?: { behavior?: 'allow' | 'deny'; message?: string } };
        const request = translator.takePending(response.request_id);
        if (request && response.response?.behavior) effects.push(...translator.answered(request, response.response.behavior as PermissionAnswer['behavior']));
      }
      continue;
    }
    const parsed = parseCliLine(JSON.stringify(line));
    if (parsed.kind === 'control_request') {
      if (parsed.line.request.subtype === 'can_use_tool') effects.push(...translator.permissionRequest(parsed.line));
      continue;
    }
    effects.push(...translator.line(parsed));
  }
  const byId = new Map<string, StoredMessage>();
  const usage = new Map<string, UsageEntry>();
  for (const e of effects) {
    if (e.kind === 'message') byId.set(e.message.id, e.message);
    if (e.kind === 'usage') usage.set(e.usage.messageId, e.usage);
  }
  const statuses = effects.flatMap((e) => (e.kind === 'status' ? [`${e.status}: ${e.reason}`] : []));
  return { effects, messages: [...byId.values()], statuses, usage, translator };
}

const scenarios = (version: string) => readdirSync(join(FIXTURES, version)).filter((f) => f.endsWith('.jsonl')).map((f) => f.replace(/\.jsonl$/, ''));
const brief = (m: StoredMessage) => `${m.role}/${m.kind}${m.toolName ? ` ${m.toolName}` : ''}: ${m.content}`;

describe('StreamTranslator replaying the real CLI', () => {
  it('has recordings of the current CLI to replay', () => {
    assert.ok(scenarios(CURRENT).length >= 10, `recordings in test/fixtures/cli/${CURRENT}`);
  });

  for (const version of readdirSync(FIXTURES).filter((d) => /^\d/.test(d))) {
    for (const scenario of scenarios(version)) {
      it(`${version} ${scenario}: once a turn has ended, every message is complete; no line is misread`, () => {
        const r = replay(version, scenario);
        const incomplete = r.messages.filter((m) => !m.isComplete);
        assert.deepEqual(incomplete.map(brief), [], 'every message complete at the end');
        const misread = r.effects.filter((e) => e.kind === 'log' && e.level === 'warn' && /^ignored a CLI line/.test(e.text));
        assert.deepEqual(misread, [], 'no line of an unexpected shape');
        // A CLI older than the one the tests run is told to update, once.
        const warned = r.messages.filter((m) => m.kind === 'notice' && /is older than/.test(m.content)).length;
        assert.equal(warned, version === CURRENT ? 0 : 1, 'the version notice');
        assert.ok(r.statuses.length > 0, 'statuses');
        assert.match(r.statuses.at(-1)!, /^(waiting|error): /, 'the last status is the end of a turn');
        // A streamed text grows under one id: each version is the previous one with more at its end.
        const seen = new Map<string, string>();
        for (const e of r.effects) {
          if (e.kind !== 'message' || e.message.kind !== 'text' || e.message.role !== 'assistant') continue;
          const before = seen.get(e.message.id);
          if (before !== undefined) assert.ok(e.message.content.startsWith(before) || !e.streaming, `${e.message.id} grows`);
          seen.set(e.message.id, e.message.content);
        }
      });
    }
  }

  it('a streamed text turn: the user message, the answer whole, usage once per API message, context', () => {
    const r = replay(CURRENT, 'text');
    assert.deepEqual(r.messages.map((m) => `${m.role}/${m.kind}`), ['user/text', 'assistant/text']);
    assert.ok(r.effects.filter((e) => e.kind === 'message' && e.streaming).length >= 5, 'the answer streamed');
    assert.deepEqual(r.statuses, ['running: thinking', 'waiting: waiting for your message']);
    assert.equal(r.usage.size, 1);
    const [usage] = [...r.usage.values()];
    assert.ok(usage!.inputTokens > 0 && usage!.outputTokens > 0 && usage!.costUsd > 0, JSON.stringify(usage));
    assert.ok(r.effects.some((e) => e.kind === 'context' && e.level > 0), 'a context level');
    assert.ok(r.effects.some((e) => e.kind === 'session'), 'the session recorded');
  });

  it('a Read: its tool call joined to its result, between the texts', () => {
    const r = replay(CURRENT, 'read');
    const tool = r.messages.find((m) => m.kind === 'tool');
    assert.equal(tool?.toolName, 'Read');
    assert.equal(tool?.content, 'Read notes.txt');
    assert.ok(tool?.toolOutput && tool.isError === false, 'the result joined');
    assert.ok(r.statuses.includes('running: running Read notes.txt'));
  });

  it('a Write allowed and a Bash denied: the requests, their "don\'t ask again" choices, the statuses', () => {
    const w = replay(CURRENT, 'write-allowed');
    const asked = w.effects.flatMap((e) => (e.kind === 'permission' ? [e.request] : []));
    assert.equal(asked.length, 1);
    assert.match(asked[0]!.summary, /^Write /);
    assert.ok(w.statuses.some((s) => /^waiting: needs permission: Write /.test(s)));
    assert.ok(w.statuses.some((s) => /^running: running Write /.test(s)), 'running once allowed');
    const b = replay(CURRENT, 'bash-denied');
    const bash = b.effects.flatMap((e) => (e.kind === 'permission' ? [e.request] : []))[0]!;
    assert.deepEqual(bash.suggestions?.map((s) => s.label), ["Yes, and don't ask again for Bash(npm test *) in this project (your local settings)"]);
    assert.equal(bash.reason, 'This command requires approval');
    assert.equal(b.messages.find((m) => m.toolName === 'Bash')?.isError, true, 'the denied call is an error result');
  });

  it('an interrupt: the part streamed is kept complete, a notice, and waiting (not an error)', () => {
    const r = replay(CURRENT, 'interrupt');
    const text = r.messages.find((m) => m.role === 'assistant');
    assert.ok(text && text.isComplete && text.content.length > 0);
    assert.ok(r.messages.some((m) => m.kind === 'notice' && m.content === 'Interrupted.'));
    assert.equal(r.statuses.at(-1), 'waiting: interrupted; waiting for your message');
  });

  it('a request the CLI withdraws is no longer pending', () => {
    const r = replay(CURRENT, 'interrupt-permission');
    assert.ok(r.effects.some((e) => e.kind === 'permission'));
    assert.ok(r.effects.some((e) => e.kind === 'permissionsChanged'), 'announced as withdrawn');
    assert.equal(r.translator.pending.length, 0);
  });

  it('an API error after retries: a retry notice and an error status with the status code', () => {
    const r = replay(CURRENT, 'api-error');
    assert.ok(r.statuses.some((s) => /^running: retrying after API 529/.test(s)));
    assert.match(r.statuses.at(-1)!, /^error: API error 529: /);
    assert.equal(r.usage.size, 0, 'no usage for the CLI\'s own (synthetic) message');
  });

  it('two turns in one process: each turn\'s cost is what the running total added', () => {
    const r = replay(CURRENT, 'two-turns');
    const totals = readFileSync(join(FIXTURES, CURRENT, 'two-turns.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).line).filter((l) => l.type === 'result').map((l) => l.total_cost_usd as number);
    assert.equal(totals.length, 2);
    const sum = [...r.usage.values()].reduce((s, u) => s + u.costUsd, 0);
    assert.ok(Math.abs(sum - totals[1]!) < 1e-9, `the turns' costs add up to the process's total: ${sum} vs ${totals[1]}`);
    assert.ok([...r.usage.values()].every((u) => u.costUsd > 0), 'each turn has its own cost');
  });

  it('a turn the CLI begins by itself (a background subagent finished) shows the agent running again', () => {
    const r = replay(CURRENT, 'subagent-background');
    const firstEnd = r.statuses.indexOf('waiting: waiting for your message');
    assert.ok(firstEnd >= 0);
    assert.deepEqual(r.statuses.slice(firstEnd + 1), ['running: thinking', 'waiting: waiting for your message']);
  });

  it('a subscription login: the rate limit as the CLI reported it', () => {
    const r = replay(CURRENT, 'rate-limit');
    const limit = r.effects.find((e) => e.kind === 'limit');
    assert.ok(limit && limit.kind === 'limit' && limit.info.status === 'allowed' && limit.info.rateLimitType === 'five_hour', JSON.stringify(limit));
  });

  it('a context warning when the fill crosses the threshold, once', () => {
    const r = replay(CURRENT, 'two-turns', { contextWarningThreshold: 1 });
    const warnings = r.messages.filter((m) => m.kind === 'notice' && /context is/.test(m.content));
    assert.equal(warnings.length, 1);
  });

  it('reads the context window of a model chosen with a suffix ("[1m]") that its API messages lack', () => {
    const translator = new StreamTranslator({ agentId: 'ag_x', cwd: '/r', contextWarningThreshold: () => 80 });
    const feed = (line: unknown) => translator.line(parseCliLine(JSON.stringify(line)));
    feed({ type: 'system', subtype: 'init', session_id: 's', model: 'claude-sonnet-4-5[1m]' });
    feed({ type: 'assistant', message: { id: 'msg_1', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'hi' }], usage: { input_tokens: 100_000, output_tokens: 5 } } });
    const end = feed({ type: 'result', subtype: 'success', total_cost_usd: 0.1, modelUsage: { 'claude-sonnet-4-5[1m]': { contextWindow: 1_000_000 }, 'claude-haiku-4-5': { contextWindow: 200_000 } } });
    const levels = end.flatMap((e) => (e.kind === 'context' ? [e.level] : []));
    assert.deepEqual(levels, [10], '100k of a 1M window, not of 200k');
  });

  it('marks the usage read from a terminal’s transcript as without a reported cost, and only that', () => {
    const usageOf = (terminal: boolean) => {
      const translator = new StreamTranslator({ agentId: 'ag_x', cwd: '/r', contextWarningThreshold: () => 80, terminal });
      const effects = translator.line(parseCliLine(JSON.stringify({ type: 'assistant', message: { id: 'msg_t', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'hi' }], usage: { input_tokens: 10, output_tokens: 5 } } })));
      return effects.flatMap((e) => (e.kind === 'usage' ? [e.usage] : []));
    };
    const [inTerminal] = usageOf(true);
    assert.equal(inTerminal?.costReported, false);
    assert.equal(inTerminal?.inputTokens, 10, 'its tokens are counted');
    const [streamed] = usageOf(false);
    assert.equal(streamed?.costReported, undefined, 'a stream-json agent’s cost comes with its result');
  });

  it('shows the plan an agent wrote to its plan file when ExitPlanMode does not carry it, and answers with the input as sent', () => {
    const translator = new StreamTranslator({ agentId: 'ag_x', cwd: '/r', contextWarningThreshold: () => 80, planDir: '/home/u/.claude/plans' });
    const feed = (line: unknown) => translator.line(parseCliLine(JSON.stringify(line)));
    feed({ type: 'assistant', message: { id: 'msg_1', content: [{ type: 'tool_use', id: 'tu_1', name: 'Write', input: { file_path: '/home/u/.claude/plans/a-plan.md', content: '# Plan' } }] } });
    assert.equal(translator.planFile, '/home/u/.claude/plans/a-plan.md');
    feed({ type: 'assistant', message: { id: 'msg_2', content: [{ type: 'tool_use', id: 'tu_2', name: 'Write', input: { file_path: '/home/u/.claude/plans-not/x.md', content: 'x' } }] } });
    assert.equal(translator.planFile, '/home/u/.claude/plans/a-plan.md', 'only files inside the plan folder');
    const request = { type: 'control_request' as const, request_id: 'r1', request: { subtype: 'can_use_tool', tool_name: 'ExitPlanMode', input: {} } };
    const effects = translator.permissionRequest(request, { plan: '# Plan' });
    const shown = effects.flatMap((e) => (e.kind === 'permission' ? [e.request] : []))[0]!;
    assert.equal(shown.input.plan, '# Plan');
    assert.deepEqual(translator.answerInput(shown), {}, 'the answer echoes what the CLI sent');
    const carried = { type: 'control_request' as const, request_id: 'r2', request: { subtype: 'can_use_tool', tool_name: 'ExitPlanMode', input: { plan: 'given' } } };
    const older = translator.permissionRequest(carried, { plan: 'from file' }).flatMap((e) => (e.kind === 'permission' ? [e.request] : []))[0]!;
    assert.equal(older.input.plan, 'given', 'a plan the request carries (CLI 2.1.197) wins');
  });

  it('a permission request whose optional fields have another shape is still understood (never left unanswered)', () => {
    const parsed = parseCliLine(JSON.stringify({ type: 'control_request', request_id: 'r', request: { subtype: 'can_use_tool', tool_name: 'Bash', input: { command: 'ls' }, decision_reason: { type: 'rule', rule: 'x' }, blocked_path: 42 } }));
    assert.equal(parsed.kind, 'control_request');
  });
  it('stream events checked by hand (deltas, stops) read exactly as the schema reads them; one of another shape still goes to the schema', () => {
    const deltas: unknown[] = [];
    for (const version of ['2.1.332', '2.1.197']) {
      for (const file of readdirSync(join(FIXTURES, version)).filter((f) => f.endsWith('.jsonl'))) {
        for (const text of readFileSync(join(FIXTURES, version, file), 'utf8').split('\n')) {
          if (!text) continue;
          const { from, line } = JSON.parse(text) as { from: string; line: { type?: string; event?: { type?: string } } };
          if (from === 'cli' && line.type === 'stream_event') deltas.push(line);
        }
      }
    }
    assert.ok(deltas.length >= 200, `${deltas.length} recorded stream events`);
    for (const line of deltas) {
      const parsed = parseCliLine(JSON.stringify(line));
      assert.deepEqual(parsed, { kind: 'stream_event', line: streamEventLine.parse(line) });
    }
    const odd = parseCliLine(JSON.stringify({ type: 'stream_event', event: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 5 } } }));
    assert.equal(odd.kind, 'invalid');
    assert.match((odd as { reason: string }).reason, /event\.delta\.text/);
    const extra = parseCliLine(JSON.stringify({ type: 'stream_event', event: { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'a' }, usage: { output_tokens: 3 } } }));
    assert.deepEqual(extra, { kind: 'stream_event', line: streamEventLine.parse({ type: 'stream_event', event: { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'a' }, usage: { output_tokens: 3 } } }) });
  });

  it('a todo list updated over three TodoWrite calls: the list after each call, as its result confirmed it', () => {
    const r = replay(CURRENT, 'todo-write');
    const lists = r.effects.flatMap((e) => (e.kind === 'tasks' ? [e.tasks.map((t) => `${t.status}: ${t.content} (${t.activeForm})`)] : []));
    assert.deepEqual(lists, [
      ['in_progress: Read the notes (Reading the notes)', 'pending: Count the lines (Counting the lines)', 'pending: Report the count (Reporting the count)'],
      ['completed: Read the notes (Reading the notes)', 'in_progress: Count the lines (Counting the lines)', 'pending: Report the count (Reporting the count)'],
      ['completed: Read the notes (Reading the notes)', 'completed: Count the lines (Counting the lines)', 'completed: Report the count (Reporting the count)'],
    ]);
    // Each list comes once its call's result is in, after the call's message is complete.
    const firstList = r.effects.findIndex((e) => e.kind === 'tasks');
    const firstDone = r.effects.findIndex((e) => e.kind === 'message' && e.message.toolName === 'TodoWrite' && e.message.isComplete);
    assert.ok(firstDone >= 0 && firstDone < firstList, 'the call completes, then the list changes');
    const calls = r.messages.filter((m) => m.toolName === 'TodoWrite');
    assert.equal(calls.length, 3);
    assert.match(calls[0]!.content, /^TodoWrite: 0\/3 done/);
  });

  it('tasks made with TaskCreate under the ids the CLI gave, changed by TaskUpdate (results in any order)', () => {
    const r = replay(CURRENT, 'task-tools');
    const lists = r.effects.flatMap((e) => (e.kind === 'tasks' ? [e.tasks] : []));
    assert.ok(lists.length >= 4, `${lists.length} changes`);
    assert.deepEqual(lists[0], [{ id: '1', content: 'Read the notes', status: 'pending', activeForm: 'Reading the notes' }]);
    assert.deepEqual(lists.at(-1), [
      { id: '1', content: 'Read the notes', status: 'completed', activeForm: 'Reading the notes' },
      { id: '2', content: 'Report the count', status: 'in_progress', activeForm: 'Writing the report' },
    ]);
  });

  it('a resumed session\'s TaskUpdate changes a task made before it (the stored list); one it does not hold changes nothing', () => {
    const translator = new StreamTranslator({ agentId: 'ag_x', cwd: '/r', contextWarningThreshold: () => 80, tasks: [{ id: '7', content: 'Ship it', status: 'pending' }] });
    const feed = (line: unknown) => translator.line(parseCliLine(JSON.stringify(line)));
    const call = (id: string, input: Record<string, unknown>, result: unknown, isError = false) => {
      feed({ type: 'assistant', message: { id: `msg_${id}`, content: [{ type: 'tool_use', id, name: 'TaskUpdate', input }] } });
      return feed({ type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: id, content: 'Updated', ...(isError ? { is_error: true } : {}) }] }, tool_use_result: result });
    };
    const changed = call('tu_1', { taskId: '7', status: 'in_progress' }, { success: true }).flatMap((e) => (e.kind === 'tasks' ? [e.tasks] : []));
    assert.deepEqual(changed, [[{ id: '7', content: 'Ship it', status: 'in_progress' }]]);
    assert.deepEqual(call('tu_2', { taskId: '8', status: 'completed' }, { success: true }).filter((e) => e.kind === 'tasks'), [], 'a task it does not hold');
    assert.deepEqual(call('tu_3', { taskId: '7', status: 'completed' }, undefined, true).filter((e) => e.kind === 'tasks'), [], 'a call that failed');
  });

  it('a subagent\'s tool calls: messages of its call, shown as they come and completed by their results; its report on the call', () => {
    const r = replay(CURRENT, 'subagent-tools');
    const call = r.messages.find((m) => m.toolName === 'Agent');
    assert.ok(call, 'the Agent call');
    const inner = r.messages.filter((m) => m.parentId !== undefined);
    assert.deepEqual(inner.map((m) => `${m.parentId === call.id ? 'of the call' : m.parentId}: ${brief(m)}`), ['of the call: tool/tool Read: Read notes.txt']);
    assert.ok(inner[0]!.isComplete && /two/.test(inner[0]!.toolOutput ?? ''), 'the Read completed with its output');
    // The inner call was shown (running) before its result, then completed.
    const versions = r.effects.flatMap((e) => (e.kind === 'message' && e.message.id === inner[0]!.id ? [e.message.isComplete] : []));
    assert.deepEqual(versions, [false, true]);
    assert.deepEqual(call.subagent, { status: 'completed', result: 'The notes have three lines.' });
    assert.ok(call.isComplete && call.toolOutput, 'the call completed with its result');
    // While it ran, the call said so.
    const running = r.effects.find((e) => e.kind === 'message' && e.message.id === call.id && e.message.subagent?.status === 'running');
    assert.ok(running, 'a version of the call with the subagent running');
    // The agent's own messages are not the subagent's: the main thread's answer has no parent.
    assert.equal(r.messages.find((m) => m.content === 'The subagent counted three lines.')?.parentId, undefined);
    // Its usage is counted as the agent's own.
    assert.ok(r.usage.has('msg_mock_2'), "the subagent's API message in the usage");
  });

  it('a subagent in the background: its call completes at once, the subagent runs on, and its report comes with the turn it ends', () => {
    const r = replay(CURRENT, 'subagent-background');
    const call = r.messages.find((m) => m.toolName === 'Agent')!;
    const versions = r.effects.flatMap((e) => (e.kind === 'message' && e.message.id === call.id ? [`${e.message.isComplete ? 'complete' : 'open'} ${e.message.subagent?.status ?? '-'}`] : []));
    assert.ok(versions.indexOf('complete running') >= 0, versions.join(', '));
    assert.equal(versions.at(-1), 'complete completed');
    assert.deepEqual(call.subagent, { status: 'completed', background: true, result: 'Hello from the subagent.' });
  });

  it('a subagent still at work when the process ends is stopped', () => {
    const translator = new StreamTranslator({ agentId: 'ag_x', cwd: '/r', contextWarningThreshold: () => 80 });
    const feed = (line: unknown) => translator.line(parseCliLine(JSON.stringify(line)));
    feed({ type: 'assistant', message: { id: 'msg_1', content: [{ type: 'tool_use', id: 'tu_1', name: 'Task', input: { description: 'Look around', prompt: 'Look' } }] } });
    feed({ type: 'system', subtype: 'task_started', tool_use_id: 'tu_1', is_backgrounded: false });
    const inner = feed({ type: 'assistant', parent_tool_use_id: 'tu_1', message: { id: 'msg_2', content: [{ type: 'tool_use', id: 'tu_2', name: 'Bash', input: { command: 'ls' } }] } });
    assert.equal(inner.flatMap((e) => (e.kind === 'message' ? [e.message.content] : [])).join(), 'Bash: ls');
    assert.equal(translator.toolMessageId('tu_2'), inner.flatMap((e) => (e.kind === 'message' ? [e.message.id] : []))[0], 'found by its tool_use id (hooks, permissions)');
    const ended = translator.exited({ code: 0, signal: null, stderrTail: '', stopping: 'stopped' });
    const last = ended.effects.flatMap((e) => (e.kind === 'message' && e.message.toolName === 'Task' ? [e.message] : [])).at(-1);
    assert.deepEqual(last?.subagent, { status: 'stopped' });
    // A line of a subagent whose call was never seen is skipped, not misplaced.
    const stray = feed({ type: 'assistant', parent_tool_use_id: 'tu_unknown', message: { id: 'msg_3', content: [{ type: 'tool_use', id: 'tu_3', name: 'Read', input: {} }] } });
    assert.equal(stray.filter((e) => e.kind === 'message').length, 0);
  });
});
