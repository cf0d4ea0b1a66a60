import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'cdk.out/', '.tmp/', 'node_modules/', 'data/', 'bench-results/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // With verbatimModuleSyntax, `import { type X }` still loads the module: `import type` does not.
      '@typescript-eslint/no-import-type-side-effects': 'error',
    },
  },
  {
    // Rules that need the type checker: the TypeScript project's own files (tsconfig.json).
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/await-thenable': 'error',
      // Not require-await: an async function without await here implements a Promise-returning
      // port (in-memory fakes, fs reads that must reject rather than throw), which is intended.
    },
  },
  {
    // core/ is the pure pipeline: no I/O libraries, no environment.
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'http', 'https', 'net', 'child_process', 'worker_threads'],
              message: 'core/ stays pure: use a port.',
            },
            {
              group: [
                'undici',
                '@aws-sdk/*',
                'parquet-wasm',
                'apache-arrow',
                '@duckdb/*',
                'aws-cdk-lib',
                '@middy/*',
                '@aws-lambda-powertools/*',
              ],
              message: 'core/ stays pure: only adapters import libraries.',
            },
            { group: ['../adapters/*', '../cli/*', '../functions/*', '../simulator/*', '../cdk/*'], message: 'imports point inward.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'core/ reads no process state; take it as a parameter.' }],
    },
  },
);
