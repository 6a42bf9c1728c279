/**
 * "Ask the Agent for a Message" (Commit All's button): the agent is asked in its own conversation
 * and its reply's first line becomes the message. The real CLI against the mock API.
 */
import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { AgentRuntime } from '../../src/services/agents/agentRuntime';
import type { Store } from '../../src/services/storage/store';
import { askForCommitMessage, COMMIT_MESSAGE_REQUEST, firstLine } from '../../src/services/workspaces/commitMessage';
import { withCode } from '../helpers/errors';
import { runtimeSuite } from '../helpers/runtimeSuite';
import { lastUserText, type MockAnthropicApi, textReply } from '../mocks/anthropicApi';

describe('firstLine', () => {
  it('takes the first line with something in it, without the quotes or backticks around it', () => {
    assert.equal(firstLine('\n  `Add the login form`\n\nBecause…'), 'Add the login form');
    assert.equal(firstLine('"Fix the build"'), 'Fix the build');
    assert.equal(firstLine('  \n '), undefined);
  });
});

describe('asking an agent for a commit message', { timeout: 120_000 }, () => {
  const suite = runtimeSuite('commit-message');
  let store: Store;
  let api: MockAnthropicApi;
  let runtime: AgentRuntime;
  let worktreeId: string;
  before(() => ({ store, api, runtime, worktreeId } = suite));

  it('asks in the agent\'s conversation and answers with its reply\'s first line', async () => {
    const agent = await store.agents.create({ worktreeId, name: 'writer' });
    api.enqueue(textReply('Edited the readme.'), textReply('`Describe the project in the readme`\n\nIt said nothing before.'));
    const firstTurn = suite.until(agent.id, (a) => a.status === 'waiting', 'the first turn to end');
    await runtime.start(agent.id, { initialPrompt: 'Write a readme' });
    await firstTurn;
    const line = await askForCommitMessage(runtime, agent.id);
    assert.equal(line, 'Describe the project in the readme');
    assert.equal(lastUserText(api.requests.at(-1)), COMMIT_MESSAGE_REQUEST, 'the request went to the CLI as the user\'s message');
    await runtime.settled(agent.id);
    await runtime.stop(agent.id);
  });

  it('refuses while the agent is in a turn, sending nothing', async () => {
    const agent = await store.agents.create({ worktreeId, name: 'busy' });
    api.enqueue(textReply(['slow '.repeat(40)], { chunks: 40, chunkDelayMs: 100 }));
    const running = suite.until(agent.id, (a) => a.status === 'running', 'the turn to start');
    await runtime.start(agent.id, { initialPrompt: 'Take your time' });
    await running;
    const before = api.requests.length;
    await assert.rejects(askForCommitMessage(runtime, agent.id), withCode('ALREADY_RUNNING', /busy is working/));
    assert.equal(api.requests.length, before);
    await runtime.interrupt(agent.id);
    await runtime.settled(agent.id);
    await runtime.stop(agent.id);
  });
});
