import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BodyCache } from '../../simulator/body-cache.js';

function source(text: string, counter: { n: number }) {
  return { text: () => (counter.n++, text), lastModifiedMs: Date.UTC(2026, 0, 2, 3, 4, 5) };
}

describe('body cache', () => {
  it('makes a body once and serves both encodings from it', () => {
    const cache = new BodyCache(10, 1e9);
    const made = { n: 0 };
    const text = JSON.stringify({ a: 'x'.repeat(5000), b: 'é' });
    const zipped = cache.get('k', true, source(text, made));
    expect(gunzipSync(zipped.bytes).toString('utf8')).toBe(text);
    const plain = cache.get('k', false, source(text, made));
    expect(plain.bytes.toString('utf8')).toBe(text);
    expect(plain.body.etag).toBe(zipped.body.etag);
    expect(plain.body.lastModified).toBe('Fri, 02 Jan 2026 03:04:05 GMT');
    expect(made.n).toBe(1);
  });

  it('evicts the least recently used entry by count and by bytes', () => {
    const made = { n: 0 };
    const byCount = new BodyCache(2, 1e9);
    byCount.get('a', false, source('"a"', made));
    byCount.get('b', false, source('"b"', made));
    byCount.get('a', false, source('"a"', made)); // a is now the most recent
    byCount.get('c', false, source('"c"', made)); // evicts b
    byCount.get('a', false, source('"a"', made));
    expect(made.n).toBe(3);
    byCount.get('b', false, source('"b"', made));
    expect(made.n).toBe(4);

    const bySize = new BodyCache(100, 5000);
    const big = JSON.stringify('y'.repeat(3000));
    bySize.get('x', false, source(big, made));
    bySize.get('y', false, source(big, made)); // over 5000 bytes: x goes
    const before = made.n;
    bySize.get('y', false, source(big, made));
    bySize.get('x', false, source(big, made));
    expect(made.n).toBe(before + 1);
  });
});
