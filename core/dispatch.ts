import { SEEN_PREFIX } from './normalise-object.js';
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
  /** After its last lot closes, an auction is polled once more within this time (final prices). @default 3600000 */
  finalPollMs?: number;
}

export interface MaxsoldCursor {
  /** Highest auction id known to exist (it was fetched and normalised). */
  highestSeen: number;
  updatedAt: string;
}

export interface DispatchSummary {
  plan: 'maxsold' | 'via';
  sent: number;
  newIds?: IdRange;
  repolled?: number;
  closedRemoved?: number;
}

const BATCH = 1000;

/**
 * Plans one scheduled run and sends it. VIA: one snapshot stamped with the
 * schedule's time. MaxSold: the next `window` ids past the highest auction seen,
 * plus every auction still open (the normaliser leaves a marker per auction under
 * state/seen/); markers of auctions closed for longer than `finalPollMs` are
 * removed once the cursor has moved past them. The cursor
 * is written after the send, so a failed send is simply planned again.
 */
export async function dispatch(plan: 'maxsold' | 'via', at: number, store: ObjectStore, queue: WorkQueue, config: DispatchConfig): Promise<DispatchSummary> {
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
  const open: string[] = [];
  const closed: string[] = [];
  let highestSeen = cursor?.highestSeen ?? config.startId - 1;
  for await (const key of store.list(SEEN_PREFIX)) {
    const marker = await store.get(key);
    if (!marker) continue;
    const { id, closesAt } = JSON.parse(new TextDecoder().decode(marker.body)) as { id: string; closesAt: string | null };
    highestSeen = Math.max(highestSeen, Number(id));
    if (closesAt !== null && Date.parse(closesAt) + (config.finalPollMs ?? 3_600_000) > at) open.push(id);
    else closed.push(key);
  }
  const newIds: IdRange = { from: highestSeen + 1, to: highestSeen + config.window };
  const items: WorkItem[] = [...planAuctions([newIds], dt)];
  for (const id of open) if (Number(id) < newIds.from) items.push({ source: 'maxsold', id, dt });
  for (let i = 0; i < items.length; i += BATCH) await queue.send(items.slice(i, i + BATCH));
  await store.put(CURSOR_KEY, new TextEncoder().encode(JSON.stringify({ highestSeen, updatedAt: new Date(at).toISOString() } satisfies MaxsoldCursor)));
  if (closed.length > 0) await store.delete(closed);
  return { plan, sent: items.length, newIds, repolled: items.length - config.window, closedRemoved: closed.length };
}

async function readCursor(store: ObjectStore): Promise<MaxsoldCursor | undefined> {
  const obj = await store.get(CURSOR_KEY);
  return obj ? (JSON.parse(new TextDecoder().decode(obj.body)) as MaxsoldCursor) : undefined;
}
