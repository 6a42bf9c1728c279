/**
 * The languages the chat highlights, and which lazily loaded file brings each. This table is in
 * the first of them (the first paint has neither): once it ran, a code block whose language is
 * not here stays plain.
 *
 * `chatHighlight` is highlight.js's core with the languages agents write most; `chatHighlightMore`
 * adds the rest to it, and is loaded only when one of them is shown. Each language is listed with
 * the aliases highlight.js gives it (a test keeps the two in step).
 */
export const HIGHLIGHT_FILES = {
  chatHighlight: {
    bash: ['sh', 'zsh'],
    diff: ['patch'],
    javascript: ['js', 'jsx', 'mjs', 'cjs'],
    json: ['jsonc', 'json5'],
    markdown: ['md', 'mkdown', 'mkd'],
    python: ['py', 'gyp', 'ipython'],
    shell: ['console', 'shellsession'],
    typescript: ['ts', 'tsx', 'mts', 'cts'],
    xml: ['html', 'xhtml', 'rss', 'atom', 'xjb', 'xsd', 'xsl', 'plist', 'wsf', 'svg'],
    yaml: ['yml'],
  },
  chatHighlightMore: {
    c: ['h'],
    cpp: ['cc', 'c++', 'h++', 'hpp', 'hh', 'hxx', 'cxx'],
    csharp: ['cs', 'c#'],
    css: [],
    dockerfile: ['docker'],
    go: ['golang'],
    ini: ['toml'],
    java: ['jsp'],
    kotlin: ['kt', 'kts', 'ktm', 'ktx'],
    makefile: ['mk', 'mak', 'make'],
    php: [],
    powershell: ['pwsh', 'ps', 'ps1'],
    ruby: ['rb', 'gemspec', 'podspec', 'thor', 'irb'],
    rust: ['rs'],
    sql: [],
    swift: [],
  },
} as const satisfies Record<string, Record<string, readonly string[]>>;

/** A file of `dist/webview` that brings languages (`<name>.js`). */
export type HighlightFile = keyof typeof HIGHLIGHT_FILES;

const byAlias = new Map<string, { language: string; file: HighlightFile }>();
for (const [file, languages] of Object.entries(HIGHLIGHT_FILES) as [HighlightFile, Record<string, readonly string[]>][]) {
  for (const [language, aliases] of Object.entries(languages)) {
    for (const name of [language, ...aliases]) byAlias.set(name, { language, file });
  }
}

/** The language a code fence names (`ts`, `Python`), and the file that brings it; undefined when the chat does not highlight it. */
export function languageOf(info: string): { language: string; file: HighlightFile } | undefined {
  return byAlias.get(info.toLowerCase());
}
