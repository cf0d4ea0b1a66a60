import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { S3ObjectStore } from '../adapters/s3-store.js';
import { SqsWorkQueue } from '../adapters/sqs-queue.js';
import { UndiciHttpClient } from '../adapters/undici-http.js';
import { EnvReader } from '../adapters/lambda/env.js';
import { lambdaFetchContext } from '../adapters/lambda/fetch-deps.js';
import { createFetchHandler } from '../adapters/lambda/fetch-handler.js';
import { createObservability } from '../adapters/lambda/observability.js';

// Built once per container; the HTTP pool and the host limiter outlive invocations.
const env = new EnvReader(process.env);
const concurrency = env.int('FETCH_CONCURRENCY', 4, 1, 100);
const store = new S3ObjectStore(new S3Client({}), env.string('BUCKET_NAME'));

export const handler = createFetchHandler({
  fetch: lambdaFetchContext(new UndiciHttpClient({ connections: concurrency, userAgent: env.optional('USER_AGENT') }), store, {
    concurrency,
    ratePerSecond: env.positive('FETCH_RATE'),
    baseUrl: env.optional('BASE_URL'),
  }),
  store,
  visibility: new SqsWorkQueue(new SQSClient({}), env.string('QUEUE_URL')),
  maxReceiveCount: env.int('MAX_RECEIVE_COUNT', 8, 1, 1000),
  ...createObservability(),
});
