/** What the simulator counts, for tests (concurrency bound, politeness) and benchmarks. */
import { FAULT_KINDS, type FaultKind } from './faults.js';

export type Route = 'auctions' | 'bids' | 'via' | 'other';

export interface SimulatorStats {
  /** Requests received (the `/__sim/*` control routes are not counted anywhere). */
  requests: number;
  /** auctions: `items?auctionid=` without `itemid`; bids: with `itemid`; via: `/data/allData.json`. */
  byRoute: Record<Route, number>;
  /** Responses by HTTP status ("200", "304", "429", …); a reset socket has none. */
  statusCounts: Record<string, number>;
  /** Requests open now: received and not yet finished or aborted. */
  inFlight: number;
  /** The most requests ever open at once. */
  peakInFlight: number;
  throttled429: number;
  rejected503: number;
  /**
   * Requests that arrived while an earlier 429/503 Retry-After was still running, counted
   * from `retryAfterGraceMs` after that response finished (requests already on their way
   * then are not the client's fault). The server sees one client, so this is global.
   */
  retryAfterViolations: number;
  /**
   * For the first violations (up to 20): how long each came after the Retry-After response
   * that began the running wait had finished, ms (at the earliest it may have come); later
   * 429s extend a wait, they do not begin one. A client that ignores Retry-After keeps coming
   * through the wait (hundreds of ms); one whose event loop read the 429 late comes just past
   * the grace (tens).
   */
  retryAfterViolationDelaysMs: number[];
  /** Faults injected, by kind. */
  faults: Record<FaultKind, number>;
  /** Body bytes written (after compression). */
  bytesSent: number;
  /** MaxSold requests per auction id (both routes). */
  requestsPerId: Record<string, number>;
}

interface Window {
  finishedAt: number;
  activeAt: number;
  expiresAt: number;
}

const VIOLATIONS_DESCRIBED = 20;

function zeroFaults(): Record<FaultKind, number> {
  return Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
}

export class StatsRecorder {
  private s = StatsRecorder.empty();
  private readonly perId = new Map<number, number>();
  /** Retry-After windows not yet past their grace, oldest first; then the latest expiry of the active ones. */
  private pending: Window[] = [];
  private activeUntil = 0;
  /** When the 429 that began the running wait finished. */
  private waitBeganAt = 0;

  constructor(private readonly graceMs: number) {}

  private static empty(): Omit<SimulatorStats, 'requestsPerId'> {
    return {
      requests: 0,
      byRoute: { auctions: 0, bids: 0, via: 0, other: 0 },
      statusCounts: {},
      inFlight: 0,
      peakInFlight: 0,
      throttled429: 0,
      rejected503: 0,
      retryAfterViolations: 0,
      retryAfterViolationDelaysMs: [],
      faults: zeroFaults(),
      bytesSent: 0,
    };
  }

  /**
   * A request arrived, at `earliest` or at the latest at `latest` (they differ when the event
   * loop saw it late); returns whether it surely ignored a running Retry-After: it came after
   * the window opened even if it came at `earliest`, and before it closed even at `latest`.
   */
  arrived(earliest: number, latest: number, route: Route, auctionId: number | null): boolean {
    const s = this.s;
    s.requests++;
    s.byRoute[route]++;
    s.inFlight++;
    if (s.inFlight > s.peakInFlight) s.peakInFlight = s.inFlight;
    if (auctionId !== null) this.perId.set(auctionId, (this.perId.get(auctionId) ?? 0) + 1);
    while (this.pending.length && this.pending[0]!.activeAt <= earliest) {
      const w = this.pending.shift()!;
      if (this.activeUntil <= w.activeAt) this.waitBeganAt = w.finishedAt;
      if (w.expiresAt > this.activeUntil) this.activeUntil = w.expiresAt;
    }
    const violation = latest < this.activeUntil;
    if (violation && s.retryAfterViolations++ < VIOLATIONS_DESCRIBED)
      s.retryAfterViolationDelaysMs.push(Math.round(earliest - this.waitBeganAt));
    return violation;
  }

  get inFlight(): number {
    return this.s.inFlight;
  }

  /** The request's response finished or its socket closed. */
  left(): void {
    this.s.inFlight--;
  }

  status(code: number, bytes: number): void {
    const key = String(code);
    this.s.statusCounts[key] = (this.s.statusCounts[key] ?? 0) + 1;
    this.s.bytesSent += bytes;
    if (code === 429) this.s.throttled429++;
    if (code === 503) this.s.rejected503++;
  }

  fault(kind: FaultKind): void {
    this.s.faults[kind]++;
  }

  /** A 429/503 carrying Retry-After finished at `finishedAt`; clients must wait until `expiresAt`. */
  retryAfterSent(finishedAt: number, expiresAt: number): void {
    this.pending.push({ finishedAt, activeAt: finishedAt + this.graceMs, expiresAt });
  }

  requestsFor(auctionId: number): number {
    return this.perId.get(auctionId) ?? 0;
  }

  snapshot(): SimulatorStats {
    const s = this.s;
    return {
      ...s,
      byRoute: { ...s.byRoute },
      retryAfterViolationDelaysMs: [...s.retryAfterViolationDelaysMs],
      statusCounts: { ...s.statusCounts },
      faults: { ...s.faults },
      requestsPerId: Object.fromEntries(this.perId),
    };
  }

  /** Zeroes the counters; requests still open stay counted in inFlight. */
  reset(): void {
    const inFlight = this.s.inFlight;
    this.s = StatsRecorder.empty();
    this.s.inFlight = inFlight;
    this.s.peakInFlight = inFlight;
    this.perId.clear();
    this.pending = [];
    this.activeUntil = 0;
    this.waitBeganAt = 0;
  }
}
