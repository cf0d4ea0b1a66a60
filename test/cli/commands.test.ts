import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCRAPE_OPTIONS } from '../../cli/common.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { runCli, startCli } from '../helpers/cli.js';
import { filesUnder, tempDir } from '../helpers/data-dir.js';

// Each of these is a command in a process of its own that exits at once: they run a few at a time.
describe('bad arguments: one clear line naming the flag, exit 2', () => {
  it.concurrent.for<[string[], RegExp]>([
    [['run', 'maxsold', '--ids', 'abc'], /--ids: expected auction ids like 100000-100500/],
    [
      ['run', 'maxsold', '--ids', '1-5', '--concurrency', 'lots'],
      /--concurrency: expected auto or a whole number from 1 to 1000, got "lots"/,
    ],
    [['run', 'maxsold', '--ids', '1-5', '--rate', 'fast'], /--rate: expected a request rate like 10\/s or 600\/min/],
    [['run', 'via', '--every', '10'], /--every: expected a duration above zero like 1s, 60s, 5m or 2h/],
    [['run', 'maxsold'], /give exactly one of --ids/],
    [['run', 'ebay'], /run: expected a source, "maxsold" or "via"/],
    [['run', 'maxsold', '--ids', '1', '--base-url', 'ftp://x'], /--base-url: expected an http\(s\) origin/],
    [['run', 'maxsold', '--ids', '1', '--bogus'], /scraper: unknown option '--bogus'; see --help\n/],
    [['run', 'maxsold', '--ids', '1', '--concurency', '5'], /scraper: unknown option '--concurency'; did you mean --concurrency\?\n/],
    [['query', '--tabel', 'maxsold_items'], /unknown option '--tabel'; did you mean --table\?\n/],
    [['run', 'maxsold', '--ids', '1', '--bids'], /unknown option '--bids'; did you mean --with-bids\?\n/],
    [['run', 'maxsold', '--ids', '1', '--conc', '5'], /unknown option '--conc'; did you mean --concurrency\?\n/],
    [['run', 'maxsold', '--ids', '1', '--out-dir', 'x'], /unknown option '--out-dir'; did you mean --out\?\n/],
    [['run', 'maxsold', '--ids', '1', '-x'], /unknown option '-x'; see --help\n/],
    [['run', 'maxsold', '--ids', '1', '--max-retry', '3'], /unknown option '--max-retry'; did you mean --max-retries\?\n/],
    [
      ['run', 'maxsold', '--ids', '1', '--deadline', 'soon'],
      /--deadline: expected a duration above zero like 500ms, 60s, 5m or 2h, got "soon"/,
    ],
    [['run', 'maxsold', '--ids', '1', '--give-up-after', '0s'], /--give-up-after: expected a duration above zero like .*, got "0s"/],
    [
      ['run', 'maxsold', '--ids', '1', '--max-body', 'huge'],
      /--max-body: expected a size like 16MiB, 500KB or 65536 \(bytes\), from 1KiB to 512MiB, got "huge"/,
    ],
    [['run', 'maxsold', '--ids', '1', '--max-body', '3GiB'], /--max-body: expected a size like 16MiB/],
    [
      ['run', 'maxsold', '--ids', '1', '--max-body', '8MiB', '--max-inflated', '4MiB'],
      /--max-inflated: expected at least --max-body \(8MiB\), got "4MiB"/,
    ],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['query', '--table', 'nope'], /--table: expected one of maxsold_auctions/],
    [['simulate', '--faults', 'meteor=0.5'], /--faults: expected kind=rate pairs/],
    [['simulate', '--faults', 'notFound=2'], /--faults: expected kind=rate pairs .*\(rates from 0 to 1\)/],
    [['simulate', '--retry-after', 'http-date'], /--retry-after: needs --rate/],
    [['simulate', '--host', 'example.com'], /--host: expected an IP address of this machine like 127.0.0.1, got "example.com"/],
    [['run', 'maxsold', '--ids', '1-5', '--workers', '-1'], /--workers: expected auto or a whole number from 0 to 256, got "-1"/],
    [['run', 'maxsold', '--ids', '1-5', '-c', '-1'], /--concurrency: expected auto or a whole number from 1 to 1000, got "-1"/],
    [
      ['run', 'maxsold', '--ids', '1-5', '--user-agent', '--quiet'],
      /--user-agent: expected a value after it, got the option "--quiet" \(a value starting with a dash: --user-agent=VALUE\)/,
    ],
    [['redrive', '--reason'], /--reason: expected a value after it \(see --help\)/],
    [['redrive', '--refetch'], /unknown option '--refetch'/],
    [['run', 'maxsold', '--ids', '1-5', '-c'], /--concurrency: expected a value after it/],
    [['run', 'maxsold', '--ids', '1-5', '--workers', 'many'], /--workers: expected auto or a whole number from 0 to 256, got "many"/],
    [['status', '--out', 'no-such-data-dir'], /--out: no data directory at "no-such-data-dir"/],
    [['compact', '--out', 'no-such-data-dir'], /--out: no data directory at "no-such-data-dir"/],
    [['query', '--table', 'maxsold_items', '--out', 'no-such-data-dir'], /--out: no data directory at "no-such-data-dir"/],
    [['redrive', '--out', 'no-such-data-dir'], /--out: no data directory at "no-such-data-dir"/],
    [['status', '--out', 'package.json'], /--out: "package.json" is a file, not a data directory/],
    [['run', 'maxsold', '--ids', '1', '--ids', '2'], /--ids: given twice; give it once \(a list goes in one value: --ids 1-5,9\)/],
    [['run', 'maxsold', '--ids', '1', '--rate', '1/s', '--rate=2/s'], /^scraper: --rate: given twice; give it once\n$/],
    [['query', 'SELECT 1', '--limit', '2'], /--limit: only with --table \(in SQL, write LIMIT\)/],
    [['query', '--named', 'table-freshness', '--limit', '2'], /--limit: only with --table \(a named query is run as written\)/],
    // A data directory without raw/ (here: docs/): rebuilding from nothing would empty tables/.
    [['reprocess', '--out', 'docs'], /--out: "docs" has no raw\/ to work from/],
    // Checked before the synth, which would print a line of its own first.
    [['cloud', '--s3-latency', '10'], /--s3-latency: expected a range of milliseconds like 15-30, got "10"/],
    [['cloud', '--set', 'viaSchedule=rate(5 minutes)', '--no-synth'], /--set: a setting needs a synth/],
    [['cloud', '--set', 'fetchMaxConcurrency=many'], /--set: scraper.fetchMaxConcurrency: expected a whole number .*, got "many"/],
    [['cloud', '--set', 'fetchMaxConcurency=5'], /--set: scraper.fetchMaxConcurency: unknown setting; expected one of /],
    [['cloud', '--account-concurrency', '10'], /--account-concurrency: scraper.accountConcurrency: 10 is below the/],
  ])('scraper %j', async ([args, message], { expect }) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});

it('scraper --version prints the version of package.json', async () => {
  const r = await runCli(['--version']);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.trim()).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
});

describe('--help everywhere', () => {
  it.concurrent.for([
    ['--help'],
    ['run', '--help'],
    ['query', '--help'],
    ['demo', '--help'],
    ['simulate', '--help'],
    ['reprocess', '--help'],
    ['compact', '--help'],
  ])('scraper %s', async (args, { expect }) => {
    const r = await runCli(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage/);
  });
});

describe('--help states every limit with its default', () => {
  it('run', async () => {
    const r = await runCli(['run', '--help']);
    for (const line of [
      /--deadline DURATION .*\n.*\(default 60s/,
      /--max-body SIZE .*\(default 16MiB\)/,
      /--max-inflated SIZE .*\(default 64MiB, or --max-body\n +when larger\)/,
      /--give-up-after DURATION\n.*\n.*\(default 10m\)/,
    ]) {
      expect(r.stdout).toMatch(line);
    }
  });
  it('query', async () => {
    expect((await runCli(['query', '--help'])).stdout).toMatch(/--external-access\n.*\n.*\(default off\)/);
  });
  it('redrive: every scraping flag but --refetch (it always fetches again)', async () => {
    const help = (await runCli(['redrive', '--help'])).stdout;
    for (const flag of Object.keys(SCRAPE_OPTIONS)) expect(help.includes(`--${flag} `), flag).toBe(flag !== 'refetch');
    expect(help).toMatch(/--give-up-after DURATION\n.*\n.*\(default 10m\)/);
  });
});

describe('simulate where it cannot listen', () => {
  it('an address no interface has: --host is named, exit 2', async () => {
    const r = await runCli(['simulate', '--host', '10.254.254.254', '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('scraper: --host: no network interface of this machine has 10.254.254.254 (cannot listen on 10.254.254.254:0)\n');
  });

  it('a port that is taken: says which and how to take any free one, exit 2', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    try {
      const r = await runCli(['simulate', '--port', String(port)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`scraper: --port: cannot listen on 127.0.0.1:${port} (EADDRINUSE); --port 0 takes any free port\n`);
    } finally {
      holder.close();
    }
  });
});

describe('run, query, reprocess and compact on one data directory', () => {
  let sim: RunningSimulator;
  let dir: string;
  /** The item rows' count, bid total and distinct sources, as the query command prints them: equal before and after a rebuild. */
  const itemsFingerprint = () =>
    runCli([
      'query',
      'SELECT count(*), round(sum(current_bid), 2), count(DISTINCT source_key) FROM maxsold_items',
      '--format',
      'csv',
      '--out',
      dir,
    ]);
  let cleanup: () => void;
  beforeAll(async () => {
    sim = await startSimulator();
    ({ dir, cleanup } = tempDir('cli-'));
    const r = await runCli(['run', 'maxsold', '--ids', '100000-100011', '--base-url', sim.url, '--out', dir, '--workers', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/fetched\s+12/);
  });
  afterAll(async () => {
    await sim.close();
    cleanup();
  });

  it('query prints a table, JSON or CSV', async () => {
    const table = await runCli(['query', 'SELECT count(*) AS n FROM maxsold_auctions', '--out', dir]);
    expect(table.stdout).toMatch(/^n\s*\n-+\n12\n\(1 row\)/);
    const json = await runCli(['query', '--table', 'maxsold_items', '--limit', '2', '--format', 'json', '--out', dir]);
    expect(JSON.parse(json.stdout)).toHaveLength(2);
    // JSON: a count is a number, a timestamp ISO 8601 (DuckDB gives both as strings of its own form).
    const typed = await runCli([
      'query',
      "SELECT count(*) AS n, TIMESTAMPTZ '2026-01-02 03:04:05.5+00' AS utc, TIMESTAMPTZ '2026-01-02 03:04:05+05:30' AS ist, 9007199254740993::BIGINT AS big FROM maxsold_auctions",
      '--format',
      'json',
      '--out',
      dir,
    ]);
    expect(JSON.parse(typed.stdout)).toEqual([
      { n: 12, utc: '2026-01-02T03:04:05.5Z', ist: '2026-01-01T21:34:05Z', big: '9007199254740993' },
    ]);
    const csv = await runCli(['query', "SELECT 1 AS a, 'x,y' AS b", '--format', 'csv', '--out', dir]);
    expect(csv.stdout.trim()).toBe('a,b\n1,"x,y"');
  });

  it('a table shows a sum of prices as a reader would write it; JSON keeps every digit', async () => {
    const sql = 'SELECT 0.1::DOUBLE + 0.2::DOUBLE AS s';
    expect((await runCli(['query', sql, '--out', dir])).stdout).toMatch(/^s\s*\n-+\n0\.3\n/);
    const large = await runCli(['query', 'SELECT 123456789012345.67::DOUBLE AS l, -2.5::DOUBLE AS n', '--out', dir]);
    expect(large.stdout).toMatch(/\n123456789012345\.67 +-2\.5\n/);
    expect(JSON.parse((await runCli(['query', sql, '--format', 'json', '--out', dir])).stdout)).toEqual([{ s: 0.30000000000000004 }]);
  });

  it('a table that does not exist: the error names the tables there are', async () => {
    const r = await runCli(['query', 'SELECT * FROM zzz', '--out', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /Table with name zzz does not exist[^]*\nthe tables: maxsold_auctions, maxsold_items, maxsold_bids, via_trains, via_train_stops \(and each one's _latest view\)\n$/,
    );
  });

  it('a reader that stops reading (| head) ends the query quietly, exit 0', async () => {
    const { child, done } = startCli(['query', 'SELECT * FROM range(3000000)', '--format', 'csv', '--out', dir]);
    child.stdout!.once('data', () => child.stdout!.destroy());
    const r = await done;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('a query error is reported, exit 1', async () => {
    const r = await runCli(['query', 'SELECT nope FROM maxsold_items', '--out', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/query failed: .*nope/);
  });

  it('a query of several statements is refused, not shown in part', async () => {
    const r = await runCli(['query', 'SELECT 1 AS a; SELECT 2 AS b', '--out', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/expected one SQL statement, got 2/);
  });

  it('reprocess rebuilds the same tables from raw', async () => {
    const before = await itemsFingerprint();
    const r = await runCli(['reprocess', '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/rebuilt .* from 12 raw objects/);
    // A rebuild speaks of what it rebuilt, not of requests it never made, nor of what only a server answers.
    expect(r.stdout).toMatch(/rebuilt from raw\s+12/);
    expect(r.stdout).not.toMatch(/requests\/s|latency p50|bytes received|unchanged \(304|missing \(404|fetched/);
    expect(r.stderr).toMatch(/^12\/12 raw objects · 12 rebuilt · 0 empty · 0 quarantined · [\d.]+ s$/m);
    expect(r.stderr).not.toMatch(/req\/s|fetched/);
    const after = await itemsFingerprint();
    expect(after.stdout).toBe(before.stdout);
    expect(filesUnder(dir).some((f) => f.startsWith('.rebuild') || f.startsWith('.tables-old'))).toBe(false);
    // Its report is the data directory's last run, as status shows it.
    expect(r.stdout).toContain(`report: ${dir}/report.json`);
    const status = await runCli(['status', '--json', '--out', dir]);
    expect(JSON.parse(status.stdout).lastRun).toMatchObject({ command: 'reprocess', complete: true, outcomes: { fetched: 12 } });
    expect((await runCli(['status', '--out', dir])).stdout).toMatch(
      /last run: reprocess, .*\n {2}rebuilt 12, skipped 0, empty 0, quarantined 0\n/,
    );
  });

  it('status reads a data directory whose report.json is cut short or not ours, and says so', async () => {
    const { dir: other, cleanup } = tempDir('status-');
    try {
      cpSync(dir, other, { recursive: true });
      for (const [text, why] of [
        ['{"command":', /Unexpected end of JSON input|JSON/],
        ['{"command":"x"}', /not a run report \(no command or outcomes\)/],
      ] as const) {
        writeFileSync(join(other, 'report.json'), text);
        const r = await runCli(['status', '--out', other]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/^raw objects\n/m);
        expect(r.stdout).toMatch(
          new RegExp(`last run: report.json cannot be read \\(.*(?:${why.source}).*\\); the data above is as counted from the files\\n$`),
        );
      }
    } finally {
      cleanup();
    }
  });

  it('compact merges each partition into one part, twice safely, same rows', async () => {
    const before = await itemsFingerprint();
    const first = await runCli(['compact', '--all', '--json', '--out', dir]);
    expect(first.code, first.stderr).toBe(0);
    const done = JSON.parse(first.stdout) as { partitions: number; partsWritten: number; rows: number; process: { cpuSeconds: number } };
    expect(done.partsWritten).toBe(done.partitions);
    expect(done.rows).toBeGreaterThan(0);
    expect(done.process.cpuSeconds).toBeGreaterThan(0);
    const again = await runCli(['compact', '--all', '--out', dir]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^compacted 0 partition\(s\): 0 files → 0/);
    const files = filesUnder(join(dir, 'tables'));
    expect(files.filter((f) => f.startsWith('maxsold_items/'))).toEqual([
      expect.stringMatching(/^maxsold_items\/dt=[\d-]+\/compacted-000001\.parquet$/),
    ]);
    const after = await itemsFingerprint();
    expect(after.stdout).toBe(before.stdout);
    expect(existsSync(join(dir, 'raw'))).toBe(true);
  });
});
