import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { build } from 'esbuild';
import { startFauxqs } from 'fauxqs';
import { findUp } from '../adapters/find-up.js';
import { S3ObjectStore } from '../adapters/s3-store.js';
import { BUNDLE_FILE, esbuildOptions, PARQUET_WASM_FILE } from '../cdk/bundling.js';
import { rawKey } from '../core/raw-key.js';
import { maxsoldUrl } from '../core/sources/requests.js';
import { REAL_ORIGINS } from '../core/sources/index.js';
import { startSimulator } from '../simulator/index.js';
import { auctionBodies } from './auction-bodies.js';

/** One handler's esbuild bundle run as a cold Lambda would run it: a fresh process, then warm invocations. */
export interface LambdaFigures {
  fn: 'fetch' | 'normalise';
  /** What one invocation handles. */
  unit: string;
  bundleKb: number;
  /** Whether parquet-wasm's .wasm ships beside the bundle (and is compiled at start). */
  wasm: boolean;
  /** Loading the bundle: its top level, clients and parquet-wasm's WebAssembly included. */
  init: { ms: number; cpuMs: number };
  /** The first invocation, its code not yet optimised. */
  first: { ms: number; cpuMs: number };
  /** Mean of the invocations after the first, warm. */
  warm: { ms: number; cpuMs: number; invocations: number };
  peakRssMb: number;
}

const RUNNER = `import { readFileSync } from 'node:fs';
import dns from 'node:dns';
// The emulator's queue URLs are http://sqs.<region>.localhost:<port>/… (SQS's endpoint here, as the
// queue's host is in AWS): resolve them to 127.0.0.1.
const lookup = dns.lookup;
dns.lookup = (name, options, cb) => name.endsWith('.localhost')
  ? (typeof options === 'function' ? options(null, '127.0.0.1', 4) : options.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4))
  : lookup(name, options, cb);
const ms = (t) => Math.round((performance.now() - t) * 100) / 100;
const cpu = (c) => { const d = process.cpuUsage(c); return Math.round((d.user + d.system) / 10) / 100; };
let t = performance.now(); let c = process.cpuUsage();
const { handler } = await import('./index.mjs');
const init = { ms: ms(t), cpuMs: cpu(c) };
const ctx = { getRemainingTimeInMillis: () => 60000, functionName: 'bench', awsRequestId: 'bench' };
const runs = [];
for (const event of JSON.parse(readFileSync(process.argv[2], 'utf8'))) {
  t = performance.now(); c = process.cpuUsage();
  await handler(event, ctx);
  runs.push({ ms: ms(t), cpuMs: cpu(c) });
}
process.stdout.write(JSON.stringify({ init, runs, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }) + '\\n');
`;

const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };

/** The repository: functions/ and node_modules (whose @aws-sdk the bundles leave out, as Lambda provides it). */
const PROJECT_ROOT = findUp(import.meta.url, 'cdk.json');

/**
 * The fetch and normalise handlers as esbuild bundles them for Lambda (the stack's own
 * build options), each run in a fresh process against an in-process S3/SQS emulator on
 * 127.0.0.1 (and the API simulator, for fetch): the cold start (module load, clients,
 * WebAssembly), the first invocation, and warm invocations. S3 answers from this
 * machine, so in AWS each invocation adds its S3 round trips (tens of ms).
 */
export async function runLambda(o: {
  quick: boolean;
  firstId: number;
  log: (line: string) => void;
  profileDir?: string;
}): Promise<LambdaFigures[]> {
  const dir = join(PROJECT_ROOT, '.tmp', `bench-lambda-${process.pid}`);
  const aws = await startFauxqs({ port: 0, logger: false });
  const s3 = new S3Client({ endpoint: aws.address, region: 'us-east-1', credentials: CREDENTIALS, forcePathStyle: true });
  const sqs = new SQSClient({ endpoint: aws.address, region: 'us-east-1', credentials: CREDENTIALS });
  const sim = await startSimulator({ latencyMs: 20, jitterMs: 5 });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: 'bench' }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'bench' }));
    const env = {
      PATH: process.env.PATH,
      BUCKET_NAME: 'bench',
      QUEUE_URL: QueueUrl!,
      BIDS_QUEUE_URL: QueueUrl!,
      AWS_ENDPOINT_URL: aws.address,
      AWS_ENDPOINT_URL_SQS: new URL(QueueUrl!).origin,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      BASE_URL: sim.url,
      USER_AGENT: 'api-scraper bench (127.0.0.1 only)',
      // Above what 4 connections reach at 20 ms: the batch's time is the handler's, not the deployed 8 requests/s.
      FETCH_RATE: '1000',
    };
    const objects = o.quick ? 6 : 31;
    const bodies = auctionBodies(o.firstId, objects);
    const store = new S3ObjectStore(s3, 'bench');
    for (const b of bodies) {
      await store.put(rawKey(b.item), b.gz, {
        url: maxsoldUrl(REAL_ORIGINS.maxsold, b.item, 1000),
        status: '200',
        'fetched-at': new Date().toISOString(),
        attempts: '1',
        'work-item': JSON.stringify(b.item),
      });
    }
    const normaliseEvents = bodies.map((b) => ({
      Records: [
        {
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: 'bench' }, object: { key: encodeURIComponent(rawKey(b.item)).replaceAll('%2F', '/') } },
        },
      ],
    }));
    const batches = o.quick ? 3 : 8;
    const fetchEvents = Array.from({ length: batches }, (_, batch) => ({
      Records: Array.from({ length: 10 }, (_, i) => {
        const id = o.firstId + 1000 + batch * 10 + i;
        return {
          messageId: `m-${id}`,
          receiptHandle: `r-${id}`,
          body: JSON.stringify({ source: 'maxsold', id: String(id), dt: '2026-12-05' }),
          attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'bench', ApproximateFirstReceiveTimestamp: '0' },
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:bench',
          awsRegion: 'us-east-1',
        };
      }),
    }));
    const out: LambdaFigures[] = [];
    for (const [fn, events, unit] of [
      ['normalise', normaliseEvents, 'one auction object (S3 event)'],
      ['fetch', fetchEvents, 'an SQS batch of 10 auctions'],
    ] as const) {
      o.log(`lambda: ${fn} bundle, a fresh process, ${events.length} invocations …`);
      out.push(await runBundle(fn, unit, events, join(dir, fn), env, o.profileDir && join(o.profileDir, `lambda-${fn}`)));
    }
    return out;
  } finally {
    s3.destroy();
    sqs.destroy();
    await sim.close();
    await aws.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runBundle(
  fn: 'fetch' | 'normalise',
  unit: string,
  events: unknown[],
  dir: string,
  env: Record<string, string | undefined>,
  profileDir?: string,
): Promise<LambdaFigures> {
  mkdirSync(dir, { recursive: true });
  await build({ ...esbuildOptions(join(PROJECT_ROOT, `functions/${fn}.ts`), join(dir, BUNDLE_FILE)), logLevel: 'error' });
  // As the stack's bundling does for every function.
  copyFileSync(join(PROJECT_ROOT, PARQUET_WASM_FILE), join(dir, 'parquet_wasm_bg.wasm'));
  writeFileSync(join(dir, 'run.mjs'), RUNNER);
  writeFileSync(join(dir, 'events.json'), JSON.stringify(events));
  const result = await new Promise<string>((resolve, reject) => {
    const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const child = spawn(process.execPath, [...profile, 'run.mjs', 'events.json'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`the ${fn} bundle exited with ${code}: ${stderr.trim().slice(-800)}`)),
    );
  });
  const r = JSON.parse(result.trim().split('\n').pop()!) as {
    init: { ms: number; cpuMs: number };
    runs: { ms: number; cpuMs: number }[];
    peakRssMb: number;
  };
  const first = r.runs[0];
  if (first === undefined) throw new Error(`the ${fn} bundle reported no invocation: ${result.trim().slice(-800)}`);
  const warm = r.runs.slice(1);
  const mean = (xs: number[]) => Math.round((xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)) * 100) / 100;
  return {
    fn,
    unit,
    bundleKb: Math.round(statSync(join(dir, BUNDLE_FILE)).size / 1024),
    wasm: true,
    init: r.init,
    first,
    warm: { ms: mean(warm.map((x) => x.ms)), cpuMs: mean(warm.map((x) => x.cpuMs)), invocations: warm.length },
    peakRssMb: r.peakRssMb,
  };
}
