import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dropOnto, orderAgents } from '../../src/services/workspaces/order';

type Status = 'running' | 'waiting' | 'error' | 'finished';
const agent = (id: string, name: string, status: Status, displayOrder: number, asking = false) => ({ id, name, status, displayOrder, pendingPermissions: asking ? [{}] : [] });

describe('orderAgents', () => {
  const agents = [
    agent('a', 'Agent 10', 'finished', 0),
    agent('b', 'agent 2', 'running', 1),
    agent('c', 'Bravo', 'waiting', 2),
    agent('d', 'Alpha', 'waiting', 3, true),
    agent('e', 'Echo', 'error', 4),
  ];
  it('keeps the arranged order in free mode', () => {
    assert.deepEqual(orderAgents([...agents].reverse(), 'free').map((a) => a.id), ['a', 'b', 'c', 'd', 'e']);
  });
  it('puts permission requests, then replies awaited, then running, errors and the idle in status mode', () => {
    assert.deepEqual(orderAgents(agents, 'status').map((a) => a.id), ['d', 'c', 'b', 'e', 'a']);
  });
  it('sorts names without case and with numbers as numbers in name mode', () => {
    assert.deepEqual(orderAgents(agents, 'name').map((a) => a.name), ['agent 2', 'Agent 10', 'Alpha', 'Bravo', 'Echo']);
  });
});

describe('dropOnto', () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  it('moves a row dragged down to just after its target', () => {
    assert.deepEqual(dropOnto(ids, ['b'], 'd'), ['a', 'c', 'd', 'b', 'e']);
  });
  it('moves a row dragged up to just before its target', () => {
    assert.deepEqual(dropOnto(ids, ['d'], 'b'), ['a', 'd', 'b', 'c', 'e']);
  });
  it('moves several rows together, in their current order', () => {
    assert.deepEqual(dropOnto(ids, ['e', 'a'], 'c'), ['b', 'c', 'a', 'e', 'd']);
  });
  it('puts rows last when dropped on no row', () => {
    assert.deepEqual(dropOnto(ids, ['a'], undefined), ['b', 'c', 'd', 'e', 'a']);
  });
  it('changes nothing when dropped onto a moved row or when nothing it knows moves', () => {
    assert.deepEqual(dropOnto(ids, ['b', 'c'], 'c'), ids);
    assert.deepEqual(dropOnto(ids, ['x'], 'c'), ids);
  });
});
