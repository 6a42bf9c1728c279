// Code blocks are highlighted once the highlighter has loaded (src/webview/chat/highlight): plain
// first, the file asked for once, then spans; unknown languages plain; the second file only for
// its languages; a block's highlighting kept, not done again. The files run here from their
// sources (the page's script tags are the UI journey's part), and the first-paint bundle is
// built to show it has no highlighter.
import './dom';
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import hljs from 'highlight.js/lib/core';
import { HIGHLIGHT_FILES, type HighlightFile } from '../../src/webview/chat/highlight/languages';
import { HIGHLIGHT_MAX_CHARS, highlighterGeneration, onHighlighterChange, setScriptLoader } from '../../src/webview/chat/highlight/loader';
import { renderMarkdown } from '../../src/webview/chat/markdown';

const root = join(__dirname, '..', '..');
const SOURCES: Record<HighlightFile, string> = {
  chatHighlight: '../../src/webview/chat/highlight/common.ts',
  chatHighlightMore: '../../src/webview/chat/highlight/more.ts',
};

/** Loads files as the page would, from their sources; records what was asked for. */
function recordingLoader() {
  const asked: HighlightFile[] = [];
  let changes = 0;
  const stop = onHighlighterChange(() => changes++);
  setScriptLoader(async (file) => {
    asked.push(file);
    await import(SOURCES[file]);
  });
  return { asked, changes: () => changes, stop };
}

/** Waits until the highlighter has told its listeners `count` times in all. */
async function generation(count: number): Promise<void> {
  for (let i = 0; i < 200 && highlighterGeneration() < count; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(highlighterGeneration(), count);
}

const spans = (html: string) => [...html.matchAll(/<span class="hljs-([\w-]+)[^"]*">/g)].map((m) => m[1]);

describe('the chat\'s code highlighting', () => {
  it('draws a block plain, loads the highlighter once, then draws it highlighted; an unknown language stays plain', async () => {
    const loader = recordingLoader();
    const text = 'Look:\n\n```ts\nconst answer: number = 42; // why\n```\n\n```nosuchlang\nconst x = 1;\n```\n\n```text\nplain words\n```';
    const first = renderMarkdown(text);
    assert.deepEqual(spans(first), [], 'plain until the highlighter has loaded');
    assert.match(first, /<pre><code>const answer: number = 42; \/\/ why<\/code><\/pre>/);
    // The file is not added to the page while the drawing that asks for it goes on: after it.
    assert.deepEqual(loader.asked, [], 'asked for during the drawing');
    // Drawn again meanwhile (a scroll, a stream): still one load.
    renderMarkdown(text);
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(loader.asked, ['chatHighlight']);
    await generation(1);
    assert.equal(loader.changes(), 1, 'the views were told');
    const second = renderMarkdown(text);
    assert.ok(spans(second).includes('keyword') && spans(second).includes('comment') && spans(second).includes('number'), second);
    assert.match(second, /<code class="hljs"><span class="hljs-keyword">const<\/span>/);
    // The unknown language and the plain text stay as they were, and load nothing more.
    assert.match(second, /<pre><code>const x = 1;<\/code><\/pre>/);
    assert.match(second, /<pre><code>plain words<\/code><\/pre>/);
    assert.deepEqual(loader.asked, ['chatHighlight']);
    // What Copy takes is the text, whatever the spans.
    const template = (globalThis as unknown as { window: Window }).window.document.createElement('template');
    template.innerHTML = second;
    assert.equal(template.content.querySelector('pre')!.textContent, 'const answer: number = 42; // why');
    loader.stop();
  });

  it('loads the second file only for a language of its own, after the first', async () => {
    const loader = recordingLoader();
    const python = renderMarkdown('```python\ndef f():\n    return 1\n```');
    assert.deepEqual(spans(python), []);
    await generation(2);
    assert.ok(spans(renderMarkdown('```python\ndef f():\n    return 1\n```')).includes('keyword'));
    assert.deepEqual(loader.asked, ['chatHighlight'], 'python is in the first file');
    const rust = '```rs\nfn main() { let x = "hi"; }\n```';
    assert.deepEqual(spans(renderMarkdown(rust)), []);
    await generation(3);
    assert.deepEqual(loader.asked, ['chatHighlight', 'chatHighlightMore']);
    assert.ok(spans(renderMarkdown(rust)).includes('string'), renderMarkdown(rust));
    loader.stop();
  });

  it('highlights a block once, however often the conversation is drawn', async () => {
    recordingLoader();
    renderMarkdown('```js\nlet warm = 1;\n```');
    await generation(4);
    const highlighter = globalThis.claudeManagerHighlighter!;
    const calls: string[] = [];
    const original = highlighter.highlight;
    highlighter.highlight = (code, language) => {
      calls.push(code);
      return original(code, language);
    };
    try {
      const block = '```js\nlet shared = 1;\n```';
      // The same block in many messages, each drawn many times, and a message that grows around it as it streams.
      for (let round = 0; round < 5; round++) {
        for (let i = 0; i < 20; i++) renderMarkdown(`Message ${i}\n\n${block}`);
        renderMarkdown(`${block}\n\nstreamed ${'word '.repeat(round)}`);
      }
      assert.deepEqual(calls, ['let shared = 1;']);
      // A block too long is left plain, not highlighted.
      assert.deepEqual(spans(renderMarkdown(`\`\`\`js\n${'let x = 1;\n'.repeat(HIGHLIGHT_MAX_CHARS / 10)}\`\`\``)), []);
    } finally {
      highlighter.highlight = original;
    }
  });

  it('leaves blocks plain for good when the highlighter cannot load', async () => {
    const asked: string[] = [];
    setScriptLoader(async (file) => {
      asked.push(file);
      throw new Error('offline');
    });
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (message: string) => warnings.push(message);
    try {
      const text = '```ts\nconst failed = true;\n```';
      assert.deepEqual(spans(renderMarkdown(text)), []);
      for (let i = 0; i < 100 && !warnings.length; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.deepEqual(warnings, ['Code blocks stay plain: offline']);
      for (let i = 0; i < 10; i++) assert.deepEqual(spans(renderMarkdown(text)), []);
      assert.deepEqual(asked, ['chatHighlight'], 'asked once');
    } finally {
      console.warn = warn;
    }
  });

  it('knows each language by the names highlight.js gives it', () => {
    // (The files ran in the tests above.)
    const listed = Object.values(HIGHLIGHT_FILES).flatMap((languages) => Object.keys(languages));
    assert.deepEqual([...hljs.listLanguages()].sort(), [...listed].sort());
    for (const languages of Object.values(HIGHLIGHT_FILES)) {
      for (const [name, aliases] of Object.entries(languages)) {
        assert.deepEqual([...(hljs.getLanguage(name)?.aliases ?? [])].sort(), [...aliases].sort(), name);
      }
    }
    const highlighter = globalThis.claudeManagerHighlighter!;
    assert.deepEqual(highlighter.languageOf('TypeScript'), { language: 'typescript', file: 'chatHighlight' });
    assert.deepEqual(highlighter.languageOf('golang'), { language: 'go', file: 'chatHighlightMore' });
    assert.equal(highlighter.languageOf('nosuchlang'), undefined);
  });

  it('keeps the highlighter out of the first-paint bundle', async () => {
    const inputs = async (entry: string) => {
      const result = await esbuild.build({ entryPoints: [join(root, entry)], bundle: true, write: false, metafile: true, platform: 'browser', format: 'iife', jsx: 'automatic', jsxImportSource: 'preact', logLevel: 'silent' });
      return Object.keys(result.metafile.inputs);
    };
    const chat = await inputs('src/webview/chat/main.tsx');
    assert.ok(chat.some((f) => f.includes('node_modules/dompurify/')), 'the sanitiser is in it');
    assert.deepEqual(chat.filter((f) => /highlight\.js|highlight\/languages/.test(f)), []);
    const lazy = await inputs('src/webview/chat/highlight/common.ts');
    assert.ok(lazy.some((f) => f.includes('node_modules/highlight.js/')), lazy.join(' '));
  });
});
