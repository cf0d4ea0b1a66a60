import type { ObjectStore, Processor, ProcessInput, ProcessResult, StoredObject, WorkQueue } from './ports.js';
import { itemFromRawKey, quarantineKey, RAW_SUFFIX } from './raw-key.js';
import type { RunStats } from './run-stats.js';
import { parseWorkItem, utcSecond, type WorkItem } from './work-item.js';

/**
 * Every auction normalised in AWS leaves an empty marker here whose key holds its id and
 * closing time, so the dispatcher learns every open auction from one LIST (no GET per
 * auction). A soft-close extension writes a later marker; the dispatcher keeps the latest.
 */
export const SEEN_PREFIX = 'state/seen/';

/** `state/seen/auction=103417/closes=20261127T180000Z` (`closes=none`: nothing left to poll, e.g. an empty auction). */
export function seenMarkerKey(auctionId: string, closesAt: number | null): string {
  return `${SEEN_PREFIX}auction=${auctionId}/closes=${closesAt === null ? 'none' : closesLabel(closesAt)}`;
}

/** A closing time as markers and work items spell it: `20261127T180000Z`. */
export function closesLabel(closesAt: number): string {
  return utcSecond(closesAt).replace(/[-:]/g, '');
}

/** The work item a raw object was fetched for, as its metadata records it (the key alone lacks `closes` and `final`). */
function plannedItem(metadata: Record<string, string>): WorkItem | undefined {
  try {
    return parseWorkItem(metadata['work-item'] ?? '');
  } catch {
    return undefined;
  }
}

/** The auction and closing time of a marker key, or undefined for a foreign key. */
export function parseSeenMarker(key: string): { id: string; closesAt: number | null } | undefined {
  const m = /^state\/seen\/auction=(\d+)\/closes=(none|\d{8}T\d{6}Z)$/.exec(key);
  const id = m?.[1];
  const c = m?.[2];
  if (id === undefined || c === undefined) return undefined;
  if (c === 'none') return { id, closesAt: null };
  return {
    id,
    closesAt: Date.UTC(+c.slice(0, 4), +c.slice(4, 6) - 1, +c.slice(6, 8), +c.slice(9, 11), +c.slice(11, 13), +c.slice(13, 15)),
  };
}

export interface NormaliseOptions {
  /** Leave a state/seen/ marker per auction (the AWS normaliser does; a local rebuild need not). */
  recordSeen?: boolean;
  /**
   * Plan the bid history (`&itemid=`) of every item with bids: on an auction's snapshot
   * taken after its last lot closed (the final bids), or on every snapshot when
   * `everyPoll`. The AWS normaliser does; a local rebuild need not.
   */
  bids?: { queue: WorkQueue; everyPoll: boolean };
  /**
   * The raw object may have overwritten an earlier version whose table files are in place (a
   * re-poll the same day, in S3): files of tables it has no rows for go, all of them when it is
   * empty. A rebuild into a fresh location need not.
   */
  replaces?: boolean;
}

/**
 * The bid-history items an auction's stored snapshot calls for (none for a bid history itself):
 * with `everyPoll`, on every snapshot; otherwise from a snapshot taken after the last lot closed,
 * unless a final poll is sure to follow. `planned` is the work item the snapshot was fetched for:
 * a re-poll planned while the auction was open (`closes` set, not `final`) that finds that same
 * closing time is followed by the final poll the dispatcher plans once it has passed, so a re-poll
 * that happened to be fetched after the close leaves the bid histories to it (planning them from
 * both fetched them twice, into two partitions when the polls fell on either side of midnight).
 * A newly found auction that closes between its planning and its fetch still has them planned
 * twice (its work item does not say when it was planned); that window is seconds to minutes.
 */
export function bidItemsToPlan(
  item: WorkItem,
  result: Extract<ProcessResult, { kind: 'stored' }>,
  fetchedAt: number,
  everyPoll: boolean,
  planned?: WorkItem,
): WorkItem[] {
  if (item.source !== 'maxsold' || item.itemId) return [];
  if (!everyPoll) {
    const closed = result.closesAt !== undefined && result.closesAt <= fetchedAt;
    // Only when the poll found the closing time it was planned from: an extension it was the
    // first to see is a marker the dispatcher may list too late to plan a final poll from.
    const finalPollFollows =
      planned?.source === 'maxsold' &&
      planned.closes !== undefined &&
      planned.final !== true &&
      result.closesAt !== undefined &&
      closesLabel(result.closesAt) === planned.closes;
    if (!closed || finalPollFollows) return [];
  }
  return result.bidItemIds.map((itemId) => ({ source: 'maxsold', id: item.id, itemId, dt: item.dt }));
}

/**
 * A stored raw object through the same processing as a fresh response (its body is
 * gzip, as stored): its table files are written where the processor writes, the raw
 * object is left as it is.
 */
export function processStored(
  item: WorkItem,
  key: string,
  stored: StoredObject,
  processor: Processor,
  extra: Pick<ProcessInput, 'checkOnly' | 'replaces'> = {},
): Promise<ProcessResult> {
  return processor.process({
    item,
    request: { url: stored.metadata.url ?? '', round: 0 },
    body: stored.body,
    contentEncoding: 'gzip',
    sourceKey: key,
    fetchedAt: Date.parse(stored.metadata['fetched-at'] ?? '') || 0,
    ...extra,
  });
}

export type NormaliseOutcome = 'fetched' | 'empty' | 'quarantined' | 'skipped';

/**
 * One committed raw object → its table files (written by the processor, one per
 * table), with the same processing as a fetch. A body that no longer validates is
 * copied to quarantine/ with the reason.
 */
export async function normaliseRawObject(
  key: string,
  source: ObjectStore,
  processor: Processor,
  stats: RunStats,
  options: NormaliseOptions = {},
): Promise<NormaliseOutcome> {
  const item = itemFromRawKey(key);
  if (!item || !key.endsWith(RAW_SUFFIX)) return 'skipped';
  stats.plan(item);
  const stored = await source.get(key);
  const fetchedAt = Date.parse(stored?.metadata['fetched-at'] ?? '');
  if (!stored || Number.isNaN(fetchedAt)) {
    // A body without metadata was never committed (its run stopped mid-write).
    stats.finish(item, 'skipped');
    return 'skipped';
  }
  const result = await processStored(item, key, stored, processor, { replaces: options.replaces });
  if (result.kind === 'stored') {
    for (const [table, rows] of Object.entries(result.rows)) stats.addRows(table, rows);
    stats.tableFiles += result.tableFiles;
    stats.addAnomalies(result.anomalies);
    stats.finish(item, 'fetched');
    const planned = plannedItem(stored.metadata);
    if (options.recordSeen && item.source === 'maxsold' && !item.itemId) {
      const closesAt = result.closesAt ?? null;
      const unchanged = closesAt !== null && planned?.source === 'maxsold' && closesLabel(closesAt) === planned.closes;
      if (!unchanged) await source.put(seenMarkerKey(item.id, closesAt), new Uint8Array(0));
    }
    if (options.bids) {
      const bids = bidItemsToPlan(item, result, fetchedAt, options.bids.everyPoll, planned);
      if (bids.length > 0) {
        await options.bids.queue.send(bids);
        stats.bidsPlanned += bids.length;
      }
    }
    return 'fetched';
  }
  if (result.kind === 'failed' && result.outcome === 'empty') {
    // An empty auction exists all the same: the cursor may move past it.
    if (options.recordSeen && item.source === 'maxsold' && !item.itemId) await source.put(seenMarkerKey(item.id, null), new Uint8Array(0));
    stats.finish(item, 'empty');
    return 'empty';
  }
  const reason = result.kind === 'failed' ? result.reason : 'page_incomplete';
  await source.put(quarantineKey(key), stored.body, { ...stored.metadata, reason });
  stats.failure(reason);
  stats.finish(item, 'quarantined', `${key}: ${reason}`);
  return 'quarantined';
}
