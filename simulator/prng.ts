/**
 * Small deterministic randomness: every payload and fault is a pure function of
 * integers (auction id, seed, request count), so a run can be reproduced exactly.
 */

/** One 32-bit mixing step (the murmur3 finaliser): spreads nearby ids far apart. */
export function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash of a list of integers and strings to an unsigned 32-bit integer. */
export function hash32(...parts: (number | string)[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    if (typeof part === 'number') {
      // Split so ids above 2^32 still differ.
      h = mix32(h ^ (part >>> 0)) ^ mix32(Math.floor(part / 4294967296) + 0x632be5ab);
    } else {
      for (let i = 0; i < part.length; i++) h = Math.imul(h ^ part.charCodeAt(i), 0x01000193);
      h = mix32(h ^ part.length);
    }
  }
  return mix32(h);
}

/** Uniform [0, 1) from a hash, for one-off decisions. */
export function hash01(...parts: (number | string)[]): number {
  return hash32(...parts) / 4294967296;
}

/** A seeded stream of uniforms in [0, 1) (mulberry32: tiny, fast, good enough here). */
export type Rng = () => number;

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [lo, hi]. */
export function intBetween(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

export function pick<T>(rng: Rng, list: ArrayLike<T>): T {
  const x = list[Math.floor(rng() * list.length)];
  if (x === undefined) throw new RangeError('pick: the list is empty');
  return x;
}

/** Standard normal by Box-Muller (one value per call; the pair's twin is dropped for simplicity). */
export function normal(rng: Rng): number {
  const u = 1 - rng(); // (0, 1]: log stays finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}
