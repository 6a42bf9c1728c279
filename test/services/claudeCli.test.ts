/**
 * Runs the REAL `claude` CLI (devDependency @anthropic-ai/claude-code) against the local mock of the
 * Messages API, in a temp git repo with a temp HOME, over the stream-json protocol the extension uses.
 *
 *   node --import tsx --test test/services/claudeCli.test.ts
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_REPLY_TEXT,
  MockAnthropicApi,
  SIDE_REPLY_TEXT,
  contentText,
  errorReply,
  lastUserText,
  textReply,
  toolResults,
  toolUseReply,
} from '../mocks/anthropicApi';
import type { MessagesRequestBody } from '../mocks/anthropicApi';
import { STREAM_JSON_ARGS, makeCliEnv, makeTempGitRepo, makeTempHome, startCliSession } from '../helpers/claudeCli';
import type { CliMessage, CliSession, TempDir } from '../helpers/claudeCli';

const TEST_TIMEOUT_MS = 30_000;
const CLI_TIMEOUT_MS = 25_000;

interface Harness {
  api: MockAnthropicApi;
  repo: TempDir;
  home: TempDir;
  session: CliSession;
}

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  // Last registered first: the process, then the server, then the folders.
  while (cleanups.length > 0) {
    const cleanup = cleanups.pop();
    try {
      await cleanup?.();
    } catch {
      // keep cleaning the rest
    }
  }
});

/** Mock + temp repo + temp HOME + a started, initialized `claude` stream-json session. */
async function startHarness(extraArgs: readonly string[], script: (api: MockAnthropicApi, repo: TempDir) => void): Promise<Harness> {
  const api = await MockAnthropicApi.start();
  cleanups.push(() => api.close());
  const repo = makeTempGitRepo();
  cleanups.push(() => {
    repo.cleanup();
  });
  const home = makeTempHome();
  cleanups.push(() => {
    home.cleanup();
  });
  script(api, repo);
  const session = startCliSession({
    args: [...STREAM_JSON_ARGS, ...extraArgs],
    cwd: repo.path,
    env: makeCliEnv({ home: home.path, baseUrl: api.url }),
    timeoutMs: CLI_TIMEOUT_MS,
  });
  cleanups.push(() => session.kill());
  await session.controlRequest({ subtype: 'initialize' });
  return { api, repo, home, session };
}

/** A property of a parsed line or of a nested object; undefined when absent. */
function prop(value: CliMessage | Record<string, unknown> | undefined, key: string): unknown {
  return value?.[key];
}

/** A nested object property; fails the test when it is not an object. */
function record(value: CliMessage | Record<string, unknown> | undefined, key: string): Record<string, unknown> {
  const found = prop(value, key);
  assert.ok(typeof found === 'object' && found !== null && !Array.isArray(found), `${key} is an object: ${JSON.stringify(value ?? null).slice(0, 300)}`);
  return found as Record<string, unknown>;
}

/** A nested array-of-objects property; fails the test when it is not an array. */
function records(value: CliMessage | Record<string, unknown> | undefined, key: string): Record<string, unknown>[] {
  const found = prop(value, key);
  assert.ok(Array.isArray(found), `${key} is an array`);
  return found as Record<string, unknown>[];
}

/** The `event` of stream_event lines. */
function streamEvents(session: CliSession): Record<string, unknown>[] {
  return session.ofType('stream_event').map((message) => record(message, 'event'));
}

/** Text of the main-thread assistant lines (the CLI emits one `assistant` line per content block). */
function assistantText(session: CliSession): string {
  return session
    .ofType('assistant')
    .filter((message) => prop(message, 'parent_tool_use_id') === null)
    .map((message) => contentText(record(message, 'message').content))
    .join('');
}

/** Waits for the CLI's can_use_tool request. */
async function waitForPermissionRequest(session: CliSession): Promise<{ requestId: string; request: Record<string, unknown> }> {
  const message = await session.waitFor(
    (line) => line.type === 'control_request' && prop(prop(line, 'request') as Record<string, unknown> | undefined, 'subtype') === 'can_use_tool',
    'can_use_tool control_request',
  );
  return { requestId: String(prop(message, 'request_id')), request: record(message, 'request') };
}

void describe('claude CLI over stream-json against the mock API', { timeout: 4 * TEST_TIMEOUT_MS + 10_000 }, () => {
  void it('runs a text turn: init, streamed deltas, assistant message, one result with the scripted usage', { timeout: TEST_TIMEOUT_MS }, async () => {
    const reply = 'Hello from the mock';
    const prompt = 'Please greet me, test prompt 7f3a';
    const { api, session } = await startHarness([], (mock) => {
      mock.enqueue(textReply(reply, { usage: { input: 123, output: 45 }, chunks: 4 }));
    });

    session.sendUser(prompt);
    const result = await session.waitForResult();
    await session.close();

    const init = session.ofType('system', 'init');
    assert.equal(init.length, 1, 'one system/init line');
    const sessionId = prop(init[0], 'session_id');
    assert.ok(typeof sessionId === 'string' && sessionId.length > 0, 'init carries a session_id');

    const deltas = streamEvents(session)
      .filter((event) => event.type === 'content_block_delta')
      .map((event) => event.delta as Record<string, unknown>)
      .filter((delta) => delta.type === 'text_delta');
    assert.ok(deltas.length >= 2, `text arrives in several stream_event deltas (got ${String(deltas.length)})`);
    assert.equal(deltas.map((delta) => delta.text).join(''), reply);

    assert.equal(assistantText(session), reply);

    const results = session.ofType('result');
    assert.equal(results.length, 1, 'exactly one result per turn');
    assert.equal(result.subtype, 'success');
    assert.equal(prop(result, 'is_error'), false);
    assert.equal(prop(result, 'result'), reply);
    assert.equal(result.session_id, sessionId);
    const usage = record(result, 'usage');
    assert.equal(usage.input_tokens, 123);
    assert.equal(usage.output_tokens, 45);

    assert.equal(api.requests.length, 1, 'one main-turn request');
    assert.equal(api.defaultReplies.length, 0, 'the scripted reply was used');
    const request = api.requests[0] as MessagesRequestBody;
    assert.equal(request.stream, true);
    assert.ok(lastUserText(request).includes(prompt), `the last user message carries the prompt: ${lastUserText(request).slice(-200)}`);
    const assistant = session.ofType('assistant')[0];
    assert.equal(record(assistant, 'message').model, request.model, 'the mock echoes the model');
    assert.deepEqual(api.errors, []);
  });

  void it('asks permission for a Write, runs it once allowed, and sends the tool_result back', { timeout: TEST_TIMEOUT_MS }, async () => {
    const toolUseId = 'toolu_write_allow_1';
    const content = 'written by the real CLI\nsecond line\n';
    let filePath = '';
    const { api, session } = await startHarness(['--permission-mode', 'default'], (mock, repo) => {
      filePath = join(repo.path, 'hello.txt');
      mock.enqueue(
        toolUseReply([{ name: 'Write', input: { file_path: filePath, content }, id: toolUseId }], { text: ['Writing the file.'], chunks: 3 }),
        textReply('Wrote it.'),
      );
    });

    session.sendUser('Create hello.txt');
    const { requestId, request } = await waitForPermissionRequest(session);
    assert.equal(request.tool_name, 'Write');
    assert.deepEqual(request.input, { file_path: filePath, content });
    assert.equal(request.tool_use_id, toolUseId);
    assert.equal(existsSync(filePath), false, 'the Write waits for the answer');

    session.respond(requestId, { behavior: 'allow', updatedInput: request.input });
    const result = await session.waitForResult();
    await session.close();

    assert.equal(result.subtype, 'success');
    assert.equal(prop(result, 'is_error'), false);
    assert.equal(prop(result, 'result'), 'Wrote it.');
    assert.deepEqual(prop(result, 'permission_denials'), []);
    assert.equal(readFileSync(filePath, 'utf8'), content);

    assert.equal(api.requests.length, 2, 'tool turn + follow-up');
    const sent = toolResults(api.requests[1]).filter((block) => block.tool_use_id === toolUseId);
    assert.equal(sent.length, 1, 'the second request carries the tool_result');
    assert.notEqual(sent[0]?.is_error, true);
    const toolResultLines = session.ofType('user').filter((line) => JSON.stringify(line).includes(toolUseId));
    assert.equal(toolResultLines.length, 1, 'the tool_result is also reported on stdout');
  });

  void it('reports a denied Write to the model as an error tool_result and writes nothing', { timeout: TEST_TIMEOUT_MS }, async () => {
    const toolUseId = 'toolu_write_deny_1';
    const denial = 'Denied by the test harness';
    let filePath = '';
    const { api, session } = await startHarness(['--permission-mode', 'default'], (mock, repo) => {
      filePath = join(repo.path, 'denied.txt');
      mock.enqueue(toolUseReply([{ name: 'Write', input: { file_path: filePath, content: 'must not exist' }, id: toolUseId }]), textReply('Understood.'));
    });

    session.sendUser('Create denied.txt');
    const { requestId, request } = await waitForPermissionRequest(session);
    assert.equal(request.tool_name, 'Write');
    session.respond(requestId, { behavior: 'deny', message: denial });
    const result = await session.waitForResult();
    await session.close();

    assert.equal(existsSync(filePath), false, 'the denied Write did not run');
    assert.equal(prop(result, 'result'), 'Understood.');
    const denials = records(result, 'permission_denials');
    assert.equal(denials.length, 1);
    assert.equal(denials[0]?.tool_name, 'Write');
    assert.equal(denials[0].tool_use_id, toolUseId);

    assert.equal(api.requests.length, 2);
    const sent = toolResults(api.requests[1]).filter((block) => block.tool_use_id === toolUseId);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.is_error, true, 'a denial is an error tool_result');
    const sentText = contentText(sent[0].content);
    assert.ok(sentText.includes(denial), `the tool_result carries the deny message: ${sentText}`);
  });

  void it('retries an API error, announces it with api_retry, then ends the turn with an error result', { timeout: TEST_TIMEOUT_MS }, async () => {
    const message = 'mock upstream failure';
    const { api, session } = await startHarness([], (mock) => {
      // CLAUDE_CODE_MAX_RETRIES=1: one attempt + one retry; a spare in case the CLI retries more.
      mock.enqueue(errorReply(500, 'api_error', message), errorReply(500, 'api_error', message), errorReply(500, 'api_error', message));
    });

    session.sendUser('This will fail');
    const result = await session.waitForResult();
    await session.close();

    const retries = session.ofType('system', 'api_retry');
    assert.ok(retries.length >= 1, 'at least one api_retry line');
    const retry = retries[0];
    assert.equal(prop(retry, 'attempt'), 1);
    assert.equal(prop(retry, 'max_retries'), 1);
    assert.equal(prop(retry, 'error_status'), 500);
    assert.equal(typeof prop(retry, 'retry_delay_ms'), 'number');

    assert.equal(session.ofType('result').length, 1);
    assert.equal(prop(result, 'is_error'), true);
    assert.equal(prop(result, 'api_error_status'), 500);
    // Observed with 2.1.197: the subtype stays "success" for an API error; is_error is what tells.
    assert.equal(result.subtype, 'success');
    const resultText = String(prop(result, 'result'));
    assert.ok(resultText.includes(message), `the result text names the API message: ${resultText}`);
    assert.equal(api.requests.length, 1 + Number(prop(retry, 'max_retries')), 'one request per attempt');
  });
});

/** Posts JSON to the mock with fetch. */
async function post(url: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: signal ?? null });
}

/** Parses an SSE body into events. */
function parseSse(text: string): { event: string; data: Record<string, unknown> }[] {
  return text
    .split('\n\n')
    .filter((chunk) => chunk.trim() !== '')
    .map((chunk) => {
      const lines = chunk.split('\n');
      const event = (lines.find((line) => line.startsWith('event: ')) ?? '').slice('event: '.length);
      const data = JSON.parse((lines.find((line) => line.startsWith('data: ')) ?? 'data: {}').slice('data: '.length)) as Record<string, unknown>;
      return { event, data };
    });
}

void describe('MockAnthropicApi (self-checks)', () => {
  const mainBody = (stream: boolean): MessagesRequestBody => ({
    model: 'claude-test-model',
    max_tokens: 100,
    stream,
    tools: [{ name: 'Write', input_schema: { type: 'object' } }],
    messages: [{ role: 'user', content: 'hi' }],
  });

  void it('answers non-streaming JSON, side requests, count_tokens, unknown paths and errors', async () => {
    const api = await MockAnthropicApi.start();
    cleanups.push(() => api.close());
    api.enqueue(textReply(['one', 'two'], { usage: { input: 11, output: 22, cacheRead: 33, cacheCreation: 44 } }), errorReply(529, 'overloaded_error', 'busy'));

    const side = await post(`${api.url}/v1/messages?beta=true`, { model: 'claude-haiku', max_tokens: 10, messages: [{ role: 'user', content: 'title?' }] });
    const sideJson = (await side.json()) as Record<string, unknown>;
    assert.deepEqual(sideJson.content, [{ type: 'text', text: SIDE_REPLY_TEXT }], 'a side request does not consume the queue');

    const first = await post(`${api.url}/v1/messages`, mainBody(false));
    assert.equal(first.status, 200);
    const message = (await first.json()) as Record<string, unknown>;
    assert.equal(message.model, 'claude-test-model');
    assert.equal(message.stop_reason, 'end_turn');
    assert.deepEqual(message.content, [
      { type: 'text', text: 'one' },
      { type: 'text', text: 'two' },
    ]);
    assert.deepEqual(message.usage, { input_tokens: 11, output_tokens: 22, cache_read_input_tokens: 33, cache_creation_input_tokens: 44 });

    const second = await post(`${api.url}/v1/messages`, mainBody(true));
    assert.equal(second.status, 529);
    assert.deepEqual(await second.json(), { type: 'error', error: { type: 'overloaded_error', message: 'busy' } });

    const third = await post(`${api.url}/v1/messages`, mainBody(false));
    assert.deepEqual(((await third.json()) as Record<string, unknown>).content, [{ type: 'text', text: DEFAULT_REPLY_TEXT }]);
    assert.equal(api.defaultReplies.length, 1, 'the empty-queue reply is recorded');

    const count = await post(`${api.url}/v1/messages/count_tokens`, mainBody(false));
    const counted = (await count.json()) as Record<string, unknown>;
    assert.equal(typeof counted.input_tokens, 'number');
    assert.ok((counted.input_tokens as number) > 0);

    const missing = await fetch(`${api.url}/v1/models`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as Record<string, unknown>).type, 'error');

    assert.equal(api.requests.length, 3);
    assert.equal(api.sideRequests.length, 1);
    assert.equal(api.allRequests.length, 6);
  });

  void it('streams thinking, text and tool_use as SSE events in chunks', async () => {
    const api = await MockAnthropicApi.start();
    cleanups.push(() => api.close());
    api.enqueue(() => toolUseReply([{ name: 'Bash', input: { command: 'echo hi' }, id: 'toolu_x' }], { thinking: 'hmm', text: ['ok'], chunks: 3 }));

    const response = await post(`${api.url}/v1/messages?beta=true`, mainBody(true));
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const events = parseSse(await response.text());
    const names = events.map((item) => item.event);
    assert.equal(names[0], 'message_start');
    assert.ok(names.includes('ping'));
    assert.equal(names.at(-1), 'message_stop');
    assert.equal(names.at(-2), 'message_delta');
    for (const item of events) assert.equal(item.data.type, item.event, 'data.type matches the event name');
    const start = events[0]?.data.message as Record<string, unknown>;
    assert.equal(start.model, 'claude-test-model');
    assert.match(String(start.id), /^msg_/);
    const deltas = events.filter((item) => item.event === 'content_block_delta').map((item) => item.data.delta as Record<string, unknown>);
    const json = deltas.filter((delta) => delta.type === 'input_json_delta').map((delta) => String(delta.partial_json));
    assert.ok(json.length > 1, 'tool input arrives in several input_json_delta chunks');
    assert.deepEqual(JSON.parse(json.join('')), { command: 'echo hi' });
    assert.ok(deltas.some((delta) => delta.type === 'thinking_delta'));
    assert.ok(deltas.some((delta) => delta.type === 'text_delta'));
    const stop = events.find((item) => item.event === 'message_delta')?.data.delta as Record<string, unknown>;
    assert.equal(stop.stop_reason, 'tool_use');
  });

  void it('survives a client that disconnects in the middle of a slow stream', async () => {
    const api = await MockAnthropicApi.start();
    cleanups.push(() => api.close());
    api.enqueue(textReply('x'.repeat(100), { chunks: 50, chunkDelayMs: 20 }));
    const controller = new AbortController();
    const response = await post(`${api.url}/v1/messages`, mainBody(true), controller.signal);
    const reader = response.body?.getReader();
    await reader?.read();
    controller.abort();
    await reader?.cancel().catch(() => undefined);
    const deadline = Date.now() + 3_000;
    while (api.allRequests[0]?.aborted !== true && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(api.allRequests[0]?.aborted, true, 'the abort is recorded');
    const after = await post(`${api.url}/v1/messages`, mainBody(false));
    assert.equal(after.status, 200, 'the server still answers');
    assert.deepEqual(api.errors, []);
  });
});
