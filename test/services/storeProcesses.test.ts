import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { newId } from '../../src/services/ids';
import { quiet, suiteTempDir } from '../helpers/storage';
import { openStore } from '../helpers/storeWorker';
import { recordReliability } from '../helpers/reliability';

const writerScript = join(__dirname, '..', 'fixtures', 'storeWriter.ts');

interface Child {
  lines: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function runWriter(args: string[], killAfterFirstMs?: number): Promise<Child> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writerScript, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let buffer = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      lines.push(...parts);
      if (killAfterFirstMs !== undefined && lines.length === parts.length && parts.length > 0) {
        setTimeout(() => child.kill('SIGKILL'), killAfterFirstMs);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ lines, code, signal, stderr }));
  });
}

async function seed(dir: string, agents: number): Promise<string[]> {
  const store = await openStore(dir, quiet);
  const ws = await store.workspaces.create({ path: '/repo' });
  const wt = await store.worktrees.create({ workspaceId: ws.id, name: 'repo', branch: 'main', path: '/repo', isMain: true });
  const ids: string[] = [];
  for (let i = 0; i < agents; i++) ids.push((await store.agents.create({ worktreeId: wt.id })).id);
  await store.close();
  return ids;
}

describe('Store across processes', () => {
  const root = suiteTempDir('cm-store-proc-');

  it('two windows write 1,000+ times each, to one shared agent and their own, and lose nothing', async () => {
    const dir = join(root(), 'pair');
    const [shared, ownA, ownB] = await seed(dir, 3);
    const rounds = 500;
    const [a, b] = await Promise.all([
      runWriter([dir, 'pair', 'a', shared!, ownA!, String(rounds)]),
      runWriter([dir, 'pair', 'b', shared!, ownB!, String(rounds)]),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    // Each wrote a message and a rename per round: 1,200 writes each.
    assert.equal(a.lines.filter((l) => l.startsWith('msg ') || l.startsWith('meta ')).length, 2 * rounds);
    // Each read every message the other wrote to the shared agent.
    assert.ok(a.lines.includes(`saw ${rounds / 2}`), `a: ${a.lines.at(-1)}`);
    assert.ok(b.lines.includes(`saw ${rounds / 2}`), `b: ${b.lines.at(-1)}`);

    const store = await openStore(dir, quiet);
    assert.equal(await store.messages.count(shared!), rounds, 'the shared agent holds both writers\' messages');
    assert.equal(await store.messages.count(ownA!), rounds / 2);
    assert.equal(await store.messages.count(ownB!), rounds / 2);
    // The shared agent's name is whichever rename came last in the journal; both windows agree on it.
    assert.match((await store.agents.get(shared!)).name, /^[ab] \d+$/);
    assert.equal((await store.agents.get(ownA!)).name, `a ${rounds - 1}`);
    assert.equal((await store.agents.get(ownB!)).name, `b ${rounds - 1}`);
    await store.close();
  });

  it('survives SIGKILL at 50 random moments on a store of 100k messages: always opens, keeps every durable write', async () => {
    const dir = join(root(), 'crash');
    const [agent, busy] = await seed(dir, 2);
    // 100k messages already stored, as a long history would leave them.
    mkdirSync(join(dir, 'messages'), { recursive: true });
    const body = 'x'.repeat(400);
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      lines.push(`${JSON.stringify({ m: { id: newId('msg'), agentId: busy, role: 'user', kind: 'text', content: `${i} ${body}`, isComplete: true, createdAt: '2026-01-01T00:00:00Z' } })}\n`);
    }
    writeFileSync(join(dir, 'messages', `${busy}.log`), lines.join(''));

    let kills = 0;
    for (let run = 0; run < 50; run++) {
      const result = await runWriter([dir, 'crash', `run${run}`, agent!], Math.floor(Math.random() * 80));
      if (result.signal === 'SIGKILL') kills++;
      const durableMessages = result.lines.filter((l) => l.startsWith('msg ')).map((l) => l.split(' ')[2] ?? '');
      const durableRenames = result.lines.filter((l) => l.startsWith('meta ')).map((l) => Number(l.split(' ')[2]));
      assert.ok(durableMessages.length > 0, `run ${run} wrote nothing: ${result.stderr}`);

      const store = await openStore(dir, quiet);
      try {
        const newest = await store.messages.page(agent!, { limit: Math.min(500, durableMessages.length + 1) });
        const present = new Set(newest.messages.map((m) => m.id));
        assert.deepEqual(durableMessages.filter((id) => !present.has(id)), [], `run ${run}: durable messages missing`);
        if (durableRenames.length > 0) {
          const name = (await store.agents.get(agent!)).name;
          const match = new RegExp(`^run${run} (\\d+)$`).exec(name);
          assert.ok(match && Number(match[1]) >= Math.max(...durableRenames), `run ${run}: agent name ${name} is older than a durable rename`);
        }
      } finally {
        await store.close();
      }
    }
    assert.equal(kills, 50, 'every run must end by SIGKILL');
    const store = await openStore(dir, quiet);
    assert.equal(await store.messages.count(busy!), 100_000, 'the old history is intact');
    await store.close();
    recordReliability({ area: 'Kills', what: 'a process writing to a store of 100k messages SIGKILLed at a random moment', count: kills, outcome: 'the store opened every time; 0 writes reported durable were lost', test: 'test/services/storeProcesses.test.ts' });
  });
});
