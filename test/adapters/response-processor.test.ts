import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../adapters/fs-store.js';
import { decodeParquet, encodeTableFile } from '../../adapters/parquet.js';
import { checkResponse, storeResponse, type StoreDeps } from '../../adapters/response-processor.js';
import type { ObjectStore, ProcessInput, ProcessResult } from '../../core/ports.js';
import { rawKey, tableFileKey } from '../../core/raw-key.js';
import { interpretResponse, REAL_ORIGINS } from '../../core/sources/index.js';
import { maxsoldUrl } from '../../core/sources/requests.js';
import { TABLES, type Row, type TableName } from '../../core/tables.js';
import type { MaxsoldWork } from '../../core/work-item.js';
import { tempDir } from '../helpers/data-dir.js';
import { fixtureText } from '../helpers/fixtures.js';

const item: MaxsoldWork = { source: 'maxsold', id: '104375', dt: '2026-11-26' };
const key = rawKey(item);
const request = { url: maxsoldUrl(REAL_ORIGINS.maxsold, item, 1000), limit: 1000, round: 0 };
const fetchedAt = Date.parse('2026-11-26T12:00:00Z');
const recorded = fixtureText('maxsold/auction-104375.json');
const metadata = {
  url: request.url,
  status: '200',
  'fetched-at': new Date(fetchedAt).toISOString(),
  attempts: '1',
  'work-item': JSON.stringify(item),
};

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function input(body: string | Buffer, extra: Partial<ProcessInput> = {}): ProcessInput {
  return {
    item,
    request,
    body: gzipSync(body),
    contentEncoding: 'gzip',
    contentType: 'application/json',
    sourceKey: key,
    fetchedAt,
    metadata,
    ...extra,
  };
}

function deps(): StoreDeps & { store: ObjectStore } {
  const { dir, cleanup } = tempDir('processor-');
  cleanups.push(cleanup);
  return { config: { origins: REAL_ORIGINS }, store: new FsObjectStore(dir), encode: encodeTableFile };
}

async function tableRows(store: ObjectStore, table: TableName): Promise<Row[]> {
  const file = await store.get(tableFileKey(table, key));
  if (!file) throw new Error(`no ${table} file`);
  return decodeParquet(TABLES[table], file.body);
}

/** The rows the normaliser builds from the body's text, for comparison with what was written. */
function expectedRows(text: string, table: TableName): Row[] {
  const r = interpretResponse(item, request, text, REAL_ORIGINS, { sourceKey: key, fetchedAt, normalise: true });
  if (r.kind !== 'accepted') throw new Error('not accepted');
  return r.tables[table]!.map((row) => (table === 'maxsold_items' ? { ...row, images: row.images ?? [] } : row));
}

describe('storeResponse', () => {
  it('writes each table file, then the raw object with its metadata, sha256 and size', async () => {
    const order: string[] = [];
    const d = deps();
    const recording: ObjectStore = {
      get: (k) => d.store.get(k),
      head: (k) => d.store.head(k),
      list: (p) => d.store.list(p),
      delete: (keys) => d.store.delete(keys),
      put: (k, b, m) => {
        order.push(k);
        return d.store.put(k, b, m);
      },
    };
    const r = await storeResponse(input(recorded), { ...d, store: recording });
    expect(r).toMatchObject({ kind: 'stored', rows: { maxsold_auctions: 1, maxsold_items: 75 }, tableFiles: 2 });
    expect(order).toEqual([tableFileKey('maxsold_auctions', key), tableFileKey('maxsold_items', key), key]);
    const raw = await d.store.head(key);
    expect(raw).toMatchObject({ ...metadata, size: String(Buffer.byteLength(recorded)) });
    expect(raw?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rows written equal the rows of the UTF-8 text, every string included', async () => {
    const d = deps();
    await storeResponse(input(recorded), d);
    const rows = await tableRows(d.store, 'maxsold_items');
    expect(rows).toEqual(expectedRows(recorded, 'maxsold_items'));
    expect(rows.some((r) => /[\u0080-\uffff]/.test(`${r.title}${r.description}`))).toBe(true);
    expect(await tableRows(d.store, 'maxsold_auctions')).toEqual(expectedRows(recorded, 'maxsold_auctions'));
  });

  it('\\u escapes, non-ASCII image URLs and entity-encoded titles come out as the text says', async () => {
    const json = JSON.parse(recorded) as { auction: { title: string; items: { title: string; description: string; images: string[] }[] } };
    json.auction.items[0]!.description = 'Crème brûlée set';
    json.auction.items[2]!.images[1] = 'https://example.com/théière-1.jpeg';
    const titles = [' Chaise à ', '\u00a0Lamp\u00a0', '&nbsp;Vase&nbsp;', 'caf&eacute; &#x2019;set&#8217; ', ' &#128512; ', 'Voilà'];
    titles.forEach((t, i) => (json.auction.items[3 + i]!.title = t));
    const text = JSON.stringify(json).replace('Crème brûlée set', 'Cr\\u00e8me br\\u00fbl\\u00e9e set');
    const d = deps();
    await storeResponse(input(text), d);
    const rows = await tableRows(d.store, 'maxsold_items');
    expect(rows[0]!.description).toBe('Crème brûlée set');
    expect(rows[2]!.images).toEqual(json.auction.items[2]!.images);
    expect(rows.slice(3, 3 + titles.length).map((r) => r.title)).toEqual([
      'Chaise à',
      'Lamp',
      'Vase',
      'café \u2019set\u2019',
      '😀',
      'Voilà',
    ]);
    expect(rows).toEqual(expectedRows(text, 'maxsold_items'));
  });

  it('a byte that is not UTF-8 (a Windows-1252 "é") becomes U+FFFD, as decoding gives', async () => {
    const json = JSON.parse(recorded) as { auction: { items: { title: string }[] } };
    json.auction.items[0]!.title = 'Caf\u00e9 XMARK';
    const utf8 = Buffer.from(JSON.stringify(json));
    const at = utf8.indexOf(Buffer.from('Caf\u00e9 XMARK')) + 3;
    const bytes = Buffer.concat([utf8.subarray(0, at), Buffer.from([0xe9]), utf8.subarray(at + 2)]);
    const d = deps();
    await storeResponse(input(bytes), d);
    const rows = await tableRows(d.store, 'maxsold_items');
    expect(rows[0]!.title).toBe('Caf\ufffd XMARK');
    expect(rows).toEqual(expectedRows(bytes.toString('utf8'), 'maxsold_items'));
  });

  it('a body that equals the stored version is unchanged: nothing is written', async () => {
    const d = deps();
    const first = (await storeResponse(input(recorded), d)) as Extract<ProcessResult, { kind: 'stored' }>;
    await d.store.delete([key, tableFileKey('maxsold_items', key), tableFileKey('maxsold_auctions', key)]);
    expect(await storeResponse(input(recorded, { previousSha256: first.sha256, replaces: true }), d)).toEqual({ kind: 'unchanged' });
    expect(await d.store.head(key)).toBeUndefined();
  });

  it('an auction refetched empty keeps its body and loses the rows of its earlier version', async () => {
    const d = deps();
    await storeResponse(input(recorded), d);
    const empty = JSON.stringify({
      status: 'success',
      message: 'Found 0 item(s).',
      auction: { ...JSON.parse(recorded).auction, items: [] },
    });
    const r = await storeResponse(input(empty, { replaces: true }), d);
    expect(r).toMatchObject({ kind: 'failed', error: 'permanent', outcome: 'empty', stored: true });
    expect(await d.store.head(key)).toMatchObject({ outcome: 'empty' });
    expect(await d.store.get(tableFileKey('maxsold_items', key))).toBeUndefined();
    expect(await d.store.get(tableFileKey('maxsold_auctions', key))).toBeUndefined();
  });

  it('rows the table writer refuses quarantine the body instead of ending the run', async () => {
    const d = deps();
    const r = await storeResponse(input(recorded), {
      ...d,
      encode: () => {
        throw new Error('offset overflow');
      },
    });
    expect(r).toMatchObject({ kind: 'failed', error: 'poison', reason: 'table_encode_error: offset overflow' });
    expect(await d.store.head(key)).toBeUndefined();
  });

  it('checkOnly validates and reports, and writes nothing', async () => {
    const d = deps();
    const r = await storeResponse(input(recorded, { checkOnly: true }), d);
    expect(r).toMatchObject({ kind: 'stored', rawBytes: 0, tableFiles: 0 });
    expect((r as Extract<ProcessResult, { kind: 'stored' }>).bidItemIds.length).toBeGreaterThan(0);
    expect(await d.store.head(key)).toBeUndefined();
  });

  it('without normalising (the fetch Lambda, --raw-only) writes the raw object only', async () => {
    const d = deps();
    const r = await storeResponse(input(recorded), { ...d, config: { origins: REAL_ORIGINS, normalise: false }, encode: undefined });
    expect(r).toMatchObject({ kind: 'stored', tableFiles: 0, rows: {} });
    expect(await d.store.head(key)).toBeDefined();
    expect(await d.store.get(tableFileKey('maxsold_items', key))).toBeUndefined();
  });

  it('inflates a body whose gzip trailer understates its size (several members), and rejects one that lies', async () => {
    const cut = recorded.length - 10;
    const twoMembers = Buffer.concat([gzipSync(recorded.slice(0, cut)), gzipSync(recorded.slice(cut))]);
    const r = await storeResponse({ ...input(recorded), body: twoMembers }, deps());
    expect(r).toMatchObject({ kind: 'stored', size: Buffer.byteLength(recorded) });
    // A wrong size is a corrupt body (zlib checks it): fetched again, never a huge buffer.
    const lying = Buffer.from(gzipSync(recorded));
    lying.writeUInt32LE(0xfffffff0, lying.length - 4);
    expect(await storeResponse({ ...input(recorded), body: lying }, deps())).toEqual({
      kind: 'failed',
      error: 'transient',
      reason: 'bad_gzip',
    });
  });

  it('a UTF-8 byte order mark before the JSON is not part of it', async () => {
    const r = await storeResponse(input(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(recorded)])), deps());
    expect(r.kind).toBe('stored');
  });
});

describe('checkResponse against bodies past the limit', () => {
  it('a gzip body inflating past the limit stops at the limit: too_large, with the first 64 KiB as sent', () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    const r = checkResponse({ ...input(''), body: bomb }, { origins: REAL_ORIGINS, maxInflatedBytes: 1024 * 1024 });
    expect(r).toMatchObject({ kind: 'failed', error: 'too_large', reason: 'too_large', limit: 1024 * 1024 });
    if (r.kind === 'failed') expect(r.rawGz).toEqual(bomb.subarray(0, 64 * 1024));
  });

  it('a plain body past the limit is too_large, its first 64 KiB kept as gzip', () => {
    const plain = Buffer.alloc(3 * 1024 * 1024, 0x20);
    const r = checkResponse(
      { ...input(''), body: plain, contentEncoding: undefined },
      { origins: REAL_ORIGINS, maxInflatedBytes: 1024 * 1024 },
    );
    expect(r).toMatchObject({ kind: 'failed', error: 'too_large' });
    if (r.kind === 'failed') expect(gunzipSync(r.rawGz!)).toEqual(plain.subarray(0, 64 * 1024));
  });

  it('a body just under the limit is checked as usual', () => {
    const r = checkResponse(input(recorded), { origins: REAL_ORIGINS, maxInflatedBytes: Buffer.byteLength(recorded) });
    expect(r.kind).toBe('accepted');
  });
});
