import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import { FsObjectStore } from '../../adapters/fs-store.js';
import { createCompactHandler } from '../../adapters/lambda/compact-handler.js';
import { createDispatchHandler } from '../../adapters/lambda/dispatch-handler.js';
import { lambdaFetchContext } from '../../adapters/lambda/fetch-deps.js';
import { createFetchHandler } from '../../adapters/lambda/fetch-handler.js';
import { createNormaliseHandler } from '../../adapters/lambda/normalise-handler.js';
import { localContext, sqsRecord } from '../../adapters/lambda/local-invocation.js';
import { createObservability } from '../../adapters/lambda/observability.js';
import { parquetCodec } from '../../adapters/parquet.js';
import { InlineProcessor } from '../../adapters/inline-processor.js';
import { loadTableEncoder } from '../../adapters/table-encoder.js';
import { UndiciHttpClient } from '../../adapters/undici-http.js';
import { parseIdRanges } from '../../core/planner.js';
import type { MessageVisibility, WorkQueue } from '../../core/ports.js';
import { REAL_ORIGINS } from '../../core/sources/index.js';
import type { WorkItem } from '../../core/work-item.js';
import { startSimulator } from '../../simulator/index.js';
import { int, parse, str, url, UsageError } from '../args.js';

export const INVOKE_HELP = `Usage: scraper invoke <dispatch|fetch|normalise|compact> --event FILE [options]

Runs a Lambda handler in-process, the same code as in AWS, with local adapters in
place of AWS: the data directory for S3, files for the SQS queue, the simulator for
the APIs. Works without Docker; "sam local invoke" is the alternative with Docker.

  scraper invoke dispatch  --event events/schedule-maxsold.json   writes DIR/queue/batch-0001.json, … (SQS events)
  scraper invoke fetch     --event DIR/queue/batch-0001.json      fetches into DIR/raw (starts the simulator)
  scraper invoke normalise --event events/s3-raw-created.json      raw object → DIR/tables
  scraper invoke compact   --event events/schedule-compact.json

Options:
      --event FILE       the Lambda event (JSON)
  -o, --out DIR          data directory standing in for the bucket (default ./data)
      --base-url URL     API origin for fetch (default: a simulator started for the call)
      --start-id N       dispatch: first MaxSold id when no cursor exists (default 100000)
      --window N         dispatch: new ids per run (default 200)
      --ids SPEC         dispatch: plan this explicit range instead
  -v, --verbose          also print the handler's structured logs and EMF metrics
  -h, --help             show this help

The handler's return value is printed on stdout as JSON.`;

const HANDLER_NAMES = ['dispatch', 'fetch', 'normalise', 'compact'] as const;

function isHandlerName(name: string | undefined): name is (typeof HANDLER_NAMES)[number] {
  return (HANDLER_NAMES as readonly (string | undefined)[]).includes(name);
}

export async function invokeCommand(args: string[]): Promise<number> {
  const p = parse(args, {
    event: { type: 'string' }, out: { type: 'string', short: 'o' }, 'base-url': { type: 'string' },
    'start-id': { type: 'string' }, window: { type: 'string' }, ids: { type: 'string' }, verbose: { type: 'boolean', short: 'v' },
  }, true);
  if (p.values.help) return void process.stdout.write(INVOKE_HELP + '\n'), 0;
  const [name, ...extra] = p.positionals;
  if (!isHandlerName(name)) throw new UsageError(`invoke: expected dispatch, fetch, normalise or compact, got ${name ? `"${name}"` : 'nothing'}`);
  if (extra.length > 0) throw new UsageError(`invoke: unexpected argument "${extra[0]}"`);
  const eventFile = str('event', p.values.event, '');
  if (!eventFile) throw new UsageError('--event: expected the path of a Lambda event JSON file, e.g. events/schedule-maxsold.json');
  let event: unknown;
  try {
    event = JSON.parse(await readFile(eventFile, 'utf8'));
  } catch (e) {
    throw new UsageError(`--event: cannot read JSON from "${eventFile}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const out = str('out', p.values.out, './data');
  const store = new FsObjectStore(out);
  // stdout carries the handler's result; its logs and metrics only when asked for.
  if (!p.values.verbose) process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const obs = createObservability({ logLevel: p.values.verbose ? 'INFO' : 'ERROR' });
  let result: unknown;
  switch (name) {
    case 'dispatch': {
      const queue = new FileQueue(join(out, 'queue'));
      const ids = p.values.ids === undefined ? undefined : parseIds(String(p.values.ids));
      const handler = createDispatchHandler({ store, queue, config: { startId: int('start-id', p.values['start-id'], 100000, 1, 99_999_999), window: int('window', p.values.window, 200, 1, 100_000), explicit: ids }, ...obs });
      result = { ...(await handler(event as never, localContext('local-dispatch', LAMBDA_TIMEOUT_MS))), queueFiles: queue.files };
      break;
    }
    case 'fetch': {
      const base = url('base-url', p.values['base-url']);
      const sim = base ? undefined : await startSimulator({ latencyMs: 10 });
      const http = new UndiciHttpClient({ connections: 4 });
      const visibility: MessageVisibility = { delay: async (handle, seconds) => void process.stderr.write(`visibility of ${handle} → ${Math.ceil(seconds)} s\n`) };
      try {
        const handler = createFetchHandler({ fetch: lambdaFetchContext(http, store, { concurrency: 4, baseUrl: base ?? sim!.url }), store, visibility, maxReceiveCount: 8, ...obs });
        result = await handler(event as SQSEvent, localContext('local-fetch', LAMBDA_TIMEOUT_MS));
      } finally {
        await http.close();
        await sim?.close();
      }
      break;
    }
    case 'normalise':
      result = await createNormaliseHandler({ store, processor: new InlineProcessor({ origins: REAL_ORIGINS }, store, loadTableEncoder), ...obs })(event as never, localContext('local-normalise', LAMBDA_TIMEOUT_MS));
      break;
    case 'compact':
      result = await createCompactHandler({ store, codec: parquetCodec, ...obs })(event as never, localContext('local-compact', LAMBDA_TIMEOUT_MS));
      break;
  }
  await store.close();
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  return 0;
}

function parseIds(spec: string) {
  try {
    return parseIdRanges(spec);
  } catch (e) {
    throw new UsageError(`--ids: ${(e as Error).message}`);
  }
}

const LOCAL_QUEUE = { queueArn: 'arn:aws:sqs:local:000000000000:work', region: 'local' };
/** Lambda's longest timeout: a local invocation runs to the end. */
const LAMBDA_TIMEOUT_MS = 15 * 60_000;

/** The work queue as files: each batch of ten is an SQS event that `invoke fetch` takes. */
class FileQueue implements WorkQueue {
  readonly files: string[] = [];
  constructor(private readonly dir: string) {}
  async send(items: WorkItem[]): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (let i = 0; i < items.length; i += 10) {
      const file = join(this.dir, `batch-${String(this.files.length + 1).padStart(4, '0')}.json`);
      const records = items.slice(i, i + 10).map((item, j) =>
        sqsRecord({ messageId: `local-${this.files.length + 1}-${j}`, receiptHandle: `local-receipt-${this.files.length + 1}-${j}`, body: JSON.stringify(item) }, LOCAL_QUEUE),
      );
      await writeFile(file, JSON.stringify({ Records: records }, null, 2) + '\n');
      this.files.push(file);
    }
  }
}
