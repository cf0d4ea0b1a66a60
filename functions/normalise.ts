import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { S3ObjectStore } from '../adapters/s3-store.js';
import { SqsWorkQueue } from '../adapters/sqs-queue.js';
import { EnvReader } from '../adapters/lambda/env.js';
import { normaliseHandlerFrom } from '../adapters/lambda/normalise-wiring.js';
import { createObservability } from '../adapters/lambda/observability.js';

// Built once per container; parquet-wasm loads its .wasm from beside the bundle.
const env = new EnvReader(process.env);

export const handler = normaliseHandlerFrom(
  env,
  {
    store: new S3ObjectStore(new S3Client({}), env.string('BUCKET_NAME')),
    queue: new SqsWorkQueue(new SQSClient({}), env.string('BIDS_QUEUE_URL')),
  },
  createObservability(),
);
