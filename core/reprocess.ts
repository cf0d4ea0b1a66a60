import type { ObjectStore, Processor } from './ports.js';
import { itemFromRawKey, quarantineKey, RAW_PREFIX, RAW_SUFFIX } from './raw-key.js';
import type { RunStats } from './run-stats.js';

export interface ReprocessOptions {
  /** Where rebuilt table files go (a fresh location, swapped in by the caller). */
  target: ObjectStore;
  /** Objects processed at once; the processor's pool does the CPU work. */
  lanes: number;
  onObjectDone?: () => void;
}

/**
 * Rebuilds table files from every committed raw object (one with metadata), with
 * the same processing as a fetch, so "raw → tables" has a single definition.
 */
export async function reprocessRaw(source: ObjectStore, processor: Processor, stats: RunStats, options: ReprocessOptions): Promise<void> {
  const keys = source.list(RAW_PREFIX)[Symbol.asyncIterator]();
  const lane = async () => {
    for (;;) {
      const next = await keys.next();
      if (next.done) return;
      const key = next.value;
      const item = itemFromRawKey(key);
      if (!item || !key.endsWith(RAW_SUFFIX)) continue;
      stats.plan(item);
      const stored = await source.get(key);
      const fetchedAt = Date.parse(stored?.metadata['fetched-at'] ?? '');
      if (!stored || Number.isNaN(fetchedAt)) {
        // A body without metadata was never committed (the run stopped mid-write).
        stats.finish(item, 'skipped');
        options.onObjectDone?.();
        continue;
      }
      const result = await processor.process({
        item,
        request: { url: stored.metadata.url ?? '', round: 0 },
        body: stored.body,
        contentEncoding: 'gzip',
        sourceKey: key,
        fetchedAt,
      });
      if (result.kind === 'accepted') {
        await Promise.all(result.files.map((f) => options.target.put(f.key, f.bytes)));
        for (const f of result.files) stats.addRows(f.table, f.rows);
        stats.tableFiles += result.files.length;
        stats.addAnomalies(result.anomalies);
        stats.finish(item, 'fetched');
      } else if (result.kind === 'failed' && result.outcome === 'empty') {
        stats.finish(item, 'empty');
      } else {
        // The raw object stays where it is; a copy in quarantine/ says why it no longer normalises.
        const reason = result.kind === 'failed' ? result.reason : 'page_incomplete';
        await source.put(quarantineKey(key), stored.body, { ...stored.metadata, reason });
        stats.failure(reason);
        stats.finish(item, 'quarantined', `${key}: ${reason}`);
      }
      options.onObjectDone?.();
    }
  };
  await Promise.all(Array.from({ length: options.lanes }, lane));
}
