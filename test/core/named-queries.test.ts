// The Trino dialect alone: the package's index loads all eight (20 MB that Vitest has to transform,
// the package's .js files not being ESM Node can load as they are).
import { TrinoSQL } from 'dt-sql-parser/dist/parser/trino/index.js';
import { describe, expect, it } from 'vitest';
import { namedQueries } from '../../core/named-queries.js';

// The Athena (engine v3) SQL, checked with a Trino grammar: it reaches Athena only at deploy.
describe('named queries are valid Trino', () => {
  const trino = new TrinoSQL();

  it.each(namedQueries('api_scraper').map((q) => [q.name, q.sql]))('%s', (_name, sql) => {
    expect(trino.validate(sql)).toEqual([]);
  });

  it('and the grammar does reject what is not', () => {
    expect(trino.validate('SELEC auction_id FRM api_scraper.maxsold_items').length).toBeGreaterThan(0);
  });
});
