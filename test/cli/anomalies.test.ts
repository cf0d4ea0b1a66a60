import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/data-dir.js';
import { fixtureText } from '../helpers/fixtures.js';

/** An auction whose fields drift as a careful user would try: each oddity must show up by name. */
function oddAuction(): string {
  const json = JSON.parse(fixtureText('maxsold/auction-104375.json')) as { auction: { items: Array<Record<string, unknown>> } };
  const items = json.auction.items;
  items[0]!.viewed = 3_000_000_000;
  items[1]!.bid_count = 3_000_000_000;
  items[2]!.current_bid = '12.50';
  items[3]!.end_time = '2026-02-30T12:00:00-0500';
  items.push({ ...items[4] });
  return JSON.stringify(json);
}

const EXPECTED = {
  'maxsold_items.bid_count:out_of_range': 1,
  'maxsold_items.current_bid:numeric_string': 1,
  'maxsold_items.end_time:bad_timestamp': 1,
  'maxsold_items.record:duplicate_identity': 1,
};

describe('data anomalies reach the run report, report.json and scraper status', () => {
  let server: Server;
  let url: string;
  let dir: string;
  let cleanup: () => void;
  let stdout: string;

  beforeAll(async () => {
    const body = oddAuction();
    server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    ({ dir, cleanup } = tempDir('anomalies-'));
    const r = await runCli(['run', 'maxsold', '--ids', '104375', '--base-url', url, '--out', dir, '--workers', '1']);
    expect(r.code, r.stderr).toBe(0);
    stdout = r.stdout;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    cleanup();
  });

  it('report.json counts each anomaly under <table>.<field>:<reason>', () => {
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { anomalies: Record<string, number> };
    expect(report.anomalies).toEqual(EXPECTED);
  });

  it('the printed report lists them, sorted', () => {
    const listed = stdout
      .split('\n')
      .filter((l) => /^\s+maxsold_items\.\S+: \d+$/.test(l))
      .map((l) => l.trim());
    expect(listed).toEqual(Object.entries(EXPECTED).map(([k, n]) => `${k}: ${n}`));
    expect(stdout).toMatch(/data anomalies\s+4 \(4 kinds, listed below\)\n/);
  });

  it("scraper status shows the last run's anomalies, as text and as JSON", async () => {
    const text = await runCli(['status', '--out', dir]);
    expect(text.code, text.stderr).toBe(0);
    for (const [k, n] of Object.entries(EXPECTED)) expect(text.stdout).toContain(`    ${k}: ${n}\n`);
    const json = await runCli(['status', '--out', dir, '--json']);
    expect((JSON.parse(json.stdout) as { lastRun: { anomalies: unknown } }).lastRun.anomalies).toEqual(EXPECTED);
  });

  it('the view count past int32 is stored whole', async () => {
    const q = await runCli(['query', 'SELECT max(viewed) AS v FROM maxsold_items', '--format', 'csv', '--out', dir]);
    expect(q.stdout.trim()).toBe('v\n3000000000');
  });
});
