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

  it('from the final poll, not from a re-poll planned while the auction was open that was fetched after the close', () => {
    // The re-poll planned at 19:00 for an auction closing at 20:00, fetched at 20:01: the dispatcher
    // plans the final poll at 21:00 all the same, and that one plans the bid histories.
    const closes = '20261126T200000Z';
    const repoll = { ...auction, closes };
    expect(bidItemsToPlan(auction, stored(CLOSES), CLOSES + 60_000, false, repoll)).toEqual([]);
    expect(bidItemsToPlan(auction, stored(CLOSES), CLOSES + 3_600_000, false, { ...repoll, final: true })).toHaveLength(2);
    // A re-poll that was the first to see an extension (closing 20:10, not 20:00), fetched after it:
    // its marker may reach the dispatcher too late for a final poll, so this poll plans them.
    expect(bidItemsToPlan(auction, stored(CLOSES + 600_000), CLOSES + 660_000, false, repoll)).toHaveLength(2);
    // An auction first found already closed (no closing time known when it was planned): it plans them.
    expect(bidItemsToPlan(auction, stored(CLOSES), CLOSES + 60_000, false, auction)).toHaveLength(2);
    // Every poll asked for them: the re-poll plans them too.
    expect(bidItemsToPlan(auction, stored(CLOSES), CLOSES + 60_000, true, repoll)).toHaveLength(2);
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
