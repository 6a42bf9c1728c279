/**
 * Two windows on one store, as two extension hosts would be: each its own store connection and
 * runtime, the real CLI against the mock API. Window B uses an agent window A runs (its permission
 * answered, a message sent, its stream watched, stopped) through A's channel; and takes over an
 * agent whose window is gone, resuming its session.
 */
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AgentRuntime, type PermissionRequest } from '../../src/services/agents/agentRuntime';
import { ClaudeManagerError } from '../../src/services/errors';
import { processIsAlive } from '../../src/services/processRunner';
import type { StoredMessage } from '../../src/services/storage/messageStore';
import type { Store } from '../../src/services/storage/store';
import { OtherWindows, serveAgents } from '../../src/services/windows/agentWindows';
import type { ChannelServer } from '../../src/services/windows/windowChannel';
import { socketFolder, storeSecret } from '../../src/services/windows/windowChannel';
import { findClaudeBinary, makeCliEnv, makeTempGitRepo, makeTempHome } from '../helpers/claudeCli';
import { quiet } from '../helpers/storage';
import { openStore } from '../helpers/storeWorker';
import { imageBlocks, lastUserBlocks, MockAnthropicApi, textReply, toolUseReply } from '../mocks/anthropicApi';
import { makePng } from '../helpers/images';

const code = (c: string) => (e: unknown) => e instanceof ClaudeManagerError && e.code === c;

/** Polls until `check` holds (another window's writes reach a store within its follow interval). */
async function until<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what} (last: ${JSON.stringify(value)})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Agents of another window', () => {
  const root = mkdtempSync(join(tmpdir(), 'cm-windows-'));
  const storeDir = join(root, 'store');
  const repo = makeTempGitRepo();
  const home = makeTempHome();
  let api: MockAnthropicApi;
  let storeA: Store;
  let storeB: Store;
  let runtimeA: AgentRuntime;
  let runtimeB: AgentRuntime;
  let server: ChannelServer;
  let others: OtherWindows;
  let worktreeId: string;
  const windowA = `${hostname()}:${process.pid}:window-a`;
  const windowB = `${hostname()}:${process.pid}:window-b`;
  const runtime = (store: Store, windowId: string, extra: Partial<ConstructorParameters<typeof AgentRuntime>[0]> = {}) =>
    new AgentRuntime({ store, logger: quiet, windowId, locateCli: async () => findClaudeBinary(), env: () => makeCliEnv({ home: home.path, baseUrl: api.url }), ...extra });

  before(async () => {
    api = await MockAnthropicApi.start();
    storeA = await openStore(storeDir, quiet, { followIntervalMs: 100 });
    storeB = await openStore(storeDir, quiet, { followIntervalMs: 100 });
    const ws = await storeA.workspaces.create({ path: repo.path });
    worktreeId = (await storeA.worktrees.create({ workspaceId: ws.id, name: 'repo', branch: 'main', path: repo.path, isMain: true })).id;
    const secret = await storeSecret(storeDir);
    const folder = await socketFolder({ XDG_RUNTIME_DIR: root });
    runtimeA = runtime(storeA, windowA);
    server = await serveAgents({ agents: runtimeA, folder, storeDir, windowId: windowA, secret, logger: quiet });
    others = new OtherWindows({ folder, storeDir, secret });
    runtimeB = runtime(storeB, windowB, { otherWindows: others });
  });
  after(async () => {
    others.dispose();
    await server.close();
    await runtimeA.stopAll(500);
    await runtimeB.stopAll(500);
    await api.close();
    await storeA.close();
    await storeB.close();
    repo.cleanup();
    home.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  it('window B answers the permission of an agent window A runs, sends it a message, watches it answer, and stops it', async () => {
    const agent = await storeA.agents.create({ worktreeId, name: 'shared', mode: 'regular' });
    const file = join(repo.path, 'from-b.txt');
    const second = join(repo.path, 'from-b-again.txt');
    api.enqueue(
      toolUseReply([{ name: 'Write', input: { file_path: file, content: 'allowed from window B\n' } }]),
      textReply('written'),
      toolUseReply([{ name: 'Write', input: { file_path: second, content: 'asked while B watched\n' } }]),
      textReply('the second answer'),
    );
    const asked = new Promise<PermissionRequest>((resolve) => runtimeA.onDidRequestPermission((e) => e.agentId === agent.id && resolve(e.request)));
    await runtimeA.start(agent.id, { initialPrompt: 'write the file' });
    const request = await asked;

    // B sees A as the owner, and what waits, through A.
    await until(() => storeB.agents.get(agent.id), (a) => a.ownerWindow === windowA, 'window A as the owner, in window B');
    assert.equal(runtimeB.isRunning(agent.id), false);
    const pending = await runtimeB.pendingPermissions(agent.id);
    assert.deepEqual(pending.map((p) => [p.requestId, p.toolName]), [[request.requestId, 'Write']]);
    // B may not take it over while A answers.
    await assert.rejects(runtimeB.takeOver(agent.id), code('OWNED_BY_OTHER_WINDOW'));

    // Watched from B (an open chat, say): A's agent streams in B's runtime as if it ran there.
    const seen: StoredMessage[] = [];
    const offMessages = runtimeB.onDidReceiveMessage((e) => e.agentId === agent.id && seen.push(e.message));
    const askedInB: PermissionRequest[] = [];
    const offRequests = runtimeB.onDidRequestPermission((e) => e.agentId === agent.id && askedInB.push(e.request));
    const stopWatching = await runtimeB.watch(agent.id);
    assert.deepEqual((await runtimeB.get(agent.id)).pendingPermissions.map((p) => p.requestId), [request.requestId], 'B knows what waits once it watches');
    const turnOver = (after: number) => until(() => storeA.agents.get(agent.id), (a) => a.status === 'waiting' && a.statusReason === 'waiting for your message' && api.requests.length >= after, 'the end of the turn');
    await runtimeB.respondToPermission(agent.id, request.requestId, { behavior: 'allow' });
    await turnOver(2);
    assert.ok(existsSync(file), 'the Write allowed from window B ran');
    await until(() => runtimeB.get(agent.id), (a) => a.pendingPermissions.length === 0, 'nothing waiting any more, as B knows it');
    await assert.rejects(runtimeB.respondToPermission(agent.id, request.requestId, { behavior: 'allow' }), code('NO_PENDING_PERMISSION'));

    const { messageId } = await runtimeB.sendMessage(agent.id, 'and now?');
    assert.ok(messageId);
    // A request made while B watches reaches B as it is made.
    await until(async () => askedInB, (list) => list.some((r) => r.toolName === 'Write' && JSON.stringify(r.input).includes('from-b-again')), 'the second request, in window B');
    const again = askedInB.find((r) => JSON.stringify(r.input).includes('from-b-again'))!;
    await runtimeB.respondToPermission(agent.id, again.requestId, { behavior: 'allow' });
    await turnOver(4);
    assert.ok(existsSync(second));
    await runtimeA.settled(agent.id);
    await until(async () => seen, (s) => s.some((m) => m.role === 'assistant' && m.content === 'the second answer' && m.isComplete), 'the second answer, watched from window B');
    assert.ok(seen.some((m) => m.role === 'user' && m.content === 'and now?'), 'the message sent from window B is in the conversation');
    stopWatching();
    offMessages();
    offRequests();

    await runtimeB.stop(agent.id);
    assert.equal(runtimeA.isRunning(agent.id), false, 'window A stopped it');
    const stopped = await until(() => storeB.agents.get(agent.id), (a) => a.pid === undefined, 'the stop, in window B');
    assert.equal(stopped.statusReason, 'stopped');
    await assert.rejects(runtimeB.interrupt(agent.id), code('NOT_RUNNING'));
    const texts = (await storeA.messages.page(agent.id)).messages.reverse().filter((m) => m.role === 'user').map((m) => m.content);
    assert.deepEqual(texts, ['write the file', 'and now?']);
  });

  it('a chat open in window B follows an agent that window A starts after the chat opened, and stops following when released', async () => {
    const agent = await storeA.agents.create({ worktreeId, name: 'started later', mode: 'regular' });
    await until(() => storeB.agents.get(agent.id).then(() => true, () => false), Boolean, 'the agent, in window B');
    const seen: StoredMessage[] = [];
    const off = runtimeB.onDidReceiveMessage((e) => e.agentId === agent.id && seen.push(e.message));
    // Watched while nobody runs it: nothing to stream yet.
    const stopWatching = await runtimeB.watch(agent.id);
    api.enqueue(textReply('first answer, from window A'), textReply('second answer, not watched'));
    const waiting = (after: number) => until(() => storeA.agents.get(agent.id), (a) => a.status === 'waiting' && a.statusReason === 'waiting for your message' && api.requests.length >= after, 'the end of the turn');
    const asked = api.requests.length;
    await runtimeA.start(agent.id, { initialPrompt: 'begin' });
    await waiting(asked + 1);
    await runtimeA.settled(agent.id);
    await until(async () => seen, (list) => list.some((m) => m.role === 'assistant' && m.content === 'first answer, from window A' && m.isComplete), 'the answer, streamed to window B');
    stopWatching();
    const count = seen.length;
    await runtimeA.sendMessage(agent.id, 'again');
    await waiting(asked + 2);
    await runtimeA.settled(agent.id);
    // Window A's writes reach B's store within its follow interval; anything streamed would have come by then.
    await until(() => storeB.agents.get(agent.id), (a) => a.status === 'waiting' && a.updatedAt >= (seen.at(-1)?.createdAt ?? ''), 'the second turn, in window B');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(seen.length, count, 'released: the second turn is not streamed to window B');
    off();
    await runtimeA.stop(agent.id);
  });

  it('window B sends an image to an agent window A runs: B keeps its file in the store they share, A sends its bytes', async () => {
    const agent = await storeA.agents.create({ worktreeId, name: 'pictured', mode: 'regular' });
    api.enqueue(textReply('send it'), textReply('a small gradient'));
    const waiting = (after: number) => until(() => storeA.agents.get(agent.id), (a) => a.status === 'waiting' && a.statusReason === 'waiting for your message' && api.requests.length >= after, 'the end of the turn');
    await runtimeA.start(agent.id, { initialPrompt: 'wait for a picture' });
    await waiting(api.requests.length + 1);
    await until(() => storeB.agents.get(agent.id), (a) => a.ownerWindow === windowA, 'window A as the owner, in window B');
    const png = makePng(7, 5, { seed: 9 });
    const asked = api.requests.length;
    const { messageId } = await runtimeB.sendMessage(agent.id, 'what is this?', { images: [{ data: png.toString('base64'), name: 'from-b.png' }] });
    await waiting(asked + 1);
    await runtimeA.settled(agent.id);
    const sent = imageBlocks(lastUserBlocks(api.requests.at(-1)));
    assert.equal(sent.length, 1);
    assert.ok(sent[0]!.data.equals(png), 'the bytes window B was given reached the API from window A');
    const message = (await storeA.messages.page(agent.id)).messages.find((m) => m.id === messageId)!;
    assert.deepEqual(message.images?.map((i) => [i.name, i.bytes]), [['from-b.png', png.length]]);
    assert.ok((await runtimeB.images.find(agent.id, message.images![0]!.id)).data.equals(png));
    assert.equal(readdirSync(runtimeA.images.agentDir(agent.id)).length, 1, 'kept once');
    await runtimeA.stop(agent.id);
  });

  it('takes over an agent whose window closed without stopping it: its process is ended and the next turn resumes the same session', async () => {
    // A window whose process is gone (a pid nobody has), left with its agent running.
    const goneWindow = `${hostname()}:${2 ** 22 + 12345}:window-gone`;
    const storeGone = await openStore(storeDir, quiet, { followIntervalMs: 100 });
    const runtimeGone = runtime(storeGone, goneWindow);
    const agent = await storeGone.agents.create({ worktreeId, name: 'left behind', mode: 'regular' });
    api.enqueue(textReply('first turn, in the window that closed'), textReply('resumed in window B'));
    const started = await runtimeGone.start(agent.id, { initialPrompt: 'remember the word tangerine' });
    await until(() => storeGone.agents.get(agent.id), (a) => a.status === 'waiting' && a.statusReason === 'waiting for your message', 'the first turn');
    await runtimeGone.settled(agent.id);
    const oldPid = started.pid!;
    const sessionId = started.sessionId!;
    // The window is gone: it writes nothing more.
    await storeGone.close();

    await until(() => storeB.agents.get(agent.id), (a) => a.ownerWindow === goneWindow && a.pid === oldPid, 'the gone window as the owner, in window B');
    const requestsBefore = api.requests.length;
    const taken = await runtimeB.takeOver(agent.id, { initialPrompt: 'what was the word?' });
    assert.equal(taken.ownerWindow, windowB);
    assert.equal(processIsAlive(oldPid), false, 'the old process was ended');
    await until(() => storeB.agents.get(agent.id), (a) => a.status === 'waiting' && a.statusReason === 'waiting for your message' && api.requests.length > requestsBefore, 'the resumed turn');
    await runtimeB.settled(agent.id);
    assert.equal((await storeB.agents.get(agent.id)).sessionId, sessionId, 'the same session');
    // The CLI resumed the conversation: the new request carries the first turn.
    const sent = JSON.stringify(api.requests.at(-1)?.messages);
    assert.ok(sent.includes('tangerine') && sent.includes('what was the word?'), `the resumed request holds the earlier turn: ${sent.slice(0, 300)}`);
    const page = (await storeB.messages.page(agent.id)).messages.reverse().map((m) => `${m.role}: ${m.content}`);
    assert.ok(page.includes('assistant: resumed in window B'), page.join(' | '));
    await runtimeB.stop(agent.id);
    await runtimeGone.stopAll(200).catch(() => undefined);
  });
});
