import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { Agent, request } from 'undici';

/**
 * The bare baseline: what a minimal program does with the same auctions at the same
 * concurrency — an undici loop that fetches, gunzips, JSON.parses and writes each body
 * to a file, and nothing else (no validation, no retries, no tables). It is the
 * practical limit of this machine for the fetch itself; the bench reports every mode
 * of the scraper as a fraction of it. Written plainly on purpose: none of the
 * scraper's code, as a user would write it in an afternoon.
 *
 *   node bench/bare-baseline.js --base-url URL --ids 100000-102999 --concurrency 50 --out DIR
 *
 * Prints one JSON line: the figures the scraper's report.json has for the same run.
 */

const { values } = parseArgs({
  options: { 'base-url': { type: 'string' }, ids: { type: 'string' }, concurrency: { type: 'string' }, out: { type: 'string' } },
});
const [from = NaN, to = NaN] = String(values.ids).split('-').map(Number);
const concurrency = Number(values.concurrency);
const out = String(values.out);
if (!values['base-url'] || !(from > 0 && to >= from) || !(concurrency > 0))
  throw new Error('usage: bare-baseline --base-url URL --ids A-B --concurrency C --out DIR');
mkdirSync(out, { recursive: true });

const agent = new Agent({ connections: concurrency, pipelining: 1 });
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
const started = performance.now();
let firstRequestMs: number | undefined;
let next = from;
let requests = 0;
let failures = 0;

async function lane(): Promise<void> {
  while (next <= to) {
    const id = next++;
    firstRequestMs ??= performance.now();
    requests++;
    try {
      const res = await request(`${values['base-url']}/msapi/auctions/items?auctionid=${id}&limit=1000`, {
        dispatcher: agent,
        headers: { 'accept-encoding': 'gzip' },
      });
      const bytes = Buffer.from(await res.body.arrayBuffer());
      const plain = res.headers['content-encoding'] === 'gzip' ? gunzipSync(bytes) : bytes;
      JSON.parse(plain.toString('utf8'));
      writeFileSync(join(out, `${id}.json`), plain);
    } catch {
      failures++;
    }
  }
}

await Promise.all(Array.from({ length: concurrency }, lane));
const wallSeconds = (performance.now() - started) / 1000;
loop.disable();
await agent.close();
const cpu = process.cpuUsage();
process.stdout.write(
  JSON.stringify({
    auctions: to - from + 1,
    requests,
    failures,
    wallSeconds,
    process: {
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      uptimeSeconds: process.uptime(),
      firstRequestSeconds: (firstRequestMs ?? 0) / 1000,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    },
    eventLoopDelayMs: { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
  }) + '\n',
);
