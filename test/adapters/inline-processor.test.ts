import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InlineProcessor } from '../../adapters/inline-processor.js';
import { loadTableEncoder } from '../../adapters/table-encoder.js';
import type { ObjectStore } from '../../core/ports.js';
import { rawKey } from '../../core/raw-key.js';
import { firstRequest, REAL_ORIGINS } from '../../core/sources/requests.js';
import type { MaxsoldWork } from '../../core/work-item.js';
import { fixtureBytes } from '../helpers/fixtures.js';

const body = gzipSync(fixtureBytes('maxsold/auction-104375.json'));

describe('InlineProcessor', () => {
  it('processes one body per turn of the event loop, however many are waiting', async () => {
    const events: string[] = [];
    const store: ObjectStore = {
      put: async (key) => void (key.startsWith('raw/') && events.push('body')),
      get: async () => undefined,
      head: async () => undefined,
      async *list() {},
      delete: async () => {},
    };
    const inline = new InlineProcessor({ origins: REAL_ORIGINS }, store, loadTableEncoder);
    // A tick on every turn of the loop, as a timer or a socket would get one.
    let ticking = true;
    const tick = () => {
      events.push('tick');
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => {
        const item: MaxsoldWork = { source: 'maxsold', id: '104375', dt: `2026-01-0${i + 1}` };
        return inline.process({
          item,
          request: firstRequest(item, REAL_ORIGINS),
          body: new Uint8Array(body),
          contentEncoding: 'gzip',
          sourceKey: rawKey(item),
          fetchedAt: 0,
          metadata: {},
        });
      }),
    );
    ticking = false;
    expect(results.map((r) => r.kind)).toEqual(Array(8).fill('stored'));
    const bodies = events
      .map((e, i) => [e, i] as const)
      .filter(([e]) => e === 'body')
      .map(([, i]) => i);
    expect(bodies).toHaveLength(8);
    // Between any two bodies the loop turned at least once.
    for (let k = 1; k < bodies.length; k++) expect(events.slice(bodies[k - 1]! + 1, bodies[k])).toContain('tick');
  });
});
