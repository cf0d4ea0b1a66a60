/** Chance as a port: a number in [0, 1). Tests inject a seeded or fixed one. */
export type Random = () => number;

export const systemRandom: Random = Math.random;
