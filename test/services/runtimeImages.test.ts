/**
 * Images through the runtime, with the real CLI and the mock API: what the user sends reaches the
 * API as image blocks of the user message; what a Read of a PNG returns is kept and referred to
 * by the tool's message; what would be refused is refused before anything is sent.
 */
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { type Agent, AgentRuntime } from '../../src/services/agents/agentRuntime';
import { MAX_IMAGE_BYTES } from '../../src/services/agents/images';
import { ClaudeManagerError } from '../../src/services/errors';
import type { StoredMessage } from '../../src/services/storage/messageStore';
import type { Store } from '../../src/services/storage/store';
import { makeBmp, makePng } from '../helpers/images';
import { runtimeSuite } from '../helpers/runtimeSuite';
import { quiet } from '../helpers/storage';
import { contentText, imageBlocks, lastUserBlocks, type MockAnthropicApi, textReply, toolResults, toolUseReply } from '../mocks/anthropicApi';

describe('images through the runtime (real CLI, mock API)', () => {
  const suite = runtimeSuite('images');
  const { repo, until } = suite;
  let store: Store;
  let api: MockAnthropicApi;
  let runtime: AgentRuntime;
  let worktreeId: string;
  before(() => ({ store, api, runtime, worktreeId } = suite));

  const waitingForMessage = (a: Agent) => a.status === 'waiting' && a.statusReason === 'waiting for your message';
  const files = (agentId: string) => (existsSync(runtime.images.agentDir(agentId)) ? readdirSync(runtime.images.agentDir(agentId)) : []);

  it('sends the user\'s images to the API as image blocks before the text, and keeps them as files the message refers to', async () => {
    const agent = await store.agents.create({ worktreeId, name: 'looker' });
    const first = makePng(8, 6, { seed: 1 });
    const second = makePng(5, 9, { seed: 2 });
    api.enqueue(textReply('Two gradients'));
    const announced: StoredMessage[] = [];
    const off = runtime.onDidReceiveMessage((e) => e.agentId === agent.id && e.message.role === 'user' && announced.push(e.message));
    const turnOver = until(agent.id, waitingForMessage, 'the end of the turn');
    await runtime.sendMessage(agent.id, 'What is in these?', {
      images: [
        { data: first.toString('base64'), mediaType: 'image/png', name: 'first.png' },
        // Named as a JPEG, but its bytes are a PNG's: it goes as the PNG it is.
        { data: second.toString('base64'), mediaType: 'image/jpeg', name: 'second.jpg' },
      ],
    });
    await turnOver;
    await runtime.settled(agent.id);
    off();
    const blocks = lastUserBlocks(api.mainRequests.at(-1)?.body);
    const sent = imageBlocks(blocks);
    assert.deepEqual(sent.map((i) => i.mediaType), ['image/png', 'image/png']);
    assert.ok(sent[0]!.data.equals(first), 'the first image\'s bytes reached the API');
    assert.ok(sent[1]!.data.equals(second), 'the second image\'s bytes reached the API');
    const textAt = blocks.findIndex((b) => b.type === 'text' && b.text?.includes('What is in these?'));
    const lastImageAt = blocks.map((b) => b.type).lastIndexOf('image');
    assert.ok(textAt > lastImageAt && lastImageAt >= 0, `images before the text: ${blocks.map((b) => b.type).join(', ')}`);
    // Stored: the text and references to the two files, never their bytes.
    const user = (await store.messages.page(agent.id)).messages.find((m) => m.role === 'user')!;
    assert.equal(user.content, 'What is in these?');
    assert.deepEqual(user.images?.map((i) => [i.mediaType, i.bytes, i.name]), [['image/png', first.length, 'first.png'], ['image/png', second.length, 'second.jpg']]);
    assert.ok((await runtime.images.find(agent.id, user.images![0]!.id)).data.equals(first));
    assert.ok((await runtime.images.find(agent.id, user.images![1]!.id)).data.equals(second));
    assert.deepEqual(announced.map((m) => m.images?.length), [2], 'announced once, with its images');
    assert.equal(files(agent.id).length, 2);
    await runtime.stop(agent.id);
  });

  it('refuses an image of another type, or too large, naming it and the limit: nothing is sent, stored or started', async () => {
    const agent = await store.agents.create({ worktreeId, name: 'refuser' });
    const asked = api.allRequests.length;
    await assert.rejects(runtime.sendMessage(agent.id, 'Look', { images: [{ data: makeBmp().toString('base64'), mediaType: 'image/bmp', name: 'diagram.bmp' }] }), (e: unknown) => {
      assert.ok(e instanceof ClaudeManagerError && e.code === 'INVALID_INPUT');
      assert.match(e.message, /^"diagram\.bmp" \(image\/bmp\) is not a PNG, JPEG, GIF or WebP image/);
      return true;
    });
    const large = Buffer.concat([makePng(4, 4), Buffer.alloc(MAX_IMAGE_BYTES)]);
    await assert.rejects(runtime.sendMessage(agent.id, 'Look', { images: [{ data: makePng(2, 2).toString('base64'), name: 'fine.png' }, { data: large.toString('base64'), name: 'screenshot.png' }] }), (e: unknown) => {
      assert.ok(e instanceof ClaudeManagerError && e.code === 'INVALID_INPUT');
      assert.match(e.message, /^"screenshot\.png" is 3\.75 MB: an image can be at most 3\.75 MB \(5 MB once encoded, the Messages API's limit\)/);
      return true;
    });
    await runtime.settled(agent.id);
    assert.equal(api.allRequests.length, asked, 'the API heard nothing');
    assert.equal(await store.messages.count(agent.id), 0, 'nothing stored');
    assert.deepEqual(files(agent.id), [], 'no image kept, not even the one that would have passed');
    assert.equal(runtime.isRunning(agent.id), false, 'the agent was not started');
    assert.equal((await runtime.get(agent.id)).statusReason, 'not started');
  });

  it('drops the images of a message that could not be sent', async () => {
    const agent = await store.agents.create({ worktreeId, name: 'unsendable' });
    // A window whose CLI cannot be found: the message is refused after its images were kept.
    const broken = new AgentRuntime({
      store,
      logger: quiet,
      windowId: 'window-images-broken',
      locateCli: async () => {
        throw new ClaudeManagerError('CLI_NOT_FOUND', 'claude is not installed here');
      },
      env: () => process.env,
      imagesDir: runtime.images.dir,
    });
    await assert.rejects(broken.sendMessage(agent.id, 'Look', { images: [{ data: makePng(3, 3).toString('base64'), name: 'kept-then-dropped.png' }] }), (e: unknown) => e instanceof ClaudeManagerError && e.code === 'CLI_NOT_FOUND');
    await broken.settled(agent.id);
    assert.deepEqual(files(agent.id), []);
    await broken.stopAll(0);
  });

  it('keeps the image a Read of a PNG in the worktree returned, as a file the tool\'s message refers to', async () => {
    const picture = makePng(12, 7, { seed: 3 });
    writeFileSync(join(repo.path, 'picture.png'), picture);
    const agent = await store.agents.create({ worktreeId, name: 'reader', permissions: ['read'] });
    api.enqueue(toolUseReply([{ name: 'Read', input: { file_path: join(repo.path, 'picture.png') } }]), textReply('A small gradient'));
    const announced: StoredMessage[] = [];
    const off = runtime.onDidReceiveMessage((e) => e.agentId === agent.id && e.message.kind === 'tool' && e.message.isComplete && announced.push(e.message));
    const turnOver = until(agent.id, waitingForMessage, 'the end of the turn');
    await runtime.sendMessage(agent.id, 'Look at picture.png');
    await turnOver;
    await runtime.settled(agent.id);
    off();
    // The CLI read it and sent it on to the API as the tool's result.
    const result = toolResults(api.mainRequests.at(-1)?.body).at(-1);
    assert.ok(imageBlocks(result?.content)[0]?.data.equals(picture), 'the tool result the API got holds the picture');
    const tool = (await store.messages.page(agent.id)).messages.find((m) => m.kind === 'tool')!;
    assert.equal(tool.toolName, 'Read');
    assert.equal(tool.isComplete, true);
    assert.equal(tool.images?.length, 1, JSON.stringify(tool));
    assert.equal(tool.images![0]!.mediaType, 'image/png');
    assert.equal(tool.images![0]!.bytes, picture.length);
    assert.ok((await runtime.images.find(agent.id, tool.images![0]!.id)).data.equals(picture), 'the kept file is the picture');
    assert.ok(!(tool.toolOutput ?? '').includes(picture.toString('base64').slice(0, 24)), 'no base64 in the output text');
    assert.deepEqual(announced.map((m) => m.images?.[0]?.id), [tool.images![0]!.id], 'the chat hears of it with its image');
    assert.match(contentText(lastUserBlocks(api.mainRequests.at(-2)?.body)), /Look at picture\.png/);
    await runtime.stop(agent.id);
  });
});
