import { closesLabel, parseSeenMarker, SEEN_PREFIX } from './normalise-object.js';
import { planAuctions, type IdRange } from './planner.js';
import type { ObjectStore, WorkQueue } from './ports.js';
import { utcDate, utcSecond, type WorkItem } from './work-item.js';

export const CURSOR_KEY = 'state/maxsold-cursor.json';

export interface DispatchConfig {
  /** First auction id to plan when nothing has been seen yet. */
  startId: number;
  /** New auction ids planned past the highest one seen, per dispatch. */
  window: number;
  /** An explicit range planned in full on every dispatch, instead of the cursor. */
  explicit?: IdRange[];
  /**
   * The first run (no cursor yet, or one later than the run) asks auctions that closed this long
   * ago for their final prices; later runs ask those that closed since the run before. @default 3600000
   */
  finalPollMs?: number;
  /**
   * How far past the window ids are probed, a window per run, for auctions beyond a run
   * of missing ids longer than the window (ids never published). @default 10 x window
   */
  maxGap?: number;
}

export interface MaxsoldCursor {
  /** Highest auction id known to exist (it was fetched and normalised). */
  highestSeen: number;
  /** Where the next probe past the window starts. */
  probeFrom?: number;
  /** The time of the run that wrote it: auctions closed by then have had their final poll planned. */
  updatedAt: string;
}

export interface DispatchSummary {
  plan: 'maxsold' | 'via';
  sent: number;
  newIds?: IdRange;
  /** Ids probed past the window this run. */
  probed?: IdRange;
  repolled?: number;
  closedRemoved?: number;
}

const BATCH = 1000;

/**
 * Plans one scheduled run and sends it. VIA: one snapshot stamped with the
 * schedule's time. MaxSold: the next `window` ids past the highest auction seen,
 * a window of ids probed further ahead, plus every auction still open (the normaliser
 * leaves a marker per auction under state/seen/, its closing time in the key), an auction
 * that has closed since the last run once more as its `final` poll; markers of auctions
 * that closed before the last run are removed. Measured from the last run, not by the
 * schedule's period, a run that failed or any schedule leaves no final poll out. The work per run is one
 * LIST per 1,000 markers, the sends and one cursor write. The cursor is written after
 * the send, so a failed send is simply planned again.
 */
export async function dispatch(
  plan: 'maxsold' | 'via',
  at: number,
  store: ObjectStore,
  queue: WorkQueue,
  config: DispatchConfig,
): Promise<DispatchSummary> {
  if (plan === 'via') {
    await queue.send([{ source: 'via', at: utcSecond(at) }]);
    return { plan, sent: 1 };
  }
  const dt = utcDate(at);
  if (config.explicit) {
    let sent = 0;
    let batch: WorkItem[] = [];
    for (const item of planAuctions(config.explicit, dt)) {
      batch.push(item);
      if (batch.length === BATCH) {
        await queue.send(batch);
        sent += batch.length;
        batch = [];
      }
    }
    await queue.send(batch);
    return { plan, sent: sent + batch.length };
  }
  const cursor = await readCursor(store);
  // One LIST: each marker's key holds its auction and closing time (no GET per auction).
  const latest = new Map<string, { key: string; closesAt: number | null }>();
  const stale: string[] = [];
  for await (const key of store.list(SEEN_PREFIX)) {
    const m = parseSeenMarker(key);
    if (!m) continue;
    const prev = latest.get(m.id);
    // A soft-close extension leaves a later marker: keep the latest closing time. A marker
    // without one (an empty answer) never hides one with it: the auction stays polled.
    if (!prev || (m.closesAt !== null && (prev.closesAt === null || m.closesAt > prev.closesAt))) {
      if (prev) stale.push(prev.key);
      latest.set(m.id, { key, closesAt: m.closesAt });
    } else stale.push(key);
  }
  const open: { id: string; closed: boolean; closes: string }[] = [];
  const closed: string[] = [...stale];
  let highestSeen = cursor?.highestSeen ?? config.startId - 1;
  // A cursor later than this run (an event with a future time, or an older run retried) is no
  // measure of what had its final poll: then the last finalPollMs, as on a first run.
  const lastRun = Date.parse(cursor?.updatedAt ?? '');
  const finalSince = Number.isFinite(lastRun) && lastRun <= at ? lastRun : at - (config.finalPollMs ?? 3_600_000);
  for (const [id, m] of latest) {
    highestSeen = Math.max(highestSeen, Number(id));
    if (m.closesAt !== null && m.closesAt > finalSince) open.push({ id, closed: m.closesAt <= at, closes: closesLabel(m.closesAt) });
    else closed.push(m.key);
  }
  const newIds: IdRange = { from: highestSeen + 1, to: highestSeen + config.window };
  // Past the window, one more window per run, up to maxGap ahead: a run of unpublished ids
  // longer than the window cannot stop discovery.
  const maxGap = config.maxGap ?? 10 * config.window;
  let probeFrom = Math.max(cursor?.probeFrom ?? 0, newIds.to + 1);
  if (probeFrom + config.window - 1 > highestSeen + maxGap) probeFrom = newIds.to + 1;
  const probe: IdRange = { from: probeFrom, to: Math.min(probeFrom + config.window - 1, highestSeen + maxGap) };
  const items: WorkItem[] = [...planAuctions(probe.to >= probe.from ? [newIds, probe] : [newIds], dt)];
  const planned = items.length;
  for (const { id, closed, closes } of open)
    if (Number(id) < newIds.from)
      items.push(closed ? { source: 'maxsold', id, dt, final: true, closes } : { source: 'maxsold', id, dt, closes });
  for (let i = 0; i < items.length; i += BATCH) await queue.send(items.slice(i, i + BATCH));
  const next: MaxsoldCursor = { highestSeen, probeFrom: probe.to + 1, updatedAt: new Date(at).toISOString() };
  await store.put(CURSOR_KEY, new TextEncoder().encode(JSON.stringify(next)));
  if (closed.length > 0) await store.delete(closed);
  return {
    plan,
    sent: items.length,
    newIds,
    probed: probe.to >= probe.from ? probe : undefined,
    repolled: items.length - planned,
    closedRemoved: closed.length,
  };
}

async function readCursor(store: ObjectStore): Promise<MaxsoldCursor | undefined> {
  const obj = await store.get(CURSOR_KEY);
  return obj ? (JSON.parse(new TextDecoder().decode(obj.body)) as MaxsoldCursor) : undefined;
}
