// The entry of dist/webview/chatHighlight.js, loaded by the chat the first time it shows a code
// block in a language it highlights: highlight.js's core, with the languages agents write most.
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import diff from 'highlight.js/lib/languages/diff';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import shell from 'highlight.js/lib/languages/shell';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import type { Highlighter } from './contract';
import { languageOf } from './languages';

const highlighter: Highlighter = {
  languageOf,
  highlight(code, language) {
    if (!hljs.getLanguage(language)) return undefined;
    // Code an agent wrote need not be valid: highlight what can be, never throw.
    return hljs.highlight(code, { language, ignoreIllegals: true }).value;
  },
  register(languages) {
    for (const [name, language] of Object.entries(languages)) hljs.registerLanguage(name, language);
  },
};
highlighter.register({ bash, diff, javascript, json, markdown, python, shell, typescript, xml, yaml });
globalThis.claudeManagerHighlighter = highlighter;
