/**
 * A live agent's order of announcements when the CLI's lines arrive in a burst (as a pipe hands
 * over a buffered stream): the lines are those the real CLI wrote (test/fixtures/cli), handed to
 * the agent all at once by a stand-in for its process, which only relays them.
 */
import * as assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseCliLine } from '../../src/services/agents/cliProtocol';
import { type AgentHost, type AgentProcess, LiveAgent } from '../../src/services/agents/liveAgent';
import type { StoredMessage } from '../../src/services/storage/messageStore';
import { quiet } from '../helpers/storage';

const FIXTURES = join(__dirname, '..', 'fixtures', 'cli', '2.1.332');

/** What the host was told, in order. */
function recordingHost(events: string[], emitted: StoredMessage[]): AgentHost {
  return {
    logger: quiet,
    snapshots: undefined,
    setStatus: async (_id, status, reason) => void events.push(`status ${status}: ${reason}`),
    saveMessage: () => undefined,
    emitMessage: (m) => {
      emitted.push({ ...m });
      events.push(`message ${m.id} ${m.isComplete ? 'final' : 'streamed'} ${JSON.stringify(m.content)}`);
    },
    emitPermission: () => undefined,
    agentChanged: async () => undefined,
    recordSession: () => undefined,
    recordContext: () => undefined,
    recordTasks: (_id, tasks) => void events.push(`tasks ${tasks.map((t) => `${t.status}:${t.content}`).join(', ')}`),
    recordUsage: () => undefined,
    limitReported: () => undefined,
    limited: () => undefined,
    writesSettled: async () => undefined,
    processEnded: async () => undefined,
    contextWarningThreshold: () => 80,
  };
}

class RelayProcess extends EventEmitter {
  pid = 1;
  alive = true;
  sendUser(): void {}
  respond(): void {}
  async request(): Promise<unknown> {
    return {};
  }
  async stop(): Promise<never> {
    throw new Error('not used');
  }
}

const cliLines = (scenario: string) =>
  readFileSync(join(FIXTURES, `${scenario}.jsonl`), 'utf8').split('\n').filter(Boolean)
    .map((l) => JSON.parse(l) as { from: string; line: { type: string } })
    .filter((r) => r.from === 'cli' && r.line.type !== 'control_response' && r.line.type !== 'control_request')
    .map((r) => JSON.stringify(r.line));

describe('LiveAgent', () => {
  for (const scenario of ['text', 'read', 'two-turns']) {
    it(`announces a burst of streamed lines once per message, with its latest text, and in the CLI's order (${scenario})`, async () => {
      const events: string[] = [];
      const emitted: StoredMessage[] = [];
      const cli = new RelayProcess();
      const agent = new LiveAgent('ag_1', 'wt_1', 'ws_1', '/fixture/repo', cli as unknown as AgentProcess, recordingHost(events, emitted));
      const lines = cliLines(scenario);
      // Line by line, each in a task of its own: every streamed version is announced.
      const oneByOne: string[] = [];
      {
        const e2: string[] = [];
        const p2 = new RelayProcess();
        new LiveAgent('ag_2', 'wt_1', 'ws_1', '/fixture/repo', p2 as unknown as AgentProcess, recordingHost(e2, []));
        for (const line of lines) {
          p2.emit('line', parseCliLine(line));
          await new Promise((resolve) => setImmediate(resolve));
        }
        oneByOne.push(...e2);
      }
      // All at once, as one read of the pipe would hand them over.
      for (const line of lines) cli.emit('line', parseCliLine(line));
      await agent.settled();
      await new Promise((resolve) => setImmediate(resolve));

      const announced = (list: string[]) => list.filter((e) => e.startsWith('message')).length;
      assert.ok(announced(oneByOne) > announced(events), `${announced(oneByOne)} announcements line by line, ${announced(events)} in a burst`);
      // Each message ends as it ends line by line.
      const last = (list: string[]) => [...new Map(list.filter((e) => e.startsWith('message')).map((e) => [e.split(' ')[1], e.replace(/^message \S+ /, '')])).values()];
      assert.deepEqual(last(events), last(oneByOne));
      // The same statuses, and every message's final version, in the same order as line by line
      // (message ids differ between the two agents: compared by role, kind and content).
      const shape = (list: string[]) => list.filter((e) => e.startsWith('status') || e.includes(' final ')).map((e) => e.replace(/^message \S+ /, 'message '));
      assert.deepEqual(shape(events), shape(oneByOne));
    });
  }
});
