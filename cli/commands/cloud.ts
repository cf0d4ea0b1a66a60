import { mkdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { checkDeployable, CONTEXT_KEY, parseSettings, settingsFromContextValues } from '../../cdk/config.js';
import { billTotal, monthlyBill, monthScale } from '../../emulator/bill.js';
import { runCloud, stopCloud, type CloudRun } from '../../emulator/cloud-run.js';
import { DEFAULT_LATENCY, type LatencyRange } from '../../emulator/emulated-aws.js';
import { checkInvariants } from '../../emulator/invariants.js';
import { existingTemplate, PROJECT_ROOT, provideRuntimeModules, synthesizeUnlessCurrent } from '../../emulator/synth.js';
import { int, parse, rate, str, UsageError } from '../args.js';
import { textTable } from './query.js';
import { faultRates } from './simulate.js';

const DEFAULT_FAULTS = 'empty=0.01,schema=0.005,serverError=0.02,reset=0.005,truncated=0.005,html=0.005,slow=0.002';

export const CLOUD_HELP = `Usage: scraper cloud [--days N] [--volume F] [options]

Runs the deployed topology locally: "cdk synth" (offline) writes the template, and the
emulation wires what it declares (functions with their timeouts, memory and reserved
concurrency; the work queues with their visibility timeouts and dead-letter queue; the SQS
event sources with their batch sizes and maxConcurrency; the schedules; the S3 notification; async
retries and failure destinations) around S3 and SQS (fauxqs, with in-region latency) and
the API simulator (a live MaxSold world: ids with gaps, auctions open for days with
soft-close extensions; VIA; a rate limit; faults). Time is virtual: it advances with the
process's CPU time while anything computes and skips idle waits, so a handler's duration
is the latencies it waited for plus the CPU spent while it ran (its own, and that of the
functions running beside it: docs/aws.md says by how much that differs from Lambda). At
the end it checks the invariants and prints the month's bill from what it counted.

Options:
      --days N             simulated days (default 1); MaxSold is dispatched hourly, a window of new ids
                           at a time, so a run of less than a few hours has not yet found the auctions
                           that exist and fails its discovery invariant
      --volume F           share of production volume: 1 = ~350 new auctions a day, ~3,000 open (default 1)
      --start DATE         virtual start, UTC (default 2026-11-23)
      --set KEY=VALUE      a stack setting for the synth (scraper.KEY), repeatable,
                           e.g. --set viaSchedule="rate(5 minutes)"
      --cdk-out DIR        where cdk synth writes (default ./cloud.out: apart from cdk.out, so a deploy
                           or sam local never picks up the emulation's settings)
      --no-synth           run the template already in --cdk-out as it is (otherwise cdk synth runs
                           unless --cdk-out holds the synth of the same sources and settings)
      --s3-latency MS-MS   S3 request latency (default ${DEFAULT_LATENCY.s3.min}-${DEFAULT_LATENCY.s3.max})
      --sqs-latency MS-MS  SQS request latency (default ${DEFAULT_LATENCY.sqs.min}-${DEFAULT_LATENCY.sqs.max})
      --api-latency MS     API response latency, +-half of it as jitter (default 80)
      --api-rate R         the API's rate limit, answered with 429 + Retry-After (default 50/s)
      --faults LIST        injected faults (default ${DEFAULT_FAULTS.replace(',reset', ',\n                           reset')})
      --long-gap N/M       a run of M unpublished ids every N ids (default 1500/250)
      --backlog-days D     days of auctions that exist when the run starts (default 10: with auctions
                           open 6-10 days, some already closed and ~3,000 open at volume 1)
      --account-concurrency N  the account's Lambda concurrency quota (default 1000)
      --seed N             seed of the world, faults and latencies (default 1)
      --logs FILE          write the functions' log lines (and Lambda's REPORT lines) to FILE, stamped
                           with the virtual time (default: not kept)
      --json               print the report as JSON on stdout (progress stays on stderr)
  -h, --help               show this help

Exit status: 0 when every invariant holds, 1 when one does not (or the deploy would fail: an
event source's role that Lambda refuses), 2 for bad arguments, 130 interrupted (Ctrl-C; no report).`;

function range(flag: string, value: string | boolean | undefined, fallback: LatencyRange): LatencyRange {
  if (value === undefined) return fallback;
  const m = typeof value === 'string' ? /^(\d+)-(\d+)$/.exec(value) : null;
  if (!m || Number(m[1]) > Number(m[2]))
    throw new UsageError(`--${flag}: expected a range of milliseconds like 15-30, got "${String(value)}"`);
  return { min: Number(m[1]), max: Number(m[2]) };
}

function positive(flag: string, value: string | boolean | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+(\.\d+)?$/.test(value) || n <= 0 || n > max)
    throw new UsageError(`--${flag}: expected a number above 0 and at most ${max}, got "${String(value)}"`);
  return n;
}

export async function cloudCommand(args: string[]): Promise<number> {
  const p = parse(args, {
    days: { type: 'string' },
    volume: { type: 'string' },
    start: { type: 'string' },
    set: { type: 'string', multiple: true },
    'cdk-out': { type: 'string' },
    's3-latency': { type: 'string' },
    'sqs-latency': { type: 'string' },
    'api-latency': { type: 'string' },
    'api-rate': { type: 'string' },
    faults: { type: 'string' },
    'long-gap': { type: 'string' },
    'backlog-days': { type: 'string' },
    'no-synth': { type: 'boolean' },
    'account-concurrency': { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean' },
    logs: { type: 'string' },
  });
  if (p.values.help) return (void process.stdout.write(CLOUD_HELP + '\n'), 0);
  const startText = str('start', p.values.start, '2026-11-23');
  const startMs = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(startText) ? `${startText}T00:00:00Z` : startText);
  if (Number.isNaN(startMs)) throw new UsageError(`--start: expected a UTC date like 2026-11-23, got "${startText}"`);
  const accountConcurrency = int('account-concurrency', p.values['account-concurrency'], 1000, 1, 1_000_000);
  // The synth checks the quota against the reserved concurrency, as for a deploy.
  const context: Record<string, string> = {
    [`${CONTEXT_KEY}.userAgent`]: 'api-scraper-emulation/0.1 (+local emulation; no contact)',
    [`${CONTEXT_KEY}.accountConcurrency`]: String(accountConcurrency),
  };
  for (const s of (p.values.set as unknown as string[] | undefined) ?? []) {
    const [, key, value] = /^([A-Za-z]+)=(.*)$/.exec(s) ?? [];
    if (key === undefined || value === undefined) throw new UsageError(`--set: expected KEY=VALUE (a stack setting), got "${s}"`);
    context[`${CONTEXT_KEY}.${key}`] = value;
  }
  // The synth would refuse a bad setting too, but only after a while, amid its own output.
  try {
    checkDeployable(parseSettings(synthSettings(context)));
  } catch (e) {
    const message = (e as Error).message;
    throw new UsageError(`${message.startsWith(`${CONTEXT_KEY}.accountConcurrency:`) ? '--account-concurrency' : '--set'}: ${message}`);
  }
  const gap = /^(\d+)\/(\d+)$/.exec(str('long-gap', p.values['long-gap'], '1500/250'));
  if (!gap || Number(gap[2]) >= Number(gap[1])) throw new UsageError('--long-gap: expected N/M with M < N, like 1500/250');
  const faults = faultRates(str('faults', p.values.faults, DEFAULT_FAULTS)) ?? {};
  const days = positive('days', p.values.days, 1, 60);
  const volume = positive('volume', p.values.volume, 1, 10);
  const apiLatency = int('api-latency', p.values['api-latency'], 80, 0, 10_000);
  const perSecond = rate('api-rate', p.values['api-rate'] ?? '50/s')!;
  // Every setting is checked before the synth, which takes a while.
  const seed = int('seed', p.values.seed, 1, 0, 1_000_000);
  const latency = {
    s3: range('s3-latency', p.values['s3-latency'], DEFAULT_LATENCY.s3),
    sqs: range('sqs-latency', p.values['sqs-latency'], DEFAULT_LATENCY.sqs),
  };
  const backlogDays = p.values['backlog-days'] === undefined ? 10 : positive('backlog-days', p.values['backlog-days'], 10, 60);
  const logFile = p.values.logs === undefined ? undefined : resolve(process.cwd(), str('logs', p.values.logs, ''));
  if (p.values['no-synth'] && p.values.set)
    throw new UsageError('--set: a setting needs a synth, and --no-synth runs the template as it is; leave one of them out');
  // Progress goes to stderr also with --json (stdout carries the report): a long run is never silent.
  const say = (line: string) => void process.stderr.write(line + '\n');

  const cdkOut = str('cdk-out', p.values['cdk-out'], 'cloud.out');
  const outdir = isAbsolute(cdkOut) ? cdkOut : resolve(process.cwd(), cdkOut);
  mkdirSync(outdir, { recursive: true });
  let templateFile: string;
  if (p.values['no-synth']) {
    try {
      templateFile = existingTemplate(outdir);
    } catch (e) {
      throw new UsageError(`--no-synth: ${(e as Error).message}; run once without --no-synth to synthesize it`);
    }
  } else {
    say(
      `cdk synth → ${outdir} (${Object.entries(context)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')})`,
    );
    const synth = await synthesizeUnlessCurrent(outdir, context);
    if (synth.reused) say(`  skipped: ${outdir} holds the synth of these sources and settings (${synth.fingerprint})`);
    templateFile = synth.templateFile;
  }
  provideRuntimeModules(outdir);
  say(
    `emulating ${days} day(s) at volume ${volume} from ${new Date(startMs).toISOString().slice(0, 10)} (template ${templateFile.replace(PROJECT_ROOT + '/', '')})`,
  );
  // Interrupted, a run reports nothing; on its way out it removes its temporary files (the spilled
  // S3 objects are gigabytes after hours) and writes the log lines it kept.
  const interrupted = (signal: NodeJS.Signals) => {
    say(`interrupted (${signal}): no report, no bill`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  const run = await runCloud({
    templateFile,
    days,
    volume,
    startMs,
    seed,
    latency,
    apiLatencyMs: apiLatency,
    apiJitterMs: apiLatency / 2,
    rateLimit: { perSecond, burst: Math.max(1, Math.ceil(perSecond)) },
    faults,
    accountConcurrency,
    longGap: { every: Number(gap[1]), length: Number(gap[2]) },
    backlogDays,
    logFile,
    progress: say,
  });
  let report: ReturnType<typeof cloudReport>;
  try {
    // Counted before the checks, whose own reads are not the deployment's.
    report = cloudReport(run);
    report.invariants = await checkInvariants(run);
  } finally {
    // The handlers' log lines went to a meter; stdout is ours again after this.
    await stopCloud(run);
  }
  process.stdout.write((p.values.json ? JSON.stringify(report, null, 2) : renderCloudReport(report)) + '\n');
  return report.invariants.every((i) => i.ok) ? 0 : 1;
}

export function cloudReport(run: CloudRun) {
  const invariants: Awaited<ReturnType<typeof checkInvariants>> = [];
  const functions = [...run.topology.functions.values()].map((f) => ({
    name: f.id,
    memoryMb: f.memoryMb,
    timeoutSeconds: f.timeoutSeconds,
    reserved: f.reserved,
    stats: run.lambda.stats.get(f.id)!,
  }));
  for (const f of functions) f.stats.logBytes += run.logs.bytes.get(f.name) ?? 0;
  const logBytes = functions.reduce((n, f) => n + f.stats.logBytes, 0);
  const bill = monthlyBill({
    days: run.options.days,
    functions,
    requests: run.aws.requests,
    eventSources: run.topology.eventSources.length,
    storedBytes: run.aws.storedBytes(),
    logBytes,
    customMetrics: new Set([...run.logs.metrics.keys()]).size,
    alarms: run.topology.alarms.length,
    dashboards: run.topology.dashboards.length,
  });
  return {
    days: run.options.days,
    volume: run.options.volume,
    realSeconds: Math.round(run.realMs / 100) / 10,
    cpuSeconds: Math.round(run.cpuMs / 100) / 10,
    virtualSkippedHours: Math.round(run.vt.skippedMs / 360_000) / 10,
    invariants,
    functions: functions.map((f) => ({
      name: f.name,
      memoryMb: f.memoryMb,
      timeoutSeconds: f.timeoutSeconds,
      reserved: f.reserved,
      ...f.stats,
    })),
    eventSources: run.eventSources.map((e) => ({
      id: e.spec.id,
      batchSize: e.spec.batchSize,
      maxConcurrency: e.spec.maxConcurrency,
      ...e.stats,
    })),
    requests: Object.fromEntries([...run.aws.requests].sort()) as Record<string, number>,
    api: run.sim.stats(),
    metrics: Object.fromEntries(run.logs.metrics),
    schedules: Object.fromEntries(
      [...new Set(run.firings.map((f) => f.rule))].map((r) => [r, run.firings.filter((f) => f.rule === r).length]),
    ),
    bill,
    monthlyUsd: Math.round(billTotal(bill) * 100) / 100,
  };
}

export function renderCloudReport(r: ReturnType<typeof cloudReport>): string {
  const lines: string[] = [];
  lines.push(
    `${r.days} simulated day(s) at volume ${r.volume} in ${r.realSeconds} s real, ${r.cpuSeconds} CPU-s (${r.virtualSkippedHours} h of idle time skipped)`,
    '',
  );
  lines.push(
    textTable(
      ['invariant', 'holds', 'detail'],
      r.invariants.map((i) => [i.name, i.ok ? 'yes' : 'NO', i.detail]),
    ),
    '',
  );
  lines.push(
    textTable(
      [
        'function',
        'MB',
        'timeout s',
        'invocations',
        'errors',
        'timeouts',
        'throttles',
        'cold',
        'billed ms/inv.',
        'longest ms',
        'peak conc.',
      ],
      r.functions.map((f) => [
        f.name,
        String(f.memoryMb),
        String(f.timeoutSeconds),
        String(f.invocations),
        String(f.errors),
        String(f.timeouts),
        String(f.throttles),
        String(f.coldStarts),
        (f.billedMs / Math.max(1, f.invocations)).toFixed(0),
        String(f.maxDurationMs),
        String(f.peakConcurrency),
      ]),
    ),
    "billed ms/inv.: what Lambda bills per invocation on average (its duration rounded up to 1 ms, cold starts' INIT included); longest ms: one invocation's duration, INIT not included",
    '',
  );
  for (const f of r.functions) if (f.firstError) lines.push(`${f.name}: ${f.errors} error(s), the first: ${f.firstError}`);
  if (r.functions.some((f) => f.firstError)) lines.push('');
  lines.push(
    textTable(
      ['request', 'count'],
      Object.entries(r.requests).map(([k, v]) => [k, String(v)]),
    ),
    '',
  );
  lines.push(
    `API: ${r.api.requests} requests (${Object.entries(r.api.statusCounts)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ')}), peak ${r.api.peakInFlight} open`,
    '',
  );
  lines.push(
    textTable(
      ['item', 'volume per month', 'how it is counted', 'USD'],
      r.bill.map((b) => [b.item, b.volume, b.basis, b.usd.toFixed(2)]),
    ),
  );
  const scale = Number(monthScale(r.days).toPrecision(3));
  lines.push(
    `total: $${r.monthlyUsd.toFixed(2)} a month (the requests, compute and logs of ${r.days} simulated day(s) × ${scale}; storage as it stands at the end; alarms, metrics and dashboards at their monthly price)`,
  );
  return lines.join('\n');
}

/** The settings the synth will see: cdk.json's context, then the `-c` entries given, as the CDK merges them. */
function synthSettings(context: Record<string, string>): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return settingsFromContextValues({ ...cdkJson.context, ...context });
}
