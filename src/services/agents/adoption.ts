import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ClaudeManagerError } from '../errors';
import type { Logger } from '../logger';
import type { ImageFiles } from '../storage/imageFiles';
import type { Store } from '../storage/store';
import { nameFromPrompt } from './agentName';
import { cliConfigDir } from './cliArgs';
import { keepable } from './images';
import { transcriptPath } from './terminalProcess';
import { type CliSessionSummary, importTranscript, listCliSessions } from './transcripts';

const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What adopting a session made. */
export interface Adopted {
  agentId: string;
  /** Messages imported from its transcript. */
  messages: number;
  /** Transcript lines skipped (not JSON, or of a shape not understood). */
  skippedLines: number;
}

/**
 * Sessions of the CLI started outside Claude Manager (in a terminal, by `claude --worktree`, by
 * another tool), listed per worktree and adopted: an agent bound to the session, its history read
 * from the transcript; its next start resumes the session (docs/worktrees.md).
 */
export class SessionAdoption {
  /** Adoptions under way, by session: a second call for the same one waits and is then refused. */
  private readonly adopting = new Map<string, Promise<unknown>>();

  constructor(
    private readonly o: {
      store: Store;
      images: ImageFiles;
      logger: Logger;
      /** The CLI's environment (its config folder, hence its transcripts). */
      env: () => NodeJS.ProcessEnv;
      /** Announces an agent that changed. */
      announce: (agentId: string) => Promise<void>;
    },
  ) {}

  /** The sessions recorded for the worktree's folder that no agent holds, newest first. */
  async adoptable(worktreeId: string): Promise<CliSessionSummary[]> {
    const worktree = await this.o.store.worktrees.get(worktreeId);
    const { sessions, unreadable } = await listCliSessions(this.o.env(), worktree.path);
    for (const u of unreadable) this.o.logger.warn(`The CLI session ${u.path} could not be read: ${u.reason}`);
    const held = new Set(await this.o.store.sessions.held(sessions.map((s) => s.sessionId)));
    return sessions.filter((s) => !held.has(s.sessionId));
  }

  /** Makes an agent of the session: finished, its history imported; a message resumes it. */
  async adopt(worktreeId: string, sessionId: string, options: { name?: string } = {}): Promise<Adopted> {
    if (!SESSION_ID.test(sessionId)) throw new ClaudeManagerError('INVALID_INPUT', `"${sessionId}" is not a session id of the CLI (a UUID).`);
    const before = this.adopting.get(sessionId);
    const run = (async () => {
      await before?.catch(() => undefined);
      return this.adoptNow(worktreeId, sessionId, options);
    })();
    this.adopting.set(sessionId, run);
    try {
      return await run;
    } finally {
      if (this.adopting.get(sessionId) === run) this.adopting.delete(sessionId);
    }
  }

  private async adoptNow(worktreeId: string, sessionId: string, options: { name?: string }): Promise<Adopted> {
    const { store } = this.o;
    const worktree = await store.worktrees.get(worktreeId);
    const env = this.o.env();
    const path = transcriptPath(env, worktree.path, sessionId);
    if (!existsSync(path)) throw new ClaudeManagerError('NOT_FOUND', `The CLI recorded no session ${sessionId} for ${worktree.path} (looked for ${path}).`);
    const [holder] = await store.sessions.held([sessionId]);
    if (holder) {
      const owner = (await store.agents.list({ worktreeId, includeDeleted: true })).find((a) => a.sessionId === sessionId);
      throw new ClaudeManagerError('INVALID_INPUT', `Session ${sessionId} is held by ${owner ? `the agent ${owner.name}` : 'an agent already'}: open that agent instead.`);
    }
    // Named once its transcript is read (the first prompt), which it needs to be made first for.
    const record = await store.agents.create({ worktreeId, name: options.name?.trim() || `Session ${sessionId.slice(0, 8)}` });
    try {
      const imported = await importTranscript(path, { agentId: record.id, cwd: worktree.path, planDir: join(cliConfigDir(env), 'plans') });
      const messages = [];
      for (const message of imported.messages) {
        const images = imported.images.get(message.id);
        if (!images) {
          messages.push(message);
          continue;
        }
        const refs = await this.o.images.save(record.id, keepable(images).keep);
        messages.push(refs.length ? { ...message, images: refs } : message);
      }
      await store.messages.putMany(record.id, messages);
      await store.sessions.save({ id: sessionId, agentId: record.id, data: { adoptedFrom: path } });
      if (imported.tasks?.length) await store.agents.setTasks(record.id, imported.tasks);
      const skipped = imported.skipped;
      const named = await store.agents.update(record.id, {
        ...(options.name?.trim() ? {} : { name: nameFromPrompt(imported.firstPrompt) ?? record.name }),
        sessionId,
        statusReason: `adopted from the CLI: ${messages.length} messages${skipped ? `, ${skipped} unreadable lines skipped` : ''}`,
        ...(imported.contextLevel !== undefined ? { contextLevel: imported.contextLevel } : {}),
      });
      if (skipped) this.o.logger.warn(`Adopting session ${sessionId}: ${skipped} lines of ${path} could not be read and were skipped.`);
      this.o.logger.info(`Adopted the CLI session ${sessionId} of ${worktree.path} as ${named.name}: ${messages.length} messages.`);
      await this.o.announce(record.id);
      return { agentId: record.id, messages: messages.length, skippedLines: skipped };
    } catch (error) {
      // No half-made agent: it goes with what was kept of it.
      await store.agents.delete(record.id).catch(() => undefined);
      await rm(this.o.images.agentDir(record.id), { recursive: true, force: true }).catch(() => undefined);
      throw error;
    }
  }
}
