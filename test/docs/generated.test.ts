import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contractMarkdown, schemaMarkdown } from '../../cli/commands/schema.js';

const doc = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
/** The text between `<!-- NAME:begin … -->` and `<!-- NAME:end -->`. */
const generated = (text: string, name: string) =>
  new RegExp(`<!-- ${name}:begin[^>]*-->\\n([\\s\\S]*)<!-- ${name}:end -->`).exec(text)?.[1];

describe('the generated parts of the docs', () => {
  it('docs/tables.md documents every table column exactly as `scraper schema` prints it', () => {
    expect(generated(doc('docs/tables.md'), 'schema')).toBe(schemaMarkdown());
  });
  it('docs/field-contract.md states the field contract exactly as `scraper schema --contract` prints it', () => {
    expect(generated(doc('docs/field-contract.md'), 'contract')).toBe(contractMarkdown());
  });
});
