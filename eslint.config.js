// Lint rules: typescript-eslint's recommended set plus the project's boundary rules, generated
// from stages.cjs: a stage folder is entered through its index.ts only (STYLE rule 2), imports
// only the stages the list allows it (rule 3), and holds no module-level mutable state outside
// the files the list names (rule 5).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import stages from './stages.cjs';

const { STAGES, MUTABLE_STATE_FILES, stageNames, forbiddenFor } = stages;

/** One block per stage: deep imports of any stage, and any import of a stage it may not use. */
function stageRules() {
  const deep = (prefix) => ({
    regex: `^${prefix}(${stageNames.join('|')})/(?!index\\.js$).+`,
    message: 'import another stage through its index.js only',
  });
  const blocks = STAGES.map((s) => {
    const forbidden = forbiddenFor(s.name);
    return {
      files: [`agent/src/${s.name}/**/*.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              deep('\\.\\./'),
              {
                regex: `^\\.\\./(${forbidden.join('|')})/`,
                message: `${s.name}/ may import only ${s.imports.join(', ') || 'itself'} (stages.cjs)`,
              },
            ],
          },
        ],
      },
    };
  });
  blocks.push({
    files: ['agent/src/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [deep('\\./')] }] },
  });
  return blocks;
}

/**
 * A module-level container a `const` holds: a Map, Set, WeakMap or WeakSet, or an empty array,
 * not typed read-only (`ReadonlyMap`/`ReadonlySet`/`readonly T[]`). A lookup table is declared
 * read-only; one that is not is a cache or a pool: mutable state whatever its keyword.
 */
const MUTABLE_CONTAINER =
  'VariableDeclaration[kind=const] > VariableDeclarator' +
  ':matches([init.type=NewExpression][init.callee.name=/^(Map|Set|WeakMap|WeakSet)$/], [init.type=ArrayExpression][init.elements.length=0])' +
  ':not([id.typeAnnotation.typeAnnotation.typeName.name=/^Readonly(Map|Set)$/])' +
  ':not([id.typeAnnotation.typeAnnotation.operator=readonly])';

/** The AST shapes of module-level mutable state: a top-level (or exported) `let` or `var`, or a mutable container. */
export const MUTABLE_STATE_SELECTORS = [
  'Program > VariableDeclaration[kind=/^(let|var)$/]',
  'Program > ExportNamedDeclaration > VariableDeclaration[kind=/^(let|var)$/]',
  `Program > ${MUTABLE_CONTAINER}`,
  `Program > ExportNamedDeclaration > ${MUTABLE_CONTAINER}`,
];

/** STYLE rule 5, except in the files stages.cjs lists (each with its reason there). */
function mutableStateRules() {
  return {
    files: ['agent/src/**/*.ts'],
    ignores: MUTABLE_STATE_FILES.map((f) => f.file),
    rules: {
      'no-restricted-syntax': [
        'error',
        ...MUTABLE_STATE_SELECTORS.map((selector) => ({
          selector,
          message: 'no module-level mutable state (STYLE rule 5); stages.cjs lists the exceptions',
        })),
      ],
    },
  };
}

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
  ...stageRules(),
  mutableStateRules(),
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
