/**
 * A bucket's keys in S3's listing order, for listing a page at a time without sorting the
 * bucket: fauxqs sorts every key under the prefix on every page (with `localeCompare`), so
 * listing a prefix of n keys costs n/1000 sorts of n keys (at the week's volume, minutes of
 * the emulation's CPU inside a handler's measured duration, where S3 answers a page in tens
 * of milliseconds), and in an order that is not S3's: S3 lists in UTF-8 byte order, and the
 * next page starts after the last key by that order, so a key that the locale sorts elsewhere
 * (`raw/source=maxsold_bids/…` before `raw/source=maxsold/…`) could be skipped or listed twice.
 *
 * Keys stored lately are a second, shorter sorted run that a listing walks beside the first,
 * and are merged into it once they are many; a deleted key stays in the order until a listing
 * finds it gone (`has`) and is dropped in a sweep once they are many. JavaScript compares strings by UTF-16 code unit,
 * which is UTF-8 byte order for every key below U+E000 (every key this project writes).
 */
export class SortedKeys {
  /** Most keys, in order. */
  #sorted: string[] = [];
  /** Keys stored since the last merge, in order once a listing has sorted them. */
  #recent: string[] = [];
  #recentSorted = true;
  #removed = 0;

  /**
   * `has`: whether the key is stored now. `mergeAt` recent keys are merged into the rest, and
   * `sweepAt` deletes swept, once there are more than that many (and enough beside the rest).
   */
  constructor(
    private readonly has: (key: string) => boolean,
    private readonly limits: { mergeAt: number; sweepAt: number } = { mergeAt: 1024, sweepAt: 1024 },
  ) {}

  /** Keys held in the order, deleted ones not yet swept included. */
  get held(): number {
    return this.#sorted.length + this.#recent.length;
  }

  /** A key that was not stored before (a new object, or one stored again after a delete). */
  added(key: string): void {
    this.#recent.push(key);
    this.#recentSorted = false;
  }

  /** A stored key was deleted. */
  removed(): void {
    this.#removed++;
  }

  /** The stored keys that start with `prefix` and come after `after`, in order. */
  *list(prefix: string, after = ''): Generator<string> {
    this.#settle();
    const from = after > prefix ? after : prefix;
    const a = this.#sorted;
    const b = this.#recent;
    let i = lowerBound(a, from);
    let j = lowerBound(b, from);
    let last = after;
    while (i < a.length || j < b.length) {
      const key = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i++]! : b[j++]!;
      if (!key.startsWith(prefix)) return;
      // A key deleted and stored again is in both runs; `after` itself is not listed.
      if (key === last) continue;
      last = key;
      if (this.has(key)) yield key;
    }
  }

  /**
   * Sorts the recent keys, and merges them into the rest once they are many (each merge walks
   * every key, so it waits until there are enough recent keys to pay for it).
   */
  #settle(): void {
    if (!this.#recentSorted) {
      this.#recent.sort();
      this.#recentSorted = true;
    }
    if (this.#recent.length > this.limits.mergeAt && this.#recent.length * 16 > this.#sorted.length) {
      this.#sorted = mergeUnique(this.#sorted, this.#recent);
      this.#recent = [];
    }
    if (this.#removed > this.limits.sweepAt && this.#removed * 4 > this.#sorted.length + this.#recent.length) {
      this.#sorted = this.#sorted.filter((k) => this.has(k));
      this.#recent = this.#recent.filter((k) => this.has(k));
      this.#removed = 0;
    }
  }
}

/** The first index whose key is not before `key`. */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Two sorted lists as one, each key once (a key deleted and stored again is in both). */
function mergeUnique(a: readonly string[], b: readonly string[]): string[] {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const next = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i++]! : b[j++]!;
    if (out[out.length - 1] !== next) out.push(next);
  }
  return out;
}
