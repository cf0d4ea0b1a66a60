import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { AutoProcessor, type AutoOptions } from '../../adapters/auto-processor.js';
import { FsObjectStore } from '../../adapters/fs-store.js';
import { loadTableEncoder } from '../../adapters/table-encoder.js';
import { rawKey } from '../../core/raw-key.js';
import { REAL_ORIGINS, firstRequest } from '../../core/sources/index.js';
import type { MaxsoldWork } from '../../core/work-item.js';
import { filesUnder, tempDir } from '../helpers/data-dir.js';
import { fixtureBytes } from '../helpers/fixtures.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

const body = gzipSync(fixtureBytes('maxsold/auction-104375.json'));
const input = (id: number) => {
  const item: MaxsoldWork = { source: 'maxsold', id: '104375', dt: `2026-01-${String(id + 1).padStart(2, '0')}` };
  return {
    item,
    request: firstRequest(item, REAL_ORIGINS),
    body: new Uint8Array(body),
    contentEncoding: 'gzip',
    sourceKey: rawKey(item),
    fetchedAt: 0,
    metadata: { 'fetched-at': '2026-01-02T00:00:00.000Z' },
  };
};

/** Decides after 3 responses; the time limit is set far off, so a busy machine's slow first response does not decide first. */
function auto(o: Partial<AutoOptions>): { auto: AutoProcessor; dir: string } {
  const { dir, cleanup } = tempDir('auto-');
  cleanups.push(cleanup);
  return {
    auto: new AutoProcessor(
      { origins: REAL_ORIGINS },
      { workers: 2, out: dir, store: new FsObjectStore(dir), loadEncoder: loadTableEncoder, sample: 3, sampleMs: 600_000, ...o },
    ),
    dir,
  };
}

describe('--workers auto', () => {
  it('measures on the pool and keeps it when processing is over the threshold; the workers write the files', async () => {
    const { auto: a, dir } = auto({ threshold: 0 });
    try {
      for (let i = 0; i < 5; i++) expect((await a.process(input(i))).kind).toBe('stored');
      expect(a.description).toMatch(
        /^auto → worker pool \(2 threads\): processing took \d+% of a core over the first 3 responses \(over 0%/,
      );
      expect(filesUnder(dir).filter((f) => f.endsWith('.parquet'))).toHaveLength(10);
    } finally {
      await a.close();
    }
  });

  it('decides once when many responses are in flight as the sample completes', async () => {
    const { auto: a } = auto({ threshold: 0 });
    try {
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => a.process(input(i))));
      expect(results.every((r) => r.kind === 'stored')).toBe(true);
      expect(a.description).toMatch(/over the first 3 responses/);
    } finally {
      await a.close();
    }
  });

  it('goes inline when processing is under the threshold, and says why', async () => {
    const { auto: a } = auto({ threshold: 100 });
    try {
      for (let i = 0; i < 5; i++) expect((await a.process(input(i))).kind).toBe('stored');
      expect(a.description).toMatch(/^auto → inline \(main thread\): .*a pool would cost more than it saves/);
    } finally {
      await a.close();
    }
  });

  it('never starts a pool on one core, or for a plan too small to measure', async () => {
    const one = auto({ workers: 1 }).auto;
    await one.process(input(0));
    expect(one.description).toBe('auto → inline (main thread): one core: no pool');
    const small = auto({ expected: 2 }).auto;
    await small.process(input(1));
    expect(small.description).toMatch(/^auto → inline \(main thread\): 2 item\(s\) planned, fewer than the 3 it takes to measure/);
    await Promise.all([one.close(), small.close()]);
  });
});
