// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

// typescript-eslint's recommended rules, plus the type-aware ones that catch real faults in async server code:
// lost or misused promises, awaiting non-promises, throwing non-errors, stringifying objects by accident.
// (Its no-unsafe-* family is left out: every inject(...).json() in the tests is `any` by design.)
const typeAware = [
  'await-thenable',
  'no-array-delete',
  'no-base-to-string',
  'no-duplicate-type-constituents',
  'no-floating-promises',
  'no-for-in-array',
  'no-implied-eval',
  'no-misused-promises',
  'no-redundant-type-constituents',
  'no-unnecessary-type-assertion',
  'only-throw-error',
  'prefer-promise-reject-errors',
  'restrict-plus-operands',
  'restrict-template-expressions',
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.tap/', 'drizzle/', 'bench/results/', 'test/artifacts/', 'static/vendor/', 'data/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      ...Object.fromEntries(typeAware.map((rule) => [`@typescript-eslint/${rule}`, 'error'])),
      // tap queues every subtest and waits for it; an un-awaited t.test() is how tap is written, not a lost promise.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: '@tapjs/test', name: ['test', 'todo', 'skip', 'only'] }] },
      ],
      // Leaving fields out of a copy by destructuring them into an unused name is deliberate.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true, argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['static/**/*.js'],
    languageOptions: {
      globals: {
        window: 'readonly',
        document: 'readonly',
        Chart: 'readonly',
        URL: 'readonly',
        Blob: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },
  {
    // The kiosk's offline queue: the page and its service worker.
    files: ['static/js/kiosk-*.js'],
    languageOptions: {
      globals: {
        self: 'readonly',
        navigator: 'readonly',
        location: 'readonly',
        history: 'readonly',
        crypto: 'readonly',
        indexedDB: 'readonly',
        fetch: 'readonly',
        caches: 'readonly',
        Response: 'readonly',
        importScripts: 'readonly',
        setInterval: 'readonly',
        KioskQueue: 'readonly',
      },
    },
  },
);
