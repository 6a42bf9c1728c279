// Flat config. Besides the usual checks it keeps the layers apart:
// webview → protocol ← extension → services, and only the extension imports `vscode`.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** `import('vscode')` is a run-time import too. */
const noDynamicVscode = {
  selector: "ImportExpression[source.value='vscode']",
  message: 'Only src/extension may use the vscode API at run time.',
};

/** `import { z } from 'zod'` keeps every part of zod in the bundle (+170 KB measured); the namespace import lets esbuild drop what is unused. */
const noNamedZ = {
  selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier[imported.name='z']",
  message: "Import zod as a namespace (import * as z from 'zod'): the named `z` defeats tree-shaking.",
};

/** Packages with one owner each: the database module owns sql.js. */
const ownedPackages = [
  { name: 'sql.js', owner: 'src/services/storage', message: 'Only src/services/storage imports sql.js.' },
];
/** The no-restricted-imports entry for a package (the rule takes no other keys). */
const restrict = ({ name, message }, extra = {}) => ({ name, message, ...extra });

const noVscodeValue = {
  name: 'vscode',
  allowTypeImports: true,
  message: 'Only src/extension may use the vscode API at run time; import types with "import type".',
};

/** What webview code may not import, and `extra` patterns. */
const webviewImports = (...extra) => [
  'error',
  {
    paths: [
      noVscodeValue,
      ...ownedPackages.map((p) => restrict(p)),
      ...builtinModules.map((name) => ({ name, message: 'The webview runs in a browser: no Node modules.' })),
    ],
    patterns: [
      {
        group: ['**/extension/**', '**/services/**', 'node:*'],
        message: 'The webview runs in the browser and talks to the host only through src/webview/protocol.ts.',
      },
      ...extra,
    ],
  },
];

/** The chat's first paint holds no highlighter: only the files it loads on demand import it. */
const noHighlighter = {
  group: ['highlight.js', 'highlight.js/*', '**/highlight/languages'],
  allowTypeImports: true,
  message: 'highlight.js (and its list of languages) is loaded on demand: use src/webview/chat/highlight/loader.ts.',
};

export default tseslint.config(
  {
    ignores: ['dist/**', 'out/**', 'node_modules/**', 'bench/results/**', '.vscode-test/**', 'test-results/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-exports': ['error', { restrictDefaultExports: { direct: true, named: true, defaultFrom: true, namedFrom: true, namespaceFrom: true } }],
    },
  },
  {
    files: ['src/services/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', noDynamicVscode, noNamedZ],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [noVscodeValue, ...ownedPackages.map((p) => restrict(p))],
          patterns: [
            { group: ['**/extension/**', '../extension/*'], message: 'Services never depend on the extension layer.' },
            { group: ['**/webview/**'], message: 'Services never depend on webview code.' },
          ],
        },
      ],
    },
  },
  ...ownedPackages.map((owned) => ({
    files: [`${owned.owner}/**/*.ts`],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [noVscodeValue, ...ownedPackages.filter((p) => p !== owned).map((p) => restrict(p))],
          patterns: [{ group: ['**/extension/**', '**/webview/**'], message: 'Services never depend on the extension or webview layers.' }],
        },
      ],
    },
  })),
  {
    files: ['src/webview/**/*.ts', 'src/webview/**/*.tsx'],
    languageOptions: { globals: globals.browser },
    rules: {
      'no-restricted-syntax': ['error', noDynamicVscode, noNamedZ],
      '@typescript-eslint/no-restricted-imports': webviewImports(noHighlighter),
    },
  },
  {
    // The highlighter's own files, loaded by the chat when it needs them.
    files: ['src/webview/chat/highlight/common.ts', 'src/webview/chat/highlight/more.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': webviewImports() },
  },
  {
    files: ['src/extension/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ownedPackages.map((p) => restrict(p, { allowTypeImports: true })),
          patterns: [
            {
              group: ['**/webview/**', '!**/webview/protocol', '!**/webview/compareProtocol', '!**/webview/overviewProtocol'],
              message: 'The extension reaches webview code only through the protocol files (src/webview/protocol.ts, and the Compare and Overview panels\' compareProtocol.ts and overviewProtocol.ts).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', 'scripts/**', 'test/**'],
    languageOptions: { globals: { ...globals.node } },
  },
);
