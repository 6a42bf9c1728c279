import * as assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FileSnapshots, MAX_AGENT_SNAPSHOT_BYTES, MAX_SNAPSHOT_BYTES, toolFilePath } from '../../src/services/agents/fileSnapshots';
import { rankPaths } from '../../src/services/agents/pathCompletion';
import { newId } from '../../src/services/ids';
import { suiteTempDir } from '../helpers/storage';

describe('FileSnapshots', () => {
  const root = suiteTempDir('cm-snapshots-');

  it('keeps a file before and after, says why when it cannot, and forgets an agent\'s for good', async () => {
    const snapshots = new FileSnapshots(join(root(), 'kept'));
    const agent = newId('ag');
    const files = join(root(), 'files');
    mkdirSync(join(files, 'folder'), { recursive: true });
    const capture = (id: string, tool: string, path: string, side: 'before' | 'after') => snapshots.capture(agent, id, tool, path, side, files);
    const text = join(files, 'a.txt');
    const [edit, big, binary, folder, unknown] = [newId('msg'), newId('msg'), newId('msg'), newId('msg'), newId('msg')];
    await capture(edit, 'Write', text, 'before');
    writeFileSync(text, 'written ✓\n');
    await capture(edit, 'Write', text, 'after');
    const kept = (await snapshots.get(agent, edit))!;
    assert.equal(kept.before?.state, 'absent');
    assert.deepEqual(kept.after?.state === 'file' && kept.after.content, 'written ✓\n');
    // A second "before" (the file read again when the user allowed the call) replaces the first.
    await capture(edit, 'Write', text, 'before');
    assert.equal((await snapshots.get(agent, edit))!.before?.state, 'file');

    writeFileSync(join(files, 'big.txt'), Buffer.alloc(MAX_SNAPSHOT_BYTES + 1, 0x61));
    await capture(big, 'Edit', join(files, 'big.txt'), 'before');
    writeFileSync(join(files, 'bin'), Buffer.from([1, 0, 2]));
    await capture(binary, 'Edit', join(files, 'bin'), 'before');
    await capture(folder, 'Edit', join(files, 'folder'), 'before');
    const reasons = await Promise.all([big, binary, folder].map(async (id) => {
      const side = (await snapshots.get(agent, id))!.before!;
      return side.state === 'unavailable' ? side.reason : side.state;
    }));
    assert.deepEqual(reasons, ['it is larger than 2 MB', 'it is binary', 'it is not a file']);
    assert.equal(await snapshots.get(agent, unknown), undefined);
    assert.deepEqual([...(await snapshots.messageIds(agent))], [edit], 'only changes kept whole, before and after, are listed');
    await snapshots.remove(agent, big);
    assert.equal(await snapshots.get(agent, big), undefined, 'a denied call\'s copy is forgotten');
    await assert.rejects(snapshots.get('../etc', edit), /is not an agent id/);
    await assert.rejects(snapshots.get(agent, '../../x'), /is not a message id/);
    await assert.rejects(snapshots.capture(agent, '../../x', 'Write', text, 'before', files), /is not a message id/);
    await snapshots.deleteAgent(agent);
    assert.equal((await snapshots.messageIds(agent)).size, 0);
  });

  it('keeps copies only of files inside the agent\'s worktree: a path through a symlink that leaves it is refused, saying why', async () => {
    const kept = join(root(), 'inside-only');
    const snapshots = new FileSnapshots(kept);
    const agent = newId('ag');
    const worktree = join(root(), 'wt');
    const outside = join(root(), 'outside');
    mkdirSync(join(worktree, 'src'), { recursive: true });
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'secret.txt'), 'the secret\n');
    writeFileSync(join(worktree, 'src', 'a.ts'), 'inside\n');
    symlinkSync(outside, join(worktree, 'out')); // a folder link leaving the worktree
    symlinkSync(join(outside, 'secret.txt'), join(worktree, 'secret-link.txt')); // a file link leaving it
    symlinkSync(join(worktree, 'src'), join(worktree, 'src-link')); // a link that stays inside
    symlinkSync(worktree, join(root(), 'wt-link')); // the worktree itself reached through a link
    const refused = [
      join(outside, 'secret.txt'),
      join(worktree, 'out', 'secret.txt'),
      join(worktree, 'secret-link.txt'),
      join(worktree, 'out', 'new.txt'), // absent, but would be made outside
      `${worktree}/src/../out/secret.txt`,
      `${worktree}/src/../../outside/secret.txt`,
    ];
    for (const path of refused) {
      const id = newId('msg');
      await assert.rejects(snapshots.capture(agent, id, 'Edit', path, 'before', worktree), /outside the agent's worktree/, path);
      assert.equal(await snapshots.get(agent, id), undefined, `nothing kept for ${path}`);
    }
    const accepted = [join(worktree, 'src', 'a.ts'), join(worktree, 'src-link', 'a.ts'), join(worktree, 'src', 'new.ts'), join(root(), 'wt-link', 'src', 'a.ts')];
    for (const path of accepted) {
      const id = newId('msg');
      await snapshots.capture(agent, id, 'Edit', path, 'before', worktree);
      assert.ok((await snapshots.get(agent, id))?.before, `kept: ${path}`);
    }
    await snapshots.capture(agent, newId('msg'), 'Edit', join(worktree, 'src', 'a.ts'), 'before', join(root(), 'wt-link'));
    const everything = readdirSync(join(kept, agent)).map((n) => readFileSync(join(kept, agent, n), 'utf8')).join('');
    assert.ok(!everything.includes('the secret'), 'no copy of the file outside the worktree was written');
  });

  it('caps what one agent keeps, dropping the oldest first, and says the copy is gone', async () => {
    const kept = join(root(), 'capped');
    const cap = 20_000;
    const agent = newId('ag');
    const worktree = join(root(), 'capped-wt');
    mkdirSync(worktree, { recursive: true });
    const change = async (snapshots: FileSnapshots, n: number): Promise<string> => {
      const id = newId('msg');
      const file = join(worktree, `f${n}.txt`);
      writeFileSync(file, `${n}`.repeat(3000));
      await snapshots.capture(agent, id, 'Edit', file, 'before', worktree);
      writeFileSync(file, `${n}`.repeat(3100));
      await snapshots.capture(agent, id, 'Edit', file, 'after', worktree);
      return id;
    };
    const onDisk = () => readdirSync(join(kept, agent)).filter((n) => !n.endsWith('.gone.json')).reduce((sum, n) => sum + statSync(join(kept, agent, n)).size, 0);
    let snapshots = new FileSnapshots(kept, { maxAgentBytes: cap });
    const ids: string[] = [];
    for (let n = 1; n <= 5; n++) ids.push(await change(snapshots, n));
    // Each change holds ~6 KB: three fit under 20 KB, so the two oldest went.
    assert.deepEqual([...(await snapshots.messageIds(agent))].sort(), ids.slice(2).sort());
    assert.deepEqual([...(await snapshots.goneIds(agent))].sort(), ids.slice(0, 2).sort());
    assert.ok(onDisk() <= cap, `${onDisk()} bytes kept, at most ${cap}`);
    const gone = (await snapshots.get(agent, ids[0]!))!;
    assert.deepEqual([gone.filePath, gone.toolName, gone.before, gone.after], [join(worktree, 'f1.txt'), 'Edit', undefined, undefined]);
    assert.match(gone.gone ?? '', /dropped/);
    // A running call's "before" counts too; the accounting goes on from the files after a restart.
    snapshots = new FileSnapshots(kept, { maxAgentBytes: cap });
    ids.push(await change(snapshots, 6));
    assert.deepEqual([(await snapshots.get(agent, ids[2]!))?.filePath, (await snapshots.get(agent, ids[2]!))?.toolName], [join(worktree, 'f3.txt'), 'Edit'], 'a change kept before the restart names its file when dropped');
    assert.deepEqual([...(await snapshots.messageIds(agent))].sort(), ids.slice(3).sort());
    assert.ok(onDisk() <= cap, `${onDisk()} bytes kept after a restart, at most ${cap}`);
    // Concurrent captures of one agent are counted once each.
    ids.push(...(await Promise.all([7, 8, 9].map((n) => change(snapshots, n)))));
    assert.ok(onDisk() <= cap, `${onDisk()} bytes kept after concurrent captures, at most ${cap}`);
    assert.equal((await snapshots.messageIds(agent)).size, 3);
    await snapshots.remove(agent, ids[0]!);
    assert.equal(await snapshots.get(agent, ids[0]!), undefined, 'a removed change leaves no mark');
    assert.equal(MAX_AGENT_SNAPSHOT_BYTES, 50 * 1024 * 1024, 'the cap without the option');
  });

  it('writes what it keeps readable by the user only, also into a folder an earlier version made', { skip: process.platform === 'win32' }, async () => {
    const kept = join(root(), 'private');
    const agent = newId('ag');
    mkdirSync(join(kept, agent), { recursive: true });
    chmodSync(kept, 0o755);
    chmodSync(join(kept, agent), 0o755);
    const other = newId('ag');
    const worktree = join(root(), 'private-wt');
    mkdirSync(worktree, { recursive: true });
    writeFileSync(join(worktree, 'a.txt'), 'a'.repeat(10_000));
    const snapshots = new FileSnapshots(kept, { maxAgentBytes: 15_000 });
    for (const id of [agent, other]) {
      for (let i = 0; i < 2; i++) {
        const message = newId('msg');
        await snapshots.capture(id, message, 'Edit', join(worktree, 'a.txt'), 'before', worktree);
      }
    }
    const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
    assert.deepEqual([mode(kept), mode(join(kept, agent)), mode(join(kept, other))], ['700', '700', '700']);
    const files = [agent, other].flatMap((id) => readdirSync(join(kept, id)).map((n) => join(kept, id, n)));
    assert.ok(files.some((f) => f.endsWith('.gone.json')), 'a dropped copy\'s mark is there too');
    assert.deepEqual([...new Set(files.map(mode))], ['600']);
  });

  it('forgets the changes of several agents at once', async () => {
    const kept = join(root(), 'forget');
    const snapshots = new FileSnapshots(kept);
    const worktree = join(root(), 'forget-wt');
    mkdirSync(worktree, { recursive: true });
    const [a, b, c] = [newId('ag'), newId('ag'), newId('ag')];
    for (const id of [a, b, c]) await snapshots.capture(id, newId('msg'), 'Write', join(worktree, 'x.txt'), 'before', worktree);
    await snapshots.deleteAgents([a, b]);
    assert.deepEqual(readdirSync(kept), [c]);
  });

  it('finds the file of a file tool\'s input, relative to the worktree when it is not absolute', () => {
    assert.equal(toolFilePath({ file_path: '/abs/a.ts' }, '/wt'), '/abs/a.ts');
    assert.equal(toolFilePath({ file_path: 'src/a.ts' }, '/wt'), '/wt/src/a.ts');
    assert.equal(toolFilePath({ notebook_path: 'n.ipynb' }, '/wt'), '/wt/n.ipynb');
    assert.equal(toolFilePath({ file_path: '  ' }, '/wt'), undefined);
    assert.equal(toolFilePath({ command: 'ls' }, '/wt'), undefined);
  });
});

describe('rankPaths', () => {
  const paths = ['src/extension/chatPanels.ts', 'src/webview/chat/main.tsx', 'docs/chat.md', 'README.md', 'test/webview/chat.test.ts', 'src/services/agents/agentRuntime.ts', 'media/chat.css'];

  it('puts file names that start with the text first, then names and paths holding it, then its letters in order', () => {
    assert.deepEqual(rankPaths(paths, 'chat'), ['docs/chat.md', 'media/chat.css', 'test/webview/chat.test.ts', 'src/extension/chatPanels.ts', 'src/webview/chat/main.tsx']);
    assert.deepEqual(rankPaths(paths, 'CHAT.MD'), ['docs/chat.md'], 'case does not matter');
    assert.deepEqual(rankPaths(paths, 'agrun'), ['src/services/agents/agentRuntime.ts'], 'letters in order');
    assert.deepEqual(rankPaths(paths, 'zzz'), []);
  });

  it('lists the shallowest paths for an empty text, and no more than asked', () => {
    assert.deepEqual(rankPaths(paths, '', 2), ['README.md', 'docs/chat.md']);
    assert.equal(rankPaths(Array.from({ length: 500 }, (_, i) => `f${i}.ts`), 'f').length, 50);
  });
});
