import { isIP } from 'node:net';
import { FAULT_KINDS, startSimulator, type FaultRates, type SimulatorOptions } from '../../simulator/index.js';
import { choice, int, parse, rate, UsageError, type Parsed } from '../args.js';
import { requireNoPositionals } from '../common.js';

export const SIMULATE_HELP = `Usage: scraper simulate [--port N] [options]

Serves both APIs on 127.0.0.1 at their real paths, with payloads shaped like the
recorded ones (deterministic per auction id), for tests, demos and benchmarks:
  GET /msapi/auctions/items?auctionid=N[&limit=L&offset=O][&itemid=M]
  GET /data/allData.json
  GET /__sim/stats (counters), POST /__sim/reset
Point the scraper at it with --base-url http://127.0.0.1:N. Ctrl-C stops it and prints the counters.

Options:
      --port N            port (default 8080; 0 = any free port)
      --host ADDR         address to listen on (default 127.0.0.1, this machine only); for
                          "sam local" on Linux, the Docker bridge's (e.g. 172.17.0.1)
      --latency MS        added to every response (default 0)
      --jitter MS         ± spread around the latency (default 0)
      --rate R            server-side rate limit, e.g. 20/s: over it answers 429 + Retry-After
      --burst N           requests allowed back to back under --rate (default: one second's worth)
      --retry-after F     seconds (default) or http-date
      --retry-after-grace MS
                          requests arriving this long after a 429/503 was sent were on their way
                          already: not counted as Retry-After violations (default 50)
      --max-in-flight N   over this many open requests answers 503 + Retry-After: 1
      --faults LIST       fault rates, e.g. notFound=0.02,serverError=0.05
                          (kinds: ${FAULT_KINDS.join(', ')})
      --via-faults        VIA snapshots get the per-request kinds too (serverError, reset, truncated,
                          html, slow); without it, only MaxSold answers are faulted
      --seed N            seed of the fault draws (default 1)
      --slow MS           delay of the "slow" fault (default 2000)
      --pregenerate A-B   make the gzipped bodies of auctions A..B before listening, so serving them
                          costs little CPU (for benchmarks of the client)
  -h, --help              show this help`;

export const SIMULATE_OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  latency: { type: 'string' },
  jitter: { type: 'string' },
  rate: { type: 'string' },
  burst: { type: 'string' },
  'retry-after': { type: 'string' },
  'retry-after-grace': { type: 'string' },
  'max-in-flight': { type: 'string' },
  faults: { type: 'string' },
  seed: { type: 'string' },
  slow: { type: 'string' },
  'via-faults': { type: 'boolean' },
  pregenerate: { type: 'string' },
} as const;

export async function simulateCommand(args: string[]): Promise<number> {
  const p = parse(args, SIMULATE_OPTIONS);
  if (p.values.help) return (void process.stdout.write(SIMULATE_HELP + '\n'), 0);
  requireNoPositionals(p, 'scraper simulate --help');
  const options = simulatorOptions(p, 8080);
  const sim = await startSimulator(options).catch((e: NodeJS.ErrnoException) => {
    const at = `${options.host ?? '127.0.0.1'}:${options.port}`;
    if (e.code === 'EADDRNOTAVAIL')
      throw new UsageError(`--host: no network interface of this machine has ${options.host} (cannot listen on ${at})`);
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES')
      throw new UsageError(`--port: cannot listen on ${at} (${e.code}); --port 0 takes any free port`);
    throw e;
  });
  process.stdout.write(
    `simulator listening on ${sim.url} (Ctrl-C to stop)\n  try: scraper run maxsold --ids 100000-100100 --base-url ${sim.url} --out sim-data\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const s = sim.stats();
  await sim.close();
  process.stdout.write(
    `\nserved ${s.requests} requests; peak in flight ${s.peakInFlight}; 429 sent ${s.throttled429}; 503 sent ${s.rejected503}; Retry-After violations ${s.retryAfterViolations}${s.retryAfterViolations ? ` (the first came ${s.retryAfterViolationDelaysMs.join(', ')} ms after the 429 that began the wait)` : ''}\n`,
  );
  return 0;
}

/** Simulator options from flags; shared with commands that start one in-process. */
export function simulatorOptions(p: Parsed, defaultPort: number): SimulatorOptions {
  const v = p.values;
  const perSecond = rate('rate', v.rate);
  if (v.burst !== undefined && perSecond === undefined) throw new UsageError('--burst: needs --rate');
  if (v['retry-after'] !== undefined && perSecond === undefined) throw new UsageError('--retry-after: needs --rate');
  return {
    port: int('port', v.port, defaultPort, 0, 65535),
    host: ipAddress('host', v.host),
    latencyMs: int('latency', v.latency, 0, 0, 600_000),
    jitterMs: int('jitter', v.jitter, 0, 0, 600_000),
    rateLimit:
      perSecond === undefined
        ? undefined
        : {
            perSecond,
            burst: v.burst === undefined ? undefined : int('burst', v.burst, 1, 1, 100_000),
            retryAfter: choice('retry-after', v['retry-after'], ['seconds', 'http-date'] as const, 'seconds'),
          },
    maxInFlight: v['max-in-flight'] === undefined ? undefined : int('max-in-flight', v['max-in-flight'], 1, 1, 100_000),
    faults: faultRates(v.faults),
    faultSeed: int('seed', v.seed, 1, 0, 2 ** 31),
    viaFaults: Boolean(v['via-faults']),
    slowMs: int('slow', v.slow, 2000, 0, 600_000),
    retryAfterGraceMs: int('retry-after-grace', v['retry-after-grace'], 50, 0, 60_000),
    pregenerate: idRange('pregenerate', v.pregenerate),
  };
}

function ipAddress(flag: string, value: string | boolean | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (isIP(String(value)) === 0)
    throw new UsageError(`--${flag}: expected an IP address of this machine like 127.0.0.1, got "${String(value)}"`);
  return String(value);
}

function idRange(flag: string, value: string | boolean | undefined): { from: number; to: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+)-(\d+)$/.exec(String(value));
  const from = Number(m?.[1]);
  const to = Number(m?.[2]);
  if (!m || from < 1 || to < from || to - from >= 1_000_000)
    throw new UsageError(`--${flag}: expected a range of auction ids like 100000-103000 (at most 1,000,000), got "${String(value)}"`);
  return { from, to };
}

export function faultRates(value: string | boolean | undefined): FaultRates | undefined {
  if (value === undefined) return undefined;
  const rates: FaultRates = {};
  for (const part of String(value).split(',').filter(Boolean)) {
    const m = /^(\w+)=(0|1|0?\.\d+)$/.exec(part.trim());
    const [, kind, rate] = m ?? [];
    if (kind === undefined || rate === undefined || !(FAULT_KINDS as readonly string[]).includes(kind)) {
      throw new UsageError(
        `--faults: expected kind=rate pairs like notFound=0.02,serverError=0.05 (rates from 0 to 1) with kinds ${FAULT_KINDS.join(', ')}, got "${part}"`,
      );
    }
    rates[kind as keyof FaultRates] = Number(rate);
  }
  return rates;
}
