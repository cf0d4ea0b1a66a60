import { beforeAll, describe, expect, it } from 'vitest';
import { allows, s3GrantsOf, type S3Grant, type S3Need } from '../../emulator/s3-access.js';
import { synthTestStack, type FunctionName } from '../cdk/test-stack.js';

// The grants the emulated S3 enforces, read from the stack's own template.
let t: ReturnType<typeof synthTestStack>;
beforeAll(() => {
  t = synthTestStack();
});
const may = (name: FunctionName, need: Omit<S3Need, 'bucket'>) => {
  const grants: S3Grant[] = s3GrantsOf(t.resources, t.fn(name).id);
  return allows(grants, { ...need, bucket: t.bucketId() });
};

describe('what each role allows in S3, as the emulated S3 checks it', () => {
  it('fetch: raw/ objects and quarantine/ puts, and listing the bucket; not tables/', () => {
    expect(may('fetchFunction', { action: 's3:PutObject', key: 'raw/source=maxsold/dt=2026-11-26/auction=1.json.gz' })).toBe(true);
    expect(may('fetchFunction', { action: 's3:PutObject', key: 'quarantine/source=maxsold/dt=2026-11-26/auction=1.json.gz' })).toBe(true);
    expect(may('fetchFunction', { action: 's3:GetObject', key: 'raw/x' })).toBe(true);
    expect(may('fetchFunction', { action: 's3:GetObject', key: 'quarantine/x' })).toBe(false);
    expect(may('fetchFunction', { action: 's3:PutObject', key: 'tables/x' })).toBe(false);
    expect(may('fetchFunction', { action: 's3:DeleteObject', key: 'raw/x' })).toBe(false);
    expect(may('fetchFunction', { action: 's3:ListBucket' })).toBe(true);
  });

  it('normalise: may not list, so a GET of a missing key is a 403 to it', () => {
    expect(may('normaliseFunction', { action: 's3:ListBucket' })).toBe(false);
    expect(may('normaliseFunction', { action: 's3:ListBucket', prefix: 'raw/' })).toBe(false);
    expect(may('normaliseFunction', { action: 's3:DeleteObject', key: 'tables/maxsold_items/dt=2026-11-26/maxsold-1.parquet' })).toBe(true);
    expect(may('normaliseFunction', { action: 's3:PutObject', key: 'raw/x' })).toBe(false);
    // A key pattern holds for the whole key, not a prefix of the pattern.
    expect(may('normaliseFunction', { action: 's3:PutObject', key: 'state/maxsold-cursor.json' })).toBe(false);
    expect(may('normaliseFunction', { action: 's3:PutObject', key: 'state/seen/auction=1/closes=none' })).toBe(true);
  });

  it('dispatch and compact may list the whole bucket', () => {
    expect(may('dispatchFunction', { action: 's3:ListBucket', prefix: 'state/seen/' })).toBe(true);
    expect(may('compactFunction', { action: 's3:ListBucket' })).toBe(true);
    expect(may('compactFunction', { action: 's3:PutObject', key: 'raw/x' })).toBe(false);
  });

  it("a listing limited by an s3:prefix condition is allowed only with a matching prefix (the condition's StringLike)", () => {
    const grants: S3Grant[] = [{ action: 's3:ListBucket', bucket: 'B', prefixes: [/^tables\/.*$/s] }];
    expect(allows(grants, { action: 's3:ListBucket', bucket: 'B', prefix: 'tables/maxsold_items/' })).toBe(true);
    expect(allows(grants, { action: 's3:ListBucket', bucket: 'B', prefix: 'raw/' })).toBe(false);
    expect(allows(grants, { action: 's3:ListBucket', bucket: 'B' })).toBe(false);
    expect(allows(grants, { action: 's3:ListBucket', bucket: 'Other', prefix: 'tables/' })).toBe(false);
  });
});
