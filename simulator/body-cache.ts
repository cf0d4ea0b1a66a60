/**
 * Generated response bodies, kept ready to send. An entry holds only the forms asked for
 * (the scraper asks gzip, ~10% of the JSON size), so thousands of auctions fit; the other
 * form is derived from the one held. Bounded LRU by entries and bytes.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

export interface CachedBody {
  /** Quoted: `"…"`, a hash of the plain bytes (the same for both encodings). */
  etag: string;
  /** HTTP date. */
  lastModified: string;
  plain?: Buffer;
  gzip?: Buffer;
}

export interface BodySource {
  text: () => string;
  lastModifiedMs: number;
}

/** Level 1, nginx's default: a third of level 6's CPU for ~12% more bytes (the client shares the cores). */
const GZIP_LEVEL = 1;

function size(body: CachedBody): number {
  return (body.plain?.length ?? 0) + (body.gzip?.length ?? 0) + 200;
}

export class BodyCache {
  private readonly map = new Map<string, CachedBody>();
  private bytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  /** The body under `key` (made from `source` on a miss) and its bytes in the wanted encoding. */
  get(key: string, gzip: boolean, source: BodySource): { body: CachedBody; bytes: Buffer } {
    let body = this.map.get(key);
    if (body) {
      this.map.delete(key); // re-inserted below: Map order is the recency order
      this.bytes -= size(body);
      if (gzip) body.gzip ??= gzipSync(body.plain!, { level: GZIP_LEVEL });
      else body.plain ??= gunzipSync(body.gzip!);
    } else {
      const plain = Buffer.from(source.text(), 'utf8');
      const etag = `"${createHash('sha1').update(plain).digest('base64url').slice(0, 27)}"`;
      const lastModified = new Date(source.lastModifiedMs).toUTCString();
      // Only the form asked for is kept; the other is derived if it is ever wanted.
      body = gzip ? { etag, lastModified, gzip: gzipSync(plain, { level: GZIP_LEVEL }) } : { etag, lastModified, plain };
    }
    if (this.maxEntries > 0) {
      this.map.set(key, body);
      this.bytes += size(body);
      this.evict();
    }
    return { body, bytes: gzip ? body.gzip! : body.plain! };
  }

  private evict(): void {
    for (const [key, body] of this.map) {
      if (this.map.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.map.delete(key);
      this.bytes -= size(body);
    }
  }

  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }
}
