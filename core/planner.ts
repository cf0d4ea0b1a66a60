import type { Clock } from './clock.js';
import { utcSecond, type WorkItem } from './work-item.js';

/** Largest auction id a plan accepts; guards against typos like 1e12. */
const MAX_AUCTION_ID = 99_999_999;

export interface IdRange {
  from: number;
  to: number;
}

/**
 * `100000-100500`, `103417`, or a comma-separated mix. Throws a TypeError saying
 * what was expected; returns ranges, not ids, so a million-id plan stays small.
 */
export function parseIdRanges(spec: string): IdRange[] {
  const ranges: IdRange[] = [];
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) throw new TypeError(`expected auction ids like 100000-100500 or 103417,103420, got "${part}"`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from < 1 || to > MAX_AUCTION_ID) throw new TypeError(`auction ids must be from 1 to ${MAX_AUCTION_ID}, got "${part}"`);
    if (to < from) throw new TypeError(`range "${part}" ends before it starts`);
    ranges.push({ from, to });
  }
  if (ranges.length === 0) throw new TypeError('expected at least one auction id');
  return ranges;
}

/** How many auctions `planAuctions` plans for these ranges: each id once, as it walks them. */
export function countIds(ranges: IdRange[]): number {
  let n = 0;
  let next = 0;
  for (const r of [...ranges].sort((a, b) => a.from - b.from)) {
    n += Math.max(0, r.to - Math.max(r.from, next) + 1);
    next = Math.max(next, r.to + 1);
  }
  return n;
}

/** Work items for auction ids, generated lazily, each id once (overlapping ranges are merged). */
export function* planAuctions(ranges: IdRange[], dt: string): Generator<WorkItem> {
  const sorted = [...ranges].sort((a, b) => a.from - b.from);
  let next = 0;
  for (const r of sorted) {
    for (let id = Math.max(r.from, next); id <= r.to; id++) yield { source: 'maxsold', id: String(id), dt };
    next = Math.max(next, r.to + 1);
  }
}

/** Auction ids from a file's text: one per line or comma/space separated; `#` starts a comment. */
export function parseIdList(text: string): IdRange[] {
  const ids = text
    .split('\n')
    .map((line) => line.replace(/#.*/, ''))
    .join(' ')
    .split(/[\s,]+/)
    .filter(Boolean);
  return parseIdRanges(ids.join(','));
}

export interface PollOptions {
  /** Milliseconds between snapshots. */
  everyMs: number;
  /** Stop after this long; absent = until the signal aborts. */
  forMs?: number;
  signal?: AbortSignal;
}

/**
 * VIA snapshots on a fixed cadence: one item at start, then one per tick, each
 * stamped with its planned instant so a retry lands on the same key.
 */
export async function* planViaPolls(clock: Clock, options: PollOptions): AsyncGenerator<WorkItem> {
  const start = clock.now();
  for (let tick = 0; ; tick++) {
    const due = start + tick * options.everyMs;
    if (options.forMs !== undefined && due - start > options.forMs) return;
    if (due > clock.now()) {
      try {
        await clock.sleep(due - clock.now(), options.signal);
      } catch {
        return;
      }
    }
    if (options.signal?.aborted) return;
    yield { source: 'via', at: utcSecond(due) };
  }
}

/** Several plans as one, each item taken as soon as its plan yields it. */
export async function* mergePlans(...plans: (Iterable<WorkItem> | AsyncIterable<WorkItem>)[]): AsyncGenerator<WorkItem> {
  const iterators = plans.map((p) => (Symbol.asyncIterator in p ? p[Symbol.asyncIterator]() : p[Symbol.iterator]()));
  type Plan = (typeof iterators)[number];
  const pending = new Map<Plan, Promise<{ it: Plan; r: IteratorResult<WorkItem> }>>();
  const pull = (it: Plan) =>
    pending.set(
      it,
      Promise.resolve(it.next()).then((r) => ({ it, r })),
    );
  for (const it of iterators) pull(it);
  while (pending.size > 0) {
    const { it, r } = await Promise.race(pending.values());
    if (r.done) {
      pending.delete(it);
      continue;
    }
    pull(it);
    yield r.value;
  }
}
