import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeTableFile, parquetCodec } from '../../adapters/parquet.js';
import { S3ObjectStore } from '../../adapters/s3-store.js';
import { compactTables } from '../../core/compaction.js';
import type { ObjectStore } from '../../core/ports.js';
import type { Row } from '../../core/tables.js';
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
const amountsIn = async (key: string) =>
  parquetCodec.decode((await import('../../core/tables.js')).TABLES.maxsold_bids, (await store.get(key))!.body).map((r) => r.amount);

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

describe('compaction of a partition in S3', () => {
  it('keeps a file the normaliser rewrote between the read and the delete; the next run merges it', async () => {
    await put(1, [5, 3]);
    await put(2, [9]);
    let rewritten = false;
    const r = await compactTables(
      racing(async (k) => {
        if (k === file(1) && !rewritten) {
          rewritten = true;
          await put(1, [7, 5, 3]);
        }
      }),
      parquetCodec,
      { today: '2026-11-23', includeOpen: false },
    );
    expect(r).toMatchObject({ partitions: 1, changedMeanwhile: 1 });
    expect(await keys()).toEqual([`${DIR}bids-104375-1.parquet`, `${DIR}compacted.parquet`]);
    expect(await amountsIn(file(1))).toEqual([7, 5, 3]);
    await compactTables(store, parquetCodec, { today: '2026-11-23', includeOpen: false });
    expect(await keys()).toEqual([`${DIR}compacted.parquet`]);
    expect((await amountsIn(`${DIR}compacted.parquet`)).sort()).toEqual([3, 5, 7, 9]);
  });

  it('deletes nothing when another compaction replaced the compacted file first', async () => {
    await put(1, [5]);
    await compactTables(store, parquetCodec, { today: '2026-11-23', includeOpen: false });
    await put(2, [9]);
    const r = await compactTables(
      racing(async (k) => {
        if (k.endsWith('compacted.parquet')) await store.put(k, encodeTableFile('maxsold_bids', bids(1, [6])));
      }),
      parquetCodec,
      { today: '2026-11-23', includeOpen: false },
    );
    expect(r).toMatchObject({ lostRaces: 1, filesMerged: 0 });
    expect(await keys()).toEqual([file(2), `${DIR}compacted.parquet`]);
  });

  it('works in bounded steps and stops between them when told to', async () => {
    for (let i = 1; i <= 5; i++) await put(i, [i]);
    let steps = 0;
    const first = await compactTables(store, parquetCodec, {
      today: '2026-11-23',
      includeOpen: false,
      maxFilesPerStep: 2,
      keepGoing: () => steps++ < 2,
    });
    expect(first).toMatchObject({ partitions: 1, filesMerged: 2 + 3, partitionsLeft: 1 });
    expect(await keys()).toEqual([file(5), `${DIR}compacted.parquet`]);
    const rest = await compactTables(store, parquetCodec, { today: '2026-11-23', includeOpen: false, maxFilesPerStep: 2 });
    expect(rest).toMatchObject({ partitions: 1, partitionsLeft: 0 });
    expect((await amountsIn(`${DIR}compacted.parquet`)).sort()).toEqual([1, 2, 3, 4, 5]);
  });
});
