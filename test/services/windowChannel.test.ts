/**
 * The channel between windows: real sockets in a temp folder, a server and clients as two
 * windows would make them.
 */
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as z from 'zod';
import { ClaudeManagerError } from '../../src/services/errors';
import { ChannelClient, type ChannelMethod, ChannelServer, channelAddress, channelMethod, MAX_LINE_BYTES, socketFolder, storeSecret } from '../../src/services/windows/windowChannel';
import { quiet } from '../helpers/storage';

const root = mkdtempSync(join(tmpdir(), 'cm-channel-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A server with an echo, a failing method and a subscription, on a fresh address. */
async function serve(secret: string) {
  const folder = await socketFolder({ XDG_RUNTIME_DIR: root });
  const address = channelAddress(folder, join(root, 'store'), `window-${++n}`);
  let closedSubscriptions = 0;
  const methods: Record<string, ChannelMethod> = {
    echo: channelMethod(z.object({ text: z.string().max(10) }), async (p) => ({ echoed: p.text })),
    refuse: channelMethod(z.object({}), async () => {
      throw new ClaudeManagerError('NO_PENDING_PERMISSION', 'Nothing waits.');
    }),
    subscribe: channelMethod(z.object({ count: z.number().int().max(5) }), async (p, connection) => {
      for (let i = 0; i < p.count; i++) setTimeout(() => connection.push('tick', { i }), 5 * i);
      connection.onClose(() => closedSubscriptions++);
      return 'subscribed';
    }),
  };
  const server = await ChannelServer.start({ address, secret, methods, logger: quiet });
  return { server, address, closed: () => closedSubscriptions };
}

describe('the channel between windows', () => {
  it('keeps its secret and sockets where only the user can reach them', async () => {
    const store = join(root, 'secret-store');
    mkdirSync(store, { recursive: true });
    const [a, b] = await Promise.all([storeSecret(store), storeSecret(store)]);
    assert.equal(a, b, 'two windows starting at once read one secret');
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.equal(statSync(join(store, 'window-secret')).mode & 0o777, 0o600);
    const { server, address } = await serve(a);
    assert.equal(statSync(join(address, '..')).mode & 0o777, 0o700);
    assert.equal(statSync(address).mode & 0o777, 0o600);
    await server.close();
    assert.ok(!existsSync(address), 'the socket is removed when the window closes it');
  });

  it('answers a request, passes an error on with its code, and refuses parameters of the wrong shape', async () => {
    const { server, address } = await serve('s'.repeat(64));
    const client = await ChannelClient.connect(address, 's'.repeat(64));
    try {
      assert.deepEqual(await client.call('echo', { text: 'hi' }), { echoed: 'hi' });
      await assert.rejects(client.call('refuse', {}), (e: unknown) => e instanceof ClaudeManagerError && e.code === 'NO_PENDING_PERMISSION' && e.message === 'Nothing waits.');
      await assert.rejects(client.call('echo', { text: 'far too long a text' }), (e: unknown) => e instanceof ClaudeManagerError && e.code === 'INVALID_INPUT' && /"echo" was asked with parameters of the wrong shape: text/.test(e.message));
      await assert.rejects(client.call('nothing', {}), /does not serve "nothing"/);
      // Concurrent calls each get their own answer.
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => client.call('echo', { text: String(i) })));
      assert.deepEqual(answers, Array.from({ length: 20 }, (_, i) => ({ echoed: String(i) })));
    } finally {
      client.close();
      await server.close();
    }
  });

  it('refuses a caller without the store\'s secret, and one that sends what is not a request', async () => {
    const { server, address } = await serve('a'.repeat(64));
    const stranger = await ChannelClient.connect(address, 'b'.repeat(64));
    await assert.rejects(stranger.call('echo', { text: 'x' }), /does not carry this store's secret/);
    const garbage = createConnection(address);
    const ended = new Promise<void>((resolve) => garbage.on('close', () => resolve()));
    garbage.write('this is not json\n');
    await ended;
    const flood = createConnection(address);
    const floodEnded = new Promise<void>((resolve) => flood.on('close', () => resolve()));
    flood.on('error', () => undefined);
    flood.write(Buffer.alloc(MAX_LINE_BYTES + 10, 0x61));
    flood.write('\n');
    await floodEnded;
    // The server still serves the user's own windows.
    const friend = await ChannelClient.connect(address, 'a'.repeat(64));
    assert.deepEqual(await friend.call('echo', { text: 'ok' }), { echoed: 'ok' });
    friend.close();
    await server.close();
  });

  it('pushes events to a subscriber and tells the method when the subscriber goes', async () => {
    const served = await serve('c'.repeat(64));
    const client = await ChannelClient.connect(served.address, 'c'.repeat(64));
    const ticks: number[] = [];
    const all = new Promise<void>((resolve) => client.on('event', (event: string, data: { i: number }) => {
      if (event === 'tick') ticks.push(data.i);
      if (ticks.length === 3) resolve();
    }));
    assert.equal(await client.call('subscribe', { count: 3 }), 'subscribed');
    await all;
    assert.deepEqual(ticks, [0, 1, 2]);
    client.close();
    for (let i = 0; i < 100 && served.closed() === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(served.closed(), 1);
    await served.server.close();
  });

  it('says the other window cannot be reached when nobody listens, and replaces a socket left by a window that died', async () => {
    const folder = await socketFolder({ XDG_RUNTIME_DIR: root });
    const address = channelAddress(folder, join(root, 'store'), 'a window that died');
    await assert.rejects(ChannelClient.connect(address, 'x'), (e: unknown) => e instanceof ClaudeManagerError && e.code === 'OWNED_BY_OTHER_WINDOW' && /cannot be reached/.test(e.message));
    writeFileSync(address, 'left behind');
    const hang = channelMethod(z.object({}), () => new Promise(() => undefined));
    const server = await ChannelServer.start({ address, secret: 'd'.repeat(64), methods: { hang }, logger: quiet });
    await assert.rejects(ChannelServer.start({ address, secret: 'd'.repeat(64), methods: {}, logger: quiet }), /Another window listens/);
    const client = await ChannelClient.connect(address, 'd'.repeat(64));
    const lost = client.call('hang', {}, 60_000);
    const refused = assert.rejects(lost, (e: unknown) => e instanceof ClaudeManagerError && e.code === 'OWNED_BY_OTHER_WINDOW');
    await server.close();
    await refused;
  });
});
