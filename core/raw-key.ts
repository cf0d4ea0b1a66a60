import type { TableName } from './tables.js';
import type { WorkItem } from './work-item.js';

/**
 * Object keys. A raw key is derived from the work item only, so a retry or a rerun
 * overwrites; a table file's key is derived from the raw key, so reprocessing
 * replaces files instead of adding copies.
 *
 *   raw/source=maxsold/dt=2026-11-26/auction=103417.json.gz
 *   raw/source=maxsold_bids/dt=2026-11-26/auction=103417/item=7561262.json.gz
 *   raw/source=via/dt=2026-11-26/snapshot=20261126T121500Z.json.gz
 *   tables/maxsold_items/dt=2026-11-26/maxsold-103417.parquet
 *   quarantine/source=maxsold/dt=2026-11-26/auction=103417.json.gz
 */
export const RAW_PREFIX = 'raw/';
export const TABLES_PREFIX = 'tables/';
export const QUARANTINE_PREFIX = 'quarantine/';
export const RAW_SUFFIX = '.json.gz';

export function rawKey(item: WorkItem): string {
  if (item.source === 'via') {
    const stamp = item.at.replace(/[-:]/g, '');
    return `${RAW_PREFIX}source=via/dt=${item.at.slice(0, 10)}/snapshot=${stamp}${RAW_SUFFIX}`;
  }
  if (item.itemId) return `${RAW_PREFIX}source=maxsold_bids/dt=${item.dt}/auction=${item.id}/item=${item.itemId}${RAW_SUFFIX}`;
  return `${RAW_PREFIX}source=maxsold/dt=${item.dt}/auction=${item.id}${RAW_SUFFIX}`;
}

const RAW_KEY =
  /^(?:raw|quarantine)\/source=(maxsold|maxsold_bids|via)\/dt=(\d{4}-\d{2}-\d{2})\/(?:auction=(\d+)(?:\/item=(\d+))?|snapshot=(\d{8}T\d{6}Z))\.json\.gz$/;

/** The work item a raw (or quarantine) key was written for, or undefined for a foreign key. */
export function itemFromRawKey(key: string): WorkItem | undefined {
  const m = RAW_KEY.exec(key);
  if (!m) return undefined;
  const [, source, dt, auction, itemId, snapshot] = m;
  if (source === 'via') {
    if (!snapshot) return undefined;
    const s = snapshot;
    return {
      source: 'via',
      at: `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}Z`,
    };
  }
  if (!auction || dt === undefined) return undefined;
  if (source === 'maxsold_bids') return itemId ? { source: 'maxsold', id: auction, itemId, dt } : undefined;
  return itemId ? undefined : { source: 'maxsold', id: auction, dt };
}

/** Partition date of a raw key. */
export function dtOfKey(key: string): string {
  const m = /\/dt=(\d{4}-\d{2}-\d{2})\//.exec(key);
  const dt = m?.[1];
  if (dt === undefined) throw new TypeError(`not a partitioned key: ${key}`);
  return dt;
}

/** Short, unique file stem for a raw object: `maxsold-103417`, `bids-103417-7561262`, `via-20261126T121500Z`. */
export function rawStem(key: string): string {
  const item = itemFromRawKey(key);
  if (!item) throw new TypeError(`not a raw key: ${key}`);
  if (item.source === 'via') return `via-${item.at.replace(/[-:]/g, '')}`;
  return item.itemId ? `bids-${item.id}-${item.itemId}` : `maxsold-${item.id}`;
}

/** The tables a raw object of this item has rows in. */
export function tablesOf(item: WorkItem): TableName[] {
  if (item.source === 'via') return ['via_trains', 'via_train_stops'];
  return item.itemId ? ['maxsold_bids'] : ['maxsold_auctions', 'maxsold_items'];
}

export function tableFileKey(table: string, rawKeyOfRows: string): string {
  return `${TABLES_PREFIX}${table}/dt=${dtOfKey(rawKeyOfRows)}/${rawStem(rawKeyOfRows)}.parquet`;
}

export function quarantineKey(key: string): string {
  return QUARANTINE_PREFIX + key.slice(RAW_PREFIX.length);
}
