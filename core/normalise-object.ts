import type { ObjectStore, Processor, ProcessResult, StoredObject } from './ports.js';
import { itemFromRawKey, quarantineKey, RAW_SUFFIX, tableFileKey } from './raw-key.js';
import type { RunStats } from './run-stats.js';
import { utcSecond, type WorkItem } from './work-item.js';

/**
 * Every auction normalised in AWS leaves a small marker here with its closing time:
 * the dispatcher polls the open ones again and advances its cursor past the rest.
 */
export const SEEN_PREFIX = 'state/seen/';

export function seenMarkerKey(auctionId: string): string {
  return `${SEEN_PREFIX}auction=${auctionId}.json`;
}

export interface NormaliseOptions {
  /** Where table files go (the same store, or a fresh one during a rebuild). */
  target: ObjectStore;
  /** Leave a state/seen/ marker per auction (the AWS normaliser does; a local rebuild need not). */
  recordSeen?: boolean;
}

/** A stored raw object through the same processing as a fresh response (its body is gzip, as stored). */
export function processStored(item: WorkItem, key: string, stored: StoredObject, processor: Processor): Promise<ProcessResult> {
  return processor.process({
    item,
    request: { url: stored.metadata.url ?? '', round: 0 },
    body: stored.body,
    contentEncoding: 'gzip',
    sourceKey: key,
    fetchedAt: Date.parse(stored.metadata['fetched-at'] ?? '') || 0,
  });
}

export type NormaliseOutcome = 'fetched' | 'empty' | 'quarantined' | 'skipped';

/**
 * One committed raw object → its table files, with the same processing as a fetch.
 * A body that no longer validates is copied to quarantine/ with the reason.
 */
export async function normaliseRawObject(key: string, source: ObjectStore, processor: Processor, stats: RunStats, options: NormaliseOptions): Promise<NormaliseOutcome> {
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
  const result = await processStored(item, key, stored, processor);
  if (result.kind === 'accepted') {
    // One file per table for this object: each object is its own trigger here (an S3 event, a rebuild).
    await Promise.all(result.chunks.map(async (c) => options.target.put(tableFileKey(c.table, key), await processor.encodeTable(c.table, [c.batch]))));
    for (const c of result.chunks) stats.addRows(c.table, c.rows);
    stats.tableFiles += result.chunks.length;
    stats.addAnomalies(result.anomalies);
    stats.finish(item, 'fetched');
    if (options.recordSeen && item.source === 'maxsold' && !item.itemId) {
      const closesAt = result.closesAt === undefined ? null : utcSecond(result.closesAt);
      await source.put(seenMarkerKey(item.id), new TextEncoder().encode(JSON.stringify({ id: item.id, closesAt })));
    }
    return 'fetched';
  }
  if (result.kind === 'failed' && result.outcome === 'empty') {
    stats.finish(item, 'empty');
    return 'empty';
  }
  const reason = result.kind === 'failed' ? result.reason : 'page_incomplete';
  await source.put(quarantineKey(key), stored.body, { ...stored.metadata, reason });
  stats.failure(reason);
  stats.finish(item, 'quarantined', `${key}: ${reason}`);
  return 'quarantined';
}
