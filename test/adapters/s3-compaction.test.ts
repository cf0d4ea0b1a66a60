import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parquetCodec } from '../../adapters/parquet-merge.js';
import { decodeParquet, encodeParquet, encodeTableFile } from '../../adapters/parquet.js';
import { S3ObjectStore } from '../../adapters/s3-store.js';
import { compactTables } from '../../core/compaction.js';
import type { ObjectStore } from '../../core/ports.js';
import { TABLES, type Row, type TableSchema } from '../../core/tables.js';
import { EmulatedAws } from '../../emulator/emulated-aws.js';

// S3 with its conditional writes and deletes (If-Match / If-None-Match), as the emulation serves
// it to the deployment's clients.
let aws: EmulatedAws;
let store: S3ObjectStore;
let bucket = 0;

beforeAll(async () => {
  aws = await EmulatedAws.start({
    sleep: async () => {},
    now: () => Date.now(),
    onObjectCreated: () => {},
    onMessageSent: () => {},
    latency: { s3: { min: 0, max: 0 }, sqs: { min: 0, max: 0 } },
  });
});
afterAll(async () => aws?.stop());
beforeEach(async () => {
  const name = `compaction-${++bucket}`;
  await aws.admin.s3.send(new CreateBucketCommand({ Bucket: name }));
  store = new S3ObjectStore(aws.s3, name);
});

const DIR = 'tables/maxsold_bids/dt=2026-11-22/';
const bids = (itemId: number, amounts: number[]): Row[] =>
  amounts.map((amount, position) => ({
    auction_id: 104375,
    item_id: itemId,
    position,
    bid_at: Date.parse('2026-11-22T10:00:00Z'),
    amount,
    is_proxy: false,
    source_key: `raw/source=maxsold_bids/dt=2026-11-22/auction=104375/item=${itemId}.json.gz`,
    fetched_at: Date.parse('2026-11-22T12:00:00Z'),
  }));
const file = (itemId: number) => `${DIR}bids-104375-${itemId}.parquet`;
const put = (itemId: number, amounts: number[]) => store.put(file(itemId), encodeTableFile('maxsold_bids', bids(itemId, amounts)));
const keys = async () => {
  const out: string[] = [];
  for await (const k of store.list('tables/')) out.push(k);
  return out.sort();
};
const amountsIn = async (key: string) => decodeParquet(TABLES.maxsold_bids, (await store.get(key))!.body).map((r) => r.amount);

/** The store as compaction sees it, with another writer acting right after one read. */
function racing(afterRead: (key: string) => Promise<void>): ObjectStore {
  const s = store;
  return {
    put: (k, b, m) => s.put(k, b, m),
    get: async (k) => {
      const obj = await s.get(k);
      await afterRead(k);
      return obj;
    },
    head: (k) => s.head(k),
    list: (p) => s.list(p),
    delete: (k) => s.delete(k),
    putIfUnchanged: (k, b, e) => s.putIfUnchanged(k, b, e),
    deleteIfUnchanged: (k, e) => s.deleteIfUnchanged(k, e),
  };
}

const part = (n: number) => `${DIR}compacted-${String(n).padStart(6, '0')}.parquet`;
const amountsUnder = async () => {
  const all: unknown[] = [];
  for (const k of await keys()) all.push(...(await amountsIn(k)));
  return all.sort();
};
const compact = (s: ObjectStore = store, more: Partial<Parameters<typeof compactTables>[2]> = {}) =>
  compactTables(s, parquetCodec, { today: '2026-11-23', includeOpen: false, ...more });

/** A compaction paused at its first delete (its first part written), until released. */
function pausedBeforeDeletes() {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let atDelete!: () => void;
  const reached = new Promise<void>((r) => (atDelete = r));
  const s: ObjectStore = {
    ...racing(async () => {}),
    deleteIfUnchanged: async (k, e) => {
      atDelete();
      await gate;
      return store.deleteIfUnchanged(k, e);
    },
  };
  return { s, reached, release };
}

describe('the emulated S3', () => {
  it("takes a PUT past fauxqs's 11 MiB body limit, as S3 takes up to 5 GiB (a compacted day of VIA stops is bigger)", async () => {
    const body = new Uint8Array(12 * 1024 * 1024).map((_, i) => i % 251);
    await store.put(`${DIR}big.parquet`, body);
    // Compared as buffers: a deep equality over 12 million elements takes minutes.
    expect(Buffer.compare(Buffer.from((await store.get(`${DIR}big.parquet`))!.body), Buffer.from(body))).toBe(0);
  });
});

describe('compaction of a partition in S3', () => {
  it('keeps a file the normaliser rewrote between the read and the delete; the next run merges it, its new rows replacing the old', async () => {
    await put(1, [5, 3]);
    await put(2, [9]);
    let rewritten = false;
    const r = await compact(
      racing(async (k) => {
        if (k === file(1) && !rewritten) {
          rewritten = true;
          await put(1, [7, 5, 3]);
        }
      }),
    );
    expect(r).toMatchObject({ partitions: 1, changedMeanwhile: 1 });
    expect(await keys()).toEqual([file(1), part(1)]);
    expect(await amountsIn(file(1))).toEqual([7, 5, 3]);
    const again = await compact();
    expect(again).toMatchObject({ partsRewritten: 1, partsWritten: 1 });
    expect(await keys()).toEqual([part(1), part(2)]);
    expect(await amountsUnder()).toEqual([3, 5, 7, 9]);
  });

  it('deletes nothing when another compaction wrote the same part first', async () => {
    await put(1, [5]);
    await compact();
    await put(2, [9]);
    const r = await compact(
      racing(async (k) => {
        if (k === file(2)) await store.put(part(2), encodeTableFile('maxsold_bids', bids(3, [6])));
      }),
    );
    expect(r).toMatchObject({ lostRaces: 1, filesMerged: 0 });
    expect(await keys()).toEqual([file(2), part(1), part(2)]);
  });

  it('deletes no file when another compaction changed the part it rewrites first; the next run settles both', async () => {
    await put(1, [5]);
    await put(2, [9]);
    await compact();
    await put(1, [6]);
    let writes = 0;
    const r = await compact(
      racing(async (k) => {
        // A different body each time: S3's ETag is the body's MD5.
        if (k === part(1)) await store.put(part(1), encodeTableFile('maxsold_bids', [...bids(1, [5]), ...bids(2, [9, ++writes])]));
      }),
    );
    expect(r).toMatchObject({ lostRaces: 1, filesMerged: 0, partsRewritten: 0 });
    // The new part (file 1's rows) is written; file 1 stays, and part 1 still holds its old rows.
    expect(await keys()).toEqual([file(1), part(1), part(2)]);
    await compact();
    expect(await keys()).toEqual([part(1), part(3)]);
    // File 1's newest rows once; item 2's as the other writer last left part 1 (9, then its second write's 2).
    expect(await amountsUnder()).toEqual([2, 6, 9]);
  });

  it('works in bounded steps, a part each, and stops between them when told to', async () => {
    for (let i = 1; i <= 5; i++) await put(i, [i]);
    let steps = 0;
    const first = await compact(store, { maxFilesPerStep: 2, keepGoing: () => steps++ < 2 });
    expect(first).toMatchObject({ partitions: 1, filesMerged: 4, partsWritten: 2, rows: 4, partitionsLeft: 1 });
    expect(await keys()).toEqual([file(5), part(1), part(2)]);
    const rest = await compact(store, { maxFilesPerStep: 2 });
    expect(rest).toMatchObject({ partitions: 1, partitionsLeft: 0, partsWritten: 1 });
    expect(await keys()).toEqual([part(1), part(2), part(3)]);
    expect(await amountsUnder()).toEqual([1, 2, 3, 4, 5]);
  });

  it('never reads a part again to add files to a partition (the work grows with the rows, not their square)', async () => {
    for (let i = 1; i <= 6; i++) await put(i, [i]);
    await compact(store, { maxFilesPerStep: 2 });
    for (let i = 7; i <= 8; i++) await put(i, [i]);
    const read: string[] = [];
    const r = await compact(
      racing(async (k) => void read.push(k)),
      { maxFilesPerStep: 2 },
    );
    expect(r).toMatchObject({ filesMerged: 2, partsWritten: 1, partsRewritten: 0 });
    // Each part's source keys once (a run's check for newer versions of what it holds), then only the new files.
    expect(read.filter((k) => k.includes('compacted')).sort()).toEqual([part(1), part(2), part(3)]);
    expect(read.filter((k) => !k.includes('compacted')).sort()).toEqual([file(7), file(8)]);
    expect(await amountsUnder()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('a reprocessed file replaces the rows it had in a part, and a part left empty is deleted', async () => {
    await put(1, [5]);
    await compact();
    await put(1, [6, 5]);
    const r = await compact();
    expect(r).toMatchObject({ partsRewritten: 1, partsWritten: 1 });
    expect(await keys()).toEqual([part(2)]);
    expect(await amountsUnder()).toEqual([5, 6]);
  });

  it('a step repeated after a crash between its write and its deletes leaves one version of each row', async () => {
    await put(1, [5]);
    await put(2, [9]);
    const crashing: ObjectStore = { ...racing(async () => {}), deleteIfUnchanged: async () => Promise.reject(new Error('crash')) };
    await expect(compact(crashing)).rejects.toThrow('crash');
    expect(await keys()).toEqual([file(1), file(2), part(1)]);
    await compact();
    expect(await keys()).toEqual([part(2)]);
    expect(await amountsUnder()).toEqual([5, 9]);
  });

  it('loses no row when two runs overlap, one deleting files the other has read', async () => {
    for (let i = 1; i <= 4; i++) await put(i, [i]);
    const x = pausedBeforeDeletes();
    const xRun = compact(x.s, { maxFilesPerStep: 2 });
    await x.reached; // X has written part 1 (files 1 and 2) and is about to delete them.
    let partReads = 0;
    const y = racing(async (k) => {
      // Y holds files 1 and 2 by its second read of part 1; then X deletes them and goes on with files 3 and 4.
      if (k === part(1) && ++partReads === 2) {
        x.release();
        await xRun;
      }
    });
    await compact(y, { maxFilesPerStep: 2 });
    expect(await amountsUnder()).toEqual([1, 2, 3, 4]);
    expect((await keys()).every((k) => k.includes('compacted'))).toBe(true);
  });

  it('counts a file listed but gone when read (another run merged it) as done, and writes no empty part', async () => {
    await put(1, [1]);
    await put(2, [2]);
    const x = pausedBeforeDeletes();
    const xRun = compact(x.s);
    await x.reached;
    const y = racing(async (k) => {
      // Y has listed files 1 and 2 beside part 1: X now deletes them.
      if (k === part(1)) {
        x.release();
        await xRun;
      }
    });
    let steps = 0;
    const r = await compact(y, { keepGoing: () => steps++ < 20 });
    expect(r).toMatchObject({ partsWritten: 0, partitionsLeft: 0 });
    expect(await keys()).toEqual([part(1)]);
  });

  it('deletes nothing when a file cannot be merged (an older layout whose values no longer fit)', async () => {
    const floatIds: TableSchema = {
      ...TABLES.maxsold_bids,
      columns: TABLES.maxsold_bids.columns.map((c) => (c.name === 'auction_id' ? { ...c, type: 'float64' } : c)),
    };
    await put(1, [1]);
    await store.put(
      file(2),
      encodeParquet(
        floatIds,
        bids(2, [2]).map((r) => ({ ...r, auction_id: 104375.5 })),
      ),
    );
    await put(3, [3]);
    await expect(compact()).rejects.toThrow('auction_id: 104375.5 does not fit int64');
    expect(await keys()).toEqual([file(1), file(2), file(3)]);
  });

  it('adds to a partition compacted by an earlier version (one compacted.parquet)', async () => {
    await put(1, [5]);
    await put(2, [9]);
    const legacy = `${DIR}compacted.parquet`;
    await store.put(legacy, encodeTableFile('maxsold_bids', [...bids(1, [5]), ...bids(2, [9])]));
    await store.delete([file(1), file(2)]);
    await put(3, [4]);
    await put(2, [9, 8]);
    const r = await compact();
    expect(r).toMatchObject({ partsRewritten: 1, partsWritten: 1, filesMerged: 2 });
    expect(await keys()).toEqual([part(1), legacy]);
    expect(await amountsIn(legacy)).toEqual([5]);
    expect(await amountsUnder()).toEqual([4, 5, 8, 9]);
  });
});
