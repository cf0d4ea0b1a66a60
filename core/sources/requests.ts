import type { MaxsoldWork, WorkItem } from '../work-item.js';

/**
 * Where the APIs live and what is asked of them: the requests alone, apart from the
 * validators and normalisers, so that what only fetches (the main thread of a run, the
 * fetch loop) loads none of them.
 */
export const MAXSOLD_ORIGIN = 'https://maxsold.maxsold.com';
export const MAXSOLD_PATH = '/msapi/auctions/items';
export const VIA_ORIGIN = 'https://tsimobile.viarail.ca';
export const VIA_PATH = '/data/allData.json';

/**
 * Without `limit` the API returns at most 200 items, and 19% of auctions have more
 * (up to 1,205). The first request asks for this many; a full page is asked again larger.
 */
export const FIRST_LIMIT = 1000;

/** Where each API lives. `--base-url` replaces both origins; the paths stay the real ones. */
export interface Origins {
  maxsold: string;
  via: string;
}

export const REAL_ORIGINS: Origins = { maxsold: MAXSOLD_ORIGIN, via: VIA_ORIGIN };

export function originsFrom(baseUrl: string | undefined): Origins {
  if (!baseUrl) return REAL_ORIGINS;
  const origin = baseUrl.replace(/\/+$/, '');
  return { maxsold: origin, via: origin };
}

/** A request for an item; `limit` is carried between rounds of a growing MaxSold page. */
export interface Request {
  url: string;
  limit?: number;
  round: number;
}

export function maxsoldUrl(origin: string, item: MaxsoldWork, limit?: number): string {
  let url = `${origin}${MAXSOLD_PATH}?auctionid=${item.id}`;
  if (item.itemId) url += `&itemid=${item.itemId}`;
  else if (limit !== undefined) url += `&limit=${limit}`;
  return url;
}

export function viaUrl(origin: string): string {
  return origin + VIA_PATH;
}

export function firstRequest(item: WorkItem, origins: Origins): Request {
  if (item.source === 'via') return { url: viaUrl(origins.via), round: 0 };
  const limit = item.itemId ? undefined : FIRST_LIMIT;
  return { url: maxsoldUrl(origins.maxsold, item, limit), limit, round: 0 };
}
