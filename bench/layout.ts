import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { TableQuery } from '../adapters/duckdb-query.js';
import { encodeParquet, type ParquetProfile } from '../adapters/parquet.js';
import { rawKey } from '../core/raw-key.js';
import { firstRequest, interpretResponse, REAL_ORIGINS } from '../core/sources/index.js';
import { TABLES, type Row, type TableName } from '../core/tables.js';
import { auctionBodies } from './auction-bodies.js';

/** One way of landing the same rows as Parquet files, and what it costs to write and to query. */
export interface LayoutResult {
  layout: string;
  /** What produces it in AWS. */
  trigger: string;
  normaliserInvocations: number;
  files: number;
  megabytes: number;
  encodeMs: number;
  /** Median of five runs of each query, ms. */
  scanAllMs: number;
  pointLookupMs: number;
}

const QUERIES = {
  scanAll: 'SELECT count(*), sum(current_bid) FROM maxsold_items',
  pointLookup: 'SELECT count(*) FROM maxsold_items WHERE auction_id = 100123',
};

/**
 * The normaliser's trigger, decided by measurement: an S3 event per raw object (one
 * invocation and one small file per table each), or an SQS queue with a batching
 * window (one invocation and one file per table per batch of N), or what nightly
 * compaction leaves (one file per table per day). Same rows in each.
 */
export async function runLayout(auctions: number, batch: number): Promise<LayoutResult[]> {
  const rows = auctionBodies(100000, auctions).map((b) => {
    const i = interpretResponse(b.item, firstRequest(b.item, REAL_ORIGINS), gunzipSync(b.gz).toString('utf8'), REAL_ORIGINS, {
      sourceKey: rawKey(b.item),
      fetchedAt: Date.now(),
      normalise: true,
    });
    if (i.kind !== 'accepted') throw new Error(`auction ${b.item.id} not accepted`);
    return i.tables;
  });
  const groups = (size: number) => Array.from({ length: Math.ceil(rows.length / size) }, (_, g) => rows.slice(g * size, (g + 1) * size));
  const layouts: Array<{ layout: string; trigger: string; groups: (typeof rows)[]; profile: ParquetProfile }> = [
    { layout: 'one file per raw object', trigger: 'S3 ObjectCreated → normaliser, directly', groups: groups(1), profile: 'landing' },
    {
      layout: `one file per batch of ${batch}`,
      trigger: `S3 → SQS, batch of ${batch} with a batching window`,
      groups: groups(batch),
      profile: 'landing',
    },
    { layout: 'one file per day (compacted)', trigger: 'nightly compaction of either', groups: groups(rows.length), profile: 'compacted' },
  ];
  const results: LayoutResult[] = [];
  for (const l of layouts) {
    const dir = await mkdtemp(join(tmpdir(), 'layout-'));
    try {
      let files = 0;
      let bytes = 0;
      let encodeMs = 0;
      for (const [g, group] of l.groups.entries()) {
        for (const table of ['maxsold_auctions', 'maxsold_items'] as TableName[]) {
          const tableRows = group.flatMap((t) => (t[table] ?? []) as Row[]);
          const t0 = performance.now();
          const parquet = encodeParquet(TABLES[table], tableRows, l.profile);
          encodeMs += performance.now() - t0;
          const path = join(dir, 'tables', table, 'dt=2026-11-26', `part-${g}.parquet`);
          await mkdir(dirname(path), { recursive: true });
          await writeFile(path, parquet);
          files++;
          bytes += parquet.byteLength;
        }
      }
      const db = await TableQuery.open(dir);
      try {
        results.push({
          layout: l.layout,
          trigger: l.trigger,
          normaliserInvocations: l.groups.length,
          files,
          megabytes: bytes / 1e6,
          encodeMs,
          scanAllMs: await median(db, QUERIES.scanAll),
          pointLookupMs: await median(db, QUERIES.pointLookup),
        });
      } finally {
        db.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return results;
}

async function median(db: TableQuery, sql: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await db.query(sql);
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[2]!;
}
