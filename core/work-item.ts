/**
 * A unit of work as it travels through a queue: small JSON, nothing derived.
 * `dt` (MaxSold) and `at` (VIA) are stamped by the planner so a retry or a rerun of
 * the same plan writes to the same raw key instead of adding a copy.
 */
export type WorkItem = MaxsoldWork | ViaWork;

export interface MaxsoldWork {
  source: 'maxsold';
  /** Auction id as the API spells it in the URL. */
  id: string;
  /** Set for the per-item bid-history request (`&itemid=`). */
  itemId?: string;
  /** Partition date `YYYY-MM-DD` the plan was made for. */
  dt: string;
  /**
   * The poll after the auction closed: asked unconditionally and stored even if unchanged,
   * so its final prices have a row fetched after the close.
   */
  final?: true;
  /**
   * A re-poll's closing time as its state/seen/ marker holds it (`20261127T180000Z`): when
   * the poll finds the same, the normaliser leaves the marker as it is (one PUT less).
   */
  closes?: string;
}

export interface ViaWork {
  source: 'via';
  /** Planned snapshot instant, UTC ISO-8601 to the second (`2026-11-26T12:15:00Z`). */
  at: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const ID = /^[1-9]\d{0,11}$/;
const CLOSES = /^\d{8}T\d{6}Z$/;

/** Validates a queue message; throws a TypeError naming the field that is wrong. */
export function parseWorkItem(value: unknown): WorkItem {
  const v = (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>;
  if (v === null || typeof v !== 'object') throw new TypeError('work item: expected a JSON object');
  if (v.source === 'maxsold') {
    if (typeof v.id !== 'string' || !ID.test(v.id))
      throw new TypeError(`work item: "id" must be a positive integer string, got ${JSON.stringify(v.id)}`);
    if (typeof v.dt !== 'string' || !DATE.test(v.dt))
      throw new TypeError(`work item: "dt" must be YYYY-MM-DD, got ${JSON.stringify(v.dt)}`);
    if (v.itemId !== undefined && (typeof v.itemId !== 'string' || !ID.test(v.itemId))) {
      throw new TypeError(`work item: "itemId" must be a positive integer string, got ${JSON.stringify(v.itemId)}`);
    }
    if (v.final !== undefined && v.final !== true)
      throw new TypeError(`work item: "final" must be true when present, got ${JSON.stringify(v.final)}`);
    if (v.closes !== undefined && (typeof v.closes !== 'string' || !CLOSES.test(v.closes)))
      throw new TypeError(`work item: "closes" must be a UTC instant like 20261127T180000Z, got ${JSON.stringify(v.closes)}`);
    const item: MaxsoldWork =
      v.itemId === undefined ? { source: 'maxsold', id: v.id, dt: v.dt } : { source: 'maxsold', id: v.id, itemId: v.itemId, dt: v.dt };
    if (v.final === true) item.final = true;
    if (v.closes !== undefined) item.closes = v.closes;
    return item;
  }
  if (v.source === 'via') {
    if (typeof v.at !== 'string' || !INSTANT.test(v.at))
      throw new TypeError(`work item: "at" must be a UTC instant like 2026-11-26T12:15:00Z, got ${JSON.stringify(v.at)}`);
    return { source: 'via', at: v.at };
  }
  throw new TypeError(`work item: "source" must be "maxsold" or "via", got ${JSON.stringify(v.source)}`);
}

/** Short human label for logs and reports. */
export function describeItem(item: WorkItem): string {
  if (item.source === 'via') return `via@${item.at}`;
  return item.itemId ? `maxsold ${item.id}/item ${item.itemId}` : `maxsold ${item.id}`;
}

/** UTC date `YYYY-MM-DD` of an epoch-ms instant. */
export function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** UTC instant truncated to the second, `2026-11-26T12:15:00Z`. */
export function utcSecond(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + 'Z';
}
