import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The rules that need type information (floating and misused promises, await of a non-thenable,
// exhaustive switches) run in oxlint with TypeScript's diagnostics: .oxlintrc.json.
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
