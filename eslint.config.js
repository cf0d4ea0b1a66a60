import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'cdk.out/', '.tmp/', 'node_modules/', 'data/', 'bench-results/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // core/ is the pure pipeline: no I/O libraries, no environment.
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'http', 'https', 'net', 'child_process', 'worker_threads'], message: 'core/ stays pure: use a port.' },
          { group: ['undici', '@aws-sdk/*', 'parquet-wasm', 'apache-arrow', '@duckdb/*', 'aws-cdk-lib', '@middy/*', '@aws-lambda-powertools/*'], message: 'core/ stays pure: only adapters import libraries.' },
          { group: ['../adapters/*', '../cli/*', '../functions/*', '../simulator/*', '../cdk/*'], message: 'imports point inward.' },
        ],
      }],
      'no-restricted-globals': ['error', { name: 'process', message: 'core/ reads no process state; take it as a parameter.' }],
    },
  },
);
