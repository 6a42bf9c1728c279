// The webviews follow the editor's theme (dark, light, high contrast) only if every colour they
// paint comes from the theme's `--vscode-*` variables: a literal colour would stay the same in
// every theme. This reads the style sheets and the views' sources and refuses any.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const root = join(__dirname, '..', '..');
const COLOUR_PROPERTIES = /^(color|background(-color)?|border(-(top|right|bottom|left))?(-color)?|outline(-color)?|box-shadow|fill|stroke|text-decoration-color|caret-color|accent-color)$/;
/** Values that paint no colour of their own. */
const NEUTRAL = /^(transparent|inherit|currentcolor|none|0|initial|unset)$/i;

/** The colour declarations of a style sheet, with a value that is not only theme variables. */
function offending(css: string): string[] {
  const bad: string[] = [];
  const body = css.replace(/\/\*[\s\S]*?\*\//g, '');
  for (const match of body.matchAll(/([a-z-]+)\s*:\s*([^;{}]+);/g)) {
    const [, property, value] = match as unknown as [string, string, string];
    if (!COLOUR_PROPERTIES.test(property)) continue;
    // What is left once the theme's variables (with their fallbacks) and sizes are taken out.
    let rest = value;
    for (let previous = ''; previous !== rest; ) {
      previous = rest;
      rest = rest.replace(/var\(--vscode-[\w-]+(,[^()]*)?\)/g, '');
    }
    rest = rest.replace(/-?[\d.]+(px|em|rem|%)?/g, '').replace(/\b(solid|dotted|dashed|double|inset)\b/g, '').trim();
    if (rest && !rest.split(/[\s,]+/).every((w) => NEUTRAL.test(w))) bad.push(`${property}: ${value.trim()}`);
  }
  return bad;
}

describe('the webviews\' theme', () => {
  it('paints every colour from the editor theme\'s variables', () => {
    const sheets = readdirSync(join(root, 'media')).filter((f) => f.endsWith('.css'));
    assert.ok(sheets.includes('chat.css') && sheets.includes('overview.css'), sheets.join(', '));
    for (const sheet of sheets) assert.deepEqual(offending(readFileSync(join(root, 'media', sheet), 'utf8')), [], sheet);
  });

  it('would catch a literal colour', () => {
    assert.deepEqual(offending('a { color: #fff; background: var(--vscode-editor-background); border: 1px solid red; outline: 1px solid var(--vscode-focusBorder, transparent); }'), ['color: #fff', 'border: 1px solid red']);
    assert.deepEqual(offending('a { box-shadow: 0 2px 8px var(--vscode-widget-shadow, transparent); color: inherit; }'), []);
  });

  it('sets no colour inline in the views', () => {
    const dir = join(root, 'src', 'webview');
    const sources = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tsx?$/.test(f));
    for (const file of sources) {
      const text = readFileSync(join(dir, file), 'utf8');
      assert.ok(!/(color|background)\s*:\s*['"`]?(#|rgb|hsl|[a-z]+\s*[,}])/i.test(text.replace(/var\(--vscode-[\w-]+\)/g, '')), `${file} sets a colour of its own`);
    }
  });
});
