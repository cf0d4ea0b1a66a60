import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WorkItem } from '../../core/work-item.js';
import { processBody } from '../helpers/processed.js';
import { auctionBodies, bidBodies, serialise, viaBodies } from './mutations.js';
import { expectedResult } from './reference.js';

/**
 * The field contract as properties: for bodies made from the recorded fixtures and then
 * changed (mutations.ts), every cell the processor writes (read back from Parquet) and
 * every anomaly it counts equal what the reference works out from JSON.parse of the same
 * bytes and the field contract's rules. Each body goes through twice: as compact raw UTF-8, and
 * indented with every non-ASCII character escaped; bodies over 96 KB (the indented
 * auctions) are parsed element by element (adapters/json-bytes.ts), smaller ones whole.
 *
 * Seeded: a failure prints its seed and path, and FC_SEED=<seed> replays it. FC_RUNS=<n>
 * runs n bodies per property instead of the defaults (1,000 auctions, 400 bid histories,
 * 600 snapshots: 20–30 s on two cores).
 */
const RUNS = wholeNumber('FC_RUNS');
const SEED = wholeNumber('FC_SEED') ?? 20260713;
const runs = (n: number) => RUNS ?? n;

function wholeNumber(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new Error(`${name}: expected a whole number, got "${v}"`);
  return Number(v);
}

interface Paths {
  /** Bodies large enough to be parsed element by element. */
  large: number;
  small: number;
  rejected: number;
}

function holdsTheContract(item: WorkItem, json: unknown, paths: Paths): void {
  for (const escaped of [false, true]) {
    const bytes = serialise(json, escaped);
    const expected = expectedResult(item, bytes);
    const actual = processBody(item, bytes);
    if (bytes.byteLength > 96 * 1024) paths.large++;
    else paths.small++;
    if (expected.kind === 'failed') {
      paths.rejected++;
      expect(actual).toMatchObject({ kind: 'failed', error: expected.error });
      continue;
    }
    expect(actual.kind).toBe('accepted');
    if (actual.kind !== 'accepted') return;
    expect(actual.tables).toEqual(expected.tables);
    expect(actual.anomalies).toEqual(expected.anomalies);
  }
}

function check<T extends { item: WorkItem; json: unknown }>(bodies: fc.Arbitrary<T>, numRuns: number): Paths {
  const paths: Paths = { large: 0, small: 0, rejected: 0 };
  fc.assert(
    fc.property(bodies, ({ item, json }) => holdsTheContract(item, json, paths)),
    { numRuns, seed: SEED },
  );
  return paths;
}

describe('every output cell is what the API sent (as the contract transforms it) or null and counted', () => {
  it('MaxSold auctions and their items, large and small bodies, raw UTF-8 and escaped', () => {
    const paths = check(auctionBodies, runs(1000));
    // One body in 25 keeps every recorded item: those are the large ones (test/adapters/json-bytes.test.ts covers the parser itself).
    expect(paths.large).toBeGreaterThan(runs(1000) / 40);
    expect(paths.small).toBeGreaterThan(0);
  }, 300_000);

  it('MaxSold bid histories', () => {
    const paths = check(bidBodies, runs(400));
    expect(paths.small).toBeGreaterThan(0);
  }, 300_000);

  it('VIA trains and their stops', () => {
    check(viaBodies, runs(600));
  }, 300_000);
});
