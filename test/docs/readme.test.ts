import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('shows the set-up commands', () => {
    for (const c of ['npm ci', 'npm start', 'npm test']) expect(readme).toContain(c);
  });
});
