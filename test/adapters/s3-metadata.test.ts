import { describe, expect, it } from 'vitest';
import { S3_METADATA_BYTES, s3Metadata } from '../../adapters/s3-metadata.js';

const size = (m: Record<string, string>) => Object.entries(m).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
const base = {
  url: 'https://maxsold.maxsold.com/msapi/auctions/items?auctionid=1&limit=1000',
  status: '200',
  'work-item': '{"source":"maxsold","id":"1","dt":"2026-11-26"}',
};

describe('S3 metadata as S3 accepts it', () => {
  it('passes printable ASCII within 2 KB through unchanged', () => {
    const m = { ...base, etag: 'W/"abc"', 'last-modified': 'Thu, 26 Nov 2026 10:00:00 GMT' };
    expect(s3Metadata(m)).toEqual(m);
  });

  it('leaves out a validator that is not ASCII and names it', () => {
    expect(s3Metadata({ ...base, etag: '"caf\xe9"' })).toEqual({ ...base, dropped: 'etag' });
  });

  it('leaves out validators, ETag first, until the whole fits in 2 KB', () => {
    const lastModified = 'Thu, 26 Nov 2026 10:00:00 GMT';
    const out = s3Metadata({ ...base, etag: `"${'e'.repeat(2000)}"`, 'last-modified': lastModified });
    expect(out).toEqual({ ...base, 'last-modified': lastModified, dropped: 'etag' });
    expect(size(out)).toBeLessThanOrEqual(S3_METADATA_BYTES);
  });

  it('keeps the ASCII of other text and shortens a long reason to fit', () => {
    const out = s3Metadata({ ...base, reason: `schema: title "${'\u00e9t\u00e9 '.repeat(1000)}"` });
    expect(out.reason).toMatch(/^schema: title "\?t\? /);
    expect(out.reason!.endsWith('...')).toBe(true);
    expect(size(out)).toBe(S3_METADATA_BYTES);
  });

  it('fails, naming the keys, when even that cannot fit', () => {
    expect(() => s3Metadata({ 'work-item': 'x'.repeat(3000) })).toThrow(/S3 metadata of 3009 bytes is over its 2048-byte limit: work-item/);
  });
});
