import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AppendLog, readLog } from '../../src/services/storage/appendLog';
import { suiteTempDir } from '../helpers/storage';
import { recordReliability } from '../helpers/reliability';

const writerScript = join(__dirname, '..', 'fixtures', 'logWriter.ts');

interface Rec {
  writer: string;
  n: number;
}

/** Runs the writer child; returns the numbers it reported durable and how it ended. */
function runWriter(
  path: string,
  writer: string,
  options: { count?: number; batch?: number; killAfterFirstMs?: number } = {},
): Promise<{ durable: number[]; code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', writerScript, path, writer, String(options.count ?? 'Infinity'), String(options.batch ?? 1)];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const durable: number[] = [];
    let buffer = '';
    let stderr = '';
    let armed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) durable.push(Number(line.slice('durable '.length)));
      if (!armed && options.killAfterFirstMs !== undefined && durable.length > 0) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), options.killAfterFirstMs);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ durable, code, signal, stderr }));
  });
}

describe('AppendLog', () => {
  const root = suiteTempDir('cm-log-');

  it('appends records that read back in order, with their offsets', async () => {
    const path = join(root(), 'order', 'a.log');
    const log = new AppendLog(path);
    await Promise.all([log.append({ i: 1 }), log.append({ i: 2 }), log.appendMany([{ i: 3 }, { i: 4 }])]);
    await log.append({ i: 5, text: 'ünïcödé ✓' });
    await log.close();
    const read = await readLog<{ i: number }>(path);
    assert.deepEqual(read.entries.map((e) => e.record.i), [1, 2, 3, 4, 5]);
    assert.equal(read.skipped, 0);
    assert.equal(read.next, statSync(path).size);
    // Reading from an entry's offset starts at that entry.
    const third = read.entries[2];
    assert.ok(third);
    const tail = await readLog<{ i: number }>(path, third.offset);
    assert.deepEqual(tail.entries.map((e) => e.record.i), [3, 4, 5]);
    assert.deepEqual((await readLog(path, read.next)).entries, []);
    await assert.rejects(log.append({ i: 6 }), /closed/);
  });

  it('leaves a line still being written for the next read, and skips a torn one', async () => {
    const path = join(root(), 'torn.log');
    writeFileSync(path, '{"i":1}\n{"i":2}\n{"i":');
    const first = await readLog<{ i: number }>(path);
    assert.deepEqual(first.entries.map((e) => e.record.i), [1, 2]);
    assert.equal(first.next, '{"i":1}\n{"i":2}\n'.length, 'the incomplete line is not consumed');
    // The writer died there; a later process appends: its record must not be glued to the torn bytes.
    const log = new AppendLog(path);
    await log.append({ i: 3 });
    await log.close();
    const second = await readLog<{ i: number }>(path, first.next);
    assert.deepEqual(second.entries.map((e) => e.record.i), [3]);
    assert.equal(second.skipped, 1);
  });

  it('reads the same lines whatever the chunk size: lines cut by a chunk, longer than a chunk, empty, torn', async () => {
    const path = join(root(), 'chunks.log');
    const records = Array.from({ length: 60 }, (_, i) => ({ i, text: 'x'.repeat((i * 37) % 300) }));
    const text = `\n${records.map((r, n) => `${JSON.stringify(r)}\n${n % 7 === 0 ? '\n' : ''}`).join('')}{"i":`;
    writeFileSync(path, text);
    const whole = await readLog<{ i: number }>(path);
    assert.deepEqual(whole.entries.map((e) => e.record.i), records.map((r) => r.i));
    assert.equal(whole.next, text.length - '{"i":'.length);
    for (const chunkSize of [1, 7, 64, 301, 4096]) {
      const read = await readLog<{ i: number }>(path, 0, chunkSize);
      assert.deepEqual(read.entries, whole.entries, `chunks of ${chunkSize}`);
      assert.equal(read.next, whole.next, `chunks of ${chunkSize}`);
      const from = whole.entries[10]!.offset;
      assert.deepEqual((await readLog<{ i: number }>(path, from, chunkSize)).entries, whole.entries.slice(10), `from an offset, chunks of ${chunkSize}`);
    }
  });

  it('reads nothing, without failing, from a log that does not exist yet', async () => {
    assert.deepEqual(await readLog(join(root(), 'missing.log')), { entries: [], next: 0, skipped: 0 });
  });

  it('keeps every record of two processes appending to one file at once, each in its own order', async () => {
    const path = join(root(), 'shared.log');
    const [a, b] = await Promise.all([runWriter(path, 'a', { count: 1000, batch: 3 }), runWriter(path, 'b', { count: 1000 })]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const read = await readLog<Rec>(path);
    assert.equal(read.skipped, 0);
    for (const writer of ['a', 'b']) {
      const ns = read.entries.filter((e) => e.record.writer === writer).map((e) => e.record.n);
      assert.deepEqual(ns, Array.from({ length: 1000 }, (_, i) => i), `writer ${writer}`);
    }
    // Interleaved, not one after the other: both really wrote at the same time.
    const writers = read.entries.map((e) => e.record.writer).join('');
    assert.ok(/ab/.test(writers) && /ba/.test(writers), 'the two writers never interleaved');
  });

  it('survives SIGKILL at 50 random moments on a 100k-record log: always reads, keeps every durable record', async () => {
    const path = join(root(), 'crash.log');
    const preload = Array.from({ length: 100_000 }, (_, n) => `${JSON.stringify({ writer: 'preload', n })}\n`).join('');
    writeFileSync(path, preload);
    let kills = 0;
    let tornSoFar = 0;
    for (let run = 0; run < 50; run++) {
      const writer = `run${run}`;
      const result = await runWriter(path, writer, { killAfterFirstMs: Math.floor(Math.random() * 60) });
      if (result.signal === 'SIGKILL') kills++;
      const read = await readLog<Rec>(path);
      // A kill can tear at most the one write it interrupted.
      assert.ok(read.skipped - tornSoFar <= 1, `run ${run} left ${read.skipped - tornSoFar} torn lines`);
      tornSoFar = read.skipped;
      const found = new Set(read.entries.filter((e) => e.record.writer === writer).map((e) => e.record.n));
      const lost = result.durable.filter((n) => !found.has(n));
      assert.deepEqual(lost, [], `run ${run}: records reported durable are missing`);
      assert.ok(result.durable.length > 0, `run ${run} wrote nothing`);
    }
    assert.equal(kills, 50, 'every run must end by SIGKILL, mid-write');
    const final = await readLog<Rec>(path);
    assert.equal(final.entries.filter((e) => e.record.writer === 'preload').length, 100_000);
    recordReliability({ area: 'Kills', what: 'a process appending to a 100k-record message log SIGKILLed mid-write', count: kills, outcome: 'the log read every time; 0 records reported durable were lost', test: 'test/services/appendLog.test.ts' });
  });
});
