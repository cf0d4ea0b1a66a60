import { describe, expect, it } from 'vitest';
import { AutoProcessor } from '../../adapters/auto-processor.js';
import { REAL_ORIGINS, firstRequest } from '../../core/sources/index.js';
import type { WorkItem } from '../../core/work-item.js';
import { fixtureBytes } from '../helpers/fixtures.js';

const item: WorkItem = { source: 'maxsold', id: '104375', dt: '2026-01-02' };
const input = () => ({
  item, request: firstRequest(item, REAL_ORIGINS), body: new Uint8Array(fixtureBytes('maxsold/auction-104375.json')),
  sourceKey: 'raw/source=maxsold/dt=2026-01-02/auction=104375.json.gz', fetchedAt: 0,
});

describe('--workers auto', () => {
  it('processes the sample inline, then moves to the pool when processing is over the threshold', async () => {
    const auto = new AutoProcessor({ origins: REAL_ORIGINS }, { workers: 2, sample: 3, threshold: 0 });
    try {
      for (let i = 0; i < 5; i++) expect((await auto.process(input())).kind).toBe('accepted');
      expect(auto.description).toMatch(/^auto → worker pool \(2 threads\): processing took \d+% of the main thread over the first 3 responses \(over 0%/);
    } finally {
      await auto.close();
    }
  });

  it('decides once when many responses are in flight as the sample completes', async () => {
    const auto = new AutoProcessor({ origins: REAL_ORIGINS }, { workers: 2, sample: 3, threshold: 0 });
    try {
      const results = await Promise.all(Array.from({ length: 12 }, () => auto.process(input())));
      expect(results.every((r) => r.kind === 'accepted')).toBe(true);
      expect(auto.description).toMatch(/over the first 3 responses/);
    } finally {
      await auto.close();
    }
  });

  it('stays inline when processing is under the threshold, and says why', async () => {
    const auto = new AutoProcessor({ origins: REAL_ORIGINS }, { workers: 2, sample: 3, threshold: 1 });
    for (let i = 0; i < 5; i++) expect((await auto.process(input())).kind).toBe('accepted');
    expect(auto.description).toMatch(/^auto → inline \(main thread\): .*a pool would cost more than it saves/);
    await auto.close();
  });

  it('never starts a pool on one core', async () => {
    const auto = new AutoProcessor({ origins: REAL_ORIGINS }, { workers: 1, sample: 1, threshold: 0 });
    await auto.process(input());
    await auto.process(input());
    expect(auto.description).toBe('auto → inline (main thread): one core: no pool');
  });
});
