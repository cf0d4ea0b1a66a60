import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeParquet } from '../../adapters/parquet.js';
import { encodeTableFile, processResponse } from '../../adapters/response-processor.js';
import type { ProcessInput } from '../../core/ports.js';
import { rawKey } from '../../core/raw-key.js';
import { interpretResponse, REAL_ORIGINS } from '../../core/sources/index.js';
import { maxsoldUrl } from '../../core/sources/maxsold.js';
import { TABLES, type Row } from '../../core/tables.js';
import type { MaxsoldWork } from '../../core/work-item.js';
import { fixtureText } from '../helpers/fixtures.js';

const item: MaxsoldWork = { source: 'maxsold', id: '104375', dt: '2026-11-26' };
const request = { url: maxsoldUrl(REAL_ORIGINS.maxsold, item, 1000), limit: 1000, round: 0 };
const fetchedAt = Date.parse('2026-11-26T12:00:00Z');

function input(text: string): ProcessInput {
  return { item, request, body: gzipSync(text), contentEncoding: 'gzip', contentType: 'application/json', sourceKey: rawKey(item), fetchedAt };
}

/** The item rows processResponse writes, read back from the Parquet file. */
function itemRows(text: string): Row[] {
  const r = processResponse(input(text), { origins: REAL_ORIGINS });
  if (r.kind !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(r)}`);
  const chunk = r.chunks.find((c) => c.table === 'maxsold_items')!;
  return decodeParquet(TABLES.maxsold_items, encodeTableFile('maxsold_items', [chunk.batch]));
}

/** The rows the normaliser builds from properly decoded UTF-8 text. */
function expectedRows(text: string): Row[] {
  const r = interpretResponse(item, request, text, REAL_ORIGINS, { sourceKey: rawKey(item), fetchedAt, normalise: true });
  if (r.kind !== 'accepted') throw new Error('not accepted');
  return r.tables.maxsold_items!;
}

describe('processResponse decodes text the fast way without changing a character', () => {
  const recorded = fixtureText('maxsold/auction-104375.json');

  it('the recorded auction has non-ASCII text (so the latin1 path is exercised)', () => {
    expect(/[\u0080-\uffff]/.test(recorded)).toBe(true);
    expect(recorded.includes('\\u')).toBe(false);
  });

  it('rows from a body with raw UTF-8 equal rows from UTF-8-decoded text, every string included', () => {
    const rows = itemRows(recorded);
    expect(rows).toEqual(expectedRows(recorded).map((r) => ({ ...r, images: r.images ?? [] })));
    expect(rows.some((r) => /[\u0080-\uffff]/.test(`${r.title}${r.description}`))).toBe(true);
  });

  it('a body with \\u escapes (which would mix with latin1 bytes) takes the UTF-8 path and stays right', () => {
    const json = JSON.parse(recorded) as { auction: { items: { title: string; description: string }[] } };
    json.auction.items[0].title = 'Caf\u00e9 table \u2014 teak';
    json.auction.items[0].description = 'Crème brûlée set';
    // Escape the first title's non-ASCII, keep raw UTF-8 elsewhere.
    const text = JSON.stringify(json).replace('Caf\u00e9 table \u2014 teak', 'Caf\\u00e9 table \\u2014 teak');
    const rows = itemRows(text);
    expect(rows[0].title).toBe('Café table — teak');
    expect(rows[0].description).toBe('Crème brûlée set');
    expect(rows).toEqual(expectedRows(text).map((r) => ({ ...r, images: r.images ?? [] })));
  });

  it('a list of strings (image URLs) with a non-ASCII one comes out right', () => {
    const json = JSON.parse(recorded) as { auction: { items: { images: string[] }[] } };
    json.auction.items[2].images[1] = 'https://example.com/théière-1.jpeg';
    const text = JSON.stringify(json);
    const rows = itemRows(text);
    expect(rows[2].images).toEqual(json.auction.items[2].images);
    expect(rows).toEqual(expectedRows(text).map((r) => ({ ...r, images: r.images ?? [] })));
  });

  it('titles whose entities decode to non-ASCII, or whose ends are (or look like) white space, match the UTF-8 path', () => {
    const json = JSON.parse(recorded) as { auction: { title: string; items: { title: string }[] } };
    const titles = [' Chaise à ', '\u00a0Lamp\u00a0', '&nbsp;Vase&nbsp;', 'caf&eacute; &#x2019;set&#8217; ', ' &#128512; ', '\ufeffTable', 'Voilà', 'Trunk \u00e0'];
    titles.forEach((t, i) => (json.auction.items[i].title = t));
    json.auction.title = 'Estate of O&#39;Brien &ndash; Montréal ';
    const text = JSON.stringify(json);
    expect(text.includes('\\u')).toBe(false);
    const rows = itemRows(text);
    expect(rows.slice(0, titles.length).map((r) => r.title)).toEqual(['Chaise à', 'Lamp', 'Vase', 'café \u2019set\u2019', '😀', 'Table', 'Voilà', 'Trunk à']);
    expect(rows).toEqual(expectedRows(text).map((r) => ({ ...r, images: r.images ?? [] })));
    const r = processResponse(input(text), { origins: REAL_ORIGINS });
    if (r.kind !== 'accepted') throw new Error('not accepted');
    const auction = decodeParquet(TABLES.maxsold_auctions, encodeTableFile('maxsold_auctions', [r.chunks.find((c) => c.table === 'maxsold_auctions')!.batch]));
    expect(auction[0].title).toBe('Estate of O\'Brien \u2013 Montréal ');
  });

  it('inflates a body whose gzip trailer understates its size (several members), and rejects one that lies', () => {
    // The trailer's size is the last member's: a few bytes here, for 200 KB of text.
    const cut = recorded.length - 10;
    const twoMembers = Buffer.concat([gzipSync(recorded.slice(0, cut)), gzipSync(recorded.slice(cut))]);
    const r = processResponse({ ...input(recorded), body: twoMembers }, { origins: REAL_ORIGINS });
    expect(r.kind).toBe('accepted');
    if (r.kind === 'accepted') expect(r.size).toBe(Buffer.byteLength(recorded));
    // A wrong size is a corrupt body (zlib checks it): fetched again, never a huge buffer.
    const lying = Buffer.from(gzipSync(recorded));
    lying.writeUInt32LE(0xfffffff0, lying.length - 4);
    expect(processResponse({ ...input(recorded), body: lying }, { origins: REAL_ORIGINS })).toEqual({ kind: 'failed', error: 'transient', reason: 'bad_gzip' });
  });

  it('a body that is not valid UTF-8 (a Windows-1252 byte) takes the UTF-8 path: U+FFFD, as decoding gives', () => {
    const json = JSON.parse(recorded) as { auction: { items: { title: string }[] } };
    json.auction.items[0].title = 'Caf\u00e9 XMARK';
    const utf8 = Buffer.from(JSON.stringify(json));
    const at = utf8.indexOf(Buffer.from('Caf\u00e9 XMARK')) + 3;
    // "é" as one Windows-1252 byte instead of C3 A9.
    const bytes = Buffer.concat([utf8.subarray(0, at), Buffer.from([0xe9]), utf8.subarray(at + 2)]);
    const r = processResponse({ ...input(''), body: gzipSync(bytes) }, { origins: REAL_ORIGINS });
    if (r.kind !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(r)}`);
    const rows = decodeParquet(TABLES.maxsold_items, encodeTableFile('maxsold_items', [r.chunks.find((c) => c.table === 'maxsold_items')!.batch]));
    expect(rows[0].title).toBe('Caf\ufffd XMARK');
    expect(rows).toEqual(expectedRows(bytes.toString('utf8')).map((x) => ({ ...x, images: x.images ?? [] })));
  });

  it('an all-ASCII body is read as is', () => {
    const ascii = recorded.replace(/[\u0080-\uffff]/g, '?');
    expect(itemRows(ascii)).toEqual(expectedRows(ascii).map((r) => ({ ...r, images: r.images ?? [] })));
  });
});

describe('processResponse against hostile bodies', () => {
  const recorded = fixtureText('maxsold/auction-104375.json');

  it('a UTF-8 byte order mark is skipped for parsing and counted; the stored body and its SHA-256 keep it', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(recorded)]);
    const r = processResponse({ ...input(''), body: gzipSync(bytes) }, { origins: REAL_ORIGINS });
    if (r.kind !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(r)}`);
    expect(r.anomalies['body:utf8_bom']).toBe(1);
    expect(r.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(gunzipSync(r.rawGz)).toEqual(bytes);
  });

  it('a gzip body inflating past the limit stops at the limit: too_large, with the first 64 KiB as sent', () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    const r = processResponse({ ...input(''), body: bomb }, { origins: REAL_ORIGINS, maxInflatedBytes: 1024 * 1024 });
    expect(r).toMatchObject({ kind: 'failed', error: 'too_large', reason: 'too_large', limit: 1024 * 1024 });
    if (r.kind === 'failed') expect(r.rawGz).toEqual(bomb.subarray(0, 64 * 1024));
  });

  it('a plain body past the limit is too_large, its first 64 KiB kept as gzip', () => {
    const plain = Buffer.alloc(3 * 1024 * 1024, 0x20);
    const r = processResponse({ ...input(''), body: plain, contentEncoding: undefined }, { origins: REAL_ORIGINS, maxInflatedBytes: 1024 * 1024 });
    expect(r).toMatchObject({ kind: 'failed', error: 'too_large' });
    if (r.kind === 'failed') expect(gunzipSync(r.rawGz!)).toEqual(plain.subarray(0, 64 * 1024));
  });

  it('a body just under the limit is processed as usual', () => {
    const r = processResponse(input(recorded), { origins: REAL_ORIGINS, maxInflatedBytes: Buffer.byteLength(recorded) });
    expect(r.kind).toBe('accepted');
  });
});
