/**
 * Helpers for tests that run the real `claude` CLI (devDependency `@anthropic-ai/claude-code`)
 * offline against `test/mocks/anthropicApi.ts`.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { makeGitRepo } from '../../scripts/lib/gitFixture.mjs';
import { STREAM_JSON_FLAGS } from '../../src/services/agents/cliProcess';

const WRAPPER_PACKAGE = '@anthropic-ai/claude-code';

/** A parsed stdout line of `--output-format stream-json`. Only `type` is guaranteed. */
export interface CliMessage {
  type: string;
  subtype?: string;
  session_id?: string;
  [key: string]: unknown;
}

function isMusl(): boolean {
  if (process.platform !== 'linux') return false;
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime === undefined;
}

/**
 * The project root: walking up from this file (test/helpers/), the first folder whose
 * node_modules holds the wrapper package; else the folder two levels above this file.
 * (Falls back to the cwd where `__dirname` does not exist, i.e. if the tests ever run as ESM.)
 */
function findProjectRoot(): string {
  const start = typeof __dirname === 'string' ? __dirname : process.cwd();
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules', '@anthropic-ai', 'claude-code'))) return dir;
    if (dirname(dir) === dir) break;
  }
  return typeof __dirname === 'string' ? join(__dirname, '..', '..') : process.cwd();
}

/**
 * Path of the native `claude` binary: the platform package
 * `@anthropic-ai/claude-code-<platform>-<arch>[-musl]/claude(.exe)`, else the wrapper's
 * `bin/claude.exe` (which the wrapper's postinstall overwrites with the native binary).
 */
export function findClaudeBinary(): string {
  const root = findProjectRoot();
  const scope = join(root, 'node_modules', '@anthropic-ai');
  const exe = process.platform === 'win32' ? 'claude.exe' : 'claude';
  const suffix = isMusl() ? '-musl' : '';
  const candidates = [join(scope, `claude-code-${process.platform}-${process.arch}${suffix}`, exe)];
  if (process.platform === 'darwin' && process.arch === 'x64') {
    candidates.push(join(scope, 'claude-code-darwin-arm64', exe)); // x64 Node under Rosetta
  }
  const fallback = join(scope, 'claude-code', 'bin', 'claude.exe');
  candidates.push(fallback);
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    // The wrapper's placeholder before postinstall is a tiny script, not the binary.
    if (candidate === fallback && !looksNative(candidate)) continue;
    return candidate;
  }
  throw new Error(
    `Claude Code CLI binary not found (looked in ${candidates.join(', ')}). ` +
      `Install the devDependency "${WRAPPER_PACKAGE}" (npm install), which brings the platform package ` +
      `"${WRAPPER_PACKAGE}-${process.platform}-${process.arch}${suffix}".`,
  );
}

function looksNative(file: string): boolean {
  try {
    return statSync(file).size > 1_000_000;
  } catch {
    return false;
  }
}

export interface CliEnvOptions {
  /** The temp HOME for the child (its ~/.claude goes there). */
  home: string;
  /** The mock API's base URL. */
  baseUrl: string;
  /** Extra variables, applied last. */
  extra?: Record<string, string>;
}

/**
 * Environment for a child `claude`: the parent's env without any ANTHROPIC_* / CLAUDE_* variables
 * (nor other settings that would point it at a real account or provider), plus what keeps it
 * offline, fast and isolated.
 */
export function makeCliEnv(options: CliEnvOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const dropped = /^(ANTHROPIC_|CLAUDE_|CLAUDECODE$|MCP_|OTEL_|AWS_BEARER_TOKEN_BEDROCK$|VERTEX_|CLOUD_ML_REGION$|DISABLE_|HTTPS?_PROXY$|NO_PROXY$)/i;
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || dropped.test(key)) continue;
    env[key] = value;
  }
  Object.assign(env, {
    HOME: options.home,
    USERPROFILE: options.home,
    // Keep XDG-style lookups inside the temp home too.
    XDG_CONFIG_HOME: join(options.home, '.config'),
    XDG_CACHE_HOME: join(options.home, '.cache'),
    XDG_DATA_HOME: join(options.home, '.local', 'share'),
    XDG_STATE_HOME: join(options.home, '.local', 'state'),
    ANTHROPIC_BASE_URL: options.baseUrl,
    ANTHROPIC_API_KEY: 'test-key',
    CLAUDE_CODE_MAX_RETRIES: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_BUG_COMMAND: '1',
    CLAUDE_CODE_DISABLE_TERMINAL_TITLE: '1',
    // The loopback mock must never go through a proxy from the parent.
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
  });
  delete env.HTTP_PROXY;
  delete env.HTTPS_PROXY;
  delete env.http_proxy;
  delete env.https_proxy;
  Object.assign(env, options.extra ?? {});
  return env;
}

/**
 * Environment for a child `claude` logged in with a Claude subscription (an OAuth token, which the
 * mock takes; no API key): the CLI then reports the plan's limits from the API's headers.
 */
export function makeSubscriptionCliEnv(options: CliEnvOptions): NodeJS.ProcessEnv {
  const env = makeCliEnv({ ...options, extra: { CLAUDE_CODE_OAUTH_TOKEN: 'mock-oauth-token', ...options.extra } });
  delete env.ANTHROPIC_API_KEY;
  return env;
}

/** The stream-json flags for a long-lived headless session with stdio permission prompts: the extension's own. */
export const STREAM_JSON_ARGS: readonly string[] = STREAM_JSON_FLAGS;

export interface CliSessionOptions {
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Kill the process and fail waits after this many ms (default 30 s). */
  timeoutMs?: number;
  /** Binary to run (default `findClaudeBinary()`). */
  binary?: string;
}

type Waiter = {
  predicate: (message: CliMessage) => boolean;
  resolve: (message: CliMessage) => void;
  reject: (error: Error) => void;
  from: number;
  description: string;
};

/**
 * One running `claude` process driven over stdin/stdout JSON lines.
 * Every parsed stdout line is kept in `messages`; lines that are not JSON in `nonJsonLines`.
 */
export class CliSession {
  readonly child: ChildProcessWithoutNullStreams;
  readonly messages: CliMessage[] = [];
  readonly nonJsonLines: string[] = [];
  /** Every line in both directions, in order, as written: `in` to the CLI's stdin, `out` from its stdout. */
  readonly transcript: { dir: 'in' | 'out'; text: string }[] = [];
  stderr = '';
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  /** Set when the timeout fired. */
  timedOut = false;

  private stdoutBuffer = '';
  private readonly waiters = new Set<Waiter>();
  private readonly timer: NodeJS.Timeout;
  private readonly exited: Promise<void>;
  private requestCounter = 0;
  private readonly timeoutMs: number;

  constructor(options: CliSessionOptions) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.child = spawn(options.binary ?? findClaudeBinary(), [...options.args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      this.onStdout(chunk);
    });
    this.child.stderr.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    // Writing to a process that already died must not crash the test runner.
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise<void>((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        this.exitCode = code;
        this.exitSignal = signal;
        clearTimeout(this.timer);
        if (this.stdoutBuffer.trim() !== '') this.onLine(this.stdoutBuffer);
        this.stdoutBuffer = '';
        this.failWaiters(`claude exited (code ${String(code)}, signal ${String(signal)})`);
        resolve();
      };
      this.child.once('exit', (code, signal) => {
        // Let the last stdout data drain before settling.
        this.child.stdout.once('close', () => {
          finish(code, signal);
        });
        if (this.child.stdout.closed) finish(code, signal);
      });
      this.child.once('error', (error) => {
        this.stderr += `\n[spawn error] ${error.message}`;
        finish(null, null);
      });
    });
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.failWaiters(`timed out after ${String(this.timeoutMs)} ms`);
      void this.kill();
    }, this.timeoutMs);
  }

  get running(): boolean {
    return this.exitCode === null && this.exitSignal === null && !this.child.killed;
  }

  /** Write one JSON line to stdin. */
  send(message: unknown): void {
    if (!this.child.stdin.writable) return;
    const text = JSON.stringify(message);
    this.transcript.push({ dir: 'in', text });
    this.child.stdin.write(`${text}\n`);
  }

  /** Send a user turn. */
  sendUser(text: string): void {
    this.send({ type: 'user', message: { role: 'user', content: text }, parent_tool_use_id: null, session_id: '' });
  }

  /** Send a control_request and wait for its control_response; returns the `response` object. */
  async controlRequest(request: Record<string, unknown>): Promise<Record<string, unknown>> {
    const requestId = `req_test_${String(++this.requestCounter)}`;
    const from = this.messages.length;
    this.send({ type: 'control_request', request_id: requestId, request });
    const reply = await this.waitFor(
      (message) => message.type === 'control_response' && responseOf(message)?.request_id === requestId,
      `control_response to ${String(request.subtype)}`,
      from,
    );
    const response = responseOf(reply) ?? {};
    if (response.subtype === 'error') throw new Error(`control_request ${String(request.subtype)} failed: ${JSON.stringify(response)}`);
    return response;
  }

  /** Answer a control_request from the CLI (e.g. can_use_tool). */
  respond(requestId: string, response: Record<string, unknown>): void {
    this.send({ type: 'control_response', response: { subtype: 'success', request_id: requestId, response } });
  }

  /**
   * Resolves with the first message (at index >= `from`, default 0) matching `predicate`, already
   * received or to come. Fails on exit or timeout with the stderr/stdout tail in the message.
   */
  waitFor(predicate: (message: CliMessage) => boolean, description = 'matching message', from = 0): Promise<CliMessage> {
    for (let i = from; i < this.messages.length; i++) {
      const message = this.messages[i];
      if (message !== undefined && predicate(message)) return Promise.resolve(message);
    }
    if (!this.running || this.timedOut) {
      return Promise.reject(this.failure(`waiting for ${description}: claude is not running`));
    }
    return new Promise<CliMessage>((resolve, reject) => {
      this.waiters.add({ predicate, resolve, reject, from, description });
    });
  }

  /** Waits for the next `result` line after index `from`. */
  waitForResult(from = 0): Promise<CliMessage> {
    return this.waitFor((message) => message.type === 'result', 'result', from);
  }

  /** Messages of one type (and optional subtype). */
  ofType(type: string, subtype?: string): CliMessage[] {
    return this.messages.filter((message) => message.type === type && (subtype === undefined || message.subtype === subtype));
  }

  /** Close stdin (the CLI ends after the current turn) and wait for exit; kills after `graceMs`. */
  async close(graceMs = 5_000): Promise<void> {
    if (this.exitCode === null && this.exitSignal === null) {
      this.child.stdin.end();
      const timer = setTimeout(() => {
        void this.kill();
      }, graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    clearTimeout(this.timer);
  }

  /** Kill the process (SIGKILL) and wait for it to exit. */
  async kill(): Promise<void> {
    if (this.exitCode === null && this.exitSignal === null) {
      this.child.kill('SIGKILL');
    }
    await this.exited;
  }

  /** An Error carrying the tails of stderr and stdout, for assertion messages. */
  failure(reason: string): Error {
    const stdoutTail = this.messages
      .slice(-15)
      .map((message) => JSON.stringify(message).slice(0, 400))
      .concat(this.nonJsonLines.slice(-5))
      .join('\n');
    return new Error(`${reason}\n--- stderr (tail) ---\n${this.stderr.slice(-3000)}\n--- stdout (tail) ---\n${stdoutTail}`);
  }

  private onStdout(chunk: string): void {
    this.stdoutBuffer += chunk;
    let newline = this.stdoutBuffer.indexOf('\n');
    while (newline !== -1) {
      const line = this.stdoutBuffer.slice(0, newline);
      this.stdoutBuffer = this.stdoutBuffer.slice(newline + 1);
      this.onLine(line);
      newline = this.stdoutBuffer.indexOf('\n');
    }
  }

  private onLine(line: string): void {
    const trimmed = line.trim();
    if (trimmed === '') return;
    this.transcript.push({ dir: 'out', text: line.replace(/\r$/, '') });
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      this.nonJsonLines.push(trimmed);
      return;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || typeof (parsed as { type?: unknown }).type !== 'string') {
      this.nonJsonLines.push(trimmed);
      return;
    }
    const message = parsed as CliMessage;
    const index = this.messages.length;
    this.messages.push(message);
    for (const waiter of [...this.waiters]) {
      if (index >= waiter.from && waiter.predicate(message)) {
        this.waiters.delete(waiter);
        waiter.resolve(message);
      }
    }
  }

  private failWaiters(reason: string): void {
    for (const waiter of [...this.waiters]) {
      this.waiters.delete(waiter);
      waiter.reject(this.failure(`waiting for ${waiter.description}: ${reason}`));
    }
  }
}

function responseOf(message: CliMessage): Record<string, unknown> | undefined {
  const response = message.response;
  return typeof response === 'object' && response !== null ? (response as Record<string, unknown>) : undefined;
}

/** Start a `claude` process (argument array, never a shell string). */
export function startCliSession(options: CliSessionOptions): CliSession {
  return new CliSession(options);
}

export interface TempDir {
  path: string;
  cleanup: () => void;
}

/** A fresh temp folder (real path, so it matches what the CLI reports as cwd). */
export function makeTempDir(prefix: string): TempDir {
  const path = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  return {
    path,
    cleanup: () => {
      rmSync(path, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 });
    },
  };
}

/** A temp HOME for the child: the CLI writes ~/.claude (transcripts, settings) there. */
export function makeTempHome(): TempDir {
  return makeTempDir('cm-home-');
}

/** A temp git repo on branch `main` with one commit holding `files`, isolated from the user's git config. */
export function makeTempGitRepo(files: Record<string, string> = { 'README.md': '# test repo\n' }): TempDir {
  const { repo, cleanup } = makeGitRepo({ name: 'repo', files });
  return { path: repo, cleanup };
}

/** Runs the real CLI once in print mode, as a user would in a terminal, outside the runtime. */
export function claudeOnce(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((done, fail) => {
    const child = execFile(resolve(findClaudeBinary()), ['--output-format', 'stream-json', '--verbose', ...args], { cwd, env, encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) fail(new Error(`claude ${args.join(' ')}: ${error.message}\n${stderr}`));
      else done(stdout);
    });
    child.stdin?.end();
  });
}

/** The session id of a print-mode run, from its init line. */
export function sessionOf(stdout: string): string {
  const init = stdout.split('\n').map((l) => (l.trim() ? (JSON.parse(l) as { type: string; subtype?: string; session_id?: string }) : undefined)).find((l) => l?.type === 'system' && l.subtype === 'init');
  if (!init?.session_id) throw new Error(`No init line in ${stdout.slice(0, 300)}`);
  return init.session_id;
}
