/**
 * Money and bids. An item's bids are simulated as a ladder first, so `current_bid`,
 * `minimum_bid`, `bid_count` and the `&itemid=` history always agree with each other.
 */
import { maxsoldTime } from './local-time.js';
import { intBetween, normal, type Rng } from './prng.js';

export interface BidRecord {
  time_of_bid: string;
  amount: number;
  isproxy: boolean;
}

/** Increments seen in the seed (14→17, 47→52, 115→125, 96→100 capped by a proxy). */
export function increment(amount: number): number {
  if (amount <= 10) return 1;
  if (amount < 40) return 3;
  if (amount <= 100) return 5;
  return 10;
}

export function cents(value: number): number {
  return Math.round(value * 100) / 100;
}

/** How many bids an item gets: ~9% none, otherwise a long tail with median ~5. */
export function drawBidCount(rng: Rng): number {
  if (rng() < 0.09) return 0;
  return Math.min(90, Math.max(1, Math.round(Math.exp(Math.log(5) + 0.9 * normal(rng)))));
}

/**
 * Bid amounts in the order they were placed (non-decreasing). Equal neighbours are a
 * proxy and a manual bid at the same amount, which the real history shows often.
 * About 4.5% of items carry cents from some bid on (34.07); 3/75 recorded items do.
 */
export function bidLadder(rng: Rng, count: number, startingBid: number): number[] {
  const amounts: number[] = [];
  let a = startingBid;
  for (let k = 0; k < count; k++) {
    if (k === 0) a = startingBid + (rng() < 0.15 ? increment(startingBid) * intBetween(rng, 1, 4) : 0);
    else if (rng() >= 0.12) a = cents(a + increment(a) * (rng() < 0.8 ? 1 : intBetween(rng, 2, 4)));
    amounts.push(a);
  }
  if (count > 0 && rng() < 0.045) {
    const from = Math.floor(rng() * count * 0.5);
    const extra = intBetween(rng, 1, 99) / 100;
    for (let k = from; k < count; k++) amounts[k] = cents(amounts[k]! + extra);
  }
  return amounts;
}

/**
 * The `bid_history` array for a ladder: highest amount first. A proxy answering a manual
 * bid shares its second (sometimes a second earlier, so the list is not time-ordered),
 * and at a tied amount the earlier proxy is listed first, as in the recorded item.
 */
export function bidHistory(rng: Rng, ladder: readonly number[], startMs: number, endMs: number, timeZone: string): BidRecord[] {
  const n = ladder.length;
  if (n === 0) return [];
  const from = startMs + 60_000;
  const span = Math.max(1000 * n, endMs - 60_000 - from);
  const times: number[] = [];
  for (let k = 0; k < n; k++) times.push(from + Math.floor(rng() * span));
  times.sort((x, y) => x - y);
  const proxy: boolean[] = new Array<boolean>(n).fill(false);
  for (let k = 1; k < n; k++) {
    const tie = ladder[k] === ladder[k - 1];
    if (tie || rng() < 0.35) {
      // k answers k-1 within the same second. At a tie the proxy held the amount first,
      // sometimes a second earlier: then the list (by amount) is not time-ordered.
      proxy[k] = true;
      times[k] = times[k - 1]! - (rng() < (tie ? 0.3 : 0.1) ? 1000 : 0);
      k++; // pairs do not chain: the next bid starts afresh
    } else if (rng() < 0.08) {
      proxy[k] = true;
    }
  }
  const out: BidRecord[] = [];
  for (let k = n - 1; k >= 0; k--) {
    const t = Math.floor(times[k]! / 1000) * 1000;
    out.push({ time_of_bid: maxsoldTime(t, timeZone), amount: ladder[k]!, isproxy: proxy[k]! });
  }
  return out;
}
