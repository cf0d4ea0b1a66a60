import { interpretResponse, REAL_ORIGINS, firstRequest } from '../../core/sources/index.js';
import { rawKey } from '../../core/raw-key.js';
import type { TableRows } from '../../core/tables.js';
import type { WorkItem } from '../../core/work-item.js';
import { fixtureText, VIA_FIXTURES } from './fixtures.js';

/** Every recorded fixture as the work item it answers and the rows it normalises to. */
export function normalisedFixtures(): Array<{ name: string; item: WorkItem; tables: TableRows }> {
  const cases: Array<{ name: string; item: WorkItem; path: string }> = [
    { name: 'auction-104375', item: { source: 'maxsold', id: '104375', dt: '2026-01-02' }, path: 'maxsold/auction-104375.json' },
    { name: 'auction-102916', item: { source: 'maxsold', id: '102916', dt: '2025-11-21' }, path: 'maxsold/auction-102916-nextdata.json' },
    {
      name: 'bids-104375-7561262',
      item: { source: 'maxsold', id: '104375', itemId: '7561262', dt: '2026-01-02' },
      path: 'maxsold/item-104375-7561262.json',
    },
    ...VIA_FIXTURES.map((f) => ({ name: f.name, item: { source: 'via', at: f.at } as WorkItem, path: f.path })),
  ];
  return cases.map((c) => {
    const i = interpretResponse(c.item, firstRequest(c.item, REAL_ORIGINS), fixtureText(c.path), REAL_ORIGINS, {
      sourceKey: rawKey(c.item),
      fetchedAt: Date.parse('2026-01-02T18:19:14.123Z'),
      normalise: true,
    });
    if (i.kind !== 'accepted') throw new Error(`${c.name} not accepted`);
    return { name: c.name, item: c.item, tables: i.tables };
  });
}
