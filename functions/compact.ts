import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../adapters/s3-store.js';
import { compactHandlerFrom } from '../adapters/lambda/compact-wiring.js';
import { EnvReader } from '../adapters/lambda/env.js';
import { createObservability } from '../adapters/lambda/observability.js';

// Built once per container.
const env = new EnvReader(process.env);

export const handler = compactHandlerFrom({ store: new S3ObjectStore(new S3Client({}), env.string('BUCKET_NAME')) }, createObservability());
