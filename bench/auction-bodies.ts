import { gzipSync } from 'node:zlib';
import type { ProcessInput } from '../core/ports.js';
import { rawKey } from '../core/raw-key.js';
import { maxsoldUrl } from '../core/sources/requests.js';
import { REAL_ORIGINS } from '../core/sources/index.js';
import type { MaxsoldWork } from '../core/work-item.js';
import { MAX_LOTS, maxsoldItemsBody } from '../simulator/index.js';

/** A limit above every auction's lot count: each body is complete and accepted in one round. */
const LIMIT = 2 * MAX_LOTS;

export interface AuctionBody {
  item: MaxsoldWork;
  /** Gzipped as the simulator sends it (level 1). */
  gz: Uint8Array;
  plainBytes: number;
}

/** The simulator's bodies for `count` auctions from `firstId`, made once, before any timing. */
export function auctionBodies(firstId: number, count: number, dt = '2026-11-26'): AuctionBody[] {
  const out: AuctionBody[] = [];
  for (let id = firstId; id < firstId + count; id++) {
    const text = maxsoldItemsBody(id, { limit: LIMIT })!;
    out.push({ item: { source: 'maxsold', id: String(id), dt }, gz: gzipSync(text, { level: 1 }), plainBytes: Buffer.byteLength(text) });
  }
  return out;
}

/**
 * The processor's input for a body, over a fresh copy of its bytes (a worker pool
 * transfers, detaches, the buffer it is given, so each run needs its own), with the
 * metadata that makes the processor keep the raw object too, as a fetch does.
 */
export function processInput(b: AuctionBody, fetchedAt = Date.now()): ProcessInput {
  return {
    item: b.item,
    request: { url: maxsoldUrl(REAL_ORIGINS.maxsold, b.item, LIMIT), limit: LIMIT, round: 0 },
    body: new Uint8Array(b.gz),
    contentEncoding: 'gzip',
    contentType: 'application/json; charset=utf-8',
    sourceKey: rawKey(b.item),
    fetchedAt,
    metadata: {
      url: maxsoldUrl(REAL_ORIGINS.maxsold, b.item, LIMIT),
      status: '200',
      'fetched-at': new Date(fetchedAt).toISOString(),
      attempts: '1',
      'work-item': JSON.stringify(b.item),
    },
  };
}
