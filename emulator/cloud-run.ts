/**
 * `scraper cloud`: the deployed topology, run locally on a virtual clock. The template
 * from `cdk synth` says what exists and how it is wired; fauxqs stands in for S3 and SQS
 * (with in-region latency), the simulator for both APIs (a live MaxSold world, VIA
 * snapshots of the virtual now, a rate limit and faults), and the functions run their
 * own bundles from cdk.out.
 */
import diagnostics from 'node:diagnostics_channel';
import type { ServerResponse } from 'node:http';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { interceptLocalhostDns } from 'fauxqs';
import { startSimulator, type RunningSimulator } from '../simulator/index.js';
import type { FaultRates } from '../simulator/faults.js';
import type { RateLimitOptions } from '../simulator/options.js';
import { mulberry32 } from '../simulator/prng.js';
import { ACCOUNT, CREDENTIALS, EmulatedAws, REGION, type AwsLatency, type ObjectCreated } from './emulated-aws.js';
import { LambdaService, onBehalfOf, runningAs, type FunctionStats } from './lambda-service.js';
import { FunctionRoles } from './roles.js';
import { LogMeter } from './log-meter.js';
import { readTopology, refOf, type FunctionSpec, type ScheduleSpec, type Topology } from './template.js';
import { s3Notifier, SqsEventSource, startSchedules, type QueueRef } from './triggers.js';
import { installClock } from './global-clock.js';
import { real } from './real-time.js';
import { formatTimeLeft, TimeLeft } from './time-left.js';
import { cpuNow, VirtualTime } from './virtual-time.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface CloudRunOptions {
  /** The synthesized template (`<outdir>/<stack>.template.json`). */
  templateFile: string;
  /** Simulated days. */
  days: number;
  /** Share of production volume (1 = ~3,000 open auctions). */
  volume: number;
  /** Virtual start instant (UTC). */
  startMs: number;
  seed: number;
  latency: AwsLatency;
  /** API latency and jitter, ms. */
  apiLatencyMs: number;
  apiJitterMs: number;
  rateLimit?: RateLimitOptions;
  faults: FaultRates;
  /** The account's Lambda concurrency quota. */
  accountConcurrency: number;
  /** Ids per long gap (a run of unpublished ids), and how often one comes. */
  longGap: { every: number; length: number };
  /** Days of auctions allocated before the start. */
  backlogDays: number;
  /** Where the functions' log lines go (with Lambda's REPORT lines); by default nowhere. */
  logFile?: string;
  progress?: (line: string) => void;
}

export interface ScheduleFiring {
  rule: string;
  at: number;
}

export interface CloudRun {
  options: CloudRunOptions;
  topology: Topology;
  vt: VirtualTime;
  aws: EmulatedAws;
  sim: RunningSimulator;
  lambda: LambdaService;
  eventSources: SqsEventSource[];
  queues: Map<string, QueueRef>;
  bucketNames: Map<string, string>;
  logs: LogMeter;
  firings: ScheduleFiring[];
  /** MaxSold auction requests (not bid histories) by id: virtual instants. */
  polls: Map<number, number[]>;
  endMs: number;
  realMs: number;
  /** CPU this process spent on the run (all of it, across a suspend and restore). */
  cpuMs: number;
  release(): void;
  /** Puts the real clock and timers back. */
  restoreClock(): void;
}

/** Runs the emulation to its end and leaves S3/SQS up for the checks; `stopCloud` ends it. */
export async function runCloud(o: CloudRunOptions): Promise<CloudRun> {
  const realStart = real.now();
  const cpuStart = cpuNow();
  const topology = readTopology(o.templateFile);
  const roles = new FunctionRoles(topology);

  const dispatchEnv = [...topology.functions.values()].find((f) => f.environment.MAXSOLD_START_ID !== undefined)?.environment;
  const firstId = Number(dispatchEnv?.MAXSOLD_START_ID ?? 104_000);

  const vt = new VirtualTime(o.startMs);
  const restoreClock = installClock(vt);
  // fauxqs names queues http://sqs.<region>.localhost:<port>/…, and the SDK sends to that host.
  const restoreDns = interceptLocalhostDns();
  // Virtual timers hold nothing open; this does until the run is stopped.
  const keepAlive = real.setInterval(() => {}, 1 << 30);
  const logs = new LogMeter(o.logFile);
  logs.install();

  // The API simulator sees the virtual clock (auctions open and close, VIA moves, the rate limit refills).
  const sim = await startSimulator({
    latencyMs: o.apiLatencyMs,
    jitterMs: o.apiJitterMs,
    rateLimit: o.rateLimit,
    faults: o.faults,
    faultSeed: o.seed,
    clock: () => vt.now(),
    cacheEntries: 4000,
    live: {
      startMs: o.startMs,
      firstId,
      idsPerDay: 350 * o.volume,
      seed: o.seed,
      longGapEvery: o.longGap.every,
      longGapLength: o.longGap.length,
      backlogDays: o.backlogDays,
      cacheEntries: Math.max(200, Math.ceil(3500 * o.volume)),
    },
  });
  const polls = new Map<number, number[]>();
  const simOpen = new Set<ServerResponse>();
  let simActivity = 0;
  const onRequest = (message: unknown) => {
    const { request, response, server } = message as {
      request: { url?: string };
      response: ServerResponse;
      server: { address(): unknown };
    };
    if ((server.address() as { port?: number } | null)?.port !== sim.port) return;
    simOpen.add(response);
    simActivity++;
    response.once('close', () => {
      simOpen.delete(response);
      simActivity++;
    });
    const m = /[?&]auctionid=(\d+)/.exec(request.url ?? '');
    if (m && !/[?&]itemid=/.test(request.url ?? '')) {
      const id = Number(m[1]);
      let times = polls.get(id);
      if (!times) polls.set(id, (times = []));
      times.push(vt.now());
    }
  };
  diagnostics.subscribe('http.server.request.start', onRequest);
  const rng = mulberry32(o.seed);
  let eventSources: SqsEventSource[] = [];
  // Wired below, once the functions exist; S3 and SQS need the callbacks first.
  const later: { notify?: (e: ObjectCreated) => void } = {};
  const aws = await EmulatedAws.start({
    sleep: (ms) => vt.sleep(ms),
    now: () => vt.now(),
    seed: o.seed,
    latency: o.latency,
    authorize: (clientPort, serverPort) => roles.authorize(clientPort, serverPort),
    onObjectCreated: (e) => later.notify?.(e),
    onMessageSent: (url) => {
      for (const es of eventSources) if (queues.get(es.spec.queue)?.url === url) es.wake();
    },
  });

  // Buckets and queues as the template declares them; dead-letter queues first.
  const bucketNames = new Map(topology.buckets.map((id) => [id, id.toLowerCase()]));
  for (const name of bucketNames.values()) await aws.admin.s3.send(new CreateBucketCommand({ Bucket: name }));
  const queues = new Map<string, QueueRef>();
  const specs = [...topology.queues.values()].sort((a, b) => Number(a.deadLetter !== undefined) - Number(b.deadLetter !== undefined));
  for (const q of specs) {
    const attributes: Record<string, string> = {
      VisibilityTimeout: String(q.visibilitySeconds),
      MessageRetentionPeriod: String(q.retentionSeconds),
    };
    if (q.deadLetter)
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: queues.get(q.deadLetter.queue)!.arn,
        maxReceiveCount: q.deadLetter.maxReceiveCount,
      });
    // Named by its logical id: the role check reads a queue's name from its URL.
    const { QueueUrl } = await aws.admin.sqs.send(new CreateQueueCommand({ QueueName: q.id, Attributes: attributes }));
    queues.set(q.id, { name: q.id, url: QueueUrl!, arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${q.id}` });
  }

  // Every SDK client the handlers build reads these; the bundles reach @aws-sdk from node_modules.
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: aws.endpoint,
    AWS_ENDPOINT_URL_SQS: aws.sqsEndpoint,
    AWS_S3_FORCE_PATH_STYLE: 'true',
  });
  const resolve = (value: unknown): string => {
    if (typeof value === 'string' || typeof value === 'number') return String(value);
    const id = refOf(value);
    const attr = (value as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt']?.[1];
    if (bucketNames.has(id)) return bucketNames.get(id)!;
    const q = queues.get(id);
    if (q) return attr === 'Arn' ? q.arn : attr === 'QueueName' ? q.name : q.url;
    throw new Error(`environment: cannot resolve ${JSON.stringify(value)}`);
  };
  const resolveEnv = (fn: FunctionSpec): Record<string, string> => ({
    ...Object.fromEntries(Object.entries(fn.environment).map(([k, v]) => [k, resolve(v)])),
    // The one change from the template: the APIs are the simulator.
    BASE_URL: sim.url,
    AWS_LAMBDA_FUNCTION_NAME: fn.id,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
  });

  const lambda = new LambdaService(topology.functions, {
    vt,
    accountConcurrency: o.accountConcurrency,
    resolveEnv,
    sendToDestination: async (fnId, queueId, record) => {
      const send = new SendMessageCommand({ QueueUrl: queues.get(queueId)!.url, MessageBody: JSON.stringify(record) });
      await onBehalfOf(fnId, () => aws.sqs.send(send));
    },
    report: (fnId, line) => logs.platform(fnId, line),
  });
  logs.attribute(() => {
    const as = runningAs.getStore();
    return as?.byLambda ? undefined : as?.fn;
  });
  eventSources = topology.eventSources.map((spec) => new SqsEventSource(spec, queues.get(spec.queue)!, aws, lambda, vt));
  later.notify = s3Notifier(topology.notifications, bucketNames, lambda, vt, () => 50 + rng() * 250);
  const firings: ScheduleFiring[] = [];
  const endMs = o.startMs + o.days * DAY;

  vt.skipIdleTime({
    idle: () => lambda.importing === 0 && aws.inProgress === aws.parked && [...simOpen].every((r) => !r.headersSent),
    activity: () => aws.activity + lambda.activity + simActivity,
  });
  const stopSchedules = startSchedules(topology.schedules, lambda, vt, (spec: ScheduleSpec, at: number) =>
    firings.push({ rule: spec.name, at }),
  );
  for (const es of eventSources) es.wake();

  // Progress every quarter of a simulated day, or every minute of real time when a quarter day
  // takes longer than that (production volume); real output, not on the virtual clock.
  // It stops with the drain: the checks after it run on the same clock, which jumps while
  // they wait on DuckDB.
  let reported = o.startMs;
  let reportedReal = realStart;
  let reporting = true;
  const timeLeft = new TimeLeft();
  timeLeft.sample(realStart, o.startMs, endMs);
  real
    .setTimeout(function tick() {
      if (!reporting) return;
      if (vt.now() - reported >= DAY / 4 || real.now() - reportedReal >= 60_000) {
        reported = vt.now();
        reportedReal = real.now();
        const done = (vt.now() - o.startMs) / DAY;
        const where = vt.now() <= endMs ? `day ${done.toFixed(2)} of ${o.days}` : 'after the end, finishing what is in flight';
        const left = vt.now() <= endMs ? timeLeft.sample(reportedReal, reported, endMs) : undefined;
        // A request takes milliseconds; one open for a minute holds the clock to real time.
        const stuck = aws.oldestInFlight();
        const waiting =
          stuck && stuck.realMs >= 60_000
            ? `; the clock waits on ${stuck.what}, in flight for ${Math.floor(stuck.realMs / 60_000)} min real`
            : '';
        o.progress?.(
          `  ${where}: ${new real.Date(vt.now()).toISOString().slice(0, 16)}Z, ${((real.now() - realStart) / 1000).toFixed(0)} s real, ${sim.stats().requests} API requests${left === undefined ? '' : `, ${formatTimeLeft(left)} to the end of day ${o.days} at the recent pace`}${troubleSoFar(lambda.stats, { count: aws.deniedCount, first: aws.denied[0] })}${waiting}`,
        );
      }
      real.setTimeout(tick, 500).unref();
    }, 500)
    .unref();

  try {
    await vt.sleep(endMs - vt.now());
    stopSchedules();
    // Let what is in flight finish (an hour at most), as a deployment keeps running.
    const drainUntil = vt.now() + HOUR;
    for (;;) {
      const pending = await Promise.all(
        [...queues.values()].filter((q) => !q.name.includes('Dead') && !q.name.includes('Failures')).map((q) => aws.inspectQueue(q.name)),
      );
      const busy = lambda.active > 0 || pending.some((p) => p.ready + p.delayed.length + p.inflight.length > 0);
      if (!busy || vt.now() >= drainUntil) break;
      await vt.sleep(10_000);
    }
  } finally {
    reporting = false;
  }
  for (const es of eventSources) es.stop();
  diagnostics.unsubscribe('http.server.request.start', onRequest);
  roles.stop();
  return {
    options: o,
    topology,
    vt,
    aws,
    sim,
    lambda,
    eventSources,
    queues,
    bucketNames,
    logs,
    firings,
    polls,
    endMs,
    realMs: real.now() - realStart,
    cpuMs: cpuNow() - cpuStart,
    restoreClock,
    release: () => {
      restoreDns();
      real.clearInterval(keepAlive);
    },
  };
}

/**
 * What has gone wrong so far, for the progress line ('' while nothing has): a long run shows a
 * failing function within a minute, not only in the report at its end. An async event is lost
 * when Lambda gave up on it and no record of it reached a failure queue; a request refused is one
 * a function's role does not allow (the first named).
 */
export function troubleSoFar(stats: ReadonlyMap<string, FunctionStats>, refused: { count: number; first?: string } = { count: 0 }): string {
  const parts: string[] = [];
  if (refused.count > 0)
    parts.push(`${refused.count} ${refused.count === 1 ? 'request' : 'requests'} refused by a role (first: ${refused.first})`);
  for (const [fn, s] of stats) {
    const bad = [
      [s.errors, 'error', 'errors'],
      [s.timeouts, 'timeout', 'timeouts'],
      [s.asyncEventsDropped - s.destinationSends, 'async event lost', 'async events lost'],
    ] as const;
    const said = bad.filter(([count]) => count > 0).map(([count, one, many]) => `${count} ${count === 1 ? one : many}`);
    if (said.length > 0) parts.push(`${fn} ${said.join(', ')}`);
  }
  return parts.length > 0 ? `; so far ${parts.join('; ')}` : '';
}

export async function stopCloud(run: CloudRun): Promise<void> {
  await run.sim.close();
  await run.aws.stop();
  run.release();
  run.logs.uninstall();
  run.restoreClock();
}
