import { EventEmitter } from 'node:events';
import type { Logger } from '../logger';
import type { Store } from '../storage/store';
import { type SpawnFn, spawnHere } from '../processRunner';

/** What is kept of a setup's output: its end. */
const OUTPUT_KEPT = 256 * 1024;

/** A worktree's setup as it runs or ran: its commands' output, and how it ended. */
export interface SetupRun {
  worktreeId: string;
  state: 'running' | 'failed' | 'done';
  /** What the commands printed (stdout and stderr as they came, each command announced); its last 256 KB. */
  output: string;
  /** The command that failed, and how. */
  failure?: { command: string; exitCode: number | null; signal: NodeJS.Signals | null; error?: string };
  startedAt: string;
  endedAt?: string;
}

/** Where a window keeps its worktrees' last setups, so that the next window (a reload) shows them too. */
export interface SetupBook {
  /** Every kept setup, by worktree id. */
  readAll(): Promise<Record<string, unknown>>;
  /** `null`: forget it. */
  write(worktreeId: string, run: SetupRun | null): Promise<void>;
}

/** The book the extension keeps setups in: the store's settings, one key per worktree (`setup.run.<id>`). */
export function settingsBook(settings: Pick<Store['settings'], 'under' | 'set' | 'delete'>): SetupBook {
  return { readAll: () => settings.under('setup.run.'), write: (id, run) => (run ? settings.set(`setup.run.${id}`, run) : settings.delete(`setup.run.${id}`)) };
}

/** A kept setup as read back, or undefined when it is not one (an older shape, a damaged value). */
function asRun(worktreeId: string, value: unknown): SetupRun | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Partial<SetupRun>;
  if ((v.state !== 'running' && v.state !== 'failed' && v.state !== 'done') || typeof v.output !== 'string' || typeof v.startedAt !== 'string') return undefined;
  const failure = v.failure && typeof v.failure.command === 'string' ? { command: v.failure.command, exitCode: v.failure.exitCode ?? null, signal: v.failure.signal ?? null, ...(typeof v.failure.error === 'string' ? { error: v.failure.error } : {}) } : undefined;
  return { worktreeId, state: v.state, output: v.output, startedAt: v.startedAt, ...(typeof v.endedAt === 'string' ? { endedAt: v.endedAt } : {}), ...(failure ? { failure } : {}) };
}

/** The shell a setup command runs in, as a terminal would run it. */
function shellFor(command: string): { command: string; args: string[] } {
  return process.platform === 'win32' ? { command: process.env.ComSpec || 'cmd.exe', args: ['/d', '/s', '/c', `"${command}"`] } : { command: '/bin/sh', args: ['-c', command] };
}

/**
 * Runs worktrees' setup commands (`.claude-manager.json` "setup"): in the worktree's folder, in
 * order, each in a shell as a terminal would run it, each once the one before succeeded; the
 * first that fails ends the setup, which is then "failed" with its output kept. What runs is
 * announced as it prints (`onDidOutput`), for a terminal the user watches. One setup per worktree
 * at a time; a new one for the same worktree waits for the one under way.
 */
export class SetupRuns {
  private readonly runs = new Map<string, SetupRun>();
  private readonly events = new EventEmitter();
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(
    private readonly logger: Logger,
    private readonly spawn: SpawnFn = spawnHere,
    /** Keeps each worktree's last setup for the next window; without it, what ran is known to this one only. */
    private readonly book?: SetupBook,
  ) {
    this.events.setMaxListeners(0);
  }

  /** The worktree's last setup, if one ran in this window or was read back with `restore`. */
  of(worktreeId: string): SetupRun | undefined {
    return this.runs.get(worktreeId);
  }

  /**
   * Reads back the last setups as an earlier window kept them (one read). One that was running
   * then did not finish (the window closed, or reloaded, under it): it reads as failed, and says so.
   */
  async restore(): Promise<void> {
    if (!this.book) return;
    for (const [worktreeId, kept] of Object.entries(await this.book.readAll())) {
      const run = asRun(worktreeId, kept);
      if (!run || this.runs.has(worktreeId)) continue;
      if (run.state === 'running') {
        run.state = 'failed';
        run.failure = { command: 'the setup', exitCode: null, signal: null, error: 'the window closed while it ran' };
        run.output += '\r\nThe window closed while the setup ran: it did not finish.\r\n';
        run.endedAt = run.startedAt;
      }
      this.runs.set(worktreeId, run);
      this.events.emit('change', run);
    }
  }

  private keep(run: SetupRun | null, worktreeId: string): void {
    void this.book?.write(worktreeId, run).catch((error: Error) => this.logger.warn(`The setup of ${worktreeId} could not be kept for the next window: ${error.message}`));
  }

  /** A setup began or ended. */
  onDidChange(listener: (run: SetupRun) => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  /** A setup printed `text`. */
  onDidOutput(listener: (e: { worktreeId: string; text: string }) => void): () => void {
    this.events.on('output', listener);
    return () => this.events.off('output', listener);
  }

  /** Runs the commands in `cwd`; resolves with the run once it ended (a failure is its state, not thrown). */
  run(worktreeId: string, cwd: string, commands: readonly string[], env: NodeJS.ProcessEnv): Promise<SetupRun> {
    const previous = this.chains.get(worktreeId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.runNow(worktreeId, cwd, commands, env));
    this.chains.set(worktreeId, next);
    void next.finally(() => this.chains.get(worktreeId) === next && this.chains.delete(worktreeId));
    return next;
  }

  /** Forgets a removed worktree's setup, here and in the book. */
  forget(worktreeId: string): void {
    this.runs.delete(worktreeId);
    this.keep(null, worktreeId);
  }

  private async runNow(worktreeId: string, cwd: string, commands: readonly string[], env: NodeJS.ProcessEnv): Promise<SetupRun> {
    const run: SetupRun = { worktreeId, state: 'running', output: '', startedAt: new Date().toISOString() };
    this.runs.set(worktreeId, run);
    this.events.emit('change', run);
    this.keep({ ...run }, worktreeId);
    const print = (text: string) => {
      run.output = (run.output + text).slice(-OUTPUT_KEPT);
      this.events.emit('output', { worktreeId, text });
    };
    for (const command of commands) {
      print(`$ ${command}\r\n`);
      const ended = await this.one(command, cwd, env, print);
      if (ended.exitCode !== 0 || ended.error) {
        run.failure = { command, ...ended };
        print(`\r\n${ended.error ? `It could not run: ${ended.error}` : ended.signal ? `It was ended by ${ended.signal}.` : `It exited with code ${ended.exitCode}.`} The setup stopped there.\r\n`);
        this.logger.warn(`The setup of ${cwd} failed at "${command}" (${ended.error ?? (ended.signal ? `signal ${ended.signal}` : `exit code ${ended.exitCode}`)}).`);
        return this.end(run, 'failed');
      }
    }
    print('\r\nThe setup is done.\r\n');
    this.logger.info(`The setup of ${cwd} is done (${commands.length} command${commands.length === 1 ? '' : 's'}).`);
    return this.end(run, 'done');
  }

  private end(run: SetupRun, state: 'failed' | 'done'): SetupRun {
    run.state = state;
    run.endedAt = new Date().toISOString();
    this.events.emit('change', run);
    this.keep({ ...run }, run.worktreeId);
    return run;
  }

  private one(command: string, cwd: string, env: NodeJS.ProcessEnv, print: (text: string) => void): Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; error?: string }> {
    return new Promise((resolve) => {
      const shell = shellFor(command);
      let child;
      try {
        child = this.spawn({ command: shell.command, args: shell.args, cwd, env, detached: process.platform !== 'win32' });
      } catch (error) {
        resolve({ exitCode: null, signal: null, error: (error as Error).message });
        return;
      }
      child.stdin.end();
      // Terminals want CRLF; programs print LF.
      const relay = (chunk: Buffer | string) => print(String(chunk).replace(/\r?\n/g, '\r\n'));
      child.stdout.on('data', relay);
      child.stderr.on('data', relay);
      let failed: string | undefined;
      child.once('error', (error: Error) => (failed = error.message));
      child.once('close', (exitCode: number | null, signal: NodeJS.Signals | null) => resolve({ exitCode, signal, ...(failed ? { error: failed } : {}) }));
    });
  }
}
