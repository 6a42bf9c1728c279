import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { Store } from '../../src/services/storage/store';
import type { WorkspaceService } from '../../src/services/workspaces/workspaceService';
import * as z from 'zod';
import { SETUP_FILE, setupConfigSchema, WorktreeSetup } from '../../src/services/workspaces/worktreeSetup';
import { withCode } from '../helpers/errors';
import { commit, repository } from '../helpers/git';
import { runtimeSuite } from '../helpers/runtimeSuite';
import { workspacesSuite } from '../helpers/workspacesSuite';
import { textReply, toolUseReply } from '../mocks/anthropicApi';

describe('Worktree setup: ports, environment, and what a committed file may do, on real repositories', () => {
  const suite = workspacesSuite('setup');
  let store: Store;
  let service: WorkspaceService;
  let setup: WorktreeSetup;
  before(() => {
    ({ store, service } = suite);
    setup = new WorktreeSetup(store);
  });

  it('gives 20 worktrees blocks of ports that never overlap, and a removed worktree\'s block to the next one', async () => {
    const repo = repository('ports');
    commit(repo, 'setup', { [SETUP_FILE]: JSON.stringify({ ports: { base: 3000, count: 3 } }) });
    const ws = (await service.createWorkspace({ path: repo }))!;
    const made = [];
    for (let i = 0; i < 20; i++) made.push(await service.createWorktree({ workspaceId: ws.id, branch: `w${i}`, newBranch: true }));
    const main = (await service.listWorktrees(ws.id)).find((w) => w.isMain)!;
    const blocks = [];
    for (const wt of [main, ...made]) blocks.push((await setup.ports(await store.worktrees.get(wt.id), await setup.of(ws.id)))!);
    const taken = blocks.flatMap((b) => Array.from({ length: b.count }, (_, i) => b.base + i));
    assert.equal(new Set(taken).size, 21 * 3, 'no port is held twice');
    assert.ok(taken.every((p) => p >= 3000));
    assert.deepEqual(blocks.map((b) => b.base).sort((a, b) => a - b), Array.from({ length: 21 }, (_, i) => 3000 + i * 3), 'the lowest free blocks, in turn');
    // Asked again: the same block.
    assert.deepEqual(await setup.ports(await store.worktrees.get(made[5]!.id), await setup.of(ws.id)), blocks[6]);
    const freed = blocks[4]!;
    await service.deleteWorktree(made[3]!.id, { force: true });
    const next = await service.createWorktree({ workspaceId: ws.id, branch: 'after', newBranch: true });
    assert.deepEqual(await setup.ports(await store.worktrees.get(next.id), await setup.of(ws.id)), freed, 'the removed worktree\'s block is taken again');
    const env = await setup.environment(await store.worktrees.get(next.id));
    assert.deepEqual(env, { PORT: String(freed.base), CLAUDE_MANAGER_PORTS: [freed.base, freed.base + 1, freed.base + 2].join(',') });
  });

  it('applies a committed file\'s environment only once its content is allowed, and asks again when it changes', async () => {
    const repo = repository('allow');
    commit(repo, 'setup', { [SETUP_FILE]: JSON.stringify({ env: { GREETING: 'hello' }, setup: ['npm ci'] }) });
    const ws = (await service.createWorkspace({ path: repo }))!;
    const main = await store.worktrees.get((await service.listWorktrees(ws.id)).find((w) => w.isMain)!.id);
    const first = (await setup.of(ws.id))!;
    assert.equal(first.source, 'file');
    assert.equal(await setup.allowed(ws.id, first), false);
    assert.deepEqual(await setup.environment(main), {}, 'not allowed yet: nothing of it applies');
    await setup.allow(ws.id, first);
    assert.deepEqual(await setup.environment(main), { GREETING: 'hello' });
    writeFileSync(join(repo, SETUP_FILE), JSON.stringify({ env: { GREETING: 'hello', NODE_OPTIONS: '--require ./evil.js' }, setup: ['npm ci'] }));
    const changed = (await setup.of(ws.id))!;
    assert.equal(await setup.allowed(ws.id, changed), false, 'a changed file is asked for again');
    assert.deepEqual(await setup.environment(main), {});
    // Ports alone run nothing: a change to them keeps the file allowed.
    await setup.allow(ws.id, changed);
    writeFileSync(join(repo, SETUP_FILE), JSON.stringify({ env: { GREETING: 'hello', NODE_OPTIONS: '--require ./evil.js' }, setup: ['npm ci'], ports: { base: 4000, count: 1 } }));
    assert.equal(await setup.allowed(ws.id, (await setup.of(ws.id))!), true);
  });

  it('refuses a wrong setup with what is wrong and where, and a stored one needs no allowing', async () => {
    const repo = repository('wrong');
    const ws = (await service.createWorkspace({ path: repo }))!;
    writeFileSync(join(repo, SETUP_FILE), '{ "setup": [');
    await assert.rejects(setup.of(ws.id), withCode('INVALID_INPUT', /\.claude-manager\.json is not valid JSON/));
    writeFileSync(join(repo, SETUP_FILE), JSON.stringify({ ports: { base: 'three thousand', count: 2 } }));
    await assert.rejects(setup.of(ws.id), withCode('INVALID_INPUT', /\.claude-manager\.json: ports\.base: /));
    writeFileSync(join(repo, SETUP_FILE), JSON.stringify({ env: { 'BAD NAME': 'x' } }));
    await assert.rejects(setup.of(ws.id), withCode('INVALID_INPUT', /env\.BAD NAME/));
    writeFileSync(join(repo, SETUP_FILE), JSON.stringify({ commands: ['x'] }));
    await assert.rejects(setup.of(ws.id), withCode('INVALID_INPUT', /commands|Unrecognized key/));
    const other = repository('stored');
    const ws2 = (await service.createWorkspace({ path: other }))!;
    assert.equal(await setup.of(ws2.id), undefined);
    await assert.rejects(setup.save(ws2.id, { ports: { base: 80, count: 1 } }), withCode('INVALID_INPUT', /ports\.base/));
    await setup.save(ws2.id, { env: { MODE: 'dev' } });
    const stored = (await setup.of(ws2.id))!;
    assert.equal(stored.source, 'stored');
    assert.equal(await setup.allowed(ws2.id, stored), true);
  });
});

describe('The JSON schema the editor offers for .claude-manager.json', () => {
  it('is the one the extension checks the file with', () => {
    const file = JSON.parse(readFileSync(join(__dirname, '..', '..', 'media', 'claude-manager.schema.json'), 'utf8')) as Record<string, unknown>;
    const { $schema: _a, title: _b, ...shipped } = file;
    const { $schema: _c, ...checked } = z.toJSONSchema(setupConfigSchema) as Record<string, unknown>;
    assert.deepEqual(shipped, checked, 'media/claude-manager.schema.json is out of date: make it again from setupConfigSchema (z.toJSONSchema)');
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { contributes: { jsonValidation?: { fileMatch: string; url: string }[] } };
    assert.ok(manifest.contributes.jsonValidation?.some((v) => v.fileMatch === SETUP_FILE && v.url === './media/claude-manager.schema.json'), 'package.json contributes the schema');
  });
});

describe('Worktree setup reaching an agent (real CLI, mock API)', () => {
  let setup: WorktreeSetup;
  const suite = runtimeSuite('setup-env', { worktreeEnv: (worktree) => setup.environment(worktree) });
  before(() => {
    setup = new WorktreeSetup(suite.store);
  });

  it('gives the agent its ports and the allowed environment: the mock sees them through a Bash call', async () => {
    const { store, api, runtime, worktreeId, until } = suite;
    const worktree = await store.worktrees.get(worktreeId);
    await setup.save(worktree.workspaceId, { ports: { base: 5100, count: 2 }, env: { GREETING: 'hello' } });
    const agent = await store.agents.create({ worktreeId, name: 'env', permissions: ['read', 'execute'] });
    api.enqueue(toolUseReply([{ name: 'Bash', input: { command: 'echo "port=$PORT ports=$CLAUDE_MANAGER_PORTS greeting=$GREETING"', description: 'Show the environment' } }]));
    api.enqueue(textReply('seen'));
    const done = until(agent.id, (a) => a.status === 'waiting' && a.statusReason === 'waiting for your message', 'the turn');
    await runtime.start(agent.id, { initialPrompt: 'what is the port?' });
    await done;
    const sent = JSON.stringify(api.mainRequests.at(-1)?.body?.messages);
    assert.ok(sent.includes('port=5100 ports=5100,5101 greeting=hello'), sent.slice(-600));
    await runtime.stop(agent.id);
  });
});
