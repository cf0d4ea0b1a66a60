import { describe, expect, it } from 'vitest';
import { parquetCodec } from '../../adapters/parquet.js';
import { InlineProcessor, processResponse } from '../../adapters/response-processor.js';
import { auctionBodies, processInput } from '../../bench/auction-bodies.js';
import { FatalError } from '../../core/errors.js';
import type { ObjectStore, StoredObject } from '../../core/ports.js';
import { rawKey, tableFileKey } from '../../core/raw-key.js';
import { REAL_ORIGINS } from '../../core/sources/index.js';
import { BATCH_META, BATCH_PREFIX, batchFileKey, recoverBatches, TableBatcher, type BatchEntry } from '../../core/table-batcher.js';
import { TABLES, type TableName } from '../../core/tables.js';

const DT = '2026-11-26';
const processor = new InlineProcessor({ origins: REAL_ORIGINS });

function memoryStore(): ObjectStore & { objects: Map<string, StoredObject> } {
  const objects = new Map<string, StoredObject>();
  return {
    objects,
    put: async (k, body, metadata = {}) => void objects.set(k, { body, metadata }),
    get: async (k) => objects.get(k),
    head: async (k) => objects.get(k)?.metadata,
    async *list(prefix) {
      for (const k of [...objects.keys()].sort()) if (k.startsWith(prefix)) yield k;
    },
    delete: async (ks) => ks.forEach((k) => objects.delete(k)),
  };
}

/** Entries for auctions `firstId…`, from the simulator's bodies, each as the pipeline hands it over. */
function entries(firstId: number, count: number, committed: string[] = [], fetchedAt = Date.parse(`${DT}T12:00:00Z`)): BatchEntry[] {
  return auctionBodies(firstId, count, DT).map((b) => {
    const r = processResponse(processInput(b, fetchedAt), { origins: REAL_ORIGINS });
    if (r.kind !== 'accepted') throw new Error('fixture body not accepted');
    const key = rawKey(b.item);
    return { key, rawGz: r.rawGz, metadata: { 'fetched-at': new Date(fetchedAt).toISOString(), sha256: r.sha256 }, chunks: r.chunks, committed: () => void committed.push(key) };
  });
}

/** Every row of a table in the store, as (source_key, fetched_at) pairs, sorted. */
function rowsOf(store: ReturnType<typeof memoryStore>, table: TableName): string[] {
  const out: string[] = [];
  for (const [key, o] of store.objects) {
    if (!key.startsWith(`tables/${table}/`)) continue;
    for (const r of parquetCodec.decode(TABLES[table], o.body)) out.push(`${r.source_key}@${r.fetched_at}`);
  }
  return out.sort();
}

const tableFiles = (store: ReturnType<typeof memoryStore>) => [...store.objects.keys()].filter((k) => k.startsWith('tables/')).sort();

describe('TableBatcher', () => {
  it('commits raw objects naming their batch, one table file per table per batch, and calls back once each is stored', async () => {
    const store = memoryStore();
    const committed: string[] = [];
    const batcher = new TableBatcher({ store, processor, codec: parquetCodec, runId: 'r1', maxItems: 2, maxAgeMs: 60_000 });
    for (const e of entries(100000, 5, committed)) await batcher.add(e);
    await batcher.close();

    expect(committed).toHaveLength(5);
    const ids = ['r1-000000', 'r1-000001', 'r1-000002'];
    expect(tableFiles(store)).toEqual(
      (['maxsold_auctions', 'maxsold_items'] as const).flatMap((t) => ids.map((id) => batchFileKey(t, DT, id))).sort(),
    );
    expect(store.objects.get(rawKey({ source: 'maxsold', id: '100004', dt: DT }))!.metadata[BATCH_META]).toBe('r1-000002');
    expect(rowsOf(store, 'maxsold_auctions')).toHaveLength(5);
    expect(new Set(rowsOf(store, 'maxsold_items').map((r) => r.split('@')[0])).size).toBe(5);
    expect([...store.objects.keys()].filter((k) => k.startsWith(BATCH_PREFIX))).toEqual([]);
  });

  it('with batches of one, add returns only once its entry is committed (the plain loop)', async () => {
    const store = memoryStore();
    const committed: string[] = [];
    const batcher = new TableBatcher({ store, processor, codec: parquetCodec, runId: 'r1', maxItems: 1 });
    for (const e of entries(100000, 3, committed)) {
      await batcher.add(e);
      expect(committed.at(-1)).toBe(e.key);
      expect(store.objects.has(e.key)).toBe(true);
    }
    await batcher.close();
    expect(tableFiles(store)).toHaveLength(6);
  });

  it('commits a part-filled batch after its maximum age, without waiting for close', async () => {
    const store = memoryStore();
    const committed: string[] = [];
    const batcher = new TableBatcher({ store, processor, codec: parquetCodec, runId: 'r1', maxItems: 100, maxAgeMs: 20 });
    for (const e of entries(100000, 2, committed)) await batcher.add(e);
    await new Promise((r) => setTimeout(r, 300));
    expect(committed).toHaveLength(2);
    await batcher.close();
  });

  it('a changed refetch replaces the old rows: removed from the batch file that held them, or from a file of their own', async () => {
    const store = memoryStore();
    const first = new TableBatcher({ store, processor, codec: parquetCodec, runId: 'r1', maxItems: 10 });
    for (const e of entries(100000, 3)) await first.add(e);
    await first.close();
    // One auction also has a per-object file, as `reprocess` or the AWS normaliser write them.
    const own = tableFileKey('maxsold_auctions', rawKey({ source: 'maxsold', id: '100001', dt: DT }));
    store.objects.set(own, store.objects.get(batchFileKey('maxsold_auctions', DT, 'r1-000000'))!);

    const later = Date.parse(`${DT}T18:00:00Z`);
    const second = new TableBatcher({ store, processor, codec: parquetCodec, runId: 'r2', maxItems: 10 });
    for (const e of entries(100000, 2, [], later)) await second.add({ ...e, replaces: store.objects.get(e.key)!.metadata });
    await second.close();

    const at = (id: number, t: number) => `${rawKey({ source: 'maxsold', id: String(id), dt: DT })}@${t}`;
    const noon = Date.parse(`${DT}T12:00:00Z`);
    expect(rowsOf(store, 'maxsold_auctions')).toEqual([at(100000, later), at(100001, later), at(100002, noon)].sort());
    expect(store.objects.has(own)).toBe(false);
    const items = rowsOf(store, 'maxsold_items');
    expect(items.filter((r) => r.endsWith(`@${noon}`)).every((r) => r.includes('auction=100002'))).toBe(true);
  });

  it('stops with a FatalError when the store cannot write, and takes nothing more', async () => {
    const store = memoryStore();
    store.put = async () => Promise.reject(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
    const committed: string[] = [];
    const batcher = new TableBatcher({ store, processor, codec: parquetCodec, runId: 'r1', maxItems: 1 });
    const [a, b] = entries(100000, 2, committed);
    await batcher.add(a).catch(() => {});
    await expect(batcher.close()).rejects.toBeInstanceOf(FatalError);
    await expect(batcher.add(b)).rejects.toBeInstanceOf(FatalError);
    expect(committed).toEqual([]);
  });
});

describe('recoverBatches', () => {
  /** A batch cut short after its journal and `committedCount` raw objects: no table file written. */
  async function cutShort(store: ReturnType<typeof memoryStore>, all: BatchEntry[], committedCount: number, replaced: { key: string; batch?: string }[] = []) {
    const id = 'dead-000000';
    const files = [batchFileKey('maxsold_auctions', DT, id), batchFileKey('maxsold_items', DT, id)];
    await store.put(`${BATCH_PREFIX}${id}.json`, new TextEncoder().encode(JSON.stringify({ id, raws: all.map((e) => e.key), files, replaced })));
    for (const e of all.slice(0, committedCount)) await store.put(e.key, e.rawGz, { ...e.metadata, [BATCH_META]: id });
    return id;
  }

  it('writes the table files of the raw objects that were committed, and only theirs', async () => {
    const store = memoryStore();
    const all = entries(100000, 4);
    const id = await cutShort(store, all, 2);
    // A file a killed run wrote with rows of bodies it never committed.
    store.objects.set(batchFileKey('maxsold_items', DT, id), { body: parquetCodec.encode(TABLES.maxsold_items, [{ source_key: all[3].key, fetched_at: 1 }], 'landing'), metadata: {} });

    expect(await recoverBatches({ store, processor, codec: parquetCodec })).toBe(1);
    expect(rowsOf(store, 'maxsold_auctions').map((r) => r.split('@')[0])).toEqual([all[0].key, all[1].key]);
    expect(new Set(rowsOf(store, 'maxsold_items').map((r) => r.split('@')[0]))).toEqual(new Set([all[0].key, all[1].key]));
    expect([...store.objects.keys()].filter((k) => k.startsWith(BATCH_PREFIX))).toEqual([]);
    expect(await recoverBatches({ store, processor, codec: parquetCodec })).toBe(0);
  });

  it('stops with a clear FatalError on a journal it cannot read', async () => {
    const store = memoryStore();
    await store.put(`${BATCH_PREFIX}broken.json`, new TextEncoder().encode('{"id": "x"'));
    await expect(recoverBatches({ store, processor, codec: parquetCodec })).rejects.toThrow(/state\/batches\/broken\.json is not a batch journal/);
    await expect(recoverBatches({ store, processor, codec: parquetCodec })).rejects.toBeInstanceOf(FatalError);
  });

  it('removes replaced rows only for bodies the cut-short batch committed', async () => {
    const store = memoryStore();
    const old = new TableBatcher({ store, processor, codec: parquetCodec, runId: 'r1', maxItems: 10 });
    for (const e of entries(100000, 2)) await old.add(e);
    await old.close();
    const fresh = entries(100000, 2, [], Date.parse(`${DT}T18:00:00Z`));
    // Both were refetched and changed; only the first new body was committed before the kill.
    await cutShort(store, fresh, 1, fresh.map((e) => ({ key: e.key, batch: 'r1-000000' })));
    await recoverBatches({ store, processor, codec: parquetCodec });
    const sources = rowsOf(store, 'maxsold_auctions');
    expect(sources).toEqual([`${fresh[0].key}@${Date.parse(`${DT}T18:00:00Z`)}`, `${fresh[1].key}@${Date.parse(`${DT}T12:00:00Z`)}`].sort());
    // The uncommitted one's rows stay in the file its raw object's metadata names, where a later replacement looks.
    expect(store.objects.get(fresh[1].key)!.metadata[BATCH_META]).toBe('r1-000000');
    const held = parquetCodec.decode(TABLES.maxsold_auctions, store.objects.get(batchFileKey('maxsold_auctions', DT, 'r1-000000'))!.body);
    expect(held.map((r) => r.source_key)).toEqual([fresh[1].key]);
  });
});
