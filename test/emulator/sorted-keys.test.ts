import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SortedKeys } from '../../emulator/sorted-keys.js';

/** 1,500 keys spread among the generated ones (`k/a0`, `k/_2`, `k//3`, …): enough to be merged into the first run. */
const PREFILL = Array.from({ length: 1500 }, (_, i) => `k/${'ab_/=.A'[i % 7]}${i.toString(36)}`);

const byteOrder = (keys: Iterable<string>) => [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

/**
 * A bucket's keys as a set, and the index told of every change as the store tells it. `limits`:
 * small ones make the index merge and sweep within a few hundred operations.
 */
function bucket(limits?: { mergeAt: number; sweepAt: number }) {
  const stored = new Set<string>();
  const index = new SortedKeys((k) => stored.has(k), limits);
  return {
    stored,
    index,
    put(k: string) {
      if (!stored.has(k)) index.added(k);
      stored.add(k);
    },
    del(k: string) {
      if (stored.delete(k)) index.removed();
    },
    /** Every key under `prefix`, `pageSize` at a time, each page after the last key of the one before. */
    listAll(prefix: string, pageSize: number): string[] {
      const out: string[] = [];
      for (;;) {
        const page: string[] = [];
        for (const k of index.list(prefix, out[out.length - 1])) if (page.push(k) >= pageSize) break;
        out.push(...page);
        if (page.length < pageSize) return out;
      }
    },
  };
}

describe('SortedKeys', () => {
  it('after any sequence of stores and deletes, a paged listing holds exactly the stored keys under the prefix, in byte order', () => {
    const key = fc.oneof(
      fc.stringMatching(/^[a-c_/=.0-9A]{0,4}$/).map((k) => `k/${k}`),
      fc.constantFrom(...PREFILL),
    );
    const op = fc.record({ put: fc.boolean(), key });
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(op, { maxLength: 400 }),
        fc.integer({ min: 1, max: 7 }),
        fc.constantFrom('k/', 'k/a', 'k/_', ''),
        fc.constantFrom(undefined, { mergeAt: 3, sweepAt: 2 }, { mergeAt: 20, sweepAt: 10 }),
        (prefill, ops, pageSize, prefix, limits) => {
          const b = bucket(limits);
          // Keys stored and listed first are merged into the first run; later ones wait in the second.
          if (prefill) for (const k of PREFILL) b.put(k);
          b.listAll('', 1000);
          for (const [i, o] of ops.entries()) {
            if (o.put) b.put(o.key);
            else b.del(o.key);
            if (i % 50 === 49) expect(b.listAll(prefix, pageSize)).toEqual(byteOrder([...b.stored].filter((k) => k.startsWith(prefix))));
          }
          expect(b.listAll(prefix, pageSize)).toEqual(byteOrder([...b.stored].filter((k) => k.startsWith(prefix))));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('sweeps deleted keys once they are many, and lists a key deleted and stored again once', () => {
    const b = bucket();
    for (const k of PREFILL) b.put(k);
    expect(b.listAll('k/', 1000)).toHaveLength(1500);
    for (const k of PREFILL.slice(0, 1000)) b.del(k);
    b.listAll('k/', 1000);
    // 1,000 deletes are not yet many: still held, skipped when listed.
    expect(b.index.held).toBe(1500);
    for (const k of PREFILL.slice(1000, 1400)) b.del(k);
    b.put(PREFILL[0]!);
    expect(b.listAll('k/', 30)).toEqual(byteOrder([PREFILL[0]!, ...PREFILL.slice(1400)]));
    // 1,400 are: swept on that listing; what is held is what is stored (101 keys), the key
    // stored again held twice, in the first run and among the recent.
    expect(b.index.held).toBe(102);
    for (const k of PREFILL) b.put(k);
    expect(b.listAll('', 999)).toEqual(byteOrder(PREFILL));
  });
});
