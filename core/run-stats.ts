import { systemRandom, type Random } from './random.js';
import type { Anomalies } from './sources/fields.js';
import type { WorkItem } from './work-item.js';

export type Outcome = 'fetched' | 'unchanged' | 'empty' | 'missing' | 'redirected' | 'quarantined' | 'skipped';
export type WorkKind = 'auctions' | 'bids' | 'snapshots';

export const OUTCOMES: Outcome[] = ['fetched', 'unchanged', 'empty', 'missing', 'redirected', 'quarantined', 'skipped'];

function kindOf(item: WorkItem): WorkKind {
  return item.source === 'via' ? 'snapshots' : item.itemId ? 'bids' : 'auctions';
}

const RESERVOIR = 20_000;
const LISTED = 200;

/**
 * Counters of one run. Every planned item ends in exactly one outcome, so
 * `planned == sum(outcomes)` once the run is over; memory stays flat however many
 * items run (latencies are a reservoir sample, id lists are capped).
 */
export class RunStats {
  readonly planned: Record<WorkKind, number> = { auctions: 0, bids: 0, snapshots: 0 };
  readonly outcomes: Record<WorkKind, Record<Outcome, number>> = {
    auctions: zeroOutcomes(),
    bids: zeroOutcomes(),
    snapshots: zeroOutcomes(),
  };
  requests = 0;
  /** Requests repeated after a transient failure (reset, 5xx, timeout, bad body). */
  retries = 0;
  /** 429/503 answers whose Retry-After was honoured. */
  throttled = 0;
  /** Requests repeated with a larger `limit` because a page came back full. */
  pageRegrows = 0;
  /** Redirects followed within an API's origin (each one more request). */
  redirectsFollowed = 0;
  bytesReceived = 0;
  bytesStored = 0;
  tableFiles = 0;
  /** Bid-history items a normaliser sent to the queue (AWS). */
  bidsPlanned = 0;
  readonly rows: Record<string, number> = {};
  readonly anomalies: Anomalies = {};
  readonly failureReasons: Record<string, number> = {};
  readonly missingIds: string[] = [];
  /** Items redirected elsewhere, with where to. */
  readonly redirectedIds: string[] = [];
  readonly quarantinedIds: string[] = [];
  #latencies = new Float64Array(RESERVOIR);
  #latencyCount = 0;
  #inFlight = 0;
  peakInFlight = 0;
  /** Why the run stopped before its plan was done (interrupt, disk full, retry budget). */
  stopReason: string | undefined;

  /** `random` picks which latencies the reservoir keeps once it is full. */
  constructor(private readonly random: Random = systemRandom) {}

  plan(item: WorkItem): void {
    this.planned[kindOf(item)]++;
  }

  finish(item: WorkItem, outcome: Outcome, label?: string): void {
    this.outcomes[kindOf(item)][outcome]++;
    if (outcome === 'missing' && this.missingIds.length < LISTED && label) this.missingIds.push(label);
    if (outcome === 'redirected' && this.redirectedIds.length < LISTED && label) this.redirectedIds.push(label);
    if (outcome === 'quarantined' && this.quarantinedIds.length < LISTED && label) this.quarantinedIds.push(label);
  }

  requestStarted(): void {
    this.requests++;
    this.#inFlight++;
    if (this.#inFlight > this.peakInFlight) this.peakInFlight = this.#inFlight;
  }

  requestEnded(latencyMs: number, bytes: number): void {
    this.#inFlight--;
    this.bytesReceived += bytes;
    const n = this.#latencyCount++;
    if (n < RESERVOIR) this.#latencies[n] = latencyMs;
    else {
      const j = Math.floor(this.random() * (n + 1));
      if (j < RESERVOIR) this.#latencies[j] = latencyMs;
    }
  }

  failure(reason: string): void {
    this.failureReasons[reason] = (this.failureReasons[reason] ?? 0) + 1;
  }

  addRows(table: string, n: number): void {
    this.rows[table] = (this.rows[table] ?? 0) + n;
  }

  addAnomalies(a: Anomalies): void {
    for (const k in a) this.anomalies[k] = (this.anomalies[k] ?? 0) + (a[k] ?? 0);
  }

  /** Latency percentile in ms (p in 0..100) over the sampled requests. */
  latencyPercentile(p: number): number {
    const n = Math.min(this.#latencyCount, RESERVOIR);
    if (n === 0) return 0;
    const sorted = this.#latencies.slice(0, n).sort();
    return sorted[Math.min(n - 1, Math.max(0, Math.floor((p / 100) * n)))] ?? 0;
  }

  totalPlanned(): number {
    return this.planned.auctions + this.planned.bids + this.planned.snapshots;
  }

  total(outcome: Outcome): number {
    return this.outcomes.auctions[outcome] + this.outcomes.bids[outcome] + this.outcomes.snapshots[outcome];
  }

  totalFinished(): number {
    return OUTCOMES.reduce((sum, o) => sum + this.total(o), 0);
  }
}

function zeroOutcomes(): Record<Outcome, number> {
  return { fetched: 0, unchanged: 0, empty: 0, missing: 0, redirected: 0, quarantined: 0, skipped: 0 };
}
