/**
 * Which requests fail, and how. Permanent faults belong to an auction id (every request
 * for it fails the same way); transient ones are drawn per request from (seed, url, n),
 * n being how many earlier requests the same URL had, so a retry sequence replays exactly.
 */
import { hash01 } from './prng.js';

export const PERMANENT_FAULTS = ['notFound', 'empty', 'schema'] as const;
export const TRANSIENT_FAULTS = ['serverError', 'reset', 'truncated', 'html', 'slow'] as const;
export const FAULT_KINDS = [...PERMANENT_FAULTS, ...TRANSIENT_FAULTS] as const;

export type PermanentFault = (typeof PERMANENT_FAULTS)[number];
export type TransientFault = (typeof TRANSIENT_FAULTS)[number];
export type FaultKind = PermanentFault | TransientFault;

/** Probability (0..1) of each kind: per auction id for permanent kinds, per request for transient ones. */
export type FaultRates = Partial<Record<FaultKind, number>>;

export interface FaultPlanOptions {
  /** Default {} (no faults). Each group (permanent, transient) must sum to at most 1. */
  rates?: FaultRates;
  /** Default 1. Same seed, same faults. */
  seed?: number;
  /** Auction id → the fault it always gets (overrides the rates for that id). Default {}. */
  forced?: Record<number, FaultKind>;
  /** For a forced transient fault: how many requests for the id fail before it succeeds. Default 1. */
  forcedTimes?: number;
}

export function isFaultKind(value: unknown): value is FaultKind {
  return typeof value === 'string' && (FAULT_KINDS as readonly string[]).includes(value);
}

export function isPermanent(kind: FaultKind): kind is PermanentFault {
  return (PERMANENT_FAULTS as readonly string[]).includes(kind);
}

/** Walks the kinds' rates as consecutive intervals of [0, 1). */
function choose<K extends FaultKind>(kinds: readonly K[], rates: FaultRates, u: number): K | null {
  let edge = 0;
  for (const kind of kinds) {
    edge += rates[kind] ?? 0;
    if (u < edge) return kind;
  }
  return null;
}

export class FaultPlan {
  private readonly rates: FaultRates;
  private readonly seed: number;
  private readonly forced: Map<number, FaultKind>;
  private readonly forcedTimes: number;
  /** Earlier requests per URL (for transient draws) and per forced id. */
  private readonly seenUrls = new Map<string, number>();
  private readonly seenForced = new Map<number, number>();

  constructor(options: FaultPlanOptions = {}) {
    this.rates = { ...(options.rates ?? {}) };
    this.seed = options.seed ?? 1;
    this.forced = new Map(Object.entries(options.forced ?? {}).map(([id, kind]) => [Number(id), kind]));
    this.forcedTimes = options.forcedTimes ?? 1;
    for (const group of [PERMANENT_FAULTS, TRANSIENT_FAULTS]) {
      const sum = group.reduce((s, k) => s + (this.rates[k] ?? 0), 0);
      if (sum > 1 + 1e-9) throw new RangeError(`faults: the rates of ${group.join('/')} add up to ${sum}, more than 1`);
    }
  }

  /** The fault an auction id always has, if any. Pure: depends on (seed, id) only. */
  permanentFor(auctionId: number): PermanentFault | null {
    const forced = this.forced.get(auctionId);
    if (forced !== undefined) return isPermanent(forced) ? forced : null;
    return choose(PERMANENT_FAULTS, this.rates, hash01(this.seed, 'permanent', auctionId));
  }

  /**
   * The fault for this request, counting it. `auctionId` is null for VIA, which has no
   * forced faults; a forced id gets its forced fault `forcedTimes` times, then none at all.
   */
  transientFor(url: string, auctionId: number | null): TransientFault | null {
    const n = this.seenUrls.get(url) ?? 0;
    this.seenUrls.set(url, n + 1);
    if (auctionId !== null && this.forced.has(auctionId)) {
      const kind = this.forced.get(auctionId)!;
      if (isPermanent(kind)) return null;
      const times = this.seenForced.get(auctionId) ?? 0;
      this.seenForced.set(auctionId, times + 1);
      return times < this.forcedTimes ? kind : null;
    }
    return choose(TRANSIENT_FAULTS, this.rates, hash01(this.seed, url, n));
  }

  /** Forgets request counts (the draws start again from n = 0). */
  reset(): void {
    this.seenUrls.clear();
    this.seenForced.clear();
  }
}
