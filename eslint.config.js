// Lint rules: typescript-eslint's recommended set plus the project's boundary rule:
// a stage folder is entered through its index.ts only (STYLE rule 2).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'var/**', 'build/**', 'bin/**', '.bench/**', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      'no-console': ['error'],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['agent/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(config|sip|siprec|tap|session|media|recorder|vault|index|retention|api|metrics|cli)/(?!index\\.js$).+',
              message: 'import another stage through its index.js only',
            },
          ],
        },
      ],
    },
  },
  {
    // The web console runs in the browser: plain ES modules with the page's globals.
    files: ['agent/console/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'fetch',
          'URL',
          'URLSearchParams',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'clearInterval',
          'HashChangeEvent',
          'Node',
          'AudioContext',
          'WebSocket',
          'ReadableStream',
          'TextDecoder',
          'AbortController',
          'performance',
        ].map((g) => [g, 'readonly']),
      ),
    },
  },
  {
    files: ['test/**/*.ts', 'scripts/**/*.ts', 'agent/src/cli/**/*.ts', 'agent/src/main.ts'],
    rules: { 'no-console': 'off' },
  },
);
