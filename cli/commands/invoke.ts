import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Event, ScheduledEvent, SQSEvent } from 'aws-lambda';
import { FsObjectStore } from '../../adapters/fs-store.js';
import { EnvReader, SettingError } from '../../adapters/lambda/env.js';
import { EventFileQueue } from '../../adapters/lambda/event-file-queue.js';
import { localContext } from '../../adapters/lambda/local-invocation.js';
import { createObservability } from '../../adapters/lambda/observability.js';
import { FUNCTION_DEFAULTS } from '../../core/function-defaults.js';
import type { MessageVisibility } from '../../core/ports.js';
import { startSimulator } from '../../simulator/index.js';
import { parse, str, url, UsageError } from '../args.js';

export const INVOKE_HELP = `Usage: scraper invoke <dispatch|fetch|normalise|compact> --event FILE [options]

Runs a Lambda handler in-process, the same code as in AWS, with local adapters in
place of AWS: the data directory for S3, files for the SQS queue, the simulator for
the APIs. Works without Docker; "sam local invoke" is the alternative with Docker.

  scraper invoke dispatch  --event events/schedule-maxsold.json
      writes DIR/queue/batch-0001.json, … (SQS events)
  scraper invoke fetch     --event DIR/queue/batch-0001.json
      fetches into DIR/raw (starts the simulator)
  scraper invoke normalise --event events/s3-raw-created.json
      raw object → DIR/tables (a closed auction's bid histories → DIR/queue)
  scraper invoke compact   --event events/schedule-compact.json

Options:
      --event FILE       the Lambda event (JSON)
  -o, --out DIR          data directory standing in for the bucket (default ./local-bucket)
      --base-url URL     API origin for fetch (default: a simulator started for the call)
      --start-id N       dispatch: first MaxSold id when no cursor exists (default ${FUNCTION_DEFAULTS.maxsoldStartId}, as deployed)
      --window N         dispatch: new ids per run (default ${FUNCTION_DEFAULTS.maxsoldWindow})
      --ids SPEC         dispatch: plan this explicit range instead
  -v, --verbose          also print the handler's structured logs and EMF metrics
  -h, --help             show this help

Each handler is wired as in AWS, and what the flags do not set takes the deployed default:
fetch keeps ${FUNCTION_DEFAULTS.fetchConcurrencyPerInvocation} requests open and starts at most ${FUNCTION_DEFAULTS.fetchRate} per second.
The handler's return value is printed on stdout as JSON.`;

const HANDLER_NAMES = ['dispatch', 'fetch', 'normalise', 'compact'] as const;

function isHandlerName(name: string | undefined): name is (typeof HANDLER_NAMES)[number] {
  return (HANDLER_NAMES as readonly (string | undefined)[]).includes(name);
}

export async function invokeCommand(args: string[]): Promise<number> {
  const p = parse(
    args,
    {
      event: { type: 'string' },
      out: { type: 'string', short: 'o' },
      'base-url': { type: 'string' },
      'start-id': { type: 'string' },
      window: { type: 'string' },
      ids: { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
    },
    true,
  );
  if (p.values.help) return (void process.stdout.write(INVOKE_HELP + '\n'), 0);
  const [name, ...extra] = p.positionals;
  if (!isHandlerName(name))
    throw new UsageError(`invoke: expected dispatch, fetch, normalise or compact, got ${name ? `"${name}"` : 'nothing'}`);
  if (extra.length > 0) throw new UsageError(`invoke: unexpected argument "${extra[0]}"`);
  const eventFile = str('event', p.values.event, '');
  if (!eventFile) throw new UsageError(`--event: expected the path of a Lambda event JSON file, e.g. ${EVENT_KINDS[name].example}`);
  let event: unknown;
  try {
    event = JSON.parse(await readFile(eventFile, 'utf8'));
  } catch (e) {
    throw new UsageError(`--event: cannot read JSON from "${eventFile}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  await checkEventKind(name, event, eventFile);
  const out = str('out', p.values.out, './local-bucket');
  const base = url('base-url', p.values['base-url']);
  const flag = (v: string | boolean | undefined) => (v === undefined ? undefined : String(v));
  // The handler reads its settings as in AWS; the flags stand in for its environment.
  const flags = { MAXSOLD_START_ID: flag(p.values['start-id']), MAXSOLD_WINDOW: flag(p.values.window), MAXSOLD_IDS: flag(p.values.ids) };
  const env = (vars: Record<string, string> = {}) => new EnvReader({ ...flags, ...vars }, (variable) => FLAG_OF[variable] ?? variable);
  const store = new FsObjectStore(out);
  const queue = new EventFileQueue(join(out, 'queue'));
  // stdout carries the handler's result; its logs and metrics only when asked for.
  if (!p.values.verbose) process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const obs = createObservability({ logLevel: p.values.verbose ? 'INFO' : 'ERROR' });
  const context = localContext(`local-${name}`, LAMBDA_TIMEOUT_MS);
  let result: unknown;
  switch (name) {
    case 'dispatch': {
      const { dispatchHandlerFrom } = await import('../../adapters/lambda/dispatch-wiring.js');
      result = {
        ...(await settingsFromFlags(() => dispatchHandlerFrom(env(), { store, queue }, obs))(event as ScheduledEvent, context)),
        queueFiles: queue.files,
      };
      break;
    }
    case 'fetch': {
      const { fetchHandlerFrom } = await import('../../adapters/lambda/fetch-wiring.js');
      const sim = base ? undefined : await startSimulator({ latencyMs: 10 });
      const visibility: MessageVisibility = {
        delay: async (handle, seconds, queueArn) =>
          void process.stderr.write(`visibility of ${handle} (${queueArn}) → ${Math.ceil(seconds)} s\n`),
      };
      const fetch = settingsFromFlags(() => fetchHandlerFrom(env({ BASE_URL: base ?? sim!.url }), { store, visibility }, obs));
      try {
        result = await fetch.handler(event as SQSEvent, context);
      } finally {
        await fetch.close();
        await sim?.close();
      }
      break;
    }
    case 'normalise': {
      const { normaliseHandlerFrom } = await import('../../adapters/lambda/normalise-wiring.js');
      result = await normaliseHandlerFrom(env(), { store, queue }, obs)(event as S3Event, context);
      if (queue.files.length > 0) process.stderr.write(`bid histories queued: ${queue.files.join(', ')}\n`);
      for (const [key, outcome] of Object.entries(result as Record<string, string>))
        if (outcome === 'skipped' && !(await store.head(key)))
          process.stderr.write(`note: ${key} is not in ${out}: nothing to normalise (scraper invoke fetch writes it)\n`);
      break;
    }
    case 'compact': {
      const { compactHandlerFrom } = await import('../../adapters/lambda/compact-wiring.js');
      result = await compactHandlerFrom({ store }, obs)(event as ScheduledEvent, context);
      break;
    }
  }
  await store.close();
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  return 0;
}

const EVENT_KINDS = {
  dispatch: { kind: 'an EventBridge scheduled event', example: 'events/schedule-maxsold.json' },
  compact: { kind: 'an EventBridge scheduled event', example: 'events/schedule-compact.json' },
  fetch: { kind: 'an SQS event', example: 'DIR/queue/batch-0001.json' },
  normalise: { kind: 'an S3 ObjectCreated event', example: 'events/s3-raw-created.json' },
} as const;

/** The event a handler takes, by its shape: another kind is a usage error, not a stack trace from inside it. */
async function checkEventKind(name: keyof typeof EVENT_KINDS, event: unknown, file: string): Promise<void> {
  const e = event as { source?: unknown; time?: unknown; Records?: { eventSource?: unknown }[] } | null;
  const records = Array.isArray(e?.Records) ? e.Records : undefined;
  const ok =
    name === 'dispatch' || name === 'compact'
      ? e?.source === 'aws.events' && typeof e.time === 'string'
      : records !== undefined && records.every((r) => r?.eventSource === (name === 'fetch' ? 'aws:sqs' : 'aws:s3'));
  if (!ok)
    throw new UsageError(`--event: ${name} takes ${EVENT_KINDS[name].kind} (like ${EVENT_KINDS[name].example}); "${file}" is not one`);
  // Both schedules are EventBridge events: which plan it is says whose it is (dispatch's own check).
  const plan = (event as { detail?: { plan?: unknown } }).detail?.plan;
  if (name === 'dispatch') {
    const { planOf } = await import('../../adapters/lambda/dispatch-handler.js');
    try {
      planOf(event as ScheduledEvent<{ plan?: string }>);
    } catch (e) {
      throw new UsageError(`--event: "${file}" is not a dispatch schedule (like ${EVENT_KINDS.dispatch.example}): ${(e as Error).message}`);
    }
  }
  if (name === 'compact' && plan !== undefined && plan !== 'compact')
    throw new UsageError(
      `--event: compact takes the compaction schedule (like ${EVENT_KINDS.compact.example}); "${file}" is the ${JSON.stringify(plan)} dispatch's`,
    );
}

/** The flags that stand in for the functions' environment variables. */
const FLAG_OF: Record<string, string> = { MAXSOLD_START_ID: '--start-id', MAXSOLD_WINDOW: '--window', MAXSOLD_IDS: '--ids' };

/** A handler built from the flags; a flag's bad value is a usage error naming it. */
function settingsFromFlags<T>(build: () => T): T {
  try {
    return build();
  } catch (e) {
    if (e instanceof SettingError) throw new UsageError(e.message);
    throw e;
  }
}

/** Lambda's longest timeout: a local invocation runs to the end. */
const LAMBDA_TIMEOUT_MS = 15 * 60_000;
