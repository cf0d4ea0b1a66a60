import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { S3ObjectStore } from '../adapters/s3-store.js';
import { SqsWorkQueue } from '../adapters/sqs-queue.js';
import { createDispatchHandler } from '../adapters/lambda/dispatch-handler.js';
import { EnvReader } from '../adapters/lambda/env.js';
import { createObservability } from '../adapters/lambda/observability.js';
import { parseIdRanges } from '../core/planner.js';

// Built once per container.
const env = new EnvReader(process.env);
const explicit = env.optional('MAXSOLD_IDS');

export const handler = createDispatchHandler({
  store: new S3ObjectStore(new S3Client({}), env.string('BUCKET_NAME')),
  queue: new SqsWorkQueue(new SQSClient({}), env.string('QUEUE_URL')),
  config: {
    startId: env.int('MAXSOLD_START_ID', 104_000, 1, 99_999_999),
    window: env.int('MAXSOLD_WINDOW', 200, 1, 100_000),
    explicit: explicit === undefined ? undefined : parseIdRanges(explicit),
  },
  ...createObservability(),
});
