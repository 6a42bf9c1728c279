import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Limiter } from '../../src/services/limiter';

describe('Limiter', () => {
  it('runs at most max tasks at once, in order, and passes on results and failures', async () => {
    const limiter = new Limiter(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const task = (i: number) =>
      limiter.run(async () => {
        started.push(i);
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        if (i === 3) throw new Error('task 3 failed');
        return i * 10;
      });
    const results = await Promise.allSettled([0, 1, 2, 3, 4, 5].map(task));
    assert.equal(peak, 2);
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)), [0, 10, 20, 'task 3 failed', 40, 50]);
  });

  it('starts one task per turn of the event loop, so starts never pile up in one tick', async () => {
    const limiter = new Limiter(8);
    const turns: number[] = [];
    let turn = 0;
    const ticker = setInterval(() => turn++, 0);
    // A macrotask boundary between starts shows as distinct immediates: count them with a probe.
    let immediates = 0;
    const probe = () => {
      immediates++;
      if (immediates < 1000) setImmediate(probe);
    };
    setImmediate(probe);
    await Promise.all(Array.from({ length: 8 }, () => limiter.run(async () => void turns.push(immediates))));
    clearInterval(ticker);
    assert.equal(new Set(turns).size, 8, `starts shared a turn: ${turns.join(',')}`);
    assert.throws(() => new Limiter(0), RangeError);
  });
});
