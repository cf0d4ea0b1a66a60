import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { S3ObjectStore } from '../adapters/s3-store.js';
import { SqsVisibility } from '../adapters/sqs-queue.js';
import { EnvReader } from '../adapters/lambda/env.js';
import { fetchHandlerFrom } from '../adapters/lambda/fetch-wiring.js';
import { createObservability } from '../adapters/lambda/observability.js';

// Built once per container; the HTTP pool and the host limiter outlive invocations.
const env = new EnvReader(process.env);

export const { handler } = fetchHandlerFrom(
  env,
  {
    store: new S3ObjectStore(new S3Client({}), env.string('BUCKET_NAME')),
    // Polls and bid histories: a message's visibility is changed on the queue it came from.
    visibility: new SqsVisibility(new SQSClient({}), [env.string('QUEUE_URL'), env.string('BIDS_QUEUE_URL')]),
  },
  createObservability(),
);
