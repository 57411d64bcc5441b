// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.tap/', 'drizzle/', 'bench/results/', 'test/artifacts/', 'static/vendor/', 'data/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // tap queues every subtest and waits for it; an un-awaited t.test() is how tap is written, not a lost promise.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: '@tapjs/test', name: ['test', 'todo', 'skip', 'only'] }] },
      ],
    },
  },
  // Browser scripts and this config are plain JavaScript outside the TypeScript project.
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  { files: ['static/**/*.js'], languageOptions: { globals: { window: 'readonly', document: 'readonly', Chart: 'readonly' } } },
);
