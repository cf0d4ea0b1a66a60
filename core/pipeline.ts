import { asFatal, FatalError } from './errors.js';
import { fetchItem, type FetchContext, type ItemResult } from './fetch-item.js';
import { processStored } from './normalise-object.js';
import type { ObjectStore } from './ports.js';
import { QUARANTINE_PREFIX, quarantineKey, rawKey } from './raw-key.js';
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
  /** The raw store as this thread sees it: what is stored already, quarantine. */
  store: ObjectStore;
}

/**
 * Plan → fetch → process and store, for as many items as the plan yields (streamed,
 * so a million ids cost no more memory than a hundred). Bid-history items found
 * along the way join the same run. The processor writes each body's table files and
 * then its raw object, the commit marker that `skipExisting` trusts on a rerun.
 *
 * A FatalError (disk full, retry budget spent in count or in time) stops the run: no new work is taken,
 * work in flight is abandoned, and `stats.stopReason` says why; so does an abort of
 * `ctx.signal` (SIGINT). Either way every finished item is stored and counted.
 */
export async function runPipeline(
  plan: Iterable<WorkItem> | AsyncIterable<WorkItem>,
  outer: PipelineContext,
  options: PipelineOptions,
): Promise<void> {
  const stop = new AbortController();
  const signal = outer.signal ? AbortSignal.any([outer.signal, stop.signal]) : stop.signal;
  const ctx: PipelineContext = { ...outer, signal };
  const iterator = (Symbol.asyncIterator in plan ? plan[Symbol.asyncIterator]() : plan[Symbol.iterator]()) as
    | AsyncIterator<WorkItem>
    | Iterator<WorkItem>;
  const followUps: WorkItem[] = [];
  const state: RunState = { quarantined: await listKeys(ctx.store, QUARANTINE_PREFIX), viaWaiting: 0 };
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

  // A lane waiting on the plan (the next VIA poll, minutes away) leaves as soon as the run stops:
  // the item it would get is not started.
  const stopped = new Promise<'stopped'>((resolve) => {
    if (signal.aborted) resolve('stopped');
    else signal.addEventListener('abort', () => resolve('stopped'), { once: true });
  });
  const nextItem = async (): Promise<WorkItem | undefined> => {
    if (signal.aborted) return undefined;
    if (followUps.length > 0) return followUps.shift();
    if (exhausted) return undefined;
    const r = await Promise.race([iterator.next(), stopped]);
    if (r === 'stopped' || signal.aborted) return undefined;
    if (r.done) {
      exhausted = true;
      return undefined;
    }
    return r.value;
  };

  const lane = async () => {
    // Each request listens to its lane's signal (while waiting for a slot, a backoff or an answer), not to the
    // run's: a signal then has a listener or two whatever the number of lanes, and Node's leak warning
    // (past 10 listeners on one signal) keeps its meaning. The lane's signal aborts with the run's.
    const laneCtx: PipelineContext = { ...ctx, signal: AbortSignal.any([signal]) };
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
        for (const b of await handleItem(item, laneCtx, options, state)) followUps.push(b);
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
  if (fatal) ctx.stats.stopReason ??= fatal.message;
  else if (outer.signal?.aborted) ctx.stats.stopReason ??= (outer.signal.reason as Error)?.message ?? 'interrupted';
  if (fatal) throw fatal;
}

interface RunState {
  /** Quarantine entries from earlier runs: cleared when their item succeeds. */
  quarantined: Set<string>;
  /** The last VIA snapshot's metadata: its validators make the next poll conditional. */
  lastVia?: Record<string, string>;
  /** Before this run's first VIA poll: the newest snapshot an earlier run stored (its day or the day before). */
  storedVia?: Promise<Record<string, string> | undefined>;
  /** Settles when the VIA poll in flight has: polls go one at a time. */
  viaInFlight?: Promise<unknown>;
  /** VIA polls due and not yet started. */
  viaWaiting: number;
}

/**
 * One item from plan to stored outcome. Returns follow-up items (bid histories). VIA polls go
 * one at a time, each conditional on the one before: a poll that came due while the previous
 * was still out (a slow answer, a Retry-After pause) would otherwise be asked the same question
 * and store the same snapshot again. A waiting poll that a later one has come due behind is
 * skipped: the later one asks for the newest snapshot, and the waits do not add up.
 */
function handleItem(item: WorkItem, ctx: PipelineContext, options: PipelineOptions, state: RunState): Promise<WorkItem[]> {
  if (item.source !== 'via') return handleOne(item, ctx, options, state);
  state.viaWaiting++;
  const turn = (state.viaInFlight ?? Promise.resolve()).then(() => {
    if (--state.viaWaiting > 0) {
      ctx.stats.plan(item);
      ctx.stats.finish(item, 'skipped');
      return [];
    }
    return handleOne(item, ctx, options, state);
  });
  state.viaInFlight = turn.catch(() => undefined);
  return turn;
}

async function handleOne(item: WorkItem, ctx: PipelineContext, options: PipelineOptions, state: RunState): Promise<WorkItem[]> {
  const { stats, store } = ctx;
  const key = rawKey(item);
  const label = describeItem(item);
  stats.plan(item);
  // A committed raw object has its metadata; only that counts as stored.
  const stored = item.source === 'via' ? undefined : await store.head(key);
  const committed = stored?.['fetched-at'] !== undefined;
  // One fetched from another server (the simulator's, say) is neither skipped as done nor
  // overwritten: a data directory holds one server's data.
  if (committed && stored?.url !== undefined && !stored.url.startsWith(`${ctx.origins.maxsold}/`)) {
    throw new FatalError(
      `${key} was fetched from ${URL.canParse(stored.url) ? new URL(stored.url).origin : stored.url}, and this run fetches from ${ctx.origins.maxsold}: one data directory holds one server's data; give this run another --out`,
    );
  }
  const ours = committed ? stored : undefined;
  if (options.skipExisting && ours) {
    stats.finish(item, 'skipped');
    return options.withBids && item.source === 'maxsold' && !item.itemId ? await bidsOfStored(item, key, ctx) : [];
  }
  const previous =
    item.source === 'via' ? (state.lastVia ?? (await (state.storedVia ??= newestSnapshot(item.at, ctx.origins.via, store)))) : ours;
  let result: ItemResult;
  try {
    // A changed refetch replaces the committed version: its table files are rewritten.
    result = await fetchItem(item, ctx, { previous, replaces: committed });
  } catch (e) {
    // An abandoned item stays planned but unfinished: the report says the run is incomplete.
    if (ctx.signal?.aborted && !(e instanceof FatalError)) return [];
    throw e;
  }
  const clearQuarantine = async () => {
    if (state.quarantined.delete(quarantineKey(key))) await store.delete([quarantineKey(key)]);
  };
  switch (result.outcome) {
    case 'fetched': {
      const { stored } = result;
      await clearQuarantine();
      for (const [table, rows] of Object.entries(stored.rows)) stats.addRows(table, rows);
      stats.tableFiles += stored.tableFiles;
      stats.bytesStored += stored.rawBytes;
      stats.addAnomalies(stored.anomalies);
      stats.finish(item, 'fetched');
      if (item.source === 'via') state.lastVia = result.metadata;
      if (options.withBids && item.source === 'maxsold' && !item.itemId) {
        return stored.bidItemIds.map((itemId) => ({ source: 'maxsold', id: item.id, itemId, dt: item.dt }));
      }
      return [];
    }
    case 'unchanged':
      stats.finish(item, 'unchanged');
      // Stored before without its bid histories (no --with-bids then): they are planned now.
      return options.withBids && item.source === 'maxsold' && !item.itemId ? await bidsOfStored(item, key, ctx) : [];
    case 'empty':
      await clearQuarantine();
      stats.finish(item, 'empty', label);
      return [];
    case 'missing':
      stats.finish(item, 'missing', label);
      return [];
    case 'redirected':
      stats.finish(item, 'redirected', `${label} → ${result.detail ?? result.reason}`);
      return [];
    case 'quarantined':
      await quarantine(key, result.rawGz, result.metadata, state, store);
      stats.finish(item, 'quarantined', `${label}: ${result.reason}`);
      return [];
  }
}

/**
 * Quarantines an item with its reason. A failure without a body (a reset, a refused connection)
 * keeps the bytes an earlier attempt quarantined, and says whose they are.
 */
async function quarantine(
  key: string,
  rawGz: Uint8Array | undefined,
  metadata: Record<string, string>,
  state: RunState,
  store: ObjectStore,
): Promise<void> {
  const at = quarantineKey(key);
  const earlier = rawGz === undefined && state.quarantined.has(at) ? await store.get(at) : undefined;
  const kept = earlier && earlier.body.length > 0 && earlier.metadata.reason !== undefined ? earlier : undefined;
  await store.put(at, rawGz ?? kept?.body ?? new Uint8Array(0), kept ? { ...metadata, 'body-reason': kept.metadata.reason! } : metadata);
}

/** A rerun's first poll is conditional on, and compared with, what the last run stored: no duplicate snapshot. */
async function newestSnapshot(at: string, origin: string, store: ObjectStore): Promise<Record<string, string> | undefined> {
  const mine = rawKey({ source: 'via', at });
  const dayBefore = rawKey({ source: 'via', at: new Date(Date.parse(at) - 86_400_000).toISOString() });
  for (const day of [mine, dayBefore]) {
    let newest: string | undefined;
    for await (const key of store.list(day.slice(0, day.lastIndexOf('/') + 1))) if (key <= mine && (!newest || key > newest)) newest = key;
    const found = newest && (await store.head(newest));
    if (found) return found.url === undefined || found.url.startsWith(`${origin}/`) ? found : undefined;
  }
  return undefined;
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
  const result = await processStored(item, key, stored, ctx.processor, { checkOnly: true });
  return result.kind === 'stored' ? result.bidItemIds.map((itemId) => ({ source: 'maxsold', id: item.id, itemId, dt: item.dt })) : [];
}
