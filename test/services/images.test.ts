// Images of messages under Node: the checks before sending, the CLI's content blocks, a tool
// result's images, the files that keep them, and the messages that refer to them.
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { keepable, MAX_IMAGE_BYTES, MAX_IMAGES_PER_MESSAGE, MAX_MESSAGE_IMAGE_BYTES, prepareImages, sniffImageType, splitImages, userContent } from '../../src/services/agents/images';
import { ClaudeManagerError } from '../../src/services/errors';
import { ImageFiles, IMAGE_TYPES } from '../../src/services/storage/imageFiles';
import { MessageStore, recordId, type StoredMessage } from '../../src/services/storage/messageStore';
import { CHAT_IMAGE_LIMITS } from '../../src/webview/protocol';
import { makeBmp, makePng } from '../helpers/images';

const AGENT = 'ag_0m3k2x9a1b2c3d4e5f6a7b8c';
const temp = mkdtempSync(join(tmpdir(), 'cm-images-'));
after(() => rmSync(temp, { recursive: true, force: true }));

function refused(pattern: RegExp) {
  return (e: unknown) => e instanceof ClaudeManagerError && e.code === 'INVALID_INPUT' && pattern.test(e.message);
}

describe('images the user sends', () => {
  const png = makePng(4, 3);

  it('are read by their bytes: a PNG named as a JPEG goes as the PNG it is', () => {
    const [image] = prepareImages([{ data: png.toString('base64'), mediaType: 'image/jpeg', name: 'shot.jpg' }]);
    assert.equal(image!.mediaType, 'image/png');
    assert.deepEqual(image!.data, png);
    assert.equal(image!.name, 'shot.jpg');
    assert.equal(sniffImageType(Buffer.from([0xff, 0xd8, 0xff, 0xe0])), 'image/jpeg');
    assert.equal(sniffImageType(Buffer.from('GIF89a....', 'latin1')), 'image/gif');
    assert.equal(sniffImageType(Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1')), 'image/webp');
    assert.equal(sniffImageType(makeBmp()), undefined);
  });

  it('go to the CLI as image blocks before the text', () => {
    const images = prepareImages([{ data: png.toString('base64') }, { data: makePng(2, 2, { seed: 1 }).toString('base64') }]);
    const content = userContent('What is in these?', images);
    assert.ok(Array.isArray(content));
    assert.deepEqual(content.map((b) => b.type), ['image', 'image', 'text']);
    assert.deepEqual(content[0], { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png.toString('base64') } });
    assert.deepEqual(content[2], { type: 'text', text: 'What is in these?' });
    assert.equal(userContent('Just text', []), 'Just text', 'a message without images stays a string');
  });

  it('are refused, naming the image and the limit, when of another type, too large, too many, too much in all, or not base64', () => {
    assert.throws(() => prepareImages([{ data: makeBmp().toString('base64'), mediaType: 'image/bmp', name: 'diagram.bmp' }]), refused(/^"diagram\.bmp" \(image\/bmp\) is not a PNG, JPEG, GIF or WebP image/));
    const big = Buffer.concat([png, Buffer.alloc(MAX_IMAGE_BYTES + 1 - png.length)]);
    assert.throws(() => prepareImages([{ data: big.toString('base64'), name: 'huge.png' }]), refused(/^"huge\.png" is 3\.75 MB: an image can be at most 3\.75 MB \(5 MB once encoded, the Messages API's limit\)/));
    const eleven = Array.from({ length: MAX_IMAGES_PER_MESSAGE + 1 }, () => ({ data: png.toString('base64') }));
    assert.throws(() => prepareImages(eleven), refused(/^A message can carry at most 10 images; this one has 11\./));
    const three = Buffer.concat([png, Buffer.alloc(3_900_000 - png.length)]).toString('base64');
    assert.equal(prepareImages([{ data: three }, { data: three }, { data: three }, { data: three }]).length, 4, 'four of 3.9 MB, 14.88 MB in all, pass');
    assert.throws(() => prepareImages([{ data: three }, { data: three }, { data: three }, { data: three }, { data: three }]), refused(/^The images come to 18\.6 MB: a message can carry at most 15 MB of images\./));
    assert.throws(() => prepareImages([{ data: 'not base64!', name: 'x.png' }]), refused(/^"x\.png" is not base64 data/));
    assert.throws(() => prepareImages([{ data: '' }]), refused(/^Image 1 \(?.*is not a PNG, JPEG, GIF or WebP image/), 'nothing is no image');
  });

  it('has the same limits in the chat as in the runtime', () => {
    assert.deepEqual([...CHAT_IMAGE_LIMITS.types].sort(), Object.keys(IMAGE_TYPES).sort());
    assert.equal(CHAT_IMAGE_LIMITS.maxBytes, MAX_IMAGE_BYTES);
    assert.equal(CHAT_IMAGE_LIMITS.maxPerMessage, MAX_IMAGES_PER_MESSAGE);
    assert.equal(CHAT_IMAGE_LIMITS.maxTotalBytes, MAX_MESSAGE_IMAGE_BYTES);
  });
});

describe('images a tool result carries', () => {
  it('are taken out of its content (the text stays), and kept by their bytes', () => {
    const png = makePng(3, 3);
    const content = [
      { type: 'text', text: 'Here it is' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png.toString('base64') } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
    ];
    const { rest, images } = splitImages(content);
    assert.deepEqual(rest, [content[0], content[2]], 'text and what is no base64 image stay in the output');
    assert.deepEqual(images, [{ mediaType: 'image/png', data: png.toString('base64') }]);
    assert.deepEqual(splitImages('plain output'), { rest: 'plain output', images: [] });
    const { keep, skipped } = keepable([...images, { mediaType: 'image/bmp', data: makeBmp().toString('base64') }]);
    assert.equal(skipped, 1);
    assert.deepEqual(keep, [{ mediaType: 'image/png', data: png }]);
  });
});

describe('the files that keep images', () => {
  it('are written whole, the user\'s alone, found by id, and go with the agent\'s messages', async () => {
    const store = join(temp, 'store');
    const files = new ImageFiles(join(store, 'images'));
    const png = makePng(5, 5);
    const [ref] = await files.save(AGENT, [{ mediaType: 'image/png', data: png, name: 'shot.png' }]);
    assert.match(ref!.id, /^img_[0-9a-z]+$/);
    assert.deepEqual({ ...ref, id: 'x' }, { id: 'x', mediaType: 'image/png', bytes: png.length, name: 'shot.png' });
    const path = files.pathOf(AGENT, ref!)!;
    assert.equal(path, join(store, 'images', AGENT, `${ref!.id}.png`));
    assert.deepEqual(readFileSync(path), png);
    if (process.platform !== 'win32') {
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.equal(statSync(join(store, 'images', AGENT)).mode & 0o777, 0o700);
      assert.equal(statSync(join(store, 'images')).mode & 0o777, 0o700);
    }
    assert.deepEqual(await files.find(AGENT, ref!.id), { mediaType: 'image/png', data: png });
    await assert.rejects(files.find(AGENT, 'img_missing'), (e: unknown) => e instanceof ClaudeManagerError && e.code === 'NOT_FOUND');
    assert.equal(files.pathOf(AGENT, { ...ref!, mediaType: 'image/heic' }), undefined, 'a type this version does not know has no file to show');
    // Messages refer to it; deleting the agent's messages deletes its images.
    const messages = new MessageStore(join(store, 'messages'), join(store, 'images'));
    await messages.put({ id: 'msg_1', agentId: AGENT, role: 'user', kind: 'text', content: 'Look', images: [ref!], isComplete: true, createdAt: new Date().toISOString() });
    await messages.deleteAgent(AGENT);
    assert.equal(existsSync(join(store, 'images', AGENT)), false);
    await messages.close();
  });
});

describe('messages that carry images', () => {
  it('keep their references in the log, and messages written before images are read as they were', async () => {
    const dir = join(temp, 'log');
    const store = new MessageStore(dir);
    const at = new Date().toISOString();
    const old: StoredMessage = { id: 'msg_old', agentId: AGENT, role: 'user', kind: 'text', content: 'From before', isComplete: true, createdAt: at };
    const withImage: StoredMessage = { id: 'msg_new', agentId: AGENT, role: 'tool', kind: 'tool', content: 'Read a.png', toolName: 'Read', toolOutput: '', images: [{ id: 'img_1', mediaType: 'image/png', bytes: 70 }], isComplete: true, createdAt: at };
    await store.put(old);
    await store.put(withImage);
    const page = await store.page(AGENT);
    assert.deepEqual(page.messages, [withImage, old]);
    // The image is a reference: the log line holds no bytes, and still ends with its time (the index reads ids in place).
    const lines = readFileSync(join(dir, `${AGENT}.log`), 'utf8').split('\n').filter(Boolean);
    assert.ok(lines[1]!.endsWith(`"createdAt":"${at}"}}`), lines[1]);
    const bytes = Buffer.from(lines[1]!);
    assert.equal(recordId(bytes, 0, bytes.length), 'msg_new');
    await assert.rejects(store.put({ ...withImage, images: [{ id: 'nope', mediaType: 'image/png', bytes: 1 }] }), /images\.0\.id/);
    await store.close();
  });
});
