import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contractMarkdown, schemaMarkdown } from '../../cli/commands/schema.js';

describe('README', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  it('documents every table column exactly as core/tables.ts defines it', () => {
    const section = /<!-- schema:begin[^>]*-->\n([\s\S]*)<!-- schema:end -->/.exec(readme)?.[1];
    expect(section).toBe(schemaMarkdown());
  });
  it('states the field contract exactly as core/tables.ts declares it', () => {
    const section = /<!-- contract:begin[^>]*-->\n([\s\S]*)<!-- contract:end -->/.exec(readme)?.[1];
    expect(section).toBe(contractMarkdown());
  });
  it('shows the set-up commands', () => {
    for (const c of ['npm ci', 'npm start', 'npm test']) expect(readme).toContain(c);
  });
});
