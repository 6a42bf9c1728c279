// Images in the chat's views, rendered under Node: thumbnails of a message's images, and the
// composer's attachment chips with the checks made before an image is attached.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { h } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { ComposerView } from '../../src/webview/chat/composer';
import { Attachments, toBase64 } from '../../src/webview/chat/images';
import { MessageView, ToolCard } from '../../src/webview/chat/messages';
import { CHAT_IMAGE_LIMITS, type ChatMessage } from '../../src/webview/protocol';
import { makeBmp, makePng } from '../helpers/images';

const base: ChatMessage = { id: 'msg_1', role: 'user', kind: 'text', content: 'What is this?', isComplete: true, createdAt: '2026-11-24T08:00:00Z' };
const SRC = 'https://file+.vscode-resource.vscode-cdn.net/store/images/ag_1/img_1.png';
const noop = () => undefined;

/** The composer's attachments, with what they reported. */
function attachments() {
  const seen = { changes: 0, errors: [] as string[] };
  const model = new Attachments({ change: () => seen.changes++, error: (message) => seen.errors.push(message) });
  return { model, seen };
}

const pngFile = (name: string, seed = 0) => new File([makePng(4, 4, { seed })], name, { type: 'image/png' });

describe('a message\'s images', () => {
  it('shows a user\'s images as thumbnails from their files, before the text', () => {
    const html = renderToString(h(MessageView, { message: { ...base, images: [{ id: 'img_1', mediaType: 'image/png', bytes: 2048, name: 'screen.png', src: SRC }] }, onCopy: noop }));
    assert.match(html, new RegExp(`<img src="${SRC.replace(/[.+]/g, '\\$&')}" alt="screen\\.png" data-testid="message-image"/>`));
    assert.match(html, /aria-label="screen\.png, 2 KB: show larger"/);
    assert.ok(html.indexOf('message-image') < html.indexOf('What is this?'), 'the image comes before the text');
  });

  it('shows a tool result\'s image without unfolding the card', () => {
    const tool: ChatMessage = { ...base, role: 'tool', kind: 'tool', content: 'Read picture.png', toolName: 'Read', toolOutput: '', images: [{ id: 'img_2', mediaType: 'image/png', bytes: 70, src: SRC }] };
    const html = renderToString(h(ToolCard, { message: tool }));
    assert.match(html, /data-testid="message-image"/);
    assert.ok(!html.includes('tool-body'), 'the card stays folded');
    assert.match(html, /alt="Image"/);
  });

  it('says an image is not available when it has no file to show', () => {
    const html = renderToString(h(MessageView, { message: { ...base, images: [{ id: 'img_3', mediaType: 'image/heic', bytes: 5 * 1024 * 1024, name: 'photo.heic' }] }, onCopy: noop }));
    assert.match(html, /data-testid="message-image-missing"[^>]*>photo\.heic \(5 MB\): not available/);
    assert.ok(!html.includes('<img'), html);
  });
});

describe('the composer\'s attachments', () => {
  it('attaches pasted or dropped images as chips, each removable before sending', async () => {
    const { model, seen } = attachments();
    await model.add([pngFile('one.png', 1), pngFile('two.png', 2)]);
    assert.deepEqual(model.items.map((a) => a.name), ['one.png', 'two.png']);
    assert.equal(model.items[0]!.data, makePng(4, 4, { seed: 1 }).toString('base64'));
    const html = renderToString(h(ComposerView, { draft: '', completion: undefined, sending: false, running: false, attachments: model.items, onSubmit: noop, onInput: noop, onBlur: noop, onKeyDown: noop, onAccept: noop, onInterrupt: noop }));
    assert.equal(html.match(/data-testid="attachment"/g)?.length, 2);
    assert.match(html, /<img src="data:image\/png;base64,iVBOR[^"]*" alt\/><span class="attachment-name">one\.png<\/span>/);
    assert.match(html, /<button type="button" class="icon attachment-remove" aria-label="Remove two\.png"/);
    assert.match(html, /placeholder="Say what to do with the images \(Enter sends\)"/);
    // Removed before sending: it is not sent.
    model.remove(model.items[0]!.key);
    assert.deepEqual(model.uploads(), [{ name: 'two.png', mediaType: 'image/png', data: makePng(4, 4, { seed: 2 }).toString('base64') }]);
    model.clear();
    assert.deepEqual(model.uploads(), []);
    assert.equal(seen.changes, 4);
    assert.deepEqual(seen.errors, []);
  });

  it('keeps the chips while the message is on its way, without Remove', async () => {
    const { model } = attachments();
    await model.add([pngFile('shot.png')]);
    const html = renderToString(h(ComposerView, { draft: 'Look', completion: undefined, sending: true, running: false, attachments: model.items, onSubmit: noop, onInput: noop, onBlur: noop, onKeyDown: noop, onAccept: noop, onInterrupt: noop }));
    assert.match(html, /aria-label="Remove shot\.png" title="Remove" disabled/);
  });

  it('refuses, naming the file and the limit, an image of another type, one too large, one too many', async () => {
    const { model, seen } = attachments();
    await model.add([new File([makeBmp()], 'diagram.bmp', { type: 'image/bmp' })]);
    const large = new Uint8Array(CHAT_IMAGE_LIMITS.maxBytes + 1);
    large.set(makePng(2, 2));
    await model.add([new File([large], 'huge.png', { type: 'image/png' })]);
    await model.add(Array.from({ length: CHAT_IMAGE_LIMITS.maxPerMessage + 1 }, (_, i) => pngFile(`p${i}.png`, i)));
    assert.deepEqual(seen.errors, [
      '"diagram.bmp" is not a PNG, JPEG, GIF or WebP image, the types Claude reads. Convert it to one of them first.',
      '"huge.png" is 3.75 MB: an image can be at most 3.75 MB (5 MB once encoded, the Messages API\'s limit). Make it smaller, then attach it again.',
      'A message can carry at most 10 images: "p10.png" was not attached. Send it in another message.',
    ]);
    assert.equal(model.items.length, CHAT_IMAGE_LIMITS.maxPerMessage);
  });

  it('encodes large files as base64 without overflowing', () => {
    const bytes = new Uint8Array(300_000).map((_, i) => (i * 7) % 256);
    assert.equal(toBase64(bytes), Buffer.from(bytes).toString('base64'));
  });
});
