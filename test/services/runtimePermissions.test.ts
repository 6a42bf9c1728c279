/**
 * Permissions the user gives stay the user's: "don't ask again" allows what the CLI's own prompt
 * offers (a Bash command prefix), not the whole tool; the settings cannot slip in flags that skip
 * or loosen permissions.
 */
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { Agent, AgentRuntime, PermissionRequest } from '../../src/services/agents/agentRuntime';
import { checkExtraArgs } from '../../src/services/agents/cliArgs';
import { describeSuggestion } from '../../src/services/agents/permissions';
import { ClaudeManagerError } from '../../src/services/errors';
import type { Store } from '../../src/services/storage/store';
import { runtimeSuite } from '../helpers/runtimeSuite';
import { type MockAnthropicApi, planFileReply, textReply, toolResults, toolUseReply } from '../mocks/anthropicApi';

const code = (c: string) => (e: unknown) => e instanceof ClaudeManagerError && e.code === c;

describe('Permissions: the CLI\'s own "don\'t ask again" rules, and flags the settings cannot set', () => {
  let extraArgs: string[] = [];
  const suite = runtimeSuite('permissions', { extraArgs: () => extraArgs }, { afterEach: () => (extraArgs = []) });
  const { repo, until } = suite;
  let store: Store;
  let api: MockAnthropicApi;
  let runtime: AgentRuntime;
  let worktreeId: string;
  before(() => ({ store, api, runtime, worktreeId } = suite));

  const waitingForMessage = (a: Agent) => a.status === 'waiting' && a.statusReason === 'waiting for your message';
  const nextRequest = (agentId: string) =>
    new Promise<PermissionRequest>((resolve) => {
      const off = runtime.onDidRequestPermission((e) => {
        if (e.agentId !== agentId) return;
        off();
        resolve(e.request);
      });
    });

  it('offers the CLI\'s rule for a Bash command, worded as its prompt words it; choosing it allows that prefix, not every command', async () => {
    const agent = await store.agents.create({ worktreeId, name: 'prefixed', mode: 'regular' });
    const marker = join(repo.path, 'second-ran.txt');
    api.enqueue(
      toolUseReply([{ name: 'Bash', input: { command: 'npm test --silent || true', description: 'Run the tests' } }]),
      // The same prefix again: allowed by the chosen rule, no question.
      toolUseReply([{ name: 'Bash', input: { command: 'npm test --silent --again || true', description: 'Run the tests again' } }]),
      // Another command: still asked.
      toolUseReply([{ name: 'Bash', input: { command: `touch ${marker}`, description: 'Make a file' } }]),
      textReply('done'),
    );
    const first = nextRequest(agent.id);
    await runtime.start(agent.id, { initialPrompt: 'run the tests' });
    const request = await first;
    assert.ok(request.suggestions?.length, `the CLI offered "don't ask again" choices: ${JSON.stringify(request)}`);
    const choice = request.suggestions!.findIndex((s) => /^Yes, and don't ask again for Bash\(npm test/.test(s.label));
    assert.ok(choice >= 0, `a Bash(npm test …) rule is offered: ${JSON.stringify(request.suggestions)}`);
    assert.equal((await runtime.get(agent.id)).pendingPermissions[0]?.suggestions?.[choice]?.label, request.suggestions![choice]!.label, 'the agent carries the choices too');
    await assert.rejects(runtime.respondToPermission(agent.id, request.requestId, { behavior: 'allow', suggestion: 99 }), code('INVALID_INPUT'));
    assert.equal((await runtime.get(agent.id)).pendingPermissions.length, 1, 'a wrong choice leaves the request waiting');
    const third = nextRequest(agent.id);
    await runtime.respondToPermission(agent.id, request.requestId, { behavior: 'allow', suggestion: choice });
    const asked = await third;
    assert.equal(asked.summary, `Bash: touch ${marker}`, 'the second npm test ran unasked; the other command is asked for');
    assert.equal(existsSync(marker), false);
    const turnOver = until(agent.id, waitingForMessage, 'the end of the turn');
    await runtime.respondToPermission(agent.id, asked.requestId, { behavior: 'deny', message: 'not now' });
    await turnOver;
    await runtime.settled(agent.id);
    const bash = (await store.messages.page(agent.id)).messages.filter((m) => m.toolName === 'Bash').reverse();
    assert.deepEqual(bash.map((m) => m.isError), [false, false, true], 'two test runs, one denied command');
    await runtime.stop(agent.id);
  });

  it('words the CLI\'s suggestion kinds, and offers none it cannot word', () => {
    assert.equal(describeSuggestion({ type: 'addRules', rules: [{ toolName: 'Bash', ruleContent: 'npm test *' }], behavior: 'allow', destination: 'localSettings' }), "Yes, and don't ask again for Bash(npm test *) in this project (your local settings)");
    assert.equal(describeSuggestion({ type: 'addRules', rules: [{ toolName: 'Read' }], behavior: 'allow', destination: 'session' }), "Yes, and don't ask again for Read for this session");
    assert.equal(describeSuggestion({ type: 'setMode', mode: 'acceptEdits', destination: 'session' }), 'Yes, and allow all edits for this session');
    assert.equal(describeSuggestion({ type: 'addDirectories', directories: ['/tmp/x'], destination: 'session' }), 'Yes, and always allow access to /tmp/x for this session');
    assert.equal(describeSuggestion({ type: 'addRules', rules: [{ toolName: 'Bash' }], behavior: 'deny' }), undefined);
    assert.equal(describeSuggestion({ type: 'somethingNew' }), undefined);
    assert.equal(describeSuggestion('junk'), undefined);
  });

  it('refuses flags the product owns in claudeManager.extraArgs, naming the flag and what to use instead', async () => {
    for (const [args, flag] of [
      [['--permission-mode', 'bypassPermissions'], '--permission-mode'],
      [['--dangerously-skip-permissions'], '--dangerously-skip-permissions'],
      [['--settings={"permissions":{"allow":["Bash"]}}'], '--settings'],
      [['--add-dir', '../x', '--allowedTools', 'Bash'], '--allowedTools'],
      [['--disallowed-tools', 'Read'], '--disallowed-tools'],
      [['--permission-prompt-tool', 'mcp__x'], '--permission-prompt-tool'],
    ] as const) {
      assert.throws(() => checkExtraArgs(args), (e: unknown) => code('INVALID_INPUT')(e) && (e as Error).message.includes(`"${flag}"`) && /instead/.test((e as Error).message), flag);
    }
    assert.deepEqual(checkExtraArgs(['--add-dir', '../shared', '--verbose']), ['--add-dir', '../shared', '--verbose']);
    extraArgs = ['--permission-mode', 'bypassPermissions'];
    const agent = await store.agents.create({ worktreeId, name: 'unbypassed' });
    await assert.rejects(runtime.sendMessage(agent.id, 'hello'), (e: unknown) => code('INVALID_INPUT')(e) && /claudeManager\.extraArgs.*--permission-mode/.test((e as Error).message));
    const failed = await runtime.get(agent.id);
    assert.equal(failed.status, 'error');
    assert.match(failed.statusReason, /^could not start: .*--permission-mode/);
    assert.equal(runtime.isRunning(agent.id), false, 'no process was started');
    await assert.rejects(runtime.openInTerminal(agent.id), code('INVALID_INPUT'));
  });

  it('an agent in plan mode presents the plan it wrote to its plan file; approving goes on with the input the CLI sent', async () => {
    const agent = await store.agents.create({ worktreeId, name: 'planner', mode: 'plan' });
    const plan = '## The plan\n\n1. Write `plan.txt`\n2. Stop\n';
    let planPath = '';
    const writePlan = planFileReply(plan);
    api.enqueue(
      (request) => {
        // The CLI names the plan file in what it sends (a system reminder in plan mode).
        const reply = writePlan(request);
        planPath = String(reply.toolUses?.[0]?.input.file_path ?? '');
        return reply;
      },
      toolUseReply([{ name: 'ExitPlanMode', input: {} }]),
      textReply('Plan approved, on it'),
    );
    const asked = nextRequest(agent.id);
    await runtime.start(agent.id, { initialPrompt: 'plan a file' });
    const request = await asked;
    assert.ok(planPath.endsWith('.md'), `the plan file was named: ${planPath}`);
    assert.equal(request.toolName, 'ExitPlanMode');
    assert.equal(request.input.plan, plan, 'the plan read from its file');
    const turnOver = until(agent.id, waitingForMessage, 'the end of the approved turn');
    await runtime.respondToPermission(agent.id, request.requestId, { behavior: 'allow' });
    await turnOver;
    await runtime.settled(agent.id);
    const messages = (await store.messages.page(agent.id)).messages;
    const exit = messages.find((m) => m.toolName === 'ExitPlanMode');
    assert.equal(exit?.isError, false, `the CLI took the approval: ${exit?.toolOutput}`);
    assert.ok(messages.some((m) => m.role === 'assistant' && m.content === 'Plan approved, on it'));
    await runtime.stop(agent.id);
  });
  const questionInput = {
    questions: [
      {
        question: 'Which database should we use?',
        header: 'Database',
        multiSelect: false,
        options: [
          { label: 'SQLite', description: 'A file, no server' },
          { label: 'Postgres', description: 'A server', preview: 'docker run postgres' },
        ],
      },
      {
        question: 'Which features do you want?',
        header: 'Features',
        multiSelect: true,
        options: [
          { label: 'Search', description: 'Full-text search' },
          { label: 'Export', description: 'CSV export' },
          { label: 'Sync', description: 'Between machines' },
        ],
      },
    ],
  };

  /** The text of the tool_result the CLI sent back for the question, read in the reply after it. */
  const askAndCapture = (texts: string[]) => {
    api.enqueue(toolUseReply([{ name: 'AskUserQuestion', input: questionInput, id: 'toolu_question' }]), (request) => {
      for (const block of toolResults(request.body)) {
        if (block.tool_use_id !== 'toolu_question') continue;
        const content = block.content as unknown;
        texts.push(typeof content === 'string' ? content : JSON.stringify(content));
      }
      return { kind: 'message', text: ['Noted, going on'] };
    });
  };

  it('the agent\'s questions arrive with their choices; answers (a choice, several, the user\'s own words) reach the agent', async () => {
    const agent = await store.agents.create({ worktreeId, name: 'asker', mode: 'regular' });
    const texts: string[] = [];
    askAndCapture(texts);
    const asked = nextRequest(agent.id);
    await runtime.start(agent.id, { initialPrompt: 'ask me' });
    const request = await asked;
    assert.equal(request.toolName, 'AskUserQuestion');
    assert.deepEqual(request.questions, [
      { question: 'Which database should we use?', header: 'Database', multiSelect: false, options: [{ label: 'SQLite', description: 'A file, no server' }, { label: 'Postgres', description: 'A server', preview: 'docker run postgres' }] },
      { question: 'Which features do you want?', header: 'Features', multiSelect: true, options: [{ label: 'Search', description: 'Full-text search' }, { label: 'Export', description: 'CSV export' }, { label: 'Sync', description: 'Between machines' }] },
    ]);
    assert.equal(request.suggestions, undefined, 'a question offers no "don\'t ask again"');
    const waiting = await runtime.get(agent.id);
    assert.equal(waiting.statusReason, 'asks: Which database should we use? (and 1 more)');
    // Wrong answers leave the question waiting, each with what to do.
    const refusals: [Record<string, unknown>, RegExp][] = [
      [{ behavior: 'allow' }, /allow with an answer to each question/],
      [{ behavior: 'allow', answers: { 'Which database should we use?': 'SQLite' } }, /No answer to "Which features do you want\?"/],
      [{ behavior: 'allow', answers: { 'Which database should we use?': ['SQLite', 'Postgres'], 'Which features do you want?': 'Search' } }, /takes one answer, not 2/],
      [{ behavior: 'allow', answers: { 'Which database should we use?': 'SQLite', 'Which features do you want?': 'Search', 'Why?': 'x' } }, /did not ask "Why\?"/],
      [{ behavior: 'allow', always: true, answers: { 'Which database should we use?': 'SQLite', 'Which features do you want?': 'Search' } }, /answered, not allowed for good/],
    ];
    for (const [answer, message] of refusals) {
      await assert.rejects(runtime.respondToPermission(agent.id, request.requestId, answer as never), (e: unknown) => code('INVALID_INPUT')(e) && message.test((e as Error).message), JSON.stringify(answer));
    }
    assert.equal((await runtime.get(agent.id)).pendingPermissions.length, 1, 'still waiting after wrong answers');
    const turnOver = until(agent.id, waitingForMessage, 'the end of the answered turn');
    await runtime.respondToPermission(agent.id, request.requestId, {
      behavior: 'allow',
      answers: { 'Which database should we use?': 'Use DuckDB instead', 'Which features do you want?': ['Search', 'Sync'] },
    });
    await turnOver;
    await runtime.settled(agent.id);
    assert.equal(texts.length, 1, `the CLI sent the answers back: ${JSON.stringify(texts)}`);
    assert.match(texts[0]!, /answered/);
    assert.match(texts[0]!, /"Which database should we use\?"="Use DuckDB instead"/);
    assert.match(texts[0]!, /"Which features do you want\?"="Search, Sync"/);
    const tool = (await store.messages.page(agent.id)).messages.find((m) => m.toolName === 'AskUserQuestion');
    assert.equal(tool?.isError, false, `the tool took the answers: ${tool?.toolOutput}`);
    await runtime.stop(agent.id);
  });

  it('a question declined ends cleanly: the agent reads that the user chose not to answer and goes on', async () => {
    const agent = await store.agents.create({ worktreeId, name: 'declined', mode: 'regular' });
    const texts: string[] = [];
    askAndCapture(texts);
    const asked = nextRequest(agent.id);
    await runtime.start(agent.id, { initialPrompt: 'ask me' });
    const request = await asked;
    const turnOver = until(agent.id, waitingForMessage, 'the end of the declined turn');
    await runtime.respondToPermission(agent.id, request.requestId, { behavior: 'deny' });
    await turnOver;
    await runtime.settled(agent.id);
    assert.equal(texts.length, 1);
    assert.match(texts[0]!, /chose not to answer/);
    const agentAfter = await runtime.get(agent.id);
    assert.deepEqual([agentAfter.pendingPermissions.length, agentAfter.statusReason], [0, 'waiting for your message']);
    await runtime.stop(agent.id);
  });
});
