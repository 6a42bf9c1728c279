/**
 * What the lazily loaded highlighter files give the chat: `chatHighlight.js` sets
 * `globalThis.claudeManagerHighlighter` when it runs, and `chatHighlightMore.js` adds its
 * languages to it. Types only: the chat's first-paint bundle holds no highlighter, nor the list
 * of languages (languages.ts): which language a block is in is known once the first file ran.
 */
import type { LanguageFn } from 'highlight.js';
import type { HighlightFile } from './languages';

export interface Highlighter {
  /** The language a code fence names (`ts`, `Python`), and the file that brings it; undefined for one the chat does not highlight. */
  languageOf(info: string): { language: string; file: HighlightFile } | undefined;
  /** `code` as HTML: highlight.js's escaped text in `<span class="hljs-…">`s; undefined for a language not registered. */
  highlight(code: string, language: string): string | undefined;
  /** Adds languages by name (the aliases come with each). */
  register(languages: Record<string, LanguageFn>): void;
}

declare global {
  var claudeManagerHighlighter: Highlighter | undefined;
}
