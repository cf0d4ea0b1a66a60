import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Bench } from 'tinybench';
import { parseJsonBytes } from '../adapters/json-bytes.js';
import { encodeParquet, encodeRecordBatch } from '../adapters/parquet.js';
import { checkResponse } from '../adapters/response-processor.js';
import { systemClock } from '../core/clock.js';
import { HostLimiter } from '../core/limiter.js';
import { interpretResponse, REAL_ORIGINS } from '../core/sources/index.js';
import { TABLES, type Row } from '../core/tables.js';
import type { MaxsoldWork } from '../core/work-item.js';
import { fixtureText, SEED_AUCTION } from '../simulator/fixtures.js';
import { auctionBodies, processInput, type AuctionBody } from './auction-bodies.js';
import { FIRST_ID } from './options.js';

export interface MicroResult {
  name: string;
  /** What one operation is. */
  op: string;
  opsPerSecond: number;
  msPerOp: number;
  /** Relative margin of error of the mean, percent. */
  rme: number;
  samples: number;
  /** Throughput in the op's own unit (MB/s, rows/s, requests/s), when it has one. */
  throughput?: string;
}

interface Case {
  name: string;
  op: string;
  fn: () => unknown;
  /** Units per op and their name, for the throughput column. */
  per?: [number, string];
  /** Slow cases (a 100k-row Parquet file) run a few iterations instead of a time budget. */
  heavy?: boolean;
}

const MB = 1_000_000;

/**
 * The CPU cost of each step of processing one response, in isolation and warm: parse,
 * normalise, Arrow + Parquet, gzip, SHA-256, the limiter, and checkResponse whole.
 */
export async function runMicro(o: { quick: boolean; log?: (line: string) => void }): Promise<MicroResult[]> {
  const { sim, fixture, mb, rows100k, itemRowsOfSim, auctionRow } = inputs();
  const mbGz = gzipSync(mb);
  const normalise = (body: Uint8Array | string, item: MaxsoldWork) =>
    interpretResponse(item, { url: '', round: 0 }, body, REAL_ORIGINS, {
      sourceKey: 'raw/bench',
      fetchedAt: 0,
      normalise: true,
      parseJson: parseJsonBytes,
    });
  const fixtureItem: MaxsoldWork = { source: 'maxsold', id: '104375', dt: '2026-11-26' };
  const simPlain = gunzipSync(sim.gz);
  const simText = simPlain.toString('utf8');
  const kb = (n: number) => `${Math.round(n / 1024)} KiB`;
  const cases: Case[] = [
    {
      name: 'UTF-8 decode (Buffer.toString), one auction: one string over 128 KiB',
      op: `${kb(sim.plainBytes)} of JSON`,
      fn: () => simPlain.toString('utf8'),
      per: [sim.plainBytes / MB, 'MB/s'],
    },
    {
      name: 'UTF-8 decode + JSON.parse, one auction, whole',
      op: `${kb(sim.plainBytes)} of JSON`,
      fn: () => JSON.parse(simPlain.toString('utf8')),
      per: [sim.plainBytes / MB, 'MB/s'],
    },
    {
      name: 'parseJsonBytes, one auction (items parsed one by one)',
      op: `${kb(sim.plainBytes)} of JSON`,
      fn: () => parseJsonBytes(simPlain),
      per: [sim.plainBytes / MB, 'MB/s'],
    },
    {
      name: 'JSON.parse of the decoded text only, one auction',
      op: `${kb(sim.plainBytes)} of JSON`,
      fn: () => JSON.parse(simText),
      per: [sim.plainBytes / MB, 'MB/s'],
    },
    {
      name: 'parse + validate + normalise, one auction (simulator)',
      op: `${itemRowsOfSim} items`,
      fn: () => normalise(simPlain, sim.item),
      per: [itemRowsOfSim, 'rows/s'],
    },
    {
      name: 'parse + validate + normalise, fixture auction-104375',
      op: `${kb(Buffer.byteLength(fixture))} recorded response`,
      fn: () => normalise(fixture, fixtureItem),
    },
    {
      name: 'Arrow build + Parquet write, 100k item rows',
      op: '100,000 rows',
      fn: () => encodeParquet(TABLES.maxsold_items, rows100k),
      per: [rows100k.length, 'rows/s'],
      heavy: true,
    },
    {
      name: "Arrow build + Parquet write, one auction's items",
      op: `${itemRowsOfSim} rows (one file per raw object)`,
      fn: () => encodeParquet(TABLES.maxsold_items, rows100k.slice(0, itemRowsOfSim)),
      per: [itemRowsOfSim, 'rows/s'],
    },
    {
      name: "Arrow record batch (IPC), one auction's items",
      op: `${itemRowsOfSim} rows (what parquet-wasm is given)`,
      fn: () => encodeRecordBatch(TABLES.maxsold_items, rows100k.slice(0, itemRowsOfSim)),
      per: [itemRowsOfSim, 'rows/s'],
    },
    {
      name: 'Arrow build + Parquet write, one auction row',
      op: '1 maxsold_auctions row (its own file)',
      fn: () => encodeParquet(TABLES.maxsold_auctions, [auctionRow]),
    },
    { name: 'gzip (level 6, zlib default)', op: '1 MB of JSON', fn: () => gzipSync(mb), per: [1, 'MB/s'] },
    { name: 'gzip (level 1, as the simulator sends)', op: '1 MB of JSON', fn: () => gzipSync(mb, { level: 1 }), per: [1, 'MB/s'] },
    { name: 'gunzip', op: '1 MB of JSON', fn: () => gunzipSync(mbGz), per: [1, 'MB/s'] },
    { name: 'SHA-256', op: '1 MB', fn: () => createHash('sha256').update(mb).digest('hex'), per: [1, 'MB/s'] },
    {
      name: 'checkResponse (gunzip, SHA-256, parse, validate, rows)',
      op: `one gzipped auction (${kb(sim.gz.byteLength)})`,
      fn: () => checkResponse(processInput(sim), { origins: REAL_ORIGINS }),
    },
    {
      name: 'checkResponse, normalise: false (fetch stage)',
      op: `one gzipped auction (${kb(sim.gz.byteLength)})`,
      fn: () => checkResponse(processInput(sim), { origins: REAL_ORIGINS, normalise: false }),
    },
  ];
  const results: MicroResult[] = [];
  for (const c of cases) {
    o.log?.(`  ${c.name} …`);
    results.push(await measure(c, o.quick));
  }
  o.log?.('  HostLimiter acquire + release …');
  results.push(...(await limiterCases(o.quick)));
  return results;
}

async function measure(c: Case, quick: boolean): Promise<MicroResult> {
  const bench = c.heavy
    ? new Bench({ time: 0, iterations: quick ? 2 : 5, warmupIterations: 1 })
    : new Bench({ time: quick ? 150 : 1000, iterations: quick ? 5 : 20, warmupIterations: quick ? 2 : 8 });
  bench.add(c.name, c.fn);
  await bench.run();
  return result(c.name, c.op, bench, c.per);
}

function result(name: string, op: string, bench: Bench, per?: [number, string], opsPerUnit = 1): MicroResult {
  const task = bench.tasks[0];
  if (task === undefined) throw new Error(`micro-benchmark "${name}" has no task`);
  const r = task.result;
  if (r.state !== 'completed')
    throw new Error(`micro-benchmark "${name}" did not complete (${r.state}${'error' in r ? `: ${String(r.error)}` : ''})`);
  const msPerOp = r.latency.mean / opsPerUnit;
  const opsPerSecond = 1000 / msPerOp;
  return {
    name,
    op,
    opsPerSecond: Math.round(opsPerSecond * 10) / 10,
    msPerOp: Number(msPerOp.toPrecision(4)),
    rme: Math.round(r.latency.rme * 10) / 10,
    samples: r.latency.samplesCount,
    throughput: per ? `${Math.round(opsPerSecond * per[0]).toLocaleString('en-US')} ${per[1]}` : undefined,
  };
}

/** The limiter's own cost per request: a batch of 1,000 acquire/release pairs per sample. */
async function limiterCases(quick: boolean): Promise<MicroResult[]> {
  const BATCH = 1000;
  const opts = { time: quick ? 150 : 1000, iterations: quick ? 5 : 20, warmupIterations: quick ? 2 : 5 };
  const free = new HostLimiter({ concurrency: 1_000_000 }, systemClock);
  const uncontended = new Bench(opts).add('uncontended', async () => {
    for (let i = 0; i < BATCH; i++) (await free.acquire())();
  });
  await uncontended.run();
  // 1,000 requests queued at C=20: freed slots are handed on after pending I/O (a setImmediate hop).
  const busy = new HostLimiter({ concurrency: 20 }, systemClock);
  const contended = new Bench(opts).add('contended', async () => {
    await Promise.all(Array.from({ length: BATCH }, async () => (await busy.acquire())()));
  });
  await contended.run();
  return [
    result('HostLimiter acquire + release, uncontended', 'one request', uncontended, [1, 'requests/s'], BATCH),
    result('HostLimiter acquire + release, 1,000 queued at C=20', 'one request', contended, [1, 'requests/s'], BATCH),
  ];
}

/** Inputs made once: a median-sized simulator auction, the fixture, 1 MB of JSON, 100k item rows. */
function inputs(): { sim: AuctionBody; fixture: string; mb: Buffer; rows100k: Row[]; itemRowsOfSim: number; auctionRow: Row } {
  const bodies = auctionBodies(FIRST_ID, 41);
  const sim = [...bodies].sort((a, b) => a.plainBytes - b.plainBytes)[20]!;
  const texts = bodies.map((b) => gunzipSync(b.gz).toString('utf8'));
  const mb = Buffer.from(texts.join('\n')).subarray(0, MB);
  const rows: Row[] = [];
  let itemRowsOfSim = 0;
  let auctionRow: Row = {};
  for (let i = 0; rows.length < 100_000; i = (i + 1) % bodies.length) {
    const body = bodies[i]!;
    const r = interpretResponse(body.item, { url: '', round: 0 }, texts[i]!, REAL_ORIGINS, {
      sourceKey: `raw/bench-${i}`,
      fetchedAt: 0,
      normalise: true,
    });
    if (r.kind !== 'accepted') continue;
    const items = r.tables.maxsold_items ?? [];
    if (body === sim) {
      itemRowsOfSim = items.length;
      auctionRow = r.tables.maxsold_auctions?.[0] ?? auctionRow;
    }
    rows.push(...items);
  }
  return { sim, fixture: fixtureText(SEED_AUCTION), mb, rows100k: rows.slice(0, 100_000), itemRowsOfSim, auctionRow };
}
