#!/usr/bin/env node
// Benchmarks only: a stand-in for `claude -p --input-format stream-json ...` that answers the
// initialize request and, on the first user message, writes a stream recorded from the real CLI
// (CM_REPLAY_FILE), CM_REPLAY_REPEAT times, then exits. CM_REPLAY_LINES_PER_TICK lines every
// CM_REPLAY_TICK_MS (default: everything at once). Session and API message ids are made this
// process's own, so that agents replaying one recording do not share them.
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';

const recorded = readFileSync(process.env.CM_REPLAY_FILE, 'utf8').split('\n').filter(Boolean);
const repeat = Number(process.env.CM_REPLAY_REPEAT ?? 1);
const perTick = Number(process.env.CM_REPLAY_LINES_PER_TICK ?? 0);
const tickMs = Number(process.env.CM_REPLAY_TICK_MS ?? 10);
const recordedSession = JSON.parse(recorded.find((l) => l.includes('"subtype":"init"'))).session_id;
const session = randomUUID();

function linesOf(round) {
  return recorded.map((l) => l.replaceAll(recordedSession, session).replaceAll('msg_mock_', `msg_replay_${process.pid}_${round}_`));
}

async function replay() {
  for (let round = 0; round < repeat; round++) {
    const lines = linesOf(round);
    if (!perTick) {
      await new Promise((resolve) => process.stdout.write(`${lines.join('\n')}\n`, resolve));
      continue;
    }
    for (let i = 0; i < lines.length; i += perTick) {
      process.stdout.write(`${lines.slice(i, i + perTick).join('\n')}\n`);
      await new Promise((resolve) => setTimeout(resolve, tickMs));
    }
  }
  process.exit(0);
}

let started = false;
createInterface({ input: process.stdin }).on('line', (text) => {
  const message = JSON.parse(text);
  if (message.type === 'control_request') {
    process.stdout.write(`${JSON.stringify({ type: 'control_response', response: { subtype: 'success', request_id: message.request_id, response: {} } })}\n`);
  } else if (message.type === 'user' && !started) {
    started = true;
    void replay();
  }
});
