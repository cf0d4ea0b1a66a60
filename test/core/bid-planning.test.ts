import { describe, expect, it } from 'vitest';
import { bidItemsToPlan } from '../../core/normalise-object.js';
import type { ProcessResult } from '../../core/ports.js';

const CLOSES = Date.parse('2026-11-26T20:00:00Z');
const stored = (closesAt?: number): Extract<ProcessResult, { kind: 'stored' }> => ({
  kind: 'stored',
  sha256: 'x',
  size: 1,
  rawBytes: 1,
  rows: {},
  tableFiles: 2,
  anomalies: {},
  bidItemIds: ['7561262', '7561263'],
  closesAt,
});
const auction = { source: 'maxsold', id: '104375', dt: '2026-11-26' } as const;

describe('bid histories planned from a stored auction', () => {
  it('every item with bids, once the snapshot was taken after the last lot closed', () => {
    expect(bidItemsToPlan(auction, stored(CLOSES), CLOSES + 60_000, false)).toEqual([
      { source: 'maxsold', id: '104375', itemId: '7561262', dt: '2026-11-26' },
      { source: 'maxsold', id: '104375', itemId: '7561263', dt: '2026-11-26' },
    ]);
  });

  it('none while the auction is open, unless every poll asks for them', () => {
    expect(bidItemsToPlan(auction, stored(CLOSES), CLOSES - 60_000, false)).toEqual([]);
    expect(bidItemsToPlan(auction, stored(CLOSES), CLOSES - 60_000, true)).toHaveLength(2);
  });

  it('none for an auction without a closing time, nor for a bid history', () => {
    expect(bidItemsToPlan(auction, stored(undefined), CLOSES, false)).toEqual([]);
    expect(bidItemsToPlan({ ...auction, itemId: '7561262' }, stored(CLOSES), CLOSES + 60_000, true)).toEqual([]);
  });
});
