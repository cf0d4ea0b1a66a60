import type { ObjectStore, Processor, ProcessInput, ProcessResult, StoredObject } from './ports.js';
import { itemFromRawKey, quarantineKey, RAW_SUFFIX } from './raw-key.js';
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
  /** Leave a state/seen/ marker per auction (the AWS normaliser does; a local rebuild need not). */
  recordSeen?: boolean;
}

/**
 * A stored raw object through the same processing as a fresh response (its body is
 * gzip, as stored): its table files are written where the processor writes, the raw
 * object is left as it is.
 */
export function processStored(item: WorkItem, key: string, stored: StoredObject, processor: Processor, extra: Pick<ProcessInput, 'checkOnly'> = {}): Promise<ProcessResult> {
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
export async function normaliseRawObject(key: string, source: ObjectStore, processor: Processor, stats: RunStats, options: NormaliseOptions = {}): Promise<NormaliseOutcome> {
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
  if (result.kind === 'stored') {
    for (const [table, rows] of Object.entries(result.rows)) stats.addRows(table, rows);
    stats.tableFiles += result.tableFiles;
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
