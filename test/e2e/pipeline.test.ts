import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TableQuery } from '../../adapters/duckdb-query.js';
import { FsObjectStore } from '../../adapters/fs-store.js';
import { planAuctions, planViaPolls } from '../../core/planner.js';
import { systemClock } from '../../core/clock.js';
import type { RunReport } from '../../core/report.js';
import { scrape, type ScrapeOptions } from '../../cli/scrape.js';
import { lotCount, maxsoldAuction, startSimulator, type RunningSimulator, type SimulatorOptions } from '../../simulator/index.js';
import { filesUnder, tempDir } from '../helpers/data-dir.js';

const DT = '2026-11-26';
const FAST = { baseDelayMs: 5, maxDelayMs: 50 };
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function simulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const sim = await startSimulator(options);
  cleanups.push(() => sim.close());
  return sim;
}

function dataDir(): string {
  const { dir, cleanup } = tempDir('e2e-');
  cleanups.push(cleanup);
  return dir;
}

function ids(from: number, to: number) {
  return planAuctions([{ from, to }], DT);
}

async function run(sim: RunningSimulator, out: string, o: Partial<ScrapeOptions> & Pick<ScrapeOptions, 'plan'>): Promise<RunReport> {
  return scrape({
    command: 'test',
    out,
    baseUrl: sim.url,
    concurrency: 8,
    workers: 0,
    skipExisting: true,
    withBids: false,
    quiet: true,
    writeReport: true,
    policy: FAST,
    ...o,
  });
}

async function count(out: string, sql: string): Promise<number> {
  const db = await TableQuery.open(out);
  try {
    return Number((await db.query(sql)).rows[0]![0]);
  } finally {
    db.close();
  }
}

function addsUp(r: RunReport) {
  expect(Object.values(r.outcomes).reduce((a, b) => a + b, 0)).toBe(r.planned.total);
  expect(r.complete).toBe(true);
}

describe('a scrape against the simulator', () => {
  it('stores every auction raw and as rows, and the report adds up', async () => {
    const sim = await simulator({ latencyMs: 5, jitterMs: 3 });
    const out = dataDir();
    const report = await run(sim, out, { plan: ids(100000, 100039), workers: 2 });
    addsUp(report);
    expect(report.outcomes.fetched).toBe(40);
    expect(report.bytesStored).toBeGreaterThan(report.bytesReceived * 0.9);
    const lots = Array.from({ length: 40 }, (_, i) => lotCount(100000 + i)).reduce((a, b) => a + b, 0);
    expect(await count(out, 'SELECT count(*) FROM maxsold_items')).toBe(lots);
    expect(await count(out, 'SELECT count(*) FROM maxsold_auctions')).toBe(40);
    const raw = filesUnder(join(out, 'raw')).filter((f) => f.endsWith('.json.gz'));
    expect(raw).toHaveLength(40);
    // The metadata travels in the gzip header: one file per raw object.
    expect(filesUnder(join(out, 'raw')).filter((f) => f.endsWith('.meta.json'))).toEqual([]);
    const meta = (await new FsObjectStore(out).head(`raw/${raw[0]}`))!;
    expect(Object.keys(meta).sort()).toEqual(
      ['attempts', 'etag', 'fetched-at', 'last-modified', 'sha256', 'size', 'status', 'url', 'work-item'].sort(),
    );
    const body = JSON.parse(gunzipSync(readFileSync(join(out, 'raw', raw[0]!))).toString('utf8'));
    expect(body.status).toBe('success');
    expect(existsSync(join(out, 'report.json')) && existsSync(join(out, 'report.md'))).toBe(true);
  });

  it.each([1, 4, 16])('never has more than C=%i requests open (server-side count)', async (c) => {
    const sim = await simulator({ latencyMs: 15, jitterMs: 10 });
    const out = dataDir();
    const report = await run(sim, out, { plan: ids(100000, 100047), concurrency: c });
    addsUp(report);
    expect(sim.stats().peakInFlight).toBeLessThanOrEqual(c);
    expect(report.peakRequestsInFlight).toBeLessThanOrEqual(c);
    if (c > 1) expect(sim.stats().peakInFlight).toBeGreaterThan(1);
  });

  it('honours Retry-After: no request before it expires, every id still stored', async () => {
    // Latency keeps the first ten requests open together: they meet the bucket of 5 at once, however
    // fast the machine builds bodies or sends requests, so the server always throttles some.
    const sim = await simulator({ rateLimit: { perSecond: 40, burst: 5 }, latencyMs: 20 });
    const out = dataDir();
    const report = await run(sim, out, { plan: ids(100000, 100059), concurrency: 10, workers: 1 });
    addsUp(report);
    expect(report.outcomes.fetched).toBe(60);
    const s = sim.stats();
    expect(s.throttled429).toBeGreaterThan(0);
    expect(s.retryAfterViolations).toBe(0);
    expect(report.throttledHonoured).toBe(s.throttled429);
  });

  it('honours Retry-After given as an HTTP date', async () => {
    const sim = await simulator({ rateLimit: { perSecond: 30, burst: 3, retryAfter: 'http-date' } });
    const out = dataDir();
    const report = await run(sim, out, { plan: ids(100000, 100019), concurrency: 6, workers: 1 });
    addsUp(report);
    expect(sim.stats().retryAfterViolations).toBe(0);
  });

  it('brings a large auction back complete, past the 200-item default cap', async () => {
    // The first id above 100000 with more than 1000 lots: the first page (limit 1000) comes back full.
    let id = 100000;
    while (lotCount(id) <= 1000) id++;
    const sim = await simulator();
    const out = dataDir();
    const report = await run(sim, out, { plan: ids(id, id) });
    expect(report.outcomes.fetched).toBe(1);
    expect(report.pageRegrows).toBe(1);
    expect(await count(out, 'SELECT count(*) FROM maxsold_items')).toBe(lotCount(id));
  });

  it('fetches bid histories with --with-bids', async () => {
    const sim = await simulator();
    const out = dataDir();
    const report = await run(sim, out, { plan: ids(100003, 100004), withBids: true, workers: 1 });
    addsUp(report);
    const auctions = [maxsoldAuction(100003), maxsoldAuction(100004)];
    const withBids = auctions.flatMap((a) => a.items.filter((i) => i.bid_count > 0));
    expect(report.planned.bids).toBe(withBids.length);
    expect(await count(out, 'SELECT count(*) FROM maxsold_bids')).toBe(withBids.reduce((n, i) => n + i.bid_count, 0));
    // A rerun finds the auctions stored, reads their bid lists from raw, and skips the stored histories too.
    const again = await run(sim, out, { plan: ids(100003, 100004), withBids: true, workers: 1 });
    expect(again.planned.bids).toBe(withBids.length);
    expect(again.outcomes.skipped).toBe(again.planned.total);
  });

  it('--workers auto with --with-bids measures rather than judge by the few auctions planned', async () => {
    const sim = await simulator();
    const report = await run(sim, dataDir(), { plan: ids(100003, 100004), expected: 2, withBids: true, workers: 'auto' });
    addsUp(report);
    // Two auctions, but a bid history per item with bids: the plan is no longer small.
    expect(String(report.settings.processing)).not.toMatch(/planned, fewer than/);
    expect(String(report.settings.processing)).toMatch(/^auto → /);
  });

  it('polls VIA on a cadence into trains and stops, skipping snapshots that did not change', async () => {
    // The simulated tracker changes once a minute (its timestamps shift): polls within one
    // minute are answered 304 to If-None-Match, and nothing is rewritten.
    let now = Date.parse('2026-11-26T12:00:10Z');
    const sim = await simulator({ clock: () => now });
    const out = dataDir();
    const first = await run(sim, out, { plan: planViaPolls(systemClock, { everyMs: 1000, forMs: 2000 }) });
    addsUp(first);
    expect(first.outcomes).toMatchObject({ fetched: 1, unchanged: 2 });
    expect(sim.stats().statusCounts['304']).toBe(2);
    now += 60_000;
    const later = await run(sim, out, { plan: planViaPolls(systemClock, { everyMs: 1000, forMs: 0 }) });
    expect(later.outcomes).toMatchObject({ fetched: 1 });
    expect(await count(out, 'SELECT count(DISTINCT snapshot_at) FROM via_trains')).toBe(2);
    expect(await count(out, 'SELECT count(*) FROM via_train_stops WHERE stop_index = 0')).toBe(
      await count(out, 'SELECT count(*) FROM via_trains'),
    );
  });

  it('a poll that comes due while the one before is still out waits for it and is asked against it; one a later poll came due behind is skipped', async () => {
    // Polls due at 0, 250 and 500 ms; the first is answered at 1,200 ms. The second has the third
    // behind it by then: skipped. The third asks against the first: unchanged.
    const now = Date.parse('2026-11-26T12:00:10Z');
    const sim = await simulator({ clock: () => now, latencyMs: 1200 });
    const out = dataDir();
    const report = await run(sim, out, { plan: planViaPolls(systemClock, { everyMs: 250, forMs: 500 }) });
    addsUp(report);
    expect(report.outcomes).toMatchObject({ fetched: 1, skipped: 1, unchanged: 1 });
    expect(sim.stats().requests).toBe(2);
    expect(sim.stats().statusCounts['304']).toBe(1);
    expect(sim.stats().peakInFlight).toBe(1);
    expect(await count(out, 'SELECT count(DISTINCT snapshot_at) FROM via_trains')).toBe(1);
  });
});

describe('every injected fault ends in its defined outcome', () => {
  const base = 200000;
  const forced = {
    [base + 0]: 'notFound',
    [base + 1]: 'empty',
    [base + 2]: 'schema',
    [base + 3]: 'serverError',
    [base + 4]: 'reset',
    [base + 5]: 'truncated',
    [base + 6]: 'html',
    [base + 7]: 'slow',
  } as const;
  let sim: RunningSimulator;
  let out: string;
  let report: RunReport;
  let cleanup: () => void;

  beforeAll(async () => {
    sim = await startSimulator({ forced, forcedTimes: 2, slowMs: 100 });
    ({ dir: out, cleanup } = tempDir('faults-'));
    report = await scrape({
      command: 'faults',
      plan: planAuctions([{ from: base, to: base + 9 }], DT),
      out,
      baseUrl: sim.url,
      concurrency: 4,
      workers: 0,
      skipExisting: true,
      withBids: false,
      quiet: true,
      policy: { ...FAST, maxAttempts: 4 },
    });
  });
  afterAll(async () => {
    await sim.close();
    cleanup();
  });

  it('counts add up to the planned ids, nothing lost or duplicated', () => {
    addsUp(report);
    expect(report.outcomes).toMatchObject({ fetched: 7, missing: 1, empty: 1, quarantined: 1 });
  });
  it('404 → missing, not retried', () => {
    expect(report.missingIds).toEqual([`maxsold ${base}`]);
    expect(sim.stats().requestsPerId[String(base)]).toBe(1);
  });
  it('no items → empty, raw kept, not retried', () => {
    expect(sim.stats().requestsPerId[String(base + 1)]).toBe(1);
    expect(existsSync(join(out, `raw/source=maxsold/dt=${DT}/auction=${base + 1}.json.gz`))).toBe(true);
  });
  it('schema failure → retried, then quarantined with its bytes and reason', async () => {
    expect(sim.stats().requestsPerId[String(base + 2)]).toBe(4);
    const q = `quarantine/source=maxsold/dt=${DT}/auction=${base + 2}.json.gz`;
    expect(JSON.parse(gunzipSync(readFileSync(join(out, q))).toString()).auction.id).toBe('oops');
    expect((await new FsObjectStore(out).head(q))!.reason).toMatch(/^schema: /);
  });
  it.each([3, 4, 5, 6])('transient fault on %i → retried, then fetched: two faults, one answer', (offset) => {
    expect(existsSync(join(out, `raw/source=maxsold/dt=${DT}/auction=${base + offset}.json.gz`))).toBe(true);
    expect(sim.stats().requestsPerId[String(base + offset)]).toBe(3);
  });
  it('a slow answer (within the timeout) is waited for, then fetched', () => {
    expect(existsSync(join(out, `raw/source=maxsold/dt=${DT}/auction=${base + 7}.json.gz`))).toBe(true);
  });
  it('the report names the reasons it saw', () => {
    expect(Object.keys(report.failureReasons)).toEqual(
      expect.arrayContaining(['http_404', 'http_500', 'connection_reset', 'truncated_json', 'html_body']),
    );
  });
});

describe('a transient fault that never clears', () => {
  it('ends quarantined after the attempts run out, and the run goes on', async () => {
    const sim = await simulator({ forced: { 300001: 'serverError' }, forcedTimes: 1000 });
    const out = dataDir();
    const report = await run(sim, out, { plan: ids(300000, 300002), policy: { ...FAST, maxAttempts: 3 } });
    addsUp(report);
    expect(report.outcomes).toMatchObject({ fetched: 2, quarantined: 1 });
    expect(sim.stats().requestsPerId['300001']).toBe(3);
    expect(report.quarantinedIds[0]).toMatch(/http_500 after 3 attempts/);
  });
});

describe('rerun', () => {
  it('skips what is stored; --refetch asks conditionally and rewrites only what changed', async () => {
    const sim = await simulator();
    const out = dataDir();
    const stored = () => filesUnder(out).filter((f) => !f.startsWith('report') && !f.startsWith('.tmp'));
    await run(sim, out, { plan: ids(100000, 100009) });
    const files = stored();
    const again = await run(sim, out, { plan: ids(100000, 100011) });
    expect(again.outcomes).toMatchObject({ skipped: 10, fetched: 2 });
    const added = stored().filter((f) => !files.includes(f));
    // The two new auctions: their raw objects and one table file per table each, named after them.
    expect(added.filter((f) => f.startsWith('raw/'))).toEqual(stored().filter((f) => /raw\/.*10001[01]/.test(f)));
    expect(added.filter((f) => f.startsWith('tables/'))).toEqual(
      ['maxsold_auctions', 'maxsold_items'].flatMap((t) => [
        `tables/${t}/dt=${DT}/maxsold-100010.parquet`,
        `tables/${t}/dt=${DT}/maxsold-100011.parquet`,
      ]),
    );
    const refetch = await run(sim, out, { plan: ids(100000, 100011), skipExisting: false });
    expect(refetch.outcomes).toMatchObject({ unchanged: 12, fetched: 0 });
    expect(sim.stats().statusCounts['304']).toBe(12);
    expect(stored()).toEqual([...files, ...added].sort());
  });

  it('a changed refetch replaces the rows it had: one version of each auction in the tables', async () => {
    const sim = await simulator();
    const out = dataDir();
    await run(sim, out, { plan: ids(100000, 100005) });
    const itemRows = await count(out, 'SELECT count(*) FROM maxsold_items');
    const firstRun = await count(out, 'SELECT epoch_ms(max(fetched_at)) FROM maxsold_auctions');
    // Make two stored versions look different from the server's: no validators, another checksum.
    const store = new FsObjectStore(out);
    for (const id of [100001, 100004]) {
      const key = `raw/source=maxsold/dt=${DT}/auction=${id}.json.gz`;
      const { body, metadata } = (await store.get(key))!;
      const { etag: _etag, 'last-modified': _lastModified, ...rest } = metadata;
      await store.put(key, body, { ...rest, sha256: '0'.repeat(64) });
    }
    await store.close();
    const refetch = await run(sim, out, { plan: ids(100000, 100005), skipExisting: false });
    expect(refetch.outcomes).toMatchObject({ unchanged: 4, fetched: 2 });
    expect(await count(out, 'SELECT count(*) FROM maxsold_items')).toBe(itemRows);
    expect(await count(out, 'SELECT count(*) FROM maxsold_auctions')).toBe(6);
    expect(await count(out, 'SELECT count(DISTINCT source_key) FROM maxsold_auctions')).toBe(6);
    const db = await TableQuery.open(out);
    try {
      const newer = await db.query(`SELECT auction_id FROM maxsold_auctions WHERE epoch_ms(fetched_at) > ${firstRun} ORDER BY 1`);
      expect(newer.rows.map((r) => Number(r[0]))).toEqual([100001, 100004]);
    } finally {
      db.close();
    }
  });

  it("stops at an item another server stored, naming both, and overwrites nothing: one data directory, one server's data", async () => {
    const [first, second] = [await simulator(), await simulator()];
    const out = dataDir();
    await run(first, out, { plan: ids(100000, 100003) });
    const before = filesUnder(out).filter((f) => f.startsWith('raw/') || f.startsWith('tables/'));
    const bodies = before.map((f) => readFileSync(join(out, f)));
    // The directory names the server its objects came from: refused before any request.
    await expect(run(second, out, { plan: ids(100000, 100003) })).rejects.toThrow(
      `--out: ${out} holds data from ${first.url} and this run fetches from ${second.url}`,
    );
    expect(second.stats().requests).toBe(0);
    // A directory from before server.json is named by its first stored object's server, and the file written.
    rmSync(join(out, 'server.json'));
    await expect(run(second, out, { plan: ids(100010, 100011) })).rejects.toThrow(
      `--out: ${out} holds data from ${first.url} and this run fetches from ${second.url}`,
    );
    expect(JSON.parse(readFileSync(join(out, 'server.json'), 'utf8'))).toEqual({ origin: first.url });
    expect(second.stats().requests).toBe(0);
    // Whatever server.json says (edited by hand, say), each stored object still names its server.
    writeFileSync(join(out, 'server.json'), JSON.stringify({ origin: second.url }));
    for (const skipExisting of [true, false]) {
      const elsewhere = await run(second, out, { plan: ids(100000, 100003), skipExisting });
      expect(elsewhere.complete).toBe(false);
      expect(elsewhere.stopReason).toMatch(
        new RegExp(`was fetched from ${first.url}, and this run fetches from ${second.url}: .*another --out`),
      );
      expect(second.stats().requests).toBe(0);
    }
    const after = filesUnder(out).filter((f) => f.startsWith('raw/') || f.startsWith('tables/'));
    expect(after).toEqual(before);
    expect(after.map((f) => readFileSync(join(out, f)))).toEqual(bodies);
    // The server it came from goes on as before.
    writeFileSync(join(out, 'server.json'), JSON.stringify({ origin: first.url }));
    expect((await run(first, out, { plan: ids(100000, 100003) })).outcomes.skipped).toBe(4);
  });
});
