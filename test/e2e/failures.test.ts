import { mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../adapters/fs-store.js';
import { planAuctions } from '../../core/planner.js';
import { scrape } from '../../cli/scrape.js';
import { startSimulator } from '../../simulator/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/data-dir.js';
import { startSimulatorProcess } from '../helpers/sim-process.js';

const FAST = { baseDelayMs: 1, maxDelayMs: 5 };

describe('a dead server', () => {
  it('ends the run on the retry budget with a clear report instead of retrying forever', async () => {
    const sim = await startSimulator({ faults: { serverError: 1 } });
    const { dir, cleanup } = tempDir('dead-');
    try {
      const report = await scrape({
        command: 'dead',
        plan: planAuctions([{ from: 100000, to: 100999 }], '2026-11-26'),
        out: dir,
        baseUrl: sim.url,
        concurrency: 8,
        workers: 0,
        skipExisting: true,
        withBids: false,
        quiet: true,
        writeReport: true,
        policy: FAST,
      });
      expect(report.complete).toBe(false);
      expect(report.stopReason).toMatch(/retry budget spent: \d+ of \d+ requests were retries/);
      // A thousand ids would take 5,000 requests to exhaust their attempts; the budget stops far sooner.
      expect(report.requests).toBeLessThan(400);
      // Requests in flight when the run stopped were abandoned: the server may not have seen them.
      expect(sim.stats().requests).toBeLessThanOrEqual(report.requests);
      expect(sim.stats().requests).toBeGreaterThanOrEqual(report.requests - 8);
    } finally {
      cleanup();
      await sim.close();
    }
  });

  it('--max-retries caps retries absolutely', async () => {
    const sim = await startSimulator({ faults: { serverError: 0.5 } });
    const { dir, cleanup } = tempDir('cap-');
    try {
      const report = await scrape({
        command: 'cap',
        plan: planAuctions([{ from: 100000, to: 100199 }], '2026-11-26'),
        out: dir,
        baseUrl: sim.url,
        concurrency: 4,
        workers: 0,
        skipExisting: true,
        withBids: false,
        quiet: true,
        writeReport: false,
        policy: FAST,
        maxRetries: 10,
      });
      expect(report.stopReason).toMatch(/the cap is 10/);
      // At most the cap, and what the other three lanes had already begun.
      expect(report.retries).toBeLessThanOrEqual(10 + 3);
    } finally {
      cleanup();
      await sim.close();
    }
  });
});

describe('disk and configuration errors', () => {
  it('an unwritable data directory is one clear line, nothing started', async () => {
    const r = await runCli(['run', 'maxsold', '--ids', '1-3', '--out', '/dev/null/data', '--base-url', 'http://127.0.0.1:9']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot write to the data directory \/dev\/null\/data: part of the path is a file/);
  });

  it('a full disk stops the run cleanly: the report says why, no partial file is left as data', async () => {
    const sim = await startSimulator();
    const { dir, cleanup } = tempDir('full-');
    try {
      // Every temporary file of this process is /dev/full: the first write fails with ENOSPC.
      const tmp = join(dir, '.tmp', `${process.pid}-0`);
      mkdirSync(tmp, { recursive: true });
      for (let i = 0; i < 64; i++) symlinkSync('/dev/full', join(tmp, String(i)));
      const report = await scrape({
        command: 'full',
        plan: planAuctions([{ from: 100000, to: 100009 }], '2026-11-26'),
        out: dir,
        baseUrl: sim.url,
        concurrency: 2,
        workers: 0,
        skipExisting: true,
        withBids: false,
        quiet: true,
        writeReport: true,
      });
      expect(report.complete).toBe(false);
      expect(report.stopReason).toMatch(/the disk is full \(ENOSPC\)/);
      expect(report.outcomes.fetched).toBe(0);
      const data = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.startsWith('raw') || f.startsWith('tables'));
      expect(data.filter((f) => f.endsWith('.gz') || f.endsWith('.parquet'))).toEqual([]);
    } finally {
      cleanup();
      await sim.close();
    }
  });
});

describe('quarantine, status and redrive', () => {
  it('a VIA snapshot that keeps failing (simulate --via-faults) is quarantined with its reason, and redrive keeps it', async () => {
    const sim = await startSimulatorProcess(['--via-faults', '--faults', 'serverError=1']);
    const { dir, cleanup } = tempDir('via-faults-');
    try {
      const r = await runCli(['run', 'via', '--base-url', sim.url, '--out', dir, '--quiet']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/quarantined\s+1\n/);
      const status = JSON.parse((await runCli(['status', '--out', dir, '--json'])).stdout);
      expect(status.quarantine).toEqual({ http_500: 1 });
      const redrive = await runCli(['redrive', '--out', dir, '--base-url', sim.url]);
      expect(redrive.stdout).toMatch(/^1 VIA snapshot\(s\) kept in .*\nnothing to redrive/);
    } finally {
      cleanup();
      await sim.close();
    }
  });

  it('a redrive that reaches no server keeps the bytes each quarantined item had, with the new reason and whose bytes they are', async () => {
    const { dir, cleanup } = tempDir('redrive-dead-');
    const broken = await startSimulator({ forced: { 100001: 'schema' }, forcedTimes: 1000 });
    const { port } = broken;
    try {
      const first = await runCli(['run', 'maxsold', '--ids', '100000-100001', '--base-url', broken.url, '--out', dir, '--quiet']);
      expect(first.code, first.stderr).toBe(0);
    } finally {
      await broken.close();
    }
    const entry = join('quarantine/source=maxsold', readdirSync(join(dir, 'quarantine/source=maxsold'))[0]!, 'auction=100001.json.gz');
    const kept = readFileSync(join(dir, entry));
    expect(gunzipSync(kept).length).toBeGreaterThan(0);
    try {
      // Nothing listens on the port now: every attempt is refused, and the item ends quarantined again.
      const r = await runCli(['redrive', '--out', dir, '--base-url', `http://127.0.0.1:${port}`, '--quiet']);
      expect(r.stdout).toMatch(/quarantined\s+1/);
      // No request answered: the run did not do its job, and says so (exit 1), whatever each item's outcome.
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        new RegExp(
          `INCOMPLETE \\(no request to http://127.0.0.1:${port} was answered \\(connection_refused × \\d+\\): is it up, and is the address right\\?\\): 1 item\\(s\\) quarantined; run the same command again once the server answers\\.`,
        ),
      );
      // The new reason, the earlier attempt's bytes, and whose they are.
      expect(gunzipSync(readFileSync(join(dir, entry)))).toEqual(gunzipSync(kept));
      const metadata = await new FsObjectStore(dir).head(entry);
      expect(metadata?.reason).toMatch(/^connection_refused/);
      expect(metadata?.['body-reason']).toMatch(/^schema: /);
      const status = JSON.parse((await runCli(['status', '--out', dir, '--json'])).stdout);
      expect(status.quarantine).toEqual({ connection_refused: 1 });
    } finally {
      cleanup();
    }
  });

  it('status counts quarantined items by reason; redrive fetches them again once the server is fixed', async () => {
    const { dir, cleanup } = tempDir('redrive-');
    const broken = await startSimulator({ forced: { 100001: 'schema', 100002: 'serverError' }, forcedTimes: 1000 });
    try {
      const first = await runCli(['run', 'maxsold', '--ids', '100000-100003', '--base-url', broken.url, '--out', dir, '--quiet']);
      expect(first.code, first.stderr).toBe(0);
      const status = JSON.parse((await runCli(['status', '--out', dir, '--json'])).stdout);
      expect(status.quarantine).toEqual({ schema: 1, http_500: 1 });
      expect(Object.values(status.raw)).toEqual([{ committed: 2, uncommitted: 0, empty: 0 }]);
    } finally {
      await broken.close();
    }
    // A VIA snapshot that failed: fetched again, it would be another minute's trains under its name.
    const store = new FsObjectStore(dir);
    const snapshot = 'quarantine/source=via/dt=2026-11-26/snapshot=20261126T121500Z.json.gz';
    await store.put(snapshot, gzipSync('{"trains":'), { reason: 'truncated_json', url: 'x' });
    await store.close();
    // Another server: refused before anything is said to start.
    const other = await startSimulator();
    try {
      const r = await runCli(['redrive', '--out', dir, '--base-url', other.url, '--quiet']);
      expect(r.code).toBe(2);
      expect(r.stdout).not.toMatch(/redriving/);
      expect(r.stderr).toMatch(/holds data from .* and this run fetches from/);
      expect(other.stats().requests).toBe(0);
    } finally {
      await other.close();
    }
    // The same server, fixed (a data directory holds one server's data).
    const fixed = await startSimulator({ port: broken.port });
    try {
      const r = await runCli(['redrive', '--out', dir, '--base-url', fixed.url, '--with-bids', '--quiet']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(
        /^1 VIA snapshot\(s\) kept in .* with their bytes: a snapshot is of its minute and cannot be fetched again\nredriving 2 quarantined item/,
      );
      const requests = fixed.stats().requestsPerId;
      expect(requests['100001']! + requests['100002']!).toBeGreaterThan(2);
      expect(fixed.stats().requests).toBeGreaterThan(2);
      const status = JSON.parse((await runCli(['status', '--out', dir, '--json'])).stdout);
      expect(status.quarantine).toEqual({ truncated_json: 1 });
      expect(Object.keys(status.raw).filter((k) => k.startsWith('maxsold '))).toHaveLength(1);
      expect(Object.values(status.raw)[0]).toEqual({ committed: 4, uncommitted: 0, empty: 0 });
      // --with-bids: the redriven auctions' items with bids have their histories.
      expect(Object.keys(status.raw).some((k) => k.startsWith('maxsold_bids '))).toBe(true);
    } finally {
      await fixed.close();
      cleanup();
    }
  });
});
