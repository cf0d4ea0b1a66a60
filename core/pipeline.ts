import { fetchItem, type FetchContext, type ItemResult } from './fetch-item.js';
import type { ObjectStore } from './ports.js';
import { quarantineKey, rawKey } from './raw-key.js';
import { describeItem, type WorkItem } from './work-item.js';

export interface PipelineOptions {
  /** Items worked on at once (fetching, processing or writing). Bounds memory. */
  lanes: number;
  /** Skip items whose raw object already exists: a rerun resumes. */
  skipExisting: boolean;
  /** After an auction, also fetch the bid history of every item that has bids. */
  withBids: boolean;
  /** Called after each item ends, for progress displays. */
  onItemDone?: () => void;
}

export interface PipelineContext extends FetchContext {
  store: ObjectStore;
}

/**
 * Plan → fetch → process → store, for as many items as the plan yields (streamed,
 * so a million ids cost no more memory than a hundred). Bid-history items found
 * along the way join the same run. Table files are written before the raw object:
 * the raw object is the commit marker that `skipExisting` trusts on a rerun.
 */
export async function runPipeline(plan: Iterable<WorkItem> | AsyncIterable<WorkItem>, ctx: PipelineContext, options: PipelineOptions): Promise<void> {
  const iterator = (Symbol.asyncIterator in plan ? plan[Symbol.asyncIterator]() : plan[Symbol.iterator]()) as AsyncIterator<WorkItem> | Iterator<WorkItem>;
  const followUps: WorkItem[] = [];
  let exhausted = false;
  let busy = 0;
  let wake: (() => void) | undefined;
  let failure: unknown;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const nextItem = async (): Promise<WorkItem | undefined> => {
    if (followUps.length > 0) return followUps.shift();
    if (exhausted || ctx.signal?.aborted) return undefined;
    const r = await iterator.next();
    if (r.done) {
      exhausted = true;
      return undefined;
    }
    return r.value;
  };

  const lane = async () => {
    while (failure === undefined) {
      const item = await nextItem();
      if (!item) {
        if (busy === 0 && followUps.length === 0) return notify();
        await new Promise<void>((resolve) => {
          const previous = wake;
          wake = () => {
            previous?.();
            resolve();
          };
        });
        continue;
      }
      busy++;
      try {
        const bids = await handleItem(item, ctx, options);
        for (const b of bids) followUps.push(b);
      } catch (e) {
        failure ??= e;
      } finally {
        busy--;
        options.onItemDone?.();
        notify();
      }
    }
  };

  await Promise.all(Array.from({ length: options.lanes }, lane));
  if (failure !== undefined) throw failure;
}

/** One item from plan to stored outcome. Returns follow-up items (bid histories). */
async function handleItem(item: WorkItem, ctx: PipelineContext, options: PipelineOptions): Promise<WorkItem[]> {
  const { stats, store } = ctx;
  const key = rawKey(item);
  const label = describeItem(item);
  stats.plan(item);
  // Only a committed raw object counts: its metadata is written last.
  if (options.skipExisting && (await store.head(key))?.['fetched-at']) {
    stats.finish(item, 'skipped');
    return options.withBids && item.source === 'maxsold' && !item.itemId ? await bidsOfStored(item, key, ctx) : [];
  }
  let result: ItemResult;
  try {
    result = await fetchItem(item, ctx);
  } catch (e) {
    // An aborted item stays planned but unfinished: the report says the run is incomplete.
    if (ctx.signal?.aborted) return [];
    throw e;
  }
  switch (result.outcome) {
    case 'fetched': {
      const { accepted } = result;
      await Promise.all(accepted.files.map((f) => store.put(f.key, f.bytes)));
      await store.put(key, accepted.rawGz, result.metadata);
      for (const f of accepted.files) stats.addRows(f.table, f.rows);
      stats.tableFiles += accepted.files.length;
      stats.bytesStored += accepted.rawGz.byteLength;
      stats.addAnomalies(accepted.anomalies);
      stats.finish(item, 'fetched');
      if (options.withBids && item.source === 'maxsold' && !item.itemId) {
        return accepted.bidItemIds.map((itemId) => ({ source: 'maxsold', id: item.id, itemId, dt: item.dt }));
      }
      return [];
    }
    case 'empty':
      if (result.rawGz && result.metadata) await store.put(key, result.rawGz, result.metadata);
      stats.finish(item, 'empty', label);
      return [];
    case 'missing':
      stats.finish(item, 'missing', label);
      return [];
    case 'quarantined':
      await store.put(quarantineKey(key), result.rawGz ?? new Uint8Array(0), result.metadata);
      stats.finish(item, 'quarantined', `${label}: ${result.reason}`);
      return [];
  }
}

/** On a resumed run the auction is already stored: read its bid list from the raw object. */
async function bidsOfStored(item: WorkItem & { source: 'maxsold' }, key: string, ctx: PipelineContext): Promise<WorkItem[]> {
  const stored = await ctx.store.get(key);
  if (!stored || stored.metadata.outcome === 'empty') return [];
  const fetchedAt = Date.parse(stored.metadata['fetched-at'] ?? '') || 0;
  const result = await ctx.processor.process({
    item,
    request: { url: stored.metadata.url ?? '', round: 0 },
    body: stored.body,
    contentEncoding: 'gzip',
    sourceKey: key,
    fetchedAt,
  });
  return result.kind === 'accepted' ? result.bidItemIds.map((itemId) => ({ source: 'maxsold', id: item.id, itemId, dt: item.dt })) : [];
}
