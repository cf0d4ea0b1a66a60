import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { encodeTableFile } from '../adapters/parquet.js';
import type { CompactionResult } from '../core/compaction.js';
import type { ProcessFigures } from '../core/report.js';
import { rawKey } from '../core/raw-key.js';
import { firstRequest, interpretResponse, REAL_ORIGINS } from '../core/sources/index.js';
import type { Row, TableName } from '../core/tables.js';
import { auctionBodies } from './auction-bodies.js';
import { runCommand } from './command-run.js';
import { cliProgram } from './programs.js';

/** `scraper compact` on one partition of per-object files, in a fresh process. */
export interface CompactRun {
  shape: 'auctions' | 'bid histories';
  files: number;
  rows: number;
  parts: number;
  wallSeconds: number;
  cpuSeconds: number;
  /** CPU per row merged: flat across sizes when the work grows with the rows. */
  cpuMicrosPerRow: number;
  peakRssMb: number;
}

const DT = 'dt=2026-11-26';

/** One file per table per auction, as the normaliser writes them (realistic bodies: long text, ~100 items). */
async function auctionPartition(dir: string, firstId: number, auctions: number): Promise<void> {
  for (const table of ['maxsold_auctions', 'maxsold_items']) await mkdir(join(dir, 'tables', table, DT), { recursive: true });
  for (const b of auctionBodies(firstId, auctions)) {
    const i = interpretResponse(b.item, firstRequest(b.item, REAL_ORIGINS), gunzipSync(b.gz).toString('utf8'), REAL_ORIGINS, {
      sourceKey: rawKey(b.item),
      fetchedAt: Date.parse('2026-11-26T12:00:00Z'),
      normalise: true,
    });
    if (i.kind !== 'accepted') throw new Error(`auction ${b.item.id} not accepted`);
    for (const table of ['maxsold_auctions', 'maxsold_items'] as TableName[])
      await writeFile(
        join(dir, 'tables', table, DT, `maxsold-${b.item.id}.parquet`),
        encodeTableFile(table, (i.tables[table] ?? []) as Row[]),
      );
  }
}

/** One file per item's bid history (1-15 bids), as the normaliser writes them. */
async function bidPartition(dir: string, files: number): Promise<void> {
  const at = join(dir, 'tables', 'maxsold_bids', DT);
  await mkdir(at, { recursive: true });
  for (let i = 0; i < files; i++) {
    const auction = 104_000 + (i % 300);
    const item = 7_000_000 + i;
    const sourceKey = `raw/source=maxsold_bids/${DT}/auction=${auction}/item=${item}.json.gz`;
    const rows: Row[] = Array.from({ length: 1 + (i % 15) }, (_, position) => ({
      auction_id: auction,
      item_id: item,
      position,
      bid_at: Date.parse('2026-11-26T10:00:00Z') + position * 60_000,
      amount: 5 + position * 2.5,
      is_proxy: position % 3 === 0,
      source_key: sourceKey,
      fetched_at: Date.parse('2026-11-26T12:00:00Z'),
    }));
    await writeFile(join(at, `bids-${auction}-${item}.parquet`), encodeTableFile('maxsold_bids', rows));
  }
}

/**
 * `scraper compact --all` on partitions of two shapes (auctions: few files of ~100 long rows;
 * bid histories: many files of a few short rows), each at a size and at four times it: the
 * CPU per row at both sizes says whether the work grows with the rows or faster.
 */
export async function runCompact(o: { quick: boolean; firstId: number; log: (line: string) => void }): Promise<CompactRun[]> {
  const sizes = o.quick ? { auctions: [25, 100], bids: [200, 800] } : { auctions: [500, 2000], bids: [5000, 20_000] };
  const runs: CompactRun[] = [];
  const plans = [
    ...sizes.auctions.map((n) => ({ shape: 'auctions' as const, n, make: (dir: string) => auctionPartition(dir, o.firstId, n) })),
    ...sizes.bids.map((n) => ({ shape: 'bid histories' as const, n, make: (dir: string) => bidPartition(dir, n) })),
  ];
  for (const plan of plans) {
    const dir = await mkdtemp(join(tmpdir(), 'bench-compact-'));
    try {
      o.log(`  compact: ${plan.n} ${plan.shape} …`);
      await plan.make(dir);
      const run = await runCommand(cliProgram(), ['compact', '--all', '--json', '--out', dir], { facts: 'stdout' });
      if (run.exitCode !== 0) throw new Error(`scraper compact exited with ${run.exitCode}: ${run.stderr.slice(-500)}`);
      const r = run.facts as unknown as CompactionResult & { process: ProcessFigures };
      runs.push({
        shape: plan.shape,
        files: r.filesMerged,
        rows: r.rows,
        parts: r.partsWritten,
        wallSeconds: run.wallSeconds,
        cpuSeconds: r.process.cpuSeconds,
        cpuMicrosPerRow: (r.process.cpuSeconds * 1e6) / Math.max(1, r.rows),
        peakRssMb: Math.round(r.process.peakRssMb),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return runs;
}
