import { S3Client } from '@aws-sdk/client-s3';
import { parquetCodec } from '../adapters/parquet.js';
import { S3ObjectStore } from '../adapters/s3-store.js';
import { createCompactHandler } from '../adapters/lambda/compact-handler.js';
import { EnvReader } from '../adapters/lambda/env.js';
import { createObservability } from '../adapters/lambda/observability.js';

const env = new EnvReader(process.env);

export const handler = createCompactHandler({
  store: new S3ObjectStore(new S3Client({}), env.string('BUCKET_NAME')),
  codec: parquetCodec,
  ...createObservability(),
});
