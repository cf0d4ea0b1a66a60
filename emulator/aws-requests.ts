/**
 * What an S3 or SQS HTTP request to the emulation is: its operation (from the path, method and
 * query, or SQS's `x-amz-target`), the class S3 bills it in, and the IAM actions it needs.
 */
import type { FastifyRequest } from 'fastify';
import { s3Needs, sqsNeeds, type Need } from './iam.js';

export interface Op {
  service: 'S3' | 'SQS' | 'other';
  name: string;
  bucket?: string;
  key?: string;
}

const LIST_PARAMS = /[?&](list-type|prefix|delimiter|continuation-token|max-keys)=/;

/** The operation a request to the emulation asks for, and on what bucket and key. */
export function classify(req: FastifyRequest): Op {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string' && target.startsWith('AmazonSQS.')) return { service: 'SQS', name: target.slice('AmazonSQS.'.length) };
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = decodeURIComponent(q < 0 ? url : url.slice(0, q));
  const query = q < 0 ? '' : url.slice(q);
  const [, bucket, ...rest] = path.split('/');
  const key = rest.join('/');
  if (!bucket) return { service: 'other', name: `${req.method} /` };
  if (!key) {
    if (req.method === 'GET' && (LIST_PARAMS.test(query) || query === '')) return { service: 'S3', name: 'ListObjectsV2', bucket };
    if (req.method === 'POST' && /[?&]delete/.test(query)) return { service: 'S3', name: 'DeleteObjects', bucket };
    return { service: 'S3', name: `${req.method}Bucket`, bucket };
  }
  const name = { GET: 'GetObject', HEAD: 'HeadObject', PUT: 'PutObject', DELETE: 'DeleteObject' }[req.method] ?? `${req.method}Object`;
  return { service: 'S3', name, bucket, key };
}

/** S3 bills these as PUT/COPY/POST/LIST requests; DELETE is free; the rest are GET-class. */
export function s3RequestClass(op: string): 'write' | 'read' | 'free' {
  if (op === 'DeleteObject') return 'free';
  if (op === 'PutObject' || op === 'ListObjectsV2' || op === 'DeleteObjects' || op === 'PUTBucket' || op === 'POSTObject') return 'write';
  return 'read';
}

/** Keys a DeleteObjects request names (its XML body, entities decoded). */
export function keysToDelete(req: FastifyRequest): string[] {
  const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : String(req.body);
  return [...body.matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map(([, key = '']) =>
    key.replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"').replaceAll('&apos;', "'"),
  );
}

/** The S3 or SQS actions a request needs, as IAM evaluates it. */
export function needsOf(op: Op, req: FastifyRequest): Need[] {
  if (op.service === 'SQS') {
    const queueUrl = (req.body as { QueueUrl?: unknown } | undefined)?.QueueUrl;
    return typeof queueUrl === 'string' ? sqsNeeds(op.name, queueUrl) : [];
  }
  const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
  return s3Needs(op.name, op.bucket!, op.key, {
    prefix: op.name === 'ListObjectsV2' ? (new URLSearchParams(query).get('prefix') ?? undefined) : undefined,
    keysToDelete: op.name === 'DeleteObjects' ? keysToDelete(req) : [],
  });
}
