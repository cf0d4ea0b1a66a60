import { describe, expect, it } from 'vitest';
import { repollGaps } from '../../emulator/invariants.js';
import { LiveAuctions } from '../../simulator/live-auctions.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const start = Date.parse('2026-11-23T00:00:00Z');
// Production volume's world: 350 ids a day, ten days of them before the start.
const live = new LiveAuctions({ startMs: start, firstId: 104000, idsPerDay: 350, backlogDays: 10 });
/** The first published id at or after `id`, and when it was published. */
function publishedFrom(id: number): { id: number; at: number } {
  while (live.isGap(id)) id++;
  return { id, at: live.allocatedMs(id) };
}

describe('repollGaps (the re-poll invariant)', () => {
  const a = publishedFrom(107700);
  const end = a.at + 20 * HOUR;

  it('counts an auction open from its first request after it was published', () => {
    expect(a.at).toBeGreaterThan(start);
    expect(live.finalCloseMs(a.id)).toBeGreaterThan(end);
    // Asked twice as an unpublished id (discovery, answered 404), then hourly once it exists.
    const polls = new Map([[a.id, [a.at - 3 * HOUR, a.at - HOUR, a.at + 10 * MINUTE, a.at + 70 * MINUTE, a.at + 130 * MINUTE]]]);
    expect(repollGaps(polls, live, end)).toEqual({ checked: 1, late: [] });
  });

  it('finds a gap over 90 minutes while it is open, and says when', () => {
    const polls = new Map([[a.id, [a.at + 10 * MINUTE, a.at + 70 * MINUTE, a.at + 200 * MINUTE, a.at + 260 * MINUTE]]]);
    expect(repollGaps(polls, live, end)).toEqual({
      checked: 1,
      late: [{ id: a.id, from: a.at + 70 * MINUTE, to: a.at + 200 * MINUTE }],
    });
  });

  it('finds a final poll that came more than 90 minutes after the last poll while open', () => {
    const b = publishedFrom(104000);
    const closes = live.finalCloseMs(b.id);
    const polls = new Map([[b.id, [closes - 2 * HOUR, closes - HOUR, closes + 2 * HOUR]]]);
    expect(repollGaps(polls, live, closes + 5 * HOUR).late).toEqual([{ id: b.id, from: closes - HOUR, to: closes + 2 * HOUR }]);
    expect(repollGaps(new Map([[b.id, [closes - 2 * HOUR, closes - HOUR, closes + 30 * MINUTE]]]), live, closes + 5 * HOUR).late).toEqual(
      [],
    );
    // Measured from the first poll after the close, not the last request: hourly polls that go on after it are on time.
    expect(
      repollGaps(
        new Map([[b.id, [closes - 2 * HOUR, closes - 30 * MINUTE, closes + 30 * MINUTE, closes + 90 * MINUTE]]]),
        live,
        closes + 5 * HOUR,
      ).late,
    ).toEqual([]);
  });

  it('leaves out auctions that do not exist by the end, or were asked for only once while open', () => {
    const unpublished = publishedFrom(200000);
    const polls = new Map([
      [unpublished.id, [start, start + 3 * HOUR]],
      [a.id, [a.at - HOUR, a.at + 10 * MINUTE]],
    ]);
    expect(repollGaps(polls, live, end)).toEqual({ checked: 0, late: [] });
  });
});
