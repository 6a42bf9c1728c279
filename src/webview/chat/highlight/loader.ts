/**
 * Highlighting of code blocks, loaded on demand. The chat's first paint has no highlighter: the
 * first code block with a language draws plain and asks for `chatHighlight.js` (a script of
 * `dist/webview`, added with the page's nonce), which knows the languages (languages.ts) and
 * brings the common ones; a block in one of the others asks for `chatHighlightMore.js` in turn.
 * When a file has run, every view that drew Markdown is told (`onHighlighterChange`) and draws
 * again, highlighted. A block's highlighted HTML is kept by its language and text, so a long
 * conversation drawn again (a scroll, a streamed message growing) highlights only what is new.
 */
import type { HighlightFile } from './languages';

/** Longer blocks stay plain: highlighting takes time in proportion to the length. */
export const HIGHLIGHT_MAX_CHARS = 50_000;
/** Fences that say the block is not code: they load nothing. */
const PLAIN = /^(te?xt|plain(text)?|output|log)$/i;
const CACHE_MAX = 500;

/** Runs a file of `dist/webview` (`<file>.js`); settles when it has run or failed to. */
export type ScriptLoader = (file: HighlightFile) => Promise<void>;

// The chat's own script, read while it runs: the files are beside it, and take its nonce.
const ownScript = typeof document === 'undefined' ? null : (document.currentScript as HTMLScriptElement | null);

/** Adds `<file>.js` from beside the chat's own script, with its nonce (the page's CSP runs no other). */
export const loadScript: ScriptLoader = (file) =>
  new Promise((resolve, reject) => {
    if (!ownScript?.src) throw new Error(`Cannot load ${file}.js: the chat's own script is not known.`);
    const script = document.createElement('script');
    script.nonce = ownScript.nonce ?? '';
    script.src = new URL(`${file}.js`, ownScript.src).href;
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`Could not load ${script.src}.`));
    document.head.appendChild(script);
  });

let loader = loadScript;
/** Each file's load, from its first request on; a failed one is not asked for again. */
const loads = new Map<HighlightFile, Promise<void>>();
const ready = new Set<HighlightFile>();
const failed = new Set<HighlightFile>();
const highlighted = new Map<string, string>();
const listeners = new Set<() => void>();
let generation = 0;
let missed = false;

/** Replaces how files are loaded (tests), and forgets what was loaded. */
export function setScriptLoader(next: ScriptLoader): void {
  loader = next;
  loads.clear();
  ready.clear();
  failed.clear();
  highlighted.clear();
}

/** Counts the files that have run: a drawing made at an older count may lack highlighting. */
export function highlighterGeneration(): number {
  return generation;
}

/** Calls `listener` each time a file has run (code blocks drawn plain can now be highlighted); returns how to stop. */
export function onHighlighterChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Whether a code block drawn since the last call was left plain only because its file is still loading (that drawing is not final); resets. */
export function takeMissed(): boolean {
  const was = missed;
  missed = false;
  return was;
}

/**
 * Settles once the frame being drawn has been painted: a load asked for while the chat draws its
 * first page starts after that page is on screen (adding a script to the page costs the drawing
 * that asks for it several milliseconds, and the blocks are drawn plain meanwhile anyway). A page
 * that draws no frames (hidden, or no DOM) waits for the current task alone.
 */
function afterPaint(): Promise<void> {
  return new Promise((resolve) => {
    const hidden = typeof document === 'undefined' || document.visibilityState === 'hidden';
    if (hidden || typeof requestAnimationFrame !== 'function') setTimeout(resolve, 0);
    else requestAnimationFrame(() => setTimeout(resolve, 0));
  });
}

function load(file: HighlightFile): void {
  if (loads.has(file)) return;
  const run = async () => {
    await afterPaint();
    // The second file adds its languages to the first one's highlighter.
    if (file !== 'chatHighlight' && !ready.has('chatHighlight')) throw new Error(`${file}.js needs chatHighlight.js, which did not load.`);
    await loader(file);
    if (!globalThis.claudeManagerHighlighter) throw new Error(`${file}.js ran but gave no highlighter.`);
    ready.add(file);
    generation++;
    for (const listener of [...listeners]) listener();
  };
  loads.set(
    file,
    run().catch((error: unknown) => {
      // Its code blocks stay plain, as drawn.
      failed.add(file);
      console.warn(`Code blocks stay plain: ${error instanceof Error ? error.message : String(error)}`);
    }),
  );
}

/**
 * `code` highlighted as `info` (a code fence's language) says, as HTML; undefined for plain
 * text: a language the chat does not highlight, a block too long, or a file not loaded yet (whose
 * load this starts).
 */
export function highlightCode(code: string, info: string): string | undefined {
  if (code.length > HIGHLIGHT_MAX_CHARS || PLAIN.test(info)) return undefined;
  const highlighter = ready.has('chatHighlight') ? globalThis.claudeManagerHighlighter : undefined;
  const found = highlighter?.languageOf(info);
  if (highlighter && !found) return undefined;
  const file = found?.file ?? 'chatHighlight';
  if (failed.has(file)) return undefined;
  if (!ready.has(file)) {
    load(file);
    // This drawing is not final: the file is on its way.
    missed = true;
    return undefined;
  }
  const key = `${found!.language}\u0000${code}`;
  let html = highlighted.get(key);
  if (html === undefined) {
    html = highlighter!.highlight(code, found!.language);
    if (html === undefined) return undefined;
    if (highlighted.size >= CACHE_MAX) highlighted.delete(highlighted.keys().next().value!);
  } else highlighted.delete(key);
  highlighted.set(key, html);
  return html;
}
