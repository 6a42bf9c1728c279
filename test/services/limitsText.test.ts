import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { limitLine, localReset } from '../../src/services/usage/limitsText';

describe('Plan limits as the status bar says them', () => {
  const now = new Date(2031, 4, 6, 9, 30);
  it('names the window and its state, the share used and the reset in local time', () => {
    const reset = new Date(2031, 4, 6, 14, 5).toISOString();
    assert.equal(limitLine({ type: 'five_hour', status: 'allowed_warning', utilization: 0.854, resetsAt: reset, reportedAt: now.toISOString() }, now), '5-hour: near the limit, 85% used, resets 14:05');
    assert.equal(limitLine({ type: 'seven_day', status: 'rejected', reportedAt: now.toISOString() }, now), '7-day: limit reached');
    assert.equal(limitLine({ type: 'some_new_window', status: 'some_new_state', reportedAt: now.toISOString() }, now), 'some_new_window: some_new_state', 'what it does not know, as the CLI said it');
  });
  it('says the day of a reset that is not today', () => {
    assert.equal(localReset(new Date(2031, 4, 8, 7, 0).toISOString(), now), 'Thu, May 8 07:00');
  });
});
