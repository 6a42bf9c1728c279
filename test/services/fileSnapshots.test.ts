import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FileSnapshots, MAX_SNAPSHOT_BYTES, toolFilePath } from '../../src/services/agents/fileSnapshots';
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
    const text = join(files, 'a.txt');
    const [edit, big, binary, folder, unknown] = [newId('msg'), newId('msg'), newId('msg'), newId('msg'), newId('msg')];
    await snapshots.capture(agent, edit, 'Write', text, 'before');
    writeFileSync(text, 'written ✓\n');
    await snapshots.capture(agent, edit, 'Write', text, 'after');
    const kept = (await snapshots.get(agent, edit))!;
    assert.equal(kept.before?.state, 'absent');
    assert.deepEqual(kept.after?.state === 'file' && kept.after.content, 'written ✓\n');
    // A second "before" (the file read again when the user allowed the call) replaces the first.
    await snapshots.capture(agent, edit, 'Write', text, 'before');
    assert.equal((await snapshots.get(agent, edit))!.before?.state, 'file');

    writeFileSync(join(files, 'big.txt'), Buffer.alloc(MAX_SNAPSHOT_BYTES + 1, 0x61));
    await snapshots.capture(agent, big, 'Edit', join(files, 'big.txt'), 'before');
    writeFileSync(join(files, 'bin'), Buffer.from([1, 0, 2]));
    await snapshots.capture(agent, binary, 'Edit', join(files, 'bin'), 'before');
    await snapshots.capture(agent, folder, 'Edit', join(files, 'folder'), 'before');
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
    await snapshots.deleteAgent(agent);
    assert.equal((await snapshots.messageIds(agent)).size, 0);
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
