import { describe, expect, it } from 'vitest';
import { CURSOR_KEY, dispatch } from '../../core/dispatch.js';
import { seenMarkerKey } from '../../core/normalise-object.js';
import type { ObjectStore, StoredObject, WorkQueue } from '../../core/ports.js';
import type { WorkItem } from '../../core/work-item.js';

/** A bucket in memory that counts what the dispatcher asks of it. */
class CountingStore implements ObjectStore {
  readonly objects = new Map<string, StoredObject>();
  gets = 0;
  lists = 0;
  async put(key: string, body: Uint8Array): Promise<void> {
    this.objects.set(key, { body, metadata: {} });
  }
  async get(key: string): Promise<StoredObject | undefined> {
    this.gets++;
    return this.objects.get(key);
  }
  async head(key: string): Promise<Record<string, string> | undefined> {
    return this.objects.get(key)?.metadata;
  }
  async *list(prefix: string): AsyncIterable<string> {
    this.lists++;
    for (const k of [...this.objects.keys()].sort()) if (k.startsWith(prefix)) yield k;
  }
  async delete(keys: string[]): Promise<void> {
    for (const k of keys) this.objects.delete(k);
  }
}

class ListQueue implements WorkQueue {
  readonly items: WorkItem[] = [];
  async send(items: WorkItem[]): Promise<void> {
    this.items.push(...items);
  }
}

const HOUR = 3_600_000;
const at = Date.parse('2026-11-26T12:00:00Z');

describe('dispatch (MaxSold)', () => {
  it('learns 3,000 open auctions from a LIST, with no GET per auction', async () => {
    const store = new CountingStore();
    for (let id = 100_000; id < 103_000; id++) await store.put(seenMarkerKey(String(id), at + 24 * HOUR), new Uint8Array(0));
    const queue = new ListQueue();
    const summary = await dispatch('maxsold', at, store, queue, { startId: 100_000, window: 200 });
    expect(summary.repolled).toBe(3000);
    // The cursor is the only object read.
    expect(store.gets).toBe(1);
  });

  it('keeps the latest closing time when a soft-close extension left a second marker', async () => {
    const store = new CountingStore();
    await store.put(seenMarkerKey('100001', at - 2 * HOUR), new Uint8Array(0));
    await store.put(seenMarkerKey('100001', at + HOUR), new Uint8Array(0));
    const queue = new ListQueue();
    const summary = await dispatch('maxsold', at, store, queue, { startId: 100_000, window: 5, maxGap: 5 });
    expect(summary.repolled).toBe(1);
    expect([...store.objects.keys()].filter((k) => k.startsWith('state/seen/'))).toEqual([seenMarkerKey('100001', at + HOUR)]);
  });

  it('keeps polling an auction whose later answer was empty: a marker without a closing time hides none', async () => {
    const store = new CountingStore();
    await store.put(seenMarkerKey('100001', at + HOUR), new Uint8Array(0));
    await store.put(seenMarkerKey('100001', null), new Uint8Array(0));
    // Seen empty first, lots and a closing time later.
    await store.put(seenMarkerKey('100002', null), new Uint8Array(0));
    await store.put(seenMarkerKey('100002', at + 2 * HOUR), new Uint8Array(0));
    const queue = new ListQueue();
    const summary = await dispatch('maxsold', at, store, queue, { startId: 100_000, window: 5, maxGap: 5 });
    expect(summary.repolled).toBe(2);
    expect([...store.objects.keys()].filter((k) => k.startsWith('state/seen/')).sort()).toEqual(
      [seenMarkerKey('100001', at + HOUR), seenMarkerKey('100002', at + 2 * HOUR)].sort(),
    );
  });

  it('asks for a closed auction once more as its final poll, and an open one as a plain poll, each with the closing time its marker holds', async () => {
    const store = new CountingStore();
    await store.put(seenMarkerKey('100001', at - HOUR / 2), new Uint8Array(0));
    await store.put(seenMarkerKey('100002', at + HOUR), new Uint8Array(0));
    const queue = new ListQueue();
    await dispatch('maxsold', at, store, queue, { startId: 100_000, window: 5, maxGap: 5 });
    const repolls = queue.items.filter((i) => i.source === 'maxsold' && Number(i.id) < 100_003);
    expect(repolls).toEqual([
      { source: 'maxsold', id: '100001', dt: '2026-11-26', final: true, closes: '20261126T113000Z' },
      { source: 'maxsold', id: '100002', dt: '2026-11-26', closes: '20261126T130000Z' },
    ]);
  });

  it.each([
    ['a run that failed (the hourly schedule)', [0, 2 * HOUR]],
    ['a schedule of every 3 hours', [0, 3 * HOUR, 6 * HOUR]],
    ['a schedule of every 20 minutes', [0, HOUR / 3, (2 * HOUR) / 3, HOUR, (4 * HOUR) / 3]],
  ])('after %s, every auction that closed between two runs gets exactly one final poll', async (_, runs) => {
    const store = new CountingStore();
    const queue = new ListQueue();
    // Open at the first run, closing at minutes 10, 70 and 130 after it.
    const closing = { '100001': at + HOUR / 6, '100002': at + (7 * HOUR) / 6, '100003': at + (13 * HOUR) / 6 };
    for (const [id, closesAt] of Object.entries(closing)) await store.put(seenMarkerKey(id, closesAt), new Uint8Array(0));
    for (const offset of runs) await dispatch('maxsold', at + offset, store, queue, { startId: 100_000, window: 5, maxGap: 5 });
    const finals = queue.items.filter((i) => i.source === 'maxsold' && i.final).map((i) => i.source === 'maxsold' && i.id);
    const last = at + runs.at(-1)!;
    expect(finals.sort()).toEqual(Object.keys(closing).filter((id) => closing[id as keyof typeof closing] <= last));
  });

  it('a run stamped in the future (a hand-made event) costs no later run its final polls', async () => {
    const store = new CountingStore();
    const queue = new ListQueue();
    const closing = { '100001': at + HOUR / 6, '100002': at + (7 * HOUR) / 6 };
    for (const [id, closesAt] of Object.entries(closing)) await store.put(seenMarkerKey(id, closesAt), new Uint8Array(0));
    const config = { startId: 100_000, window: 5, maxGap: 5 };
    await dispatch('maxsold', at, store, queue, config);
    await dispatch('maxsold', at + 24 * HOUR, store, { send: async () => {} }, config);
    for (const offset of [HOUR, 2 * HOUR]) await dispatch('maxsold', at + offset, store, queue, config);
    const finals = queue.items.filter((i) => i.source === 'maxsold' && i.final).map((i) => i.source === 'maxsold' && i.id);
    expect(finals.sort()).toEqual(['100001', '100002']);
  });

  it('moves past a run of missing ids longer than the window', async () => {
    const store = new CountingStore();
    const queue = new ListQueue();
    // Auctions exist up to 100005, then 40 ids were never published; 100046 exists.
    const exists = (id: number) => id <= 100_005 || id >= 100_046;
    for (let run = 0; run < 12 && !queue.items.some((i) => i.source === 'maxsold' && i.id === '100046'); run++) {
      const before = queue.items.length;
      await dispatch('maxsold', at + run * HOUR, store, queue, { startId: 100_000, window: 10 });
      // The normaliser marks each planned auction that exists.
      for (const item of queue.items.slice(before)) {
        if (item.source === 'maxsold' && exists(Number(item.id)))
          await store.put(seenMarkerKey(item.id, at + 100 * HOUR), new Uint8Array(0));
      }
    }
    expect(queue.items.some((i) => i.source === 'maxsold' && i.id === '100046')).toBe(true);
    expect(JSON.parse(new TextDecoder().decode(store.objects.get(CURSOR_KEY)!.body)).highestSeen).toBeGreaterThanOrEqual(100_005);
  });
});
