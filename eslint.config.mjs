// Flat config. Besides the usual checks it keeps the layers apart:
// webview → protocol ← extension → services, and only the extension imports `vscode`.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const noVscodeValue = {
  name: 'vscode',
  allowTypeImports: true,
  message: 'Only src/extension may use the vscode API at run time; import types with "import type".',
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
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [noVscodeValue],
          patterns: [
            { group: ['**/extension/**', '../extension/*'], message: 'Services never depend on the extension layer.' },
            { group: ['**/webview/**'], message: 'Services never depend on webview code.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/webview/**/*.ts', 'src/webview/**/*.tsx'],
    languageOptions: { globals: globals.browser },
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [noVscodeValue],
          patterns: [
            {
              group: ['**/extension/**', '**/services/**', 'node:*'],
              message: 'The webview runs in the browser and talks to the host only through src/webview/protocol.ts.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/extension/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/webview/**', '!**/webview/protocol'],
              message: 'The extension reaches webview code only through src/webview/protocol.ts.',
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
