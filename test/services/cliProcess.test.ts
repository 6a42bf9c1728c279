import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { CliProcess, describeDroppedLine, type SpawnFn } from '../../src/services/agents/cliProcess';
import type { CliLine } from '../../src/services/agents/cliProtocol';
import { LineSplitter } from '../../src/services/agents/lineSplitter';
import { ClaudeManagerError } from '../../src/services/errors';
import { findClaudeBinary, makeCliEnv, makeTempGitRepo, makeTempHome } from '../helpers/claudeCli';
import { spawnHost } from '../helpers/spawnWorker';
import { quiet } from '../helpers/storage';
import { MockAnthropicApi, textReply, toolUseReply } from '../mocks/anthropicApi';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

/** A real `claude` against the mock API in a temp repository, started and initialized. */
async function realCli(args: string[] = [], script: (api: MockAnthropicApi) => void = () => undefined, spawn?: SpawnFn) {
  const api = await MockAnthropicApi.start();
  cleanups.push(() => api.close());
  const repo = makeTempGitRepo();
  const home = makeTempHome();
  cleanups.push(repo.cleanup, home.cleanup);
  script(api);
  const cli = new CliProcess({ binary: findClaudeBinary(), args, cwd: repo.path, env: makeCliEnv({ home: home.path, baseUrl: api.url }), logger: quiet, label: 'test', ...(spawn ? { spawn } : {}) });
  const lines: CliLine[] = [];
  cli.on('line', (l) => lines.push(l));
  await cli.start();
  cleanups.push(() => cli.stop({ force: true }));
  await cli.request({ subtype: 'initialize' });
  return { api, repo: repo.path, cli, lines };
}

function next(cli: CliProcess, predicate: (line: CliLine) => boolean, what: string, ms = 25_000): Promise<CliLine> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cli.off('line', on);
      reject(new Error(`no ${what} within ${ms} ms`));
    }, ms);
    const on = (line: CliLine) => {
      if (!predicate(line)) return;
      clearTimeout(timer);
      cli.off('line', on);
      resolve(line);
    };
    cli.on('line', on);
  });
}

const isResult = (l: CliLine) => l.kind === 'result';

describe('LineSplitter', () => {
  it('splits lines across chunks, handles \\r\\n and a last line without newline, and drops oversized lines saying so', () => {
    const lines: string[] = [];
    const dropped: number[] = [];
    const edges: string[] = [];
    const splitter = new LineSplitter((l) => lines.push(l), (d) => {
      dropped.push(d.bytes);
      edges.push(`${d.head}|${d.tail}`);
    }, 10);
    splitter.push(Buffer.from('ab'));
    splitter.push(Buffer.from('c\r\nde\n'));
    splitter.push(Buffer.from('0123456789ABC'));
    splitter.push(Buffer.from('DEF\nok\nt'));
    splitter.push(Buffer.from('ail'));
    splitter.end();
    assert.deepEqual(lines, ['abc', 'de', 'ok', 'tail']);
    assert.deepEqual(dropped, [16]);
    assert.deepEqual(edges, ['0123456789ABC|0123456789ABCDEF'], 'the ends of a dropped line are kept (here all of it: it is shorter than the ends kept)');
  });

  it('names a dropped control request by the id and subtype at its ends', () => {
    const found: ReturnType<typeof describeDroppedLine>[] = [];
    const splitter = new LineSplitter(() => undefined, (d) => found.push(describeDroppedLine(d)), 64 * 1024);
    const big = JSON.stringify({ type: 'control_request', request_id: 'req-7', request: { subtype: 'can_use_tool', tool_name: 'Write', input: { content: 'x'.repeat(200_000) } } });
    for (let i = 0; i < big.length; i += 7000) splitter.push(Buffer.from(big.slice(i, i + 7000)));
    const idLast = JSON.stringify({ type: 'control_request', request: { subtype: 'can_use_tool', input: { content: 'y'.repeat(100_000) } }, request_id: 'req-8' });
    splitter.push(Buffer.from(`\n${idLast}\n`));
    assert.deepEqual(found, [
      { bytes: Buffer.byteLength(big), type: 'control_request', requestId: 'req-7', subtype: 'can_use_tool' },
      { bytes: Buffer.byteLength(idLast), type: 'control_request', requestId: 'req-8', subtype: 'can_use_tool' },
    ]);
  });

  it('keeps multi-byte characters split across chunks', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((l) => lines.push(l), () => undefined);
    const bytes = Buffer.from('héllo → wörld\n');
    splitter.push(bytes.subarray(0, 2));
    splitter.push(bytes.subarray(2, 9));
    splitter.push(bytes.subarray(9));
    assert.deepEqual(lines, ['héllo → wörld']);
  });
});

describe('CliProcess with the real claude CLI', () => {
  it('runs a turn: init, streamed deltas, the assistant message and one result; every line understood', async () => {
    const { cli, lines } = await realCli([], (api) => api.enqueue(textReply(['Hello from the mock'], { chunks: 3 })));
    cli.sendUser('Say hello');
    const result = await next(cli, isResult, 'result');
    assert.ok(result.kind === 'result' && result.line.subtype === 'success' && result.line.result === 'Hello from the mock');
    const init = lines.find((l) => l.kind === 'system' && l.line.subtype === 'init');
    assert.ok(init?.kind === 'system' && init.line.session_id && init.line.claude_code_version, 'system/init with session and version');
    const deltas = lines.filter((l) => l.kind === 'stream_event' && l.line.event.type === 'content_block_delta').length;
    assert.ok(deltas >= 3, `${deltas} deltas`);
    assert.ok(lines.some((l) => l.kind === 'assistant'));
    assert.deepEqual(lines.filter((l) => l.kind === 'invalid'), []);
  });

  it('holds a Write until its permission request is answered; allow runs it, deny does not', async () => {
    const { cli, repo } = await realCli(['--permission-mode', 'default'], (api) =>
      api.enqueue(
        toolUseReply([{ name: 'Write', input: { file_path: 'allowed.txt', content: 'yes' } }]),
        textReply('done 1'),
        toolUseReply([{ name: 'Write', input: { file_path: 'denied.txt', content: 'no' } }]),
        textReply('done 2'),
      ),
    );
    const asked = new Promise<{ id: string; tool: string; input: Record<string, unknown> }>((resolve) =>
      cli.once('request', (r) => resolve({ id: r.request_id, tool: r.request.tool_name ?? '', input: r.request.input ?? {} })),
    );
    cli.sendUser('write allowed.txt');
    const first = await asked;
    assert.equal(first.tool, 'Write');
    assert.equal(existsSync(join(repo, 'allowed.txt')), false, 'nothing is written before the answer');
    cli.respond(first.id, { behavior: 'allow', updatedInput: first.input });
    await next(cli, isResult, 'first result');
    assert.equal(readFileSync(join(repo, 'allowed.txt'), 'utf8'), 'yes');

    const askedAgain = new Promise<string>((resolve) => cli.once('request', (r) => resolve(r.request_id)));
    cli.sendUser('write denied.txt');
    cli.respond(await askedAgain, { behavior: 'deny', message: 'not this one' });
    await next(cli, isResult, 'second result');
    assert.equal(existsSync(join(repo, 'denied.txt')), false);
  });

  it('interrupts a slow turn and takes the next one in the same session; stop leaves no process of its group', async () => {
    const { cli } = await realCli([], (api) => api.enqueue(textReply(['slow '.repeat(40)], { chunks: 40, chunkDelayMs: 150 }), textReply('after the interrupt')));
    cli.sendUser('talk slowly');
    await next(cli, (l) => l.kind === 'stream_event' && l.line.event.type === 'content_block_delta', 'a first delta');
    // Listening first: the result can arrive before the answer to the interrupt request.
    const result = next(cli, isResult, 'the interrupted result');
    await cli.request({ subtype: 'interrupt' });
    const interrupted = await result;
    assert.ok(interrupted.kind === 'result' && interrupted.line.subtype !== 'success', JSON.stringify(interrupted));
    cli.sendUser('go on');
    const after = await next(cli, isResult, 'the next result');
    assert.ok(after.kind === 'result' && after.line.result === 'after the interrupt');
    assert.ok(cli.groupAlive());
    const exit = await cli.stop();
    assert.equal(cli.alive, false);
    assert.equal(cli.groupAlive(), false, 'no process of the group is left');
    assert.ok(exit.code !== null || exit.signal !== null);
  });

  it('says CLI_NOT_FOUND for a CLI that is not there', async () => {
    const cli = new CliProcess({ binary: '/nonexistent/claude', args: [], cwd: process.cwd(), env: process.env, logger: quiet, label: 'missing' });
    await assert.rejects(cli.start(), (e: unknown) => e instanceof ClaudeManagerError && e.code === 'CLI_NOT_FOUND' && e.message.includes('/nonexistent/claude'));
  });
});

describe('CliProcess started from the spawn worker (as in the extension)', () => {
  it('runs a turn with a permission answered over the relayed pipes; stop leaves no process of its group', async () => {
    const host = spawnHost(quiet);
    cleanups.push(() => host.dispose());
    const { cli, repo } = await realCli(['--permission-mode', 'default'], (api) => api.enqueue(toolUseReply([{ name: 'Write', input: { file_path: 'relayed.txt', content: 'through the worker' } }]), textReply('written')), host.spawn);
    assert.ok(cli.pid && cli.pid !== process.pid, 'the pid of the real process');
    const asked = new Promise<{ id: string; input: Record<string, unknown> }>((resolve) => cli.once('request', (r) => resolve({ id: r.request_id, input: r.request.input ?? {} })));
    cli.sendUser('write it');
    const request = await asked;
    cli.respond(request.id, { behavior: 'allow', updatedInput: request.input });
    const result = await next(cli, isResult, 'the result');
    assert.ok(result.kind === 'result' && result.line.result === 'written');
    assert.equal(readFileSync(join(repo, 'relayed.txt'), 'utf8'), 'through the worker');
    const exit = await cli.stop();
    assert.ok(exit.code !== null || exit.signal !== null);
    assert.equal(cli.groupAlive(), false, 'no process of the group is left');
  });

  it('says CLI_NOT_FOUND for a CLI that is not there', async () => {
    const host = spawnHost(quiet);
    cleanups.push(() => host.dispose());
    const cli = new CliProcess({ binary: '/nonexistent/claude', args: [], cwd: process.cwd(), env: process.env, logger: quiet, label: 'missing', spawn: host.spawn });
    await assert.rejects(cli.start(), (e: unknown) => e instanceof ClaudeManagerError && e.code === 'CLI_NOT_FOUND' && e.message.includes('/nonexistent/claude'));
  });
});

describe('CliProcess with a CLI writing garbage (hand-written stand-in)', () => {
  it('survives 10k garbage lines and a 10 MB line, reports them, and goes on working', async () => {
    const lines: CliLine[] = [];
    const oversized: number[] = [];
    const script = join(__dirname, '..', 'fixtures', 'garbageCli.mjs');
    const proc = new CliProcess({ binary: script, args: [], cwd: process.cwd(), env: process.env, logger: quiet, label: 'garbage', maxLineBytes: 1024 * 1024 });
    proc.on('line', (l) => lines.push(l));
    proc.on('oversized', (n) => oversized.push(n.bytes));
    await proc.start();
    cleanups.push(() => proc.stop({ force: true }));
    await proc.request({ subtype: 'initialize' });
    await next(proc, (l) => l.kind === 'system' && l.line.subtype === 'init', 'the init split over three writes', 20_000);
    proc.sendUser('still there?');
    const result = await next(proc, isResult, 'a result after the garbage');
    assert.ok(result.kind === 'result' && result.line.result === 'turn 1');
    assert.equal(lines.filter((l) => l.kind === 'invalid').length, 8000, 'non-JSON, truncated, typeless and misshapen lines');
    assert.equal(lines.filter((l) => l.kind === 'raw').length, 2000, 'unknown types are kept as raw events');
    assert.equal(oversized.length, 1);
    assert.ok(oversized[0]! > 10 * 1024 * 1024);
  });
});
