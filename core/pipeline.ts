import { asFatal, FatalError } from './errors.js';
import { fetchItem, type FetchContext, type ItemResult } from './fetch-item.js';
import { processStored } from './normalise-object.js';
import type { ObjectStore, TableCodec } from './ports.js';
import { QUARANTINE_PREFIX, quarantineKey, rawKey } from './raw-key.js';
import { recoverBatches, TableBatcher, type BatchEntry } from './table-batcher.js';
import { describeItem, type WorkItem } from './work-item.js';

export interface PipelineOptions {
  /** Items worked on at once (fetching, processing or writing). Bounds memory. */
  lanes: number;
  /** Skip items whose raw object already exists: a rerun resumes. */
  skipExisting: boolean;
  /** After an auction, also fetch the bid history of every item that has bids. */
  withBids: boolean;
}

export interface PipelineContext extends FetchContext {
  store: ObjectStore;
  /** Reads and rewrites table files when a refetch replaces rows. */
  codec: TableCodec;
  /** Bodies per batch of table files, and the longest a body waits for its batch (see TableBatcher). */
  batch?: { maxItems?: number; maxAgeMs?: number };
}

/**
 * Plan → fetch → process → store, for as many items as the plan yields (streamed,
 * so a million ids cost no more memory than a hundred). Bid-history items found
 * along the way join the same run. Fetched bodies are committed in batches (raw
 * objects, then one table file per table per batch; see TableBatcher): the raw object
 * is the commit marker that `skipExisting` trusts on a rerun, and a batch a stopped
 * run left half committed is finished first.
 *
 * A FatalError (disk full, retry budget spent in count or in time) stops the run: no new work is taken,
 * work in flight is abandoned, and `stats.stopReason` says why; so does an abort of
 * `ctx.signal` (SIGINT). Either way every finished item is stored and counted.
 */
export async function runPipeline(plan: Iterable<WorkItem> | AsyncIterable<WorkItem>, outer: PipelineContext, options: PipelineOptions): Promise<void> {
  const stop = new AbortController();
  const signal = outer.signal ? AbortSignal.any([outer.signal, stop.signal]) : stop.signal;
  const ctx: PipelineContext = { ...outer, signal };
  const iterator = (Symbol.asyncIterator in plan ? plan[Symbol.asyncIterator]() : plan[Symbol.iterator]()) as AsyncIterator<WorkItem> | Iterator<WorkItem>;
  const followUps: WorkItem[] = [];
  const tables = { store: ctx.store, processor: ctx.processor, codec: ctx.codec };
  try {
    ctx.stats.batchesRecovered += await recoverBatches(tables);
  } catch (e) {
    // Nothing new is fetched over a batch that cannot be finished.
    const fatal = asFatal(e, "cannot finish an earlier run's batch");
    ctx.stats.stopReason ??= fatal.message;
    throw fatal;
  }
  const runId = `${new Date(ctx.clock.now()).toISOString().replace(/[-:]|\.\d+/g, '')}-${Math.floor(ctx.random() * 0xffffff).toString(16).padStart(6, '0')}`;
  const batcher = new TableBatcher({ ...tables, ...ctx.batch, runId, stats: ctx.stats });
  const state: RunState = { quarantined: await listKeys(ctx.store, QUARANTINE_PREFIX), lastVia: undefined, batcher };
  let exhausted = false;
  let busy = 0;
  let wake: (() => void) | undefined;
  let fatal: FatalError | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  // Time as well as count: a server that only throttles or fails ends the run within the budget's time.
  const watchdog = new AbortController();
  const gaveUp = ctx.budget?.watch(ctx.clock, ctx.stats, watchdog.signal).then((why) => {
    if (!why) return;
    fatal ??= new FatalError(why);
    stop.abort(fatal);
  });

  const nextItem = async (): Promise<WorkItem | undefined> => {
    if (signal.aborted) return undefined;
    if (followUps.length > 0) return followUps.shift();
    if (exhausted) return undefined;
    const r = await iterator.next();
    if (r.done) {
      exhausted = true;
      return undefined;
    }
    return r.value;
  };

  const lane = async () => {
    for (;;) {
      const item = await nextItem();
      if (!item) {
        if (busy === 0 || signal.aborted) return notify();
        await new Promise<void>((resolve) => {
          const previous = wake;
          wake = () => {
            previous?.();
            resolve();
          };
        });
        continue;
      }
      // Work after a lull (the next VIA poll) starts the time without progress afresh.
      if (busy++ === 0) ctx.budget?.progressed(ctx.clock.now());
      try {
        for (const b of await handleItem(item, ctx, options, state)) followUps.push(b);
      } catch (e) {
        // Whatever escapes an item (a store that cannot write, a bug) stops the run cleanly, report and all.
        fatal ??= asFatal(e, 'unexpected error');
        stop.abort(fatal);
      } finally {
        busy--;
        notify();
      }
    }
  };

  await Promise.all(Array.from({ length: options.lanes }, lane));
  watchdog.abort();
  await gaveUp;
  // Whatever was fetched is committed, also when the run stops early.
  try {
    await batcher.close();
  } catch (e) {
    fatal ??= asFatal(e, 'cannot commit a batch');
  }
  if (fatal) ctx.stats.stopReason ??= fatal.message;
  else if (outer.signal?.aborted) ctx.stats.stopReason ??= (outer.signal.reason as Error)?.message ?? 'interrupted';
  if (fatal) throw fatal;
}

interface RunState {
  /** Quarantine entries from earlier runs: cleared when their item succeeds. */
  quarantined: Set<string>;
  /** The last VIA snapshot's metadata: its validators make the next poll conditional. */
  lastVia: Record<string, string> | undefined;
  batcher: TableBatcher;
}

/** One item from plan to stored outcome. Returns follow-up items (bid histories). */
async function handleItem(item: WorkItem, ctx: PipelineContext, options: PipelineOptions, state: RunState): Promise<WorkItem[]> {
  const { stats, store } = ctx;
  const key = rawKey(item);
  const label = describeItem(item);
  stats.plan(item);
  // A committed raw object has its metadata; only that counts as stored.
  const stored = item.source === 'via' ? undefined : await store.head(key);
  if (options.skipExisting && stored?.['fetched-at']) {
    stats.finish(item, 'skipped');
    return options.withBids && item.source === 'maxsold' && !item.itemId ? await bidsOfStored(item, key, ctx) : [];
  }
  const previous = item.source === 'via' ? state.lastVia : stored?.['fetched-at'] ? stored : undefined;
  let result: ItemResult;
  try {
    result = await fetchItem(item, ctx, previous);
  } catch (e) {
    // An abandoned item stays planned but unfinished: the report says the run is incomplete.
    if (ctx.signal?.aborted && !(e instanceof FatalError)) return [];
    throw e;
  }
  const clearQuarantine = async () => {
    if (state.quarantined.delete(quarantineKey(key))) await store.delete([quarantineKey(key)]);
  };
  // A changed refetch replaces the committed version: its rows go when the new ones land.
  const replaces = item.source !== 'via' && stored?.['fetched-at'] ? stored : undefined;
  const commit = (entry: Omit<BatchEntry, 'key' | 'replaces'>) => state.batcher.add({ ...entry, key, replaces });
  switch (result.outcome) {
    case 'fetched': {
      const { accepted } = result;
      // Read sizes first: a store may take the buffers (a writer thread receives them by transfer).
      const rawBytes = accepted.rawGz.byteLength;
      await commit({
        rawGz: accepted.rawGz,
        metadata: result.metadata,
        chunks: accepted.chunks,
        committed: async () => {
          await clearQuarantine();
          for (const c of accepted.chunks) stats.addRows(c.table, c.rows);
          stats.bytesStored += rawBytes;
          stats.addAnomalies(accepted.anomalies);
          stats.finish(item, 'fetched');
        },
      });
      if (item.source === 'via') state.lastVia = result.metadata;
      if (options.withBids && item.source === 'maxsold' && !item.itemId) {
        return accepted.bidItemIds.map((itemId) => ({ source: 'maxsold', id: item.id, itemId, dt: item.dt }));
      }
      return [];
    }
    case 'unchanged':
      stats.finish(item, 'unchanged');
      return [];
    case 'empty': {
      const done = async () => {
        await clearQuarantine();
        stats.finish(item, 'empty', label);
      };
      if (result.rawGz && result.metadata) await commit({ rawGz: result.rawGz, metadata: result.metadata, chunks: [], committed: done });
      else await done();
      return [];
    }
    case 'missing':
      stats.finish(item, 'missing', label);
      return [];
    case 'redirected':
      stats.finish(item, 'redirected', `${label} → ${result.detail ?? result.reason}`);
      return [];
    case 'quarantined':
      await store.put(quarantineKey(key), result.rawGz ?? new Uint8Array(0), result.metadata);
      stats.finish(item, 'quarantined', `${label}: ${result.reason}`);
      return [];
  }
}

async function listKeys(store: ObjectStore, prefix: string): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const k of store.list(prefix)) keys.add(k);
  return keys;
}

/** On a resumed run the auction is already stored: read its bid list from the raw object. */
async function bidsOfStored(item: WorkItem & { source: 'maxsold' }, key: string, ctx: PipelineContext): Promise<WorkItem[]> {
  const stored = await ctx.store.get(key);
  if (!stored || stored.metadata.outcome === 'empty') return [];
  const result = await processStored(item, key, stored, ctx.processor);
  return result.kind === 'accepted' ? result.bidItemIds.map((itemId) => ({ source: 'maxsold', id: item.id, itemId, dt: item.dt })) : [];
}
